"""SIPp's ``uac_pcap`` (G.711 A-law speech, then RFC 4733 key 1) calls a handler on the switch
that answers, records and collects digits.

The recording must hold the speech (non-silent for about as long as the
capture lasts) and the key must be reported exactly once. SIPp looks for
``pcap/g711a.pcap`` relative to its working directory; Debian installs the
captures flat under /usr/share/sip-tester, so the test links them in.
"""

from __future__ import annotations

import asyncio
import struct
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from telephony_peers import Recorder, SippRun, free_udp_port, need, running_switch, sipp

from centralino.calls.commands import Answer, Collect, StartRecording
from centralino.calls.events import Answered, CallEvent, CallOffered, DigitsReceived, HungUp
from centralino.media.g711 import alaw_decode
from centralino.media.rtp import RtpPacket
from centralino.telephony import Switch

pytestmark = pytest.mark.peer

PCAPS = Path("/usr/share/sip-tester")


def capture_seconds(path: Path) -> float:
    """First to last packet of a pcap file (classic format, either byte order)."""
    data = path.read_bytes()
    order = "<" if data[:4] == b"\xd4\xc3\xb2\xa1" else ">"
    offset, times = 24, []
    while offset + 16 <= len(data):
        seconds, micros, length, _ = struct.unpack_from(order + "IIII", data, offset)
        times.append(seconds + micros / 1e6)
        offset += 16 + length
    return times[-1] - times[0]


def pcap_audio(path: Path) -> np.ndarray:
    """The A-law audio a pcap of RTP carries, decoded (Ethernet or Linux cooked captures, IPv4/UDP)."""
    data = path.read_bytes()
    order = "<" if data[:4] == b"\xd4\xc3\xb2\xa1" else ">"
    link = struct.unpack_from(order + "I", data, 20)[0]
    l2 = {1: 14, 113: 16}[link]
    offset, payloads = 24, []
    while offset + 16 <= len(data):
        length = struct.unpack_from(order + "IIII", data, offset)[2]
        packet = data[offset + 16 : offset + 16 + length]
        offset += 16 + length
        ip = packet[l2:]
        udp = ip[(ip[0] & 0x0F) * 4 :]
        rtp = RtpPacket.parse(udp[8:])
        if rtp.payload_type == 8:
            payloads.append(rtp.payload)
    return alaw_decode(b"".join(payloads))


def speech_seconds(samples: np.ndarray, rate: int = 8000) -> float:
    """From the first to the last 20 ms frame clearly above silence."""
    frames = samples[: len(samples) // 160 * 160].reshape(-1, 160).astype(np.float64)
    loud = np.flatnonzero(np.sqrt((frames**2).mean(axis=1)) > 200)
    return 0.0 if not len(loud) else (loud[-1] - loud[0] + 1) * 160 / rate


def answer_record_collect(switch: Switch, recording: Path) -> Recorder:
    def react(event: CallEvent) -> None:
        if isinstance(event, CallOffered):
            switch.command(Answer(leg=event.leg))
        elif isinstance(event, Answered):
            switch.command(StartRecording(leg=event.leg, path=str(recording), stereo=True))
            switch.command(Collect(leg=event.leg, max_digits=1, first_timeout=30))

    return Recorder(react=react)


@dataclass
class PcapCall:
    events: Recorder
    sipp: SippRun
    recording: Path


@pytest.fixture(scope="module")
def pcap_call(tmp_path_factory: pytest.TempPathFactory) -> PcapCall:
    """One ``uac_pcap`` call (about 9 s), shared by the assertions below."""
    need("sipp")
    if not (PCAPS / "g711a.pcap").exists():
        pytest.fail("SIPp's pcap files are missing from /usr/share/sip-tester (package sip-tester)")
    tmp = tmp_path_factory.mktemp("pcap")
    (tmp / "pcap").symlink_to(PCAPS)
    recording = tmp / "call.wav"

    async def run() -> tuple[Recorder, SippRun]:
        async with running_switch() as switch:
            seen = answer_record_collect(switch, recording)
            switch.handler = seen
            args = [
                "-sn",
                "uac_pcap",
                f"127.0.0.1:{switch.port}",
                "-p",
                str(free_udp_port()),
                "-mp",
                str(free_udp_port()),
                "-m",
                "1",
            ]
            result = await sipp(args, tmp, "uac_pcap", timeout=25)
            await seen.wait_for(lambda: bool(seen.of(HungUp)), timeout=5)
            await switch.drain()
            return seen, result

    seen, result = asyncio.run(run())
    return PcapCall(seen, result, recording)


def test_pcap_call_completes_and_key_1_is_collected_once(pcap_call: PcapCall) -> None:
    assert pcap_call.sipp.passed(1), pcap_call.sipp.output
    assert [e.digits for e in pcap_call.events.of(DigitsReceived)] == ["1"]


def test_pcap_recording_holds_the_speech(pcap_call: PcapCall) -> None:
    with wave.open(str(pcap_call.recording)) as wav:
        rate, channels = wav.getframerate(), wav.getnchannels()
        samples = np.frombuffer(wav.readframes(wav.getnframes()), "<i2").reshape(-1, channels)[:, 0]
    speech = speech_seconds(samples, rate)
    assert speech > 0, "the recording is silent"
    # the pcap sends 30 ms packets; the recorder works in 20 ms ticks: the same speech must come out
    expected = speech_seconds(pcap_audio(PCAPS / "g711a.pcap"))
    assert abs(speech - expected) < 0.2, (speech, expected)
