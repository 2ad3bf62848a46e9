"""Messages per second for parsing and writing a typical INVITE (no peer needed).

Run: python bench/sip_parse.py [seconds]. Figures are per CPU-second of this process
(``time.process_time``), best of many short batches as ``timeit`` advises, so they
measure this code and not the other jobs on a busy machine. The first line gives
commit 595ae04 (before the fast paths) measured the same way on the same machine;
the last line is ``parse_per_second=N parse_serialize_per_second=M``.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

from centralino.sip.headers import Headers
from centralino.sip.message import Request, parse_message
from centralino.sip.uri import URI

# 595ae04 measured by this script on the build machine (its own wall-clock average printed 8062 / 9459).
BEFORE = (
    "parse_first_access_per_second=19602 build_serialize_per_second=180467 "
    "parse_per_second=20680 parse_serialize_per_second=18233"
)
INVITE = (
    b"INVITE sip:+390212345678@pbx.example.com SIP/2.0\r\n"
    b"Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-524287-1---a3e1c2;rport\r\n"
    b"Max-Forwards: 70\r\n"
    b"Contact: <sip:caller@192.0.2.10:5060;transport=UDP>\r\n"
    b"To: <sip:+390212345678@pbx.example.com>\r\n"
    b'From: "Mario Rossi" <sip:caller@example.net>;tag=9fxced76sl\r\n'
    b"Call-ID: 3848276298220188511@192.0.2.10\r\n"
    b"CSeq: 1 INVITE\r\n"
    b"Allow: INVITE, ACK, CANCEL, OPTIONS, BYE, REFER, NOTIFY, MESSAGE, SUBSCRIBE, INFO, UPDATE\r\n"
    b"Supported: replaces, timer\r\n"
    b"User-Agent: softphone/5.4\r\n"
    b"Content-Type: application/sdp\r\n"
    b"Content-Length: 221\r\n\r\n"
    b"v=0\r\no=caller 1 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\n"
    b"m=audio 40000 RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n"
    b"a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=ptime:20\r\na=sendrecv\r\n"
)
SDP = INVITE.partition(b"\r\n\r\n")[2]


def rate(fn: Callable[[], object], seconds: float, batch: int = 100) -> float:
    """Calls per CPU-second of the fastest batch within ``seconds`` of wall time."""
    best = float("inf")
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        started = time.process_time()
        for _ in range(batch):
            fn()
        best = min(best, time.process_time() - started)
    return batch / best


def first_access() -> object:
    """Parse, then read what the transaction and dialog layers read on every message."""
    msg = parse_message(INVITE)
    return msg.top_via.branch, msg.cseq, msg.call_id, msg.from_.tag, msg.to.tag


def build_and_write() -> bytes:
    """A message made by the B2BUA for the other leg (no raw block to reuse)."""
    headers = Headers()
    headers.add("Via", "SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-b2b-1")
    headers.add("Max-Forwards", "70")
    headers.add("From", "<sip:pbx@pbx.example.com>;tag=b2b1")
    headers.add("To", "<sip:agent7@192.0.2.77>")
    headers.add("Call-ID", "b2b-3848276298220188511")
    headers.add("CSeq", "1 INVITE")
    headers.add("Contact", "<sip:centralino@192.0.2.1:5060>")
    headers.add("Content-Type", "application/sdp")
    return bytes(Request("INVITE", URI.parse("sip:agent7@192.0.2.77"), headers, SDP))


def main() -> None:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 2.0
    msg = parse_message(INVITE)
    assert msg.cseq.method == "INVITE" and bytes(msg) == INVITE
    figures = {
        "parse": rate(lambda: parse_message(INVITE), seconds),
        "parse_serialize": rate(lambda: bytes(parse_message(INVITE)), seconds),
        "parse_first_access": rate(first_access, seconds),
        "build_serialize": rate(build_and_write, seconds),
    }
    print(f"before (595ae04): {BEFORE}")
    print(f"parse_first_access_per_second={figures['parse_first_access']:.0f}")
    print(f"build_serialize_per_second={figures['build_serialize']:.0f}")
    parse, both = figures["parse"], figures["parse_serialize"]
    print(f"parse_per_second={parse:.0f} parse_serialize_per_second={both:.0f}")


if __name__ == "__main__":
    main()
