"""Shared helpers for the switch's real-peer tests: SIPp and baresip processes, a running switch.

Every external process is started by a helper that kills it in ``finally``, so
a failing assertion never leaves a SIPp or baresip behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import socket
import wave
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from centralino.calls.events import CallEvent
from centralino.media.engine import LocalMediaEngine
from centralino.media.player import PromptCache
from centralino.media.session import PortRange
from centralino.sip.registrar import Registrar
from centralino.telephony import Switch, SwitchConfig, TargetResolver
from peers import need

SCENARIOS = Path(__file__).parent / "scenarios"




def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def free_rtp_port() -> int:
    """An even port with the three above it free too, for SIPp's ``-mp`` (audio RTP, RTCP and the
    video pair it also binds): a fixed port collides with nodes and other SIPp runs."""
    for _ in range(200):
        base = free_udp_port() & ~1
        sockets = []
        try:
            for port in range(base, base + 4):
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                sockets.append(s)
                s.bind(("127.0.0.1", port))
        except OSError:
            continue
        finally:
            for s in sockets:
                s.close()
        return base
    raise RuntimeError("no four consecutive free UDP ports on 127.0.0.1")


@dataclass
class SippRun:
    returncode: int
    successful: int
    failed: int
    output: str

    def passed(self, calls: int) -> bool:
        return (self.returncode, self.successful, self.failed) == (0, calls, 0)


async def sipp(args: list[str], cwd: Path, name: str, timeout: float = 30.0) -> SippRun:
    """Run SIPp to completion (killed on timeout or cancellation) and read its statistics."""
    binary = need("sipp")
    stats = cwd / f"{name}-stats.csv"
    full = [
        *args,
        "-i",
        "127.0.0.1",
        "-nostdin",
        "-timeout",
        f"{int(timeout)}s",
        "-timeout_error",
        "-trace_stat",
        "-stf",
        str(stats),
        "-fd",
        "1",
        "-trace_err",
        "-error_file",
        str(cwd / f"{name}.err"),
    ]
    proc = await asyncio.create_subprocess_exec(
        binary, *full, cwd=cwd, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    try:
        out, _ = await asyncio.wait_for(proc.communicate(), timeout + 10)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    rows: list[dict[str, str]] = []
    if stats.exists():
        with stats.open() as f:
            rows = list(csv.DictReader(f, delimiter=";"))
    last = rows[-1] if rows else {}
    errors = cwd / f"{name}.err"
    text = out.decode(errors="replace")[-2000:] + (
        errors.read_text(errors="replace")[-2000:] if errors.exists() else ""
    )
    return SippRun(
        proc.returncode if proc.returncode is not None else -1,
        int(last.get("SuccessfulCall(C)", -1)),
        int(last.get("FailedCall(C)", -1)),
        text,
    )


@dataclass
class Recorder:
    """A handler that keeps every event and lets a test wait for one."""

    events: list[CallEvent] = field(default_factory=list)
    react: Callable[[CallEvent], None] | None = None
    _changed: asyncio.Event = field(default_factory=asyncio.Event)

    def __call__(self, event: CallEvent) -> None:
        self.events.append(event)
        self._changed.set()
        if self.react is not None:
            self.react(event)

    def of(self, kind: type[CallEvent], leg: str | None = None) -> list[CallEvent]:
        return [e for e in self.events if isinstance(e, kind) and (leg is None or e.leg == leg)]

    async def wait_for(self, test: Callable[[], bool], timeout: float = 10.0) -> None:
        async def loop() -> None:
            while not test():
                self._changed.clear()
                await self._changed.wait()

        await asyncio.wait_for(loop(), timeout)


@contextlib.asynccontextmanager
async def running_switch(
    *,
    media: bool = True,
    moh: str | None = None,
    resolver: TargetResolver | None = None,
    registrar: Registrar | None = None,
    domains: tuple[str, ...] = (),
    prompts: PromptCache | None = None,
    transfer: str = "server",
) -> AsyncIterator[Switch]:
    switch = Switch(
        SwitchConfig(bind="127.0.0.1", port=0, tcp=False, media=media, moh=moh, transfer=transfer),
        resolver=resolver,
        registrar=registrar,
        domains=domains,
    )
    engine = None
    if media:
        engine = LocalMediaEngine(
            switch.on_media_event, prompts or PromptCache(), PortRange(31000, 33000), host="127.0.0.1"
        )
        await engine.start()
    await switch.start(engine)
    try:
        yield switch
    finally:
        await switch.stop()
        if engine is not None:
            await engine.close()


@contextlib.asynccontextmanager
async def process(*args: str, cwd: Path, log: Path) -> AsyncIterator[asyncio.subprocess.Process]:
    """A background process, terminated (then killed) when the block ends."""
    with log.open("wb") as out:
        proc = await asyncio.create_subprocess_exec(
            *args, cwd=cwd, stdout=out, stderr=asyncio.subprocess.STDOUT, stdin=asyncio.subprocess.DEVNULL
        )
    try:
        yield proc
    finally:
        if proc.returncode is None:
            proc.terminate()
            try:
                await asyncio.wait_for(proc.wait(), 3)
            except TimeoutError:
                proc.kill()
                await proc.wait()


def sine_wav(path: Path, frequency: float, seconds: float, amplitude: float = 0.3) -> Path:
    """An 8 kHz mono 16-bit sine: what baresip's ``aufile`` source accepts for G.711."""
    t = np.arange(int(8000 * seconds)) / 8000
    samples = (amplitude * 32767 * np.sin(2 * np.pi * frequency * t)).astype("<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(samples.tobytes())
    return path


def baresip_config(directory: Path, port: int, source: Path, account: str) -> Path:
    """A headless baresip: G.711, the WAV ``source`` as microphone, what it hears dumped by ``sndfile``
    into ``directory/heard`` (``dump-*-dec.wav``), commands from ``-e`` through ``menu``."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "heard").mkdir(exist_ok=True)
    (directory / "config").write_text(
        "\n".join(
            [
                "poll_method epoll",
                f"sip_listen 127.0.0.1:{port}",
                "net_interface 127.0.0.1",
                f"audio_source aufile,{source}",
                "audio_player aubridge,nowhere",
                "audio_alert aubridge,nowhere",
                "module_path /usr/lib/baresip/modules",
                "module g711.so",
                "module aufile.so",
                "module aubridge.so",
                "module sndfile.so",
                "module_app account.so",
                "module_app menu.so",
                f"snd_path {directory / 'heard'}",
                "",
            ]
        )
    )
    (directory / "accounts").write_text(account + "\n")
    return directory


def heard(directory: Path) -> np.ndarray:
    """What baresip heard in its (only) call, as float samples at 8 kHz."""
    files = sorted((directory / "heard").glob("dump-*-dec.wav"))
    assert files, f"baresip recorded nothing in {directory / 'heard'}"
    with wave.open(str(files[-1])) as wav:
        assert wav.getframerate() == 8000
        return np.frombuffer(wav.readframes(wav.getnframes()), "<i2").astype(np.float64)


def tone(samples: np.ndarray, rate: int = 8000) -> tuple[float, float]:
    """(frequency of the spectral peak in Hz, RMS level in dBFS) of ``samples``."""
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    peak = float(np.argmax(spectrum) * rate / len(samples))
    rms = float(np.sqrt(np.mean(samples**2)))
    return peak, 20 * np.log10(max(rms, 1e-9) / 32768)
