"""rtpengine as a benchmark peer: start the daemon on one core and set up relayed calls over ng.

The ng control protocol is one UDP datagram per message: a cookie, a space,
and a bencoded dictionary (``{"command": "offer", "call-id": ..., "sdp": ...}``);
the reply repeats the cookie and carries ``result`` plus, for offer and answer,
the rewritten SDP whose ``m=`` port is where rtpengine expects that side's RTP.
Bencode is written here by hand (about thirty lines) rather than taken from a
library: this is a benchmark tool outside the installed package, it needs only
strings, integers, lists and dictionaries, and it must run from the project's
environment without an extra install step.

The daemon runs with userspace forwarding only (``--table=-1``: no kernel
module), one worker thread, all its threads pinned to one CPU, and the same
scheduling priority the benchmark gives our engine.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

__all__ = ["NgClient", "Rtpengine", "RtpengineMissing", "bdecode", "bencode", "ensure_installed"]

Value = bytes | str | int | list["Value"] | dict[str, "Value"]


def bencode(value: Value) -> bytes:
    if isinstance(value, int):
        return b"i%de" % value
    if isinstance(value, str):
        value = value.encode()
    if isinstance(value, bytes):
        return b"%d:%s" % (len(value), value)
    if isinstance(value, list):
        return b"l" + b"".join(bencode(v) for v in value) + b"e"
    items = sorted((k.encode(), v) for k, v in value.items())  # bencode wants sorted keys
    return b"d" + b"".join(bencode(k) + bencode(v) for k, v in items) + b"e"


def bdecode(data: bytes) -> Value:
    value, end = _decode(data, 0)
    if end != len(data):
        raise ValueError(f"bencode: {len(data) - end} stray bytes after the value")
    return value


def _decode(data: bytes, i: int) -> tuple[Value, int]:
    kind = data[i : i + 1]
    if kind == b"i":
        end = data.index(b"e", i)
        return int(data[i + 1 : end]), end + 1
    if kind in (b"l", b"d"):
        items: list[Value] = []
        i += 1
        while data[i : i + 1] != b"e":
            item, i = _decode(data, i)
            items.append(item)
        if kind == b"l":
            return items, i + 1
        keys = [k.decode() if isinstance(k, bytes) else str(k) for k in items[0::2]]
        return dict(zip(keys, items[1::2], strict=True)), i + 1
    colon = data.index(b":", i)
    start = colon + 1
    end = start + int(data[i:colon])
    raw = data[start:end]
    try:
        return raw.decode(), end
    except UnicodeDecodeError:
        return raw, end


class NgClient:
    """Request/response over UDP; a cookie per request pairs the reply (and lets stale ones be skipped)."""

    def __init__(self, port: int, host: str = "127.0.0.1", timeout: float = 2.0) -> None:
        self.address = (host, port)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.settimeout(timeout)
        self._n = 0

    def request(self, command: str, **fields: Value) -> dict[str, Value]:
        self._n += 1
        cookie = b"c%d_%d" % (os.getpid(), self._n)
        message = {"command": command} | {k.replace("_", "-"): v for k, v in fields.items()}
        self.sock.sendto(cookie + b" " + bencode(message), self.address)
        while True:
            data = self.sock.recv(65536)
            got, _, body = data.partition(b" ")
            if got == cookie:
                break
        reply = bdecode(body)
        if not isinstance(reply, dict) or reply.get("result") not in ("ok", "pong"):
            raise RuntimeError(f"rtpengine {command}: {reply!r}")
        return reply

    def close(self) -> None:
        self.sock.close()


def sdp(port: int, session: int) -> str:
    return (
        f"v=0\r\no=- {session} 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
        f"m=audio {port} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n"
    )


def sdp_port(text: Value) -> int:
    match = re.search(r"^m=audio (\d+) ", str(text), re.MULTILINE)
    if match is None:
        raise RuntimeError(f"rtpengine answered without an audio m= line: {text!r}")
    return int(match.group(1))


class RtpengineMissing(RuntimeError):
    """rtpengine is not installed and could not be installed; the message says why."""


def ensure_installed() -> str:
    """The rtpengine binary; installs Debian's rtpengine-daemon when root and it is missing."""
    binary = shutil.which("rtpengine")
    if binary is not None:
        return binary
    if os.geteuid() != 0:
        raise RtpengineMissing("rtpengine not installed; as root: apt-get install -y rtpengine-daemon")
    done = subprocess.run(["apt-get", "install", "-y", "rtpengine-daemon"], capture_output=True, text=True)
    binary = shutil.which("rtpengine")
    if binary is None:
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        raise RtpengineMissing(f"apt-get install rtpengine-daemon failed: {tail[0]}")
    return binary


