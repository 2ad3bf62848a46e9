"""SIP call setup rate: SIPp callers -> a B2BUA -> SIPp answering side, rate raised until calls fail.

Run: ``.venv/bin/python bench/sip_cps.py`` (about 4-7 minutes). Three devices
are measured in turn, each with the same steps:

* ``direct``: SIPp to SIPp with no B2BUA, the ceiling of the harness itself;
* ``centralino``: ``python -m centralino.telephony.b2bua --no-media``;
* ``sippy``: sippy's ``b2bua_simple``, installed from PyPI (``sippy==2.5.0``,
  else the latest 2.x) into a throw-away venv by this script.

Each step starts a fresh answering SIPp and a fresh B2BUA on free ports, places
``rate x seconds`` calls (at least ``--min-calls``) with SIPp's stock ``uac``
scenario (INVITE, ACK, ``--hold-ms`` pause, BYE), so about ``rate`` calls are up
at once, then stops both. The B2BUA runs alone on CPU 0, both SIPp processes on
CPU 1. A call counts as good only if both ends completed it (caller and
answering side, so a BYE lost inside the B2BUA is a failure); failed = placed -
good. A step also fails if SIPp could not place calls at 95 % of the rate (the
harness's ceiling, visible in ``direct``). The rate goes up until a step has
more than 1 % failed calls; if the first step already has, it goes down by
halves to find a rate that works.

Printed: a table per device, the highest rate with zero failed calls and the
highest with at most 1 %, the profile of our B2BUA at its failure point
(``--profile``, needs ``py-spy``), and the last line
``cps=<ours, zero failed> peer_cps=<sippy> peer_threshold=<0%|1%> ratio=<ours/peer>``:
sippy's rate is its zero-failure rate if it has one, else its <= 1 % rate, and
``peer_threshold`` says which.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from _sipp import (
    SippStats,
    Uas,
    free_port,
    launch,
    run_uac,
    stop_process,
    udp_drops,
    wait_for_sip,
)  # beside this script

DEFAULT_RATES = (25, 50, 100, 200, 300, 400, 500, 600, 800, 1000)
B2BUA_CPU, SIPP_CPU = 0, 1
THRESHOLD = 0.01

Command = Callable[[int, int], list[str]]  # (b2bua port, answering port) -> argv


@dataclass(frozen=True)
class Device:
    name: str
    command: Command | None  # None: no B2BUA, SIPp calls SIPp
    env: dict[str, str]


@dataclass(frozen=True)
class Step:
    rate: int
    placed: int
    good: int
    achieved: float
    retransmissions: int
    b2bua: str  # "up", "exited N", "-" (no B2BUA)
    tracebacks: int
    detail: str
    cpu_seconds: float = 0.0  # the B2BUA's CPU time while the calls ran
    others: float = 0.0  # share of the B2BUA's core that other processes used meanwhile
    setup_ms: float = 0.0  # mean INVITE -> 200 time seen by the caller
    drops: int = 0  # datagrams the kernel dropped on the B2BUA's full socket buffer
    harness_drops: int = 0  # the same on SIPp's sockets

    @property
    def cpu_ms_per_call(self) -> float:
        return 1000 * self.cpu_seconds / self.placed if self.placed else 0.0

    @property
    def failed(self) -> int:
        return self.placed - self.good

    @property
    def failed_share(self) -> float:
        return self.failed / self.placed if self.placed else 1.0

    @property
    def reached(self) -> bool:
        return self.achieved >= 0.95 * self.rate

    def within(self, threshold: float) -> bool:
        return self.reached and self.b2bua in ("up", "-") and self.failed_share <= threshold


def ours(port: int, answer_port: int) -> list[str]:
    return [
        sys.executable, "-m", "centralino.telephony.b2bua", "--bind", "127.0.0.1", "--port", str(port),
        "--target", f"sip:{{user}}@127.0.0.1:{answer_port}", "--no-media", "--no-rate-limit",
        "--log-level", "WARNING",
    ]  # fmt: skip


def install_sippy(venv: Path) -> tuple[Path, str]:
    """``b2bua_simple`` in a venv of its own: sippy 2.5.0 if the index has it, else the latest 2.x."""
    python = venv / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    pip = [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    for spec in ("sippy==2.5.0", "sippy>=2,<3"):
        done = subprocess.run([*pip, spec], capture_output=True, text=True, timeout=300)
        if done.returncode == 0:
            break
    else:
        raise RuntimeError(f"pip could not install sippy 2.x: {done.stderr.strip()[-400:]}")
    version = subprocess.run(
        [str(python), "-c", "import importlib.metadata as m; print(m.version('sippy'))"],
        capture_output=True, text=True, check=True, timeout=60,
    ).stdout.strip()  # fmt: skip
    return venv / "bin" / "b2bua_simple", version


def sippy_command(script: Path) -> Command:
    def command(port: int, answer_port: int) -> list[str]:
        # -f: stay in the foreground; -l/-p: listen; -n: next hop for every call
        return [str(script), "-f", "-l", "127.0.0.1", "-p", str(port), "-n", f"127.0.0.1:{answer_port}"]

    return command


def run_step(
    device: Device, rate: int, args: argparse.Namespace, workdir: Path, spy: Path | None = None
) -> Step:
    calls = max(rate * args.seconds, args.min_calls)
    answer_port, caller_port = free_port(), free_port()
    uas = Uas(workdir, answer_port, SIPP_CPU)
    b2bua: subprocess.Popen[bytes] | None = None
    profiler: subprocess.Popen[bytes] | None = None
    log_path = workdir / f"{device.name}-{rate}.log"
    target_port = answer_port
    uac: SippStats | None = None
    far: SippStats | None = None
    status = "-"
    cpu_before = cpu = others = 0.0
    drops = harness_drops = 0
    try:
        if device.command is not None:
            target_port = free_port()
            with log_path.open("wb") as log:
                argv = device.command(target_port, answer_port)
                env = {**os.environ, **device.env}
                b2bua = launch(argv, B2BUA_CPU, cwd=workdir, stdout=log, stderr=subprocess.STDOUT, env=env)
            wait_for_sip("127.0.0.1", target_port, time.monotonic() + 20, b2bua)
            cpu_before = cpu_seconds(b2bua.pid)
            if spy is not None:
                profiler = start_profiler(spy, b2bua.pid, calls / rate + args.hold_ms / 1000, workdir)
        core_before = core_busy(B2BUA_CPU)
        uac = run_uac(workdir, f"127.0.0.1:{target_port}", caller_port, rate, calls, args.hold_ms, SIPP_CPU)
        if b2bua is not None:
            status = "up" if b2bua.poll() is None else f"exited {b2bua.returncode}"
            cpu = cpu_seconds(b2bua.pid) - cpu_before if status == "up" else 0.0
        drops = udp_drops(target_port) if b2bua is not None else 0
        harness_drops = udp_drops(answer_port) + udp_drops(caller_port)
        busy, wall = (after - before for after, before in zip(core_busy(B2BUA_CPU), core_before, strict=True))
        others = max(0.0, busy - cpu) / wall if wall > 0 else 0.0
    finally:
        if profiler is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                profiler.wait(15)
        stop_process(profiler)
        far = uas.stop()
        stop_process(b2bua)
    tracebacks = log_path.read_text(errors="replace").count("Traceback") if log_path.exists() else 0
    step = summarise(rate, calls, uac, far, status, tracebacks, cpu)
    return replace(step, others=others, drops=drops, harness_drops=harness_drops)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and all its threads, from ``/proc/PID/stat``."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


def core_busy(cpu: int) -> tuple[float, float]:
    """Seconds one CPU spent busy, and seconds since boot, from ``/proc/stat``."""
    tick = os.sysconf("SC_CLK_TCK")
    for line in Path("/proc/stat").read_text().splitlines():
        name, *values = line.split()
        if name == f"cpu{cpu}":
            jiffies = [int(v) for v in values[:8]]
            idle = jiffies[3] + jiffies[4]  # idle, iowait
            return (sum(jiffies) - idle) / tick, time.monotonic()
    return 0.0, time.monotonic()


def summarise(
    rate: int, calls: int, uac: SippStats | None, far: SippStats | None, status: str, tb: int, cpu: float
) -> Step:
    if uac is None or far is None:
        return Step(rate, calls, 0, 0.0, 0, status, tb, "SIPp wrote no statistics", cpu)
    good = min(uac.successful, far.successful)
    achieved = calls / uac.created_in if uac.created_in else 0.0
    kinds = Counter(uac.failures) + Counter({f"far {k}": v for k, v in far.failures.items()})
    lost_far = uac.successful - far.successful
    if lost_far > 0:
        kinds["ended only at the caller"] += lost_far
    detail = ", ".join(f"{k} {v}" for k, v in kinds.most_common(3))
    retransmissions = uac.retransmissions + far.retransmissions
    return Step(rate, calls, good, achieved, retransmissions, status, tb, detail, cpu, setup_ms=uac.setup_ms)


class Sweep:
    """One device's steps: up until a step is over the threshold, down by halves if the first is."""

    def __init__(self, device: Device, rates: list[int], floor: int) -> None:
        self.device, self.rates, self.floor = device, list(rates), floor
        self.steps: list[Step] = []

    @property
    def done(self) -> bool:
        return not self.rates

    def run_next(self, args: argparse.Namespace, workdir: Path, deadline: float) -> None:
        rate = self.rates.pop(0)
        step = run_step(self.device, rate, args, workdir)
        print(f"{self.device.name:<12}{row(step)}", flush=True)
        if not step.within(0.0) and time.monotonic() < deadline:
            # the machine is shared: a failing step runs once more and the better run counts
            again = run_step(self.device, rate, args, workdir)
            print(f"{self.device.name:<12}{row(again)} (again)", flush=True)
            step = min(step, again, key=lambda s: (not s.reached, s.failed_share))
        self.steps.append(step)
        if step.within(THRESHOLD):
            return
        going_down = all(not s.within(THRESHOLD) for s in self.steps)
        self.rates = [rate // 2] if going_down and rate // 2 >= self.floor else []


def sweep_all(devices: list[Device], args: argparse.Namespace, workdir: Path, deadline: float) -> list[Sweep]:
    """The devices take turns, one step each, so load from elsewhere on the box falls on all alike."""
    sweeps = [Sweep(device, args.rates, args.floor) for device in devices]
    print(f"{'device':<12}{header()}")
    while time.monotonic() < deadline and not all(s.done for s in sweeps):
        for sweep in sweeps:
            if not sweep.done and time.monotonic() < deadline:
                sweep.run_next(args, workdir, deadline)
    return sweeps


COLUMNS = (
    ("rate", 6), ("reached", 7), ("calls", 6), ("good", 6), ("failed", 6), ("fail%", 6), ("retrans", 7),
    ("b2bua", 8), ("setup_ms", 8), ("drops", 6), ("cpu_ms", 6), ("others", 6), ("tb", 3),
)  # fmt: skip


def header() -> str:
    return " ".join(f"{title:>{width}}" for title, width in COLUMNS) + "  failures"


def row(step: Step) -> str:
    values = (
        step.rate, f"{step.achieved:.0f}", step.placed, step.good, step.failed,
        f"{100 * step.failed_share:.2f}", step.retransmissions, step.b2bua, f"{step.setup_ms:.0f}",
        step.drops, f"{step.cpu_ms_per_call:.2f}",
        f"{step.others:.0%}", step.tracebacks,
    )  # fmt: skip
    cells = " ".join(f"{value:>{width}}" for value, (_, width) in zip(values, COLUMNS, strict=True))
    harness = f" (SIPp sockets dropped {step.harness_drops})" if step.harness_drops else ""
    return f"{cells}  {step.detail}{harness}"


def best(steps: list[Step], threshold: float) -> int:
    return max((s.rate for s in steps if s.within(threshold)), default=0)


def cpu_cost(steps: list[Step]) -> tuple[float, int]:
    """CPU milliseconds per call at the highest clean rate (else the highest rate), and that rate.

    At low rates the loop's fixed cost per second dominates, so the loaded figure is the one
    that says what a core can carry; it is also far less shaken than rates by other load on the box.
    """
    measured = [s for s in steps if s.cpu_seconds > 0]
    if not measured:
        return 0.0, 0
    clean = [s for s in measured if s.within(0.0)] or measured
    top = max(clean, key=lambda s: (s.rate, -s.cpu_ms_per_call))
    return top.cpu_ms_per_call, top.rate


def first_failure(steps: list[Step]) -> int:
    """Where to profile: the lowest rate with failed calls, else the highest rate run."""
    failing = [s.rate for s in steps if not s.within(0.0)]
    return min(failing) if failing else max(s.rate for s in steps)


def find_py_spy(venv: Path) -> Path | None:
    """py-spy from PATH or the project's venv, else installed into ``venv`` (a wheel with the binary)."""
    for candidate in (Path(sys.executable).parent / "py-spy", venv / "bin" / "py-spy"):
        if candidate.exists():
            return candidate
    found = shutil.which("py-spy")
    if found:
        return Path(found)
    if not (venv / "bin" / "python").exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    done = subprocess.run([*pip, "py-spy"], capture_output=True, timeout=300)
    return venv / "bin" / "py-spy" if done.returncode == 0 else None


def start_profiler(spy: Path, pid: int, seconds: float, workdir: Path) -> subprocess.Popen[bytes]:
    argv = [str(spy), "record", "--pid", str(pid), "--duration", str(max(1, int(seconds))), "--rate", "200",
            "--nonblocking", "--format", "raw", "-o", str(workdir / "profile.txt")]  # fmt: skip
    # py-spy samples from CPU 1 so the B2BUA keeps CPU 0 to itself
    return launch(argv, SIPP_CPU)


FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^()]*?)(?::\d+)?\)$")


