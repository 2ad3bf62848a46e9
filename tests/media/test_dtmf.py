import pytest

from centralino.media.dtmf import DtmfError, DtmfReceiver, TelephoneEvent, dtmf_frames, event_code

# RFC 4733 payload: event 5, E bit, volume 10, duration 800
END_5 = bytes.fromhex("058a0320")


def test_payload_round_trip() -> None:
    e = TelephoneEvent.parse(END_5)
    assert e == TelephoneEvent(event=5, end=True, volume=10, duration=800)
    assert bytes(e) == END_5


def test_sender_sequence_for_one_key() -> None:
    frames = dtmf_frames("#", duration_ms=100)
    events = [TelephoneEvent.parse(f.payload) for f in frames]
    assert [f.marker for f in frames] == [True] + [False] * (len(frames) - 1)
    assert [e.event for e in events] == [11] * len(frames)
    updates = [e for e in events if not e.end]
    assert [e.duration for e in updates] == [160, 320, 480, 640]
    ends = events[len(updates):]
    assert len(ends) == 3 and all(e.end and e.duration == 800 for e in ends)
    assert [f.send_offset for f in frames] == [160 * i for i in range(len(frames))]


def test_receiver_reports_each_key_once_despite_redundancy_and_retransmission() -> None:
    rx = DtmfReceiver()
    got = []
    for timestamp, key in ((1000, "1"), (3000, "1"), (5000, "*")):
        frames = dtmf_frames(key)
        packets = [f.payload for f in frames] + [frames[-1].payload, frames[0].payload]  # retransmitted
        for payload in packets:
            hit = rx.receive(timestamp, payload)
            if hit:
                got.append((hit.key, hit.timestamp))
    assert got == [("1", 1000), ("1", 3000), ("*", 5000)]


def test_receiver_reports_a_key_whose_start_was_lost() -> None:
    rx = DtmfReceiver()
    hits = [rx.receive(800, bytes(TelephoneEvent(9, True, 10, 800))) for _ in range(3)]
    assert [h.key if h else None for h in hits] == ["9", None, None]


def test_non_dtmf_events_are_absorbed_and_bad_keys_refused() -> None:
    assert DtmfReceiver().receive(1, bytes(TelephoneEvent(36, False, 10, 160))) is None  # fax CNG
    with pytest.raises(DtmfError, match="not a DTMF key"):
        event_code("x")
    with pytest.raises(DtmfError, match="4"):
        TelephoneEvent.parse(b"\x01")
