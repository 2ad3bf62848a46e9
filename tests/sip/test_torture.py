"""RFC 4475 section 3: every torture message, with the outcome the RFC asks for.

``PARSE`` rows must parse and have ``validate_request`` answer the given code (None =
accept); ``REFUSE`` rows must raise SipParseError with the given status (None = drop).
The same table is in docs/sip-messages.md.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from centralino.sip.errors import SipParseError
from centralino.sip.message import Request, Response, parse_message, validate_request

VECTORS = Path(__file__).parent / "vectors"

PARSE: dict[str, int | None] = {
    # 3.1.1 valid messages
    "wsinv": None, "intmeth": 501, "esc01": None, "escnull": None, "esc02": 501, "lwsdisp": None,
    "longreq": None, "dblreq": None, "semiuri": None, "transports": None, "mpart01": None,
    "unreason": None, "noreason": None,
    # 3.1.2.11: invalid Date, accepted because Centralino never interprets Date
    "baddate": None,
    # 3.2.1 branch with the cookie and no identifier: parsed; transactions fall back to RFC 2543 matching
    "badbranch": None,
    # 3.3 application layer
    "unkscm": 416, "novelsc": 416, "unksm2": None, "bext01": 420, "invut": 415, "regaut01": None,
    "bcast": None, "zeromf": None, "cparam01": None, "cparam02": None, "regescrt": None, "sdp01": 406,
    # 3.4 backward compatibility
    "inv2543": None,
}  # fmt: skip

REFUSE: dict[str, int | None] = {
    "badinv01": 400, "clerr": 400, "ncl": 400, "scalar02": 400, "scalarlg": None, "quotbal": 400,
    "ltgtruri": 400, "lwsruri": 400, "lwsstart": 400, "trws": 400, "escruri": 400, "regbadct": 400,
    "badaspec": 400, "baddn": 400, "badvers": 505, "mismatch01": 400, "mismatch02": 501, "bigcode": None,
    "insuf": 400, "multi01": 400, "mcl01": 400,
}  # fmt: skip


def load(name: str) -> bytes:
    return (VECTORS / f"{name}.dat").read_bytes()


def test_every_section_3_message_is_covered() -> None:
    names = {p.stem for p in VECTORS.glob("*.dat")}
    assert names == set(PARSE) | set(REFUSE)
    assert len(names) == 49


@pytest.mark.parametrize("name", sorted(PARSE))
def test_valid_message_parses_and_gets_the_rfc_answer(name: str) -> None:
    msg = parse_message(load(name))
    if isinstance(msg, Request):
        assert validate_request(msg) == PARSE[name]
    else:
        assert isinstance(msg, Response)
        assert PARSE[name] is None


@pytest.mark.parametrize("name", sorted(REFUSE))
def test_invalid_message_is_refused_with_the_rfc_status(name: str) -> None:
    with pytest.raises(SipParseError) as info:
        parse_message(load(name))
    assert info.value.status == REFUSE[name]


@pytest.mark.parametrize("name", sorted(PARSE))
def test_round_trip_is_a_fixed_point(name: str) -> None:
    first = parse_message(load(name))
    again = parse_message(bytes(first))
    assert bytes(again) == bytes(first)
    assert again.body == first.body
    assert [str(v) for v in again.via] == [str(v) for v in first.via]
    assert (again.cseq, again.call_id, again.from_, again.to) == (
        first.cseq,
        first.call_id,
        first.from_,
        first.to,
    )
    assert again.contact == first.contact


def test_wsinv_facts() -> None:
    msg = parse_message(load("wsinv"))
    assert isinstance(msg, Request)
    assert msg.uri.params == {"unknownparam": None}
    assert [(v.transport, v.host, v.branch) for v in msg.via] == [
        ("UDP", "192.0.2.2", "390skdjuw"),
        ("TCP", "spindle.example.com", "z9hG4bK9ikj8"),
        ("UDP", "192.168.255.111", "z9hG4bK30239"),
    ]
    assert msg.max_forwards == 68
    assert (msg.cseq.seq, msg.cseq.method) == (9, "INVITE")
    assert msg.to.tag == "1918181833n"
    assert msg.from_.display == 'J Rosenberg \\"'
    assert msg.from_.tag == "98asjd8"
    (contact,) = msg.contact
    assert contact.display == 'Quoted string ""'
    assert contact.params == {"newparam": "newvalue", "secondparam": None, "q": "0.33"}
    assert msg.headers.get("subject") == ""
    assert msg.headers.get("NewFangledHeader") == "newfangled value continued newfangled value"
    assert msg.headers.get("UnknownHeaderWithUnusualValue") == ";;,,;;,;"
    assert msg.route[0].uri.params == {"lr": None, "unknownwith": "value", "unknown-no-value": None}
    assert len(msg.body) == 150


def test_intmeth_keeps_unusual_characters() -> None:
    msg = parse_message(load("intmeth"))
    assert isinstance(msg, Request)
    assert msg.method == "!interesting-Method0123456789_*+`.%indeed'~"
    assert msg.uri.user == "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*"
    assert msg.uri.password == "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)"
    assert msg.to.display == "BEL:\x07 NUL:\x00 DEL:\x7f"
    assert msg.from_.display == "token1~` token2'+_ token3*%!.-"
    assert msg.from_.tag == "_token~1'+`*%!-."
    assert msg.top_via.branch == "z9hG4bK-.!%66*_+`'~"
    assert msg.call_id == "intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{"
    assert msg.headers.get("extensionHeader-!.%*+_`'~") == "\ufeff\u5927\u505c\u96fb"


def test_escapes_are_decoded_once() -> None:
    esc01 = parse_message(load("esc01"))
    assert isinstance(esc01, Request)
    assert esc01.uri.user == "sips:user@example.com"
    assert esc01.to.uri.user == "user"
    assert esc01.from_.uri.user == "I have spaces"
    assert esc01.contact[0].uri.params == {"lr": None, "name": "value%41"}
    semi = parse_message(load("semiuri"))
    assert isinstance(semi, Request)
    assert semi.uri.user == "user;par=u@example.net"
    null = parse_message(load("escnull"))
    assert [c.uri.user for c in null.contact] == ["\x00", "\x00\x00"]
    esc02 = parse_message(load("esc02"))
    assert isinstance(esc02, Request)
    assert esc02.method == "RE%47IST%45R"
    assert esc02.to.display == "%Z%45"
    assert [c.uri.user for c in esc02.contact] == ["alias1", "alias3"]


def test_valid_message_details() -> None:
    assert parse_message(load("lwsdisp")).from_.display == "caller"
    longreq = parse_message(load("longreq"))
    assert len(longreq.via) == 34 and longreq.via[-1].received == "192.0.2.5"
    assert longreq.to.uri.port == 6000
    dblreq = parse_message(load("dblreq"))
    assert isinstance(dblreq, Request) and dblreq.method == "REGISTER" and dblreq.body == b""
    assert [v.transport for v in parse_message(load("transports")).via] == [
        "UDP",
        "SCTP",
        "TLS",
        "UNKNOWN",
        "TCP",
    ]
    assert parse_message(load("semiuri")).headers.get_all("accept")[-1] == "message/sipfrag"
    noreason = parse_message(load("noreason"))
    assert isinstance(noreason, Response) and (noreason.status, noreason.reason) == (100, "")
    unreason = parse_message(load("unreason"))
    assert isinstance(unreason, Response) and unreason.reason.startswith("= 2**3 * 5**2 \u043d\u043e")
    assert parse_message(load("badbranch")).top_via.has_rfc3261_branch is False
    assert parse_message(load("cparam01")).contact[0].params == {"unknownparam": None}
    assert parse_message(load("cparam02")).contact[0].uri.params == {"unknownparam": None}
    regescrt = parse_message(load("regescrt")).contact[0].uri
    assert regescrt.headers == {"Route": "<sip:sip.example.com>"}
    unksm2 = parse_message(load("unksm2"))
    assert (unksm2.to.uri.scheme, unksm2.to.uri.opaque) == ("isbn", "2983792873")
    assert parse_message(load("zeromf")).max_forwards == 0
    inv2543 = parse_message(load("inv2543"))
    assert inv2543.body.endswith(b"m=audio 49217 RTP/AVP 0\r\n") and inv2543.max_forwards is None


def test_application_answers_as_a_proxy() -> None:
    zeromf = parse_message(load("zeromf"))
    assert isinstance(zeromf, Request)
    assert validate_request(zeromf, as_proxy=True) is None  # OPTIONS with Max-Forwards 0 is answered
    bext = parse_message(load("bext01"))
    assert isinstance(bext, Request)
    assert (
        validate_request(bext, supported=frozenset({"nothingsupportsthis", "nothingsupportsthiseither"}))
        is None
    )
    assert validate_request(bext, as_proxy=True) == 420