IDLE = ("selectors.py:EpollSelector.select", "selectors.py:PollSelector.select")


Hotspots = tuple[list[tuple[str, float, float]], list[tuple[str, float]], float, int]


def hotspots(raw: Path, top: int = 12) -> Hotspots:
    """From py-spy's collapsed stacks: the top functions (file:function, % self, % total), the top
    files (% self), and the share of samples spent waiting in the event loop's select, which the
    percentages leave out so they add up to the busy time; and the number of busy samples."""
    own: Counter[str] = Counter()
    under: Counter[str] = Counter()
    files: Counter[str] = Counter()
    busy = idle = 0
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        names = []
        for frame in stack.split(";"):
            m = FRAME.match(frame.strip())
            file, func = (short(m["file"]), m["func"]) if m else ("?", frame.strip())
            names.append(f"{file}:{func}")
        if names[-1] in IDLE:
            idle += n
            continue
        busy += n
        own[names[-1]] += n
        files[names[-1].rpartition(":")[0]] += n
        for name in set(names):
            under[name] += n
    if not busy:
        return [], [], 0.0, 0
    functions = [(name, 100 * n / busy, 100 * under[name] / busy) for name, n in own.most_common(top)]
    by_file = [(name, 100 * n / busy) for name, n in files.most_common(top // 2)]
    return functions, by_file, 100 * idle / (busy + idle), busy


def short(file: str) -> str:
    for marker in ("/site-packages/", "/src/", "/lib/python3"):
        if marker in file:
            return file.split(marker, 1)[1]
    return file


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rates", type=lambda s: [int(x) for x in s.split(",")], default=list(DEFAULT_RATES))
    parser.add_argument("--seconds", type=int, default=5, help="seconds of calls per step")
    parser.add_argument("--min-calls", type=int, default=100, help="fewest calls a step places")
    parser.add_argument("--hold-ms", type=int, default=1000, help="pause between ACK and BYE")
    parser.add_argument("--floor", type=int, default=5, help="lowest rate tried when going down")
    parser.add_argument("--devices", default="direct,centralino,sippy")
    parser.add_argument(
        "--sippy-venv", type=Path, help="reuse this venv for sippy (default: a temporary one)"
    )
    parser.add_argument("--profile", action="store_true", help="py-spy our B2BUA at its failure point")
    parser.add_argument("--keep", type=Path, help="keep logs and SIPp files in this directory")
    parser.add_argument("--budget", type=float, default=420.0, help="seconds for all sweeps together")
    args = parser.parse_args()
    names = args.devices.split(",")
    deadline = time.monotonic() + args.budget
    results: dict[str, list[Step]] = {}
    with tempfile.TemporaryDirectory(prefix="sip-cps-") as tmp:
        workdir = args.keep or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        devices = {"direct": Device("direct", None, {}), "centralino": Device("centralino", ours, {})}
        if "sippy" in names:
            try:
                script, version = install_sippy(args.sippy_venv or workdir / "sippy-venv")
            except (RuntimeError, subprocess.SubprocessError) as exc:
                print(f"sippy left out: {exc}")
                names.remove("sippy")
            else:
                print(f"sippy {version} (b2bua_simple) installed in a separate venv")
                devices["sippy"] = Device(f"sippy {version}", sippy_command(script), {"SIPLOG_LVL": "WARN"})
        sweeps = sweep_all([devices[name] for name in names], args, workdir, deadline)
        for name, sweep in zip(names, sweeps, strict=True):
            results[name] = steps = sweep.steps
            print(f"\n{sweep.device.name}\n{header()}")
            for step in steps:
                print(row(step))
            print(f"  highest rate with zero failed calls: {best(steps, 0.0)}/s; "
                  f"with <= 1 % failed: {best(steps, THRESHOLD)}/s")  # fmt: skip
            cost, at = cpu_cost(steps)
            if cost:
                print(f"  B2BUA CPU per call: {cost:.2f} ms at {at}/s, "
                      f"so about {1000 / cost:.0f} calls/s would fill one free core")  # fmt: skip
        if args.profile and results.get("centralino"):
            tools = args.sippy_venv or workdir / "sippy-venv"
            profile(devices["centralino"], results["centralino"], args, workdir, tools)
    report(results)


def profile(device: Device, steps: list[Step], args: argparse.Namespace, workdir: Path, tools: Path) -> None:
    spy = find_py_spy(tools)
    if spy is None:
        print("\nno py-spy, and pip could not install it: '.venv/bin/pip install py-spy' to profile")
        return
    rate = first_failure(steps)
    # three times the usual step: py-spy, sharing CPU 1 with both SIPp processes, gets ~50 samples/s
    longer = argparse.Namespace(**{**vars(args), "seconds": args.seconds * 3})
    step = run_step(device, rate, longer, workdir, spy)
    raw = workdir / "profile.txt"
    print(f"\ncentralino profile at {rate} calls/s ({step.failed} of {step.placed} failed while profiled); "
          f"self % / total %:")  # fmt: skip
    if not raw.exists():
        print("  py-spy wrote no profile (ptrace not permitted?)")
        return
    functions, by_file, idle, samples = hotspots(raw)
    print(f"  ({samples} busy samples; {idle:.0f} % of all samples waiting in select, left out below)")
    for name, own, under in functions:
        print(f"  {own:5.1f} {under:5.1f}  {name}")
    print("  self % by file:")
    for name, own in by_file:
        print(f"  {own:5.1f}        {name}")


def report(results: dict[str, list[Step]]) -> None:
    cps = best(results.get("centralino", []), 0.0)
    peer = results.get("sippy", [])
    peer_cps, threshold = best(peer, 0.0), "0%"
    if peer_cps == 0:
        peer_cps, threshold = best(peer, THRESHOLD), "1%"
    ratio = f"{cps / peer_cps:.1f}" if peer_cps else "inf"
    direct = results.get("direct")
    if direct:
        print(f"\nharness ceiling (SIPp to SIPp): {best(direct, 0.0)}/s with zero failed calls")
    ours_ms, ours_at = cpu_cost(results.get("centralino", []))
    peer_ms, peer_at = cpu_cost(peer)
    if ours_ms and peer_ms:
        print(
            f"CPU per call: centralino {ours_ms:.2f} ms at {ours_at}/s, "
            f"sippy {peer_ms:.2f} ms at {peer_at}/s "
            f"(sippy / centralino = {peer_ms / ours_ms:.1f})"
        )
    print(f"cps={cps} peer_cps={peer_cps} peer_threshold={threshold} ratio={ratio}")


if __name__ == "__main__":
    main()
