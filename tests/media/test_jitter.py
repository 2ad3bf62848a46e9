from centralino.media.jitter import JitterBuffer, StreamRewriter


def drain(buf: JitterBuffer, ticks: int) -> list[bytes | None]:
    return [buf.pop() for _ in range(ticks)]


def test_reorders_and_prefills() -> None:
    buf = JitterBuffer(target=2)
    buf.push(11, b"b")
    assert buf.pop() is None  # still filling
    buf.push(10, b"a")
    buf.push(12, b"c")
    assert drain(buf, 3) == [b"a", b"b", b"c"]


def test_gap_gives_silence_and_late_packets_are_dropped() -> None:
    buf = JitterBuffer(target=1)
    for seq in (65534, 65535, 1):  # 0 is lost, across the wrap
        buf.push(seq, bytes([seq % 256]))
    assert drain(buf, 4) == [b"\xfe", b"\xff", None, b"\x01"]
    assert buf.lost == 1
    buf.push(0, b"late")
    assert buf.late == 1 and len(buf) == 0


def test_overflow_drops_oldest_and_restart_resets() -> None:
    buf = JitterBuffer(target=1, capacity=4)
    for seq in range(8):
        buf.push(seq, bytes([seq]))
    assert buf.dropped == 4 and buf.pop() == b"\x04"
    buf.push(30000, b"new")  # the source jumped: start over
    assert buf.pop() == b"new"


def test_rewriter_keeps_own_frames_contiguous_and_rebases_on_source_change() -> None:
    rw = StreamRewriter(first_sequence=65535, first_timestamp=1000)
    a = rw.own(0.00)
    b = rw.own(0.02)
    assert (a.sequence, a.timestamp, a.marker) == (65535, 1000, True)
    assert (b.sequence, b.timestamp, b.marker) == (0, 1160, False)
    # a peer's stream arrives 100 ms later with a foreign clock
    c = rw.relay(ssrc=7, timestamp=555_000, marker=False, now=0.12)
    d = rw.relay(ssrc=7, timestamp=555_160, marker=False, now=0.14)
    assert c.marker and c.timestamp == 1160 + 800 and c.sequence == 1
    assert not d.marker and d.timestamp == c.timestamp + 160
    # the peer's timestamp jumps by an hour: re-based on elapsed time, flagged
    e = rw.relay(ssrc=7, timestamp=555_160 + 8000 * 3600, marker=False, now=0.16)
    assert e.marker and e.timestamp == d.timestamp + 160
    f = rw.own(0.18)  # back to our own audio (music on hold)
    assert f.marker and f.timestamp == e.timestamp + 160
