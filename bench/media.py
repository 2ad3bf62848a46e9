"""Media engine benchmark: music-on-hold streams and bridged calls on one core.

Two processes on two cores: the engine under test pinned to CPU 0, and our own
RTP generator (this process) pinned to CPU 1. The generator sends 20 ms G.711
packets on an absolute schedule (callers' upstream audio for every leg), stamps
each bridged packet with its send time inside the payload (relayed unchanged),
and reads kernel receive timestamps (SO_TIMESTAMPNS) so its own scheduling
delays do not count against the engine.

A packet is *late* when it arrives more than 20 ms after it should have:
bridged packets 20 ms after they were sent, music-on-hold packet k of a stream
20 ms after ``anchor + k * 20 ms`` (anchor: the stream's earliest-arriving
packet). Lost packets count as late. A load passes at < 0.1 % late.

Usage:
  python bench/media.py                       sweep, print the largest N and M that pass
  python bench/media.py --moh 1000 --bridged 300 --seconds 10
  python bench/media.py --peer rtpengine      also relay the bridged load through rtpengine
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import select
import shutil
import socket
import struct
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

import centralino.media
from centralino.media.engine import LocalMediaEngine
from centralino.media.player import PromptCache
from centralino.media.session import PortRange

SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)
HEADER = struct.Struct("!BBHII")
STAMP = struct.Struct("!2sIId")  # b"CB", stream, tick, send time
SILENCE = b"\xff" * 160
LATE = 0.020
WARMUP = 1.0


def pin(cpu: int) -> None:
    """One core each, at the highest CFS priority we may have, so other load on the box counts less."""
    if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > cpu:
        os.sched_setaffinity(0, {cpu})
    with contextlib.suppress(OSError):
        os.setpriority(os.PRIO_PROCESS, 0, -20)


# ---------------------------------------------------------------- engine side (CPU 0)


async def serve(n_moh: int, m_bridged: int, gen_port: int) -> None:
    loop = asyncio.get_running_loop()
    prompts = PromptCache()
    prompts.load_dir(Path(centralino.media.__file__).parent / "sounds")
    engine = LocalMediaEngine(lambda event: None, prompts, PortRange(20000, 29998))
    await engine.start()
    moh, bridged = [], []
    for i in range(n_moh):
        address = await engine.allocate(f"moh{i}")
        engine.set_remote(f"moh{i}", "127.0.0.1", gen_port)
        engine.play(f"moh{i}", ["moh"], loop=True)
        moh.append(address.port)
    for j in range(m_bridged):
        a, b = await engine.allocate(f"a{j}"), await engine.allocate(f"b{j}")
        for leg in (f"a{j}", f"b{j}"):
            engine.set_remote(leg, "127.0.0.1", gen_port)
        engine.bridge(f"a{j}", f"b{j}")
        bridged.append((a.port, b.port))
    print(json.dumps({"moh": moh, "bridged": bridged}), flush=True)
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    await reader.readline()  # "go"
    cpu0, wall0, ticks0, late0 = time.process_time(), time.monotonic(), engine.ticks, engine.late_ticks
    await reader.readline()  # "stop"
    print(json.dumps({
        "cpu": time.process_time() - cpu0, "wall": time.monotonic() - wall0,
        "ticks": engine.ticks - ticks0, "late_ticks": engine.late_ticks - late0,
    }), flush=True)


def serve_main(n_moh: int, m_bridged: int, gen_port: int) -> None:
    pin(0)
    try:
        import uvloop

        uvloop.run(serve(n_moh, m_bridged, gen_port))
    except ImportError:
        asyncio.run(serve(n_moh, m_bridged, gen_port))


# ---------------------------------------------------------------- generator side (CPU 1)


@dataclass
class Result:
    moh: int
    bridged: int
    expected: int
    late: int
    lost: int
    p99_ms: float
    max_ms: float
    cpu_pct: float

    @property
    def late_pct(self) -> float:
        return 100.0 * (self.late + self.lost) / self.expected if self.expected else 0.0

    @property
    def ok(self) -> bool:
        return self.expected > 0 and self.late_pct < 0.1

    def line(self, who: str = "centralino") -> str:
        return (
            f"engine={who} moh_streams={self.moh} bridged_calls={self.bridged} packets={self.expected} "
            f"late={self.late} lost={self.lost} late_pct={self.late_pct:.3f} p99_ms={self.p99_ms:.2f} "
            f"max_ms={self.max_ms:.2f} engine_cpu_pct={self.cpu_pct:.1f}"
        )


def generator_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    for option in (getattr(socket, "SO_RCVBUFFORCE", 33), socket.SO_RCVBUF):
        try:
            sock.setsockopt(socket.SOL_SOCKET, option, 32 << 20)
            break
        except OSError:
            continue
    sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    sock.setblocking(False)
    return sock


def drive(sock: socket.socket, moh: list[int], bridged: list[tuple[int, int]], seconds: float) -> Result:
    """Send every leg's upstream audio for ``seconds`` and measure what comes back."""
    targets = [(("127.0.0.1", p), i, False) for i, p in enumerate(moh)]
    stream = len(moh)
    for a, b in bridged:
        targets.append((("127.0.0.1", a), stream, True))
        targets.append((("127.0.0.1", b), stream + 1, True))
        stream += 2
    moh_rx: list[tuple[int, int, float]] = []
    latencies: list[float] = []
    sent_in_window = 0
    start = time.time() + 0.2
    window = (start + WARMUP, start + WARMUP + seconds)
    end = window[1] + 0.3  # let the last packets arrive
    tick = 0
    pad = bytes(160 - STAMP.size)
    cmsg = socket.CMSG_SPACE(16)
    while True:
        now = time.time()
        due = start + tick * 0.02
        if now >= due and due < window[1]:
            for address, ident, is_bridged in targets:
                header = HEADER.pack(0x80, 0, tick & 0xFFFF, (tick * 160) & 0xFFFFFFFF, ident)
                if is_bridged:
                    sent = time.time()
                    sock.sendto(header + STAMP.pack(b"CB", ident, tick, sent) + pad, address)
                    if window[0] <= sent < window[1]:
                        sent_in_window += 1
                else:
                    sock.sendto(header + SILENCE, address)
            tick += 1
            continue
        if now >= end:
            break
        wait = max(0.0, min(due, end) - now) if due < window[1] else end - now
        select.select([sock], [], [], wait)
        while True:
            try:
                data, ancdata, _, _ = sock.recvmsg(2048, cmsg)
            except BlockingIOError:
                break
            rx = time.time()
            for level, kind, value in ancdata:
                if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
                    sec, nsec = struct.unpack("qq", value[:16])
                    rx = sec + nsec * 1e-9
            if len(data) < 12 + STAMP.size:
                continue
            if data[12:14] == b"CB":
                _, _, _, sent = STAMP.unpack_from(data, 12)
                if window[0] <= sent < window[1]:
                    latencies.append(rx - sent)
            elif window[0] <= rx < window[1]:
                _, _, seq, _, ssrc = HEADER.unpack_from(data)
                moh_rx.append((ssrc, seq, rx))
    late = lost = expected = 0
    lateness: list[np.ndarray] = []
    if latencies:
        arr = np.array(latencies)
        late += int((arr > LATE).sum())
        lost += max(sent_in_window - len(arr), 0)
        expected += sent_in_window
        lateness.append(arr)
    if moh_rx:
        rows = np.array(moh_rx)
        order = np.lexsort((rows[:, 2], rows[:, 0]))
        rows = rows[order]
        for ssrc in np.unique(rows[:, 0]):
            r = rows[rows[:, 0] == ssrc]
            k = (r[:, 1] - r[0, 1]) % 65536
            behind = r[:, 2] - k * 0.02
            delay = behind - behind.min()
            late += int((delay > LATE).sum())
            span = int(k.max()) + 1
            lost += span - len(r)
            expected += span
            lateness.append(delay)
        lost += (len(moh) - len(np.unique(rows[:, 0]))) * int(seconds / 0.02)
    else:
        lost += len(moh) * int(seconds / 0.02)
        expected += len(moh) * int(seconds / 0.02)
    every = np.concatenate(lateness) if lateness else np.zeros(1)
    return Result(len(moh), len(bridged), expected, late, lost, float(np.percentile(every, 99) * 1000),
                  float(every.max() * 1000), 0.0)