def version(binary: str) -> str:
    done = subprocess.run([binary, "--version"], capture_output=True, text=True)
    out = done.stdout + done.stderr
    return out.split(":", 1)[-1].strip() or "unknown"


@dataclass
class Rtpengine:
    """A private rtpengine daemon on loopback: ``with Rtpengine(binary, cpu=0) as rtp: rtp.call(a, b)``."""

    binary: str
    cpu: int = 0
    ng_port: int = 22299
    port_min: int = 40000
    port_max: int = 49999

    def __post_init__(self) -> None:
        self.proc: subprocess.Popen[bytes] | None = None
        self.ng: NgClient | None = None
        self._calls: list[str] = []
        self._dir = tempfile.mkdtemp(prefix="rtpengine-bench-")
        self._log = Path(self._dir) / "rtpengine.log"

    def __enter__(self) -> Rtpengine:
        cpu = self.cpu

        def prepare() -> None:  # in the child, before exec: every thread it starts inherits these
            os.sched_setaffinity(0, {cpu})
            with contextlib.suppress(OSError):
                os.setpriority(os.PRIO_PROCESS, 0, -20)
            with contextlib.suppress(OSError), open("/proc/self/autogroup", "w") as f:
                f.write("-20")

        log = os.open(self._log, os.O_WRONLY | os.O_CREAT, 0o600)
        self.proc = subprocess.Popen(
            [self.binary, "--config-file=none", "--table=-1", "--interface=127.0.0.1",
             f"--listen-ng=127.0.0.1:{self.ng_port}", "--foreground", "--log-stderr", "--log-level=4",
             f"--port-min={self.port_min}", f"--port-max={self.port_max}", "--num-threads=1",
             "--delete-delay=0", "--timeout=60"],
            stdout=log, stderr=log, start_new_session=True, preexec_fn=prepare,
        )
        os.close(log)
        self.ng = NgClient(self.ng_port, timeout=0.2)
        deadline = time.monotonic() + 10
        while True:
            try:
                self.ng.request("ping")
                break
            except (TimeoutError, ConnectionRefusedError):
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    tail = self.log_tail()
                    raise RtpengineMissing(f"rtpengine did not answer ng ping; log: {tail}") from None
        self.ng.sock.settimeout(5.0)
        return self

    def log_tail(self) -> str:
        return " | ".join(self._log.read_text(errors="replace").strip().splitlines()[-3:])

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def call(self, a_port: int, b_port: int) -> tuple[int, int]:
        """Relay between two generator ports; returns (where A sends, where B sends)."""
        assert self.ng is not None
        call_id = f"bench-{len(self._calls)}-{time.monotonic_ns()}"
        offer = self.ng.request("offer", call_id=call_id, from_tag="a", sdp=sdp(a_port, 1),
                                replace=["origin"], ICE="remove")
        answer = self.ng.request("answer", call_id=call_id, from_tag="a", to_tag="b", sdp=sdp(b_port, 2),
                                 replace=["origin"], ICE="remove")
        self._calls.append(call_id)
        return sdp_port(answer["sdp"]), sdp_port(offer["sdp"])

    def delete_all(self) -> None:
        assert self.ng is not None
        for call_id in self._calls:
            with contextlib.suppress(RuntimeError, TimeoutError):
                self.ng.request("delete", call_id=call_id, from_tag="a")
        self._calls.clear()

    def __exit__(self, *exc: object) -> None:
        if self.ng is not None:
            self.ng.close()
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self._dir, ignore_errors=True)
