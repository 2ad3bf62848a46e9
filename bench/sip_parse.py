"""Messages per second for parse + serialize of a typical INVITE (no peer needed).

Run: python bench/sip_parse.py [seconds]. Prints parse_per_second=N and
parse_serialize_per_second=N.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

from centralino.sip.message import parse_message

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
    b"Content-Length: 213\r\n\r\n"
    b"v=0\r\no=caller 1 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\n"
    b"m=audio 40000 RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n"
    b"a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=ptime:20\r\na=sendrecv\r\n"
)


def rate(fn: Callable[[], object], seconds: float) -> float:
    count = 0
    started = time.perf_counter()
    while (elapsed := time.perf_counter() - started) < seconds:
        for _ in range(200):
            fn()
        count += 200
    return count / elapsed


def main() -> None:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 2.0
    assert parse_message(INVITE).cseq.method == "INVITE"
    parse = rate(lambda: parse_message(INVITE), seconds)
    both = rate(lambda: bytes(parse_message(INVITE)), seconds)
    print(f"parse_per_second={parse:.0f}")
    print(f"parse_serialize_per_second={both:.0f}")


if __name__ == "__main__":
    main()