def run_centralino(n_moh: int, m_bridged: int, seconds: float) -> Result:
    sock = generator_socket()
    port = sock.getsockname()[1]
    with subprocess.Popen(
        [sys.executable, __file__, "--serve", str(n_moh), str(m_bridged), str(port)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    ) as proc:
        assert proc.stdin is not None and proc.stdout is not None
        ports = json.loads(proc.stdout.readline())
        proc.stdin.write("go\n")
        proc.stdin.flush()
        result = drive(sock, ports["moh"], [tuple(p) for p in ports["bridged"]], seconds)
        proc.stdin.write("stop\n")
        proc.stdin.flush()
        usage = json.loads(proc.stdout.readline())
        proc.stdin.close()
        proc.wait(timeout=30)
    sock.close()
    result.cpu_pct = 100.0 * usage["cpu"] / usage["wall"]
    print("engine:", usage, file=sys.stderr)
    return result


def sweep(steps: list[int], make: Callable[[int, float], Result], seconds: float) -> tuple[int, list[Result]]:
    best, results = 0, []
    for step in steps:
        result = make(step, seconds)
        results.append(result)
        print(result.line(), flush=True)
        if not result.ok:
            break
        best = step
    return best, results


def main() -> int:
    raw = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=raw)
    parser.add_argument("--serve", nargs=3, type=int, help=argparse.SUPPRESS)
    parser.add_argument("--moh", type=int)
    parser.add_argument("--bridged", type=int)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--peer", choices=["rtpengine", "none"], default="rtpengine")
    args = parser.parse_args()
    if args.serve:
        serve_main(*args.serve)
        return 0
    pin(1)
    if args.moh is not None or args.bridged is not None:
        result = run_centralino(args.moh or 0, args.bridged or 0, args.seconds)
        print(result.line())
        best_m = args.bridged or 0
    else:
        best_n, _ = sweep([250, 500, 750, 1000, 1250, 1500, 2000, 2500, 3000],
                          lambda n, s: run_centralino(n, 0, s), args.seconds)
        best_m, _ = sweep([100, 200, 300, 400, 500, 600, 800, 1000],
                          lambda m, s: run_centralino(0, m, s), args.seconds)
        print(f"largest moh_streams={best_n} bridged_calls={best_m} (each alone, < 0.1 % late, one core)")
        if best_n and best_m:
            mixed = run_centralino(best_n // 2, best_m // 2, args.seconds)
            print(f"half of each together: {mixed.line()}")
        print(f"load average while measuring: {os.getloadavg()[0]:.2f} (other work on this machine counts)")
    if args.peer == "rtpengine":
        print(rtpengine_status())
    return 0


def rtpengine_status() -> str:
    """Whether the rtpengine comparison can run; it needs the daemon and an ng-protocol driver."""
    binary = shutil.which("rtpengine")
    if binary is None:
        policy = subprocess.run(["apt-cache", "policy", "rtpengine-daemon"], capture_output=True, text=True)
        candidate = next((line.split(":", 1)[1].strip() for line in policy.stdout.splitlines()
                          if "Candidate" in line), "none")
        return (f"peer=unavailable reason=rtpengine-not-installed (Debian candidate: {candidate}; "
                "apt-get install rtpengine-daemon)")
    return (f"peer=unavailable reason=ng-driver-missing: {binary} is installed but this bench does not yet "
            "drive it (offer/answer over the ng protocol) to relay the same bridged load; ratio=n/a")


if __name__ == "__main__":
    raise SystemExit(main())
