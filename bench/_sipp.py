"""SIPp as both ends of a call-rate benchmark: start it, stop it, read its statistics.

SIPp writes its counters as a semicolon-separated CSV (``-trace_stat -stf
FILE``), one row every ``-fd`` seconds and a final row when it exits; the
columns named ``...(C)`` are cumulative. A caller (``-sn uac``) run with
``-m N`` exits by itself once its N calls have ended; the answering side runs
until SIGUSR1, which SIPp treats as "place no new calls, exit when the current
ones end" and still writes the final row.

The answering scenario is SIPp's own ``uas`` (``sipp -sd uas``) with two edits
made here at run time rather than a copy kept in the repository:

* ``transport=[transport]`` in its Contact becomes ``transport=udp``. SIPp
  writes ``UDP``; the parameter is case-insensitive (RFC 3261 §19.1.4), but
  sippy 2.5.0 compares it with ``'udp'`` and fails every in-dialog request to
  that Contact ("unsupported transport: UDP"), so with the stock scenario its
  BYEs never reach the answering side. Lower case lets the peer do the same work
  ours does; it changes nothing for a conforming B2BUA.
* the closing ``timewait`` (which absorbs retransmitted BYEs) is shortened from
  4 s to 1 s so each step ends sooner.

No library runs SIPp or reads its CSV, so this is written here; it is a
benchmark helper outside the installed package.
"""

from __future__ import annotations

import contextlib
import csv
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "SippMissing",
    "SippStats",
    "Uas",
    "answering_scenario",
    "free_port",
    "launch",
    "read_stats",
    "run_uac",
    "stop_process",
    "udp_drops",
    "wait_for_sip",
]


class SippMissing(RuntimeError):
    """SIPp is not installed: ``apt-get install sip-tester`` (Debian) provides ``sipp``."""


def sipp_binary() -> str:
    found = shutil.which("sipp")
    if found is None:
        raise SippMissing("sipp not found on PATH: install it with 'apt-get install sip-tester'")
    return found


def prioritised(cpu: int | None) -> Callable[[], None]:
    """A ``preexec_fn``: pin to ``cpu`` and raise the priority of the child's own session.

    The child runs with ``start_new_session=True``; with autogroup scheduling a
    plain ``nice`` only ranks processes inside one session, so the session's
    autogroup is set to nice -20 too, else other work on a shared machine takes
    half the core. Every thread the child starts inherits both.
    """

    def prepare() -> None:
        if cpu is not None and (os.cpu_count() or 1) > cpu:
            os.sched_setaffinity(0, {cpu})
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, 0, -20)
        with contextlib.suppress(OSError), open("/proc/self/autogroup", "w") as f:
            f.write("-20")

    return prepare


def launch(argv: list[str], cpu: int | None, **kwargs: Any) -> subprocess.Popen[bytes]:
    """Start ``argv`` pinned to ``cpu`` at high priority in a session of its own."""
    kwargs.setdefault("stdin", subprocess.DEVNULL)
    kwargs.setdefault("stdout", subprocess.DEVNULL)
    kwargs.setdefault("stderr", subprocess.DEVNULL)
    return subprocess.Popen(argv, start_new_session=True, preexec_fn=prioritised(cpu), **kwargs)


