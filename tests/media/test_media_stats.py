from centralino.media.stats import ReceptionStats


def test_no_loss_no_jitter_for_a_perfect_stream() -> None:
    s = ReceptionStats()
    for i in range(100):
        s.receive((65500 + i) % 65536, i * 160, 10.0 + i * 0.02)
    assert s.expected == 100 and s.lost == 0 and s.cycles == 65536
    assert s.jitter == 0 and s.fraction_lost() == 0


def test_loss_is_counted_across_the_sequence_wrap() -> None:
    s = ReceptionStats()
    for i in range(100):
        if i % 10 != 0 or i == 0:
            s.receive((65530 + i) % 65536, i * 160, i * 0.02)
    assert s.expected == 100 and s.lost == 9
    assert s.fraction_lost() == (9 << 8) // 100
    assert s.fraction_lost() == 0  # the interval moved on
    block = s.report_block(ssrc=5)
    assert block.cumulative_lost == 9 and block.highest_sequence == 65536 + (65530 + 99) % 65536
    summary = s.summary(packets_sent=3)
    assert summary.packets_lost == 9 and summary.loss_pct == 9.0 and summary.packets_sent == 3


def test_duplicates_make_loss_negative_as_rfc_3550_says() -> None:
    s = ReceptionStats()
    for seq in (1, 2, 2, 3):
        s.receive(seq, seq * 160, seq * 0.02)
    assert s.lost == -1 and s.summary().packets_lost == 0


def test_jitter_follows_the_a8_estimator() -> None:
    s = ReceptionStats()
    # every other packet arrives 10 ms late: |D| = 10 ms = 80 units each time, J converges to 80
    for i in range(400):
        s.receive(i, i * 160, i * 0.02 + (0.01 if i % 2 else 0.0))
    assert 78 <= s.jitter <= 80
    assert 9.7 < s.jitter_ms <= 10.0


def test_a_source_restart_is_accepted_after_two_sequential_packets() -> None:
    s = ReceptionStats()
    for seq in range(10):
        s.receive(seq, seq * 160, seq * 0.02)
    assert not s.receive(40000, 0, 1.0)
    assert s.receive(40001, 160, 1.02)
    assert s.base_seq == 40001 and s.lost == 0
