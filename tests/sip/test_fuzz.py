"""Mutated torture messages: only SipParseError may escape, and every parse is quick."""

from __future__ import annotations

import contextlib
import time
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from centralino.sip.errors import SipParseError
from centralino.sip.message import StreamFramer, parse_message
from centralino.sip.sdp import SessionDescription

SEEDS = [p.read_bytes() for p in sorted((Path(__file__).parent / "vectors").glob("*.dat"))]


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["flip", "cut", "insert", "dup"]))
        pos = draw(st.integers(0, len(data)))
        if kind == "flip" and pos < len(data):
            data[pos] = draw(st.integers(0, 255))
        elif kind == "cut":
            del data[pos : pos + draw(st.integers(1, 64))]
        elif kind == "insert":
            data[pos:pos] = draw(
                st.sampled_from([b"\r\n", b" ", b";", b",", b'"', b"<", b"%", b":", b"\x00"])
            )
        else:
            end = data.find(b"\r\n", pos)
            start = data.rfind(b"\r\n", 0, pos)
            if 0 <= start < end:
                data[end:end] = data[start:end] * draw(st.integers(1, 50))
    return bytes(data)


def _parse_everything(data: bytes) -> None:
    """Parse, serialize and read the lazily typed values; SipParseError is the only allowed error."""
    with contextlib.suppress(SipParseError):
        msg = parse_message(data)
        assert parse_message(bytes(msg)).call_id == msg.call_id
        _ = (msg.route, msg.record_route, msg.headers.get_all("accept"))
        SessionDescription.parse(msg.body)


@settings(max_examples=400, deadline=None, derandomize=True)
@given(mutated())
def test_only_sip_parse_error_escapes(data: bytes) -> None:
    started = time.perf_counter()
    _parse_everything(data)
    assert time.perf_counter() - started < 0.05


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.lists(mutated(), min_size=1, max_size=3), st.integers(1, 97))
def test_stream_framer_only_raises_sip_parse_error(chunks: list[bytes], step: int) -> None:
    stream = b"".join(chunks)
    framer = StreamFramer()
    try:
        for i in range(0, len(stream), step):
            for message in framer.feed(stream[i : i + step]):
                _parse_everything(message)
    except SipParseError:
        pass


def test_pathological_lengths_stay_fast() -> None:
    long_host = b"a-" * 20000 + b"!"
    data = SEEDS[0].replace(b"chair-dnrc.example.com", long_host, 1)
    started = time.perf_counter()
    _parse_everything(data)
    _parse_everything(b"INVITE sip:a@b SIP/2.0\r\nVia: " + b"SIP/2.0/UDP h;," * 20000 + b"\r\n\r\n")
    assert time.perf_counter() - started < 1.0