def free_port(host: str = "127.0.0.1") -> int:
    """A port free for both UDP and TCP now (other programs on the box use the usual 5060-5080)."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.bind((host, 0))
            port = udp.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
                try:
                    tcp.bind((host, port))
                except OSError:
                    continue
            return int(port)
    raise RuntimeError(f"no port free for both UDP and TCP on {host} after 50 tries")


def udp_drops(port: int) -> int:
    """Datagrams the kernel dropped for want of receive-buffer room on UDP sockets bound to ``port``.

    ``/proc/net/udp``'s last column counts them per socket; a B2BUA that falls behind
    its socket loses requests and responses here before any SIP timer shows it.
    """
    total = 0
    for table in ("/proc/net/udp", "/proc/net/udp6"):
        with contextlib.suppress(OSError), open(table) as f:
            next(f, None)
            for line in f:
                fields = line.split()
                if len(fields) > 12 and int(fields[1].rpartition(":")[2], 16) == port:
                    total += int(fields[-1])
    return total


def answering_scenario(directory: Path) -> Path:
    """SIPp's stock ``uas`` scenario with the two edits the module docstring explains."""
    stock = subprocess.run([sipp_binary(), "-sd", "uas"], capture_output=True, text=True, timeout=10).stdout
    if "transport=[transport]" not in stock or '<timewait milliseconds="4000"/>' not in stock:
        raise RuntimeError("sipp -sd uas changed shape: update answering_scenario() in bench/_sipp.py")
    text = stock.replace("transport=[transport]", "transport=udp").replace(
        '<timewait milliseconds="4000"/>', '<timewait milliseconds="1000"/>'
    )
    path = directory / "uas.xml"
    path.write_text(text, encoding="latin-1")
    return path


@dataclass(frozen=True)
class SippStats:
    """One SIPp process's counters at its last row."""

    successful: int
    failed: int
    retransmissions: int
    outgoing: int
    incoming: int
    current: int
    dead_messages: int
    failures: dict[str, int] = field(default_factory=dict)
    created_in: float | None = None  # seconds until the last call was placed (interpolated)
    setup_ms: float = 0.0  # mean time from INVITE sent to 200 received (SIPp's ResponseTime1)

    @property
    def calls(self) -> int:
        return max(self.outgoing, self.incoming)


def _epoch(cell: str) -> float:
    return float(cell.split("\t")[-1])


def _duration_ms(cell: str) -> float:
    """SIPp's ``HH:MM:SS:microseconds`` as milliseconds."""
    try:
        h, m, sec, micro = (int(x) for x in cell.split(":"))
    except ValueError:
        return 0.0
    return (h * 3600 + m * 60 + sec) * 1000 + micro / 1000


def read_stats(path: Path) -> SippStats | None:
    """The last row of a ``-trace_stat`` file, or None if SIPp never wrote one."""
    if not path.exists():
        return None
    with path.open(newline="", encoding="latin-1") as f:
        rows = [row for row in csv.reader(f, delimiter=";") if row]
    if len(rows) < 2:
        return None
    header = rows[0]
    table = [dict(zip(header, row, strict=False)) for row in rows[1:]]
    last = table[-1]

    def count(name: str, row: dict[str, str] = last) -> int:
        return int(row.get(name) or 0)

    failures = {
        name[len("Failed") : -3]: count(name)
        for name in header
        if name.startswith("Failed") and name.endswith("(C)") and name != "FailedCall(C)" and count(name)
    }
    total = count("TotalCallCreated")
    created_in = None
    start = _epoch(last["StartTime"])
    previous = (start, 0)
    for row in table:
        now, made = _epoch(row["CurrentTime"]), count("TotalCallCreated", row)
        if total and made >= total:
            t0, m0 = previous
            created_in = t0 - start + (now - t0) * (total - m0) / max(made - m0, 1)
            break
        previous = (now, made)
    return SippStats(
        successful=count("SuccessfulCall(C)"),
        failed=count("FailedCall(C)"),
        retransmissions=count("Retransmissions(C)"),
        outgoing=count("OutgoingCall(C)"),
        incoming=count("IncomingCall(C)"),
        current=count("CurrentCall"),
        dead_messages=count("DeadCallMsgs(C)"),
        failures=failures,
        created_in=created_in,
        setup_ms=_duration_ms(last.get("ResponseTime1(C)", "")),
    )


def stop_process(
    proc: subprocess.Popen[bytes] | None, sig: int = signal.SIGTERM, grace: float = 3.0
) -> int | None:
    """Signal ``proc``, wait ``grace`` seconds, then kill it; its exit status (None if never started)."""
    if proc is None:
        return None
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(sig)
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
    return proc.returncode


class Uas:
    """The answering side: SIPp ``uas`` on ``port`` until ``stop()``."""

    def __init__(self, workdir: Path, port: int, cpu: int | None, recv_timeout_ms: int = 3000) -> None:
        self.port = port
        self.stat_file = workdir / f"uas-{port}.csv"
        self.stat_file.unlink(missing_ok=True)
        scenario = answering_scenario(workdir)
        argv = [
            sipp_binary(), "-sf", str(scenario), "-i", "127.0.0.1", "-p", str(port), "-nostdin",
            "-recv_timeout", str(recv_timeout_ms), "-trace_stat", "-stf", str(self.stat_file), "-fd", "1",
            "-trace_err", "-error_file", str(workdir / f"uas-{port}.err"),
            "-buff_size", str(4 << 20),
        ]  # fmt: skip
        self.proc: subprocess.Popen[bytes] | None = launch(argv, cpu, cwd=workdir)

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, grace: float = 6.0) -> SippStats | None:
        """SIGUSR1 (finish current calls, then exit), killed after ``grace`` seconds."""
        stop_process(self.proc, signal.SIGUSR1, grace)
        self.proc = None
        return read_stats(self.stat_file)


def run_uac(
    workdir: Path,
    target: str,
    port: int,
    rate: int,
    calls: int,
    hold_ms: int,
    cpu: int | None,
    recv_timeout_ms: int = 4000,
) -> SippStats | None:
    """Place ``calls`` calls at ``rate`` per second to ``target`` and wait for them to end.

    ``-l`` is set far above rate x hold so SIPp never slows down to wait for a
    slow peer: an overloaded B2BUA shows up as failed calls, not as a lower rate.
    """
    stat_file = workdir / f"uac-{port}.csv"
    stat_file.unlink(missing_ok=True)
    argv = [
        sipp_binary(), target, "-sn", "uac", "-i", "127.0.0.1", "-p", str(port),
        "-r", str(rate), "-rp", "1000", "-m", str(calls), "-d", str(hold_ms),
        "-l", str(max(1000, rate * 100)), "-nostdin", "-recv_timeout", str(recv_timeout_ms),
        "-trace_stat", "-stf", str(stat_file), "-fd", "1",
        "-trace_err", "-error_file", str(workdir / f"uac-{port}.err"), "-buff_size", str(4 << 20),
    ]  # fmt: skip
    bound = calls / rate + hold_ms / 1000 + recv_timeout_ms / 1000 * 3 + 10
    proc = launch(argv, cpu, cwd=workdir)
    try:
        proc.wait(bound)
    except subprocess.TimeoutExpired:
        stop_process(proc, signal.SIGUSR1, 3.0)
    finally:
        stop_process(proc)
    return read_stats(stat_file)


def wait_for_sip(host: str, port: int, deadline: float, proc: subprocess.Popen[bytes]) -> None:
    """Send OPTIONS until any SIP response comes back, ``proc`` exits, or ``deadline`` passes."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((host, 0))
        s.settimeout(0.2)
        local = s.getsockname()[1]
        n = 0
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"the B2BUA exited with status {proc.returncode} before answering")
            n += 1
            probe = (
                f"OPTIONS sip:probe@{host}:{port} SIP/2.0\r\n"
                f"Via: SIP/2.0/UDP {host}:{local};branch=z9hG4bK-probe-{os.getpid()}-{n}\r\n"
                f"Max-Forwards: 70\r\nFrom: <sip:bench@{host}>;tag=probe{n}\r\nTo: <sip:probe@{host}>\r\n"
                f"Call-ID: probe-{os.getpid()}-{n}@{host}\r\nCSeq: {n} OPTIONS\r\n"
                f"Content-Length: 0\r\n\r\n"
            )
            s.sendto(probe.encode(), (host, port))
            with contextlib.suppress(TimeoutError):
                data = s.recv(65535)
                if data.startswith(b"SIP/2.0 "):
                    return
    raise RuntimeError(f"no SIP answer from {host}:{port} to OPTIONS before the deadline")
