"""The fast paths of the wire format give exactly what the general code gives.

Parsing: the fast patterns for URIs, name-addrs, Via, CSeq and parameters must
either decline or produce the general parser's value. Writing: a message written
back from its raw header block must equal the message rebuilt field by field, and
every kind of change after parsing must show up in the output.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from centralino.sip.errors import SipParseError
from centralino.sip.headers import CSeq, Headers, Via
from centralino.sip.message import Message, Request, Response, parse_message
from centralino.sip.uri import URI, NameAddr, _parse_params_general, parse_params

VECTORS = Path(__file__).parent / "vectors"
SEEDS = [p.read_bytes() for p in sorted(VECTORS.glob("*.dat"))]

INVITE = (
    b"INVITE sip:+390212345678@pbx.example.com SIP/2.0\r\n"
    b"Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-524287-1---a3e1c2;rport\r\n"
    b"Max-Forwards: 70\r\n"
    b"Contact: <sip:caller@192.0.2.10:5060;transport=UDP>\r\n"
    b"To: <sip:+390212345678@pbx.example.com>\r\n"
    b'From: "Mario Rossi" <sip:caller@example.net>;tag=9fxced76sl\r\n'
    b"Call-ID: 3848276298220188511@192.0.2.10\r\n"
    b"CSeq: 1 INVITE\r\n"
    b"X-Custom: kept as is\r\n"
    b"Subject: \r\n"
    b"Content-Type: application/sdp\r\n"
    b"Content-Length: 5\r\n\r\nv=0\r\n"
)
RESPONSE = (
    b"SIP/2.0 180 Ringing\r\n"
    b"v: SIP/2.0/TCP [2001:db8::1]:5061;branch=z9hG4bK1;received=203.0.113.9\r\n"
    b"f: <sip:a@example.com>;tag=1\r\n"
    b"t: Bob <sip:b@example.com>;tag=2\r\n"
    b"i: c1\r\n"
    b"CSeq: 7 INVITE\r\n"
    b"Record-Route: <sip:p1.example.com;lr>, <sip:p2.example.com;lr>\r\n"
    b"l: 0\r\n\r\n"
)


def outcome(fn: Callable[[str], object], text: str) -> object:
    """The value, or the error's reason and status: what must agree between two parsers."""
    try:
        return fn(text)
    except SipParseError as err:
        return ("error", err.reason, err.status)


def rebuilt(msg: Request | Response) -> Message:
    """The same message made through the public constructors (so no raw block to reuse)."""
    if isinstance(msg, Request):
        return Request(msg.method, msg.uri, msg.headers.copy(), msg.body, msg.version)
    return Response(msg.status, msg.reason, msg.headers.copy(), msg.body, msg.version)


# --- parsing: fast patterns against the general code -------------------------------------------

PIECES = ["a", "Z9", "-", ".", "%41", "%", ";", ",", "?", "=", "&", "@", ":", "[", "]", "/", "+", "$",
          "'", "(", "~", "*", "!", "`", '"', "\\", " ", "\t", "<", ">", "é", "{", "5060"]  # fmt: skip
piece = st.sampled_from(PIECES)
fragment = st.lists(piece, max_size=6).map("".join)


def mostly(good: list[str], odd: list[str]) -> st.SearchStrategy[str]:
    """Usually a well-formed piece (so the fast path is exercised), sometimes an odd one or noise."""
    pick = st.tuples(st.integers(0, 9), st.sampled_from(good), st.sampled_from(odd or good), piece)
    return pick.map(lambda p: p[1] if p[0] < 8 else p[2] if p[0] == 8 else p[3])


def joined_params(
    names: st.SearchStrategy[str], values: st.SearchStrategy[str | None]
) -> st.SearchStrategy[str]:
    pairs = st.lists(st.tuples(names, values), max_size=3)
    return pairs.map(lambda ps: "".join(f";{n}" if v is None else f";{n}={v}" for n, v in ps))


user = mostly(["", "alice@", "+3902123@", "b-o.b@", "x_y!~*'()@", "a;b@", "a?b@", "u&v=w+$,/@"],
              ["a:pw@", "%61lice@", "@", "a@b@", "é@"])  # fmt: skip
host = mostly(["example.com", "192.0.2.1", "h", "EXAMPLE.COM", "a-b.c"], ["[2001:db8::1]", "a_b", "-x", ""])
port = mostly(["", ":5060", ":0", ":65535", ":05060"], [":65536", ":99999", ":", ":5o", ":123456"])
uri_params = joined_params(
    mostly(["lr", "transport", "Transport", "x", "a[1]", "maddr"], ["", "%41", "a b"]),
    st.one_of(st.none(), mostly(["udp", "TCP", "a:b", "1.2.3.4", "[::1]"], ["", "%41", "a=b", "é"])),
)
uri_text = st.one_of(
    st.builds(
        lambda s, u, h, p, ps, x: f"{s}:{u}{h}{p}{ps}{x}",
        mostly(["sip", "sips"], ["SIP", "tel", "sipx", "1x"]),
        user,
        host,
        port,
        uri_params,
        mostly([""], ["?subject=hi", "?x", ";", "?"]),
    ),
    fragment,
)
header_params = joined_params(
    mostly(["tag", "TAG", "expires", "+sip.instance", "q", "rport", "branch"], ["", "b a", "é", "a=b"]),
    st.one_of(
        st.none(),
        mostly(["1", "9fxced76sl", '"<urn:uuid:1>"', '"a,b"', "<x>", "[::1]", "z9hG4bK-1"],
               ['"a;b"', '"a\\"b"', "", "é", '"open', "a b"]),
    ),
)  # fmt: skip
display = mostly(["", "Bob ", "Bob Smith ", '"Mario Rossi" ', '""', '"a<b>" ', "Bob\t", '"x"  '],
                 ["Bob  Smith\t", '"A \\"B\\"" ', "Bell, A ", '"open ', "é ", " "])  # fmt: skip
name_addr_text = st.one_of(
    st.builds(lambda d, u, p: f"{d}<{u}>{p}", display, uri_text, header_params),
    st.builds(lambda u, p: f"{u}{p}", uri_text, header_params),
    st.builds(lambda d, u, p, f: f"{d}<{u}>{f}{p}", display, uri_text, header_params, fragment),
)
via_text = st.builds(
    lambda proto, t, sep, h, p, ps: f"{proto}/{t}{sep}{h}{p}{ps}",
    mostly(["SIP/2.0"], ["sip/2.0", "SIP / 2.0", "SIP/3.0"]),
    mostly(["UDP", "tcp", "TLS", "WS"], ["", "U,D", "U D"]),
    mostly([" "], ["  ", "\t", ""]),
    host,
    port,
    header_params,
)


@settings(max_examples=400, deadline=None, derandomize=True)
@given(uri_text)
def test_fast_uri_path_agrees_with_the_general_one(text: str) -> None:
    assert outcome(URI.parse, text) == outcome(URI._parse_general, text)


@settings(max_examples=400, deadline=None, derandomize=True)
@given(name_addr_text)
def test_fast_name_addr_path_agrees_with_the_general_one(text: str) -> None:
    general = (
        outcome(NameAddr._parse_general, text.strip(" \t")) if text.strip(" \t") != "*" else NameAddr.star()
    )
    assert outcome(NameAddr.parse, text) == general


@settings(max_examples=400, deadline=None, derandomize=True)
@given(via_text)
def test_fast_via_path_agrees_with_the_general_one(text: str) -> None:
    assert outcome(Via.parse, text) == outcome(Via._parse_general, text)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.one_of(header_params, fragment))
def test_fast_parameter_path_agrees_with_the_general_one(text: str) -> None:
    assert outcome(parse_params, text) == outcome(_parse_params_general, text)


@pytest.mark.parametrize(
    "text",
    ["1 INVITE", "0001 ACK", "2147483647 BYE", "2147483648 BYE", "12345678901 X", "1  INVITE", "1 IN VITE"],
)
def test_fast_cseq_path_agrees_with_the_general_one(text: str) -> None:
    assert outcome(CSeq.parse, text) == outcome(CSeq._parse_general, text)


def test_fast_patterns_stay_linear_on_long_near_misses() -> None:
    started = time.perf_counter()
    for text in [
        "sip:" + "a" * 40000 + ":",
        "sip:h" + ";a" * 20000 + ";",
        "sip:" + "a;" * 20000 + "@@h",
        '"' + "a" * 40000 + "<sip:a@b>",
        "Bob " * 10000 + "<sip:a@b>" + ";t" * 10000 + ";",
        "<sip:a@b>" + ';t="' * 10000,
    ]:
        outcome(NameAddr.parse, text)
        outcome(URI.parse, text)
        outcome(Via.parse, "SIP/2.0/UDP " + text)
    assert time.perf_counter() - started < 1.0


# --- writing: the raw block against the rebuilt message ----------------------------------------


@pytest.mark.parametrize("data", [INVITE, RESPONSE], ids=["invite", "response"])
def test_unmodified_canonical_message_is_written_back_byte_identical(data: bytes) -> None:
    msg = parse_message(data)
    assert bytes(msg) == data
    assert bytes(rebuilt(msg)) == data


@pytest.mark.parametrize("name", sorted(p.stem for p in VECTORS.glob("*.dat")))
def test_torture_messages_write_the_same_bytes_as_their_rebuilt_copy(name: str) -> None:
    try:
        msg = parse_message((VECTORS / f"{name}.dat").read_bytes())
    except SipParseError:
        return
    data = bytes(msg)
    assert data == bytes(rebuilt(msg))
    assert bytes(parse_message(data)) == data  # canonical output is a fixed point


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from([*SEEDS, INVITE, RESPONSE])))
    for _ in range(draw(st.integers(1, 3))):
        pos = draw(st.integers(0, len(data)))
        data[pos:pos] = draw(
            st.sampled_from([b" ", b"\t", b"\r\n ", b";", b"0", b":", b",", b'"', b"\r\n", b"%"])
        )
    return bytes(data)


@settings(max_examples=400, deadline=None, derandomize=True)
@given(mutated())
def test_raw_and_rebuilt_writing_agree_on_mutated_messages(data: bytes) -> None:
    try:
        msg = parse_message(data)
    except SipParseError:
        return
    written = bytes(msg)
    assert written == bytes(rebuilt(msg))
    assert bytes(parse_message(written)) == written


def test_non_canonical_input_is_normalised_as_before() -> None:
    data = (
        b"\r\nOPTIONS sip:b@example.com SIP/2.0\r\n"
        b"Via :  SIP/2.0/UDP h;branch=z9hG4bK1 \r\n"
        b"From:<sip:a@example.com>;tag=1\r\n"
        b"To: <sip:b@example.com>\r\n"
        b"Call-ID: c1\r\nCSeq: 1\r\n OPTIONS\r\n"
        b"Content-Length: 0002\r\n\r\nokEXTRA"
    )
    assert bytes(parse_message(data)) == (
        b"OPTIONS sip:b@example.com SIP/2.0\r\n"
        b"Via: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
        b"From: <sip:a@example.com>;tag=1\r\n"
        b"To: <sip:b@example.com>\r\n"
        b"Call-ID: c1\r\nCSeq: 1 OPTIONS\r\n"
        b"Content-Length: 2\r\n\r\nok"
    )


def test_header_changes_after_parsing_are_written() -> None:
    changes = {
        "add": lambda h: h.add("X-New", "1"),
        "prepend": lambda h: h.prepend("Route", "<sip:p.example.com;lr>"),
        "set": lambda h: h.set("Max-Forwards", "69"),
        "remove": lambda h: h.remove("x-custom"),
    }
    for change in changes.values():
        msg = parse_message(INVITE)
        change(msg.headers)
        assert bytes(msg) == bytes(rebuilt(msg)) != INVITE
        assert parse_message(bytes(msg)).headers == msg.headers


def test_via_replacement_body_and_start_line_changes_are_written() -> None:
    msg = parse_message(INVITE)
    assert isinstance(msg, Request)
    top = msg.top_via
    top.params["received"] = "198.51.100.1"
    msg.set_vias([top])
    assert b";rport;received=198.51.100.1\r\n" in bytes(msg)

    msg = parse_message(INVITE)
    msg.body = b"v=0\r\ns=-\r\n"
    assert b"Content-Length: 10\r\n\r\nv=0\r\ns=-\r\n" in bytes(msg)

    msg = parse_message(INVITE)
    assert isinstance(msg, Request)
    # Changed in place, where no flag can see it: the start line is therefore always written afresh.
    msg.uri.params["user"] = "phone"
    msg.method = "OPTIONS"
    assert bytes(msg).startswith(b"OPTIONS sip:+390212345678@pbx.example.com;user=phone SIP/2.0\r\nVia: ")

    response = parse_message(RESPONSE)
    assert isinstance(response, Response)
    response.status, response.reason = 183, "Session Progress"
    assert bytes(response) == RESPONSE.replace(b"180 Ringing", b"183 Session Progress")


def test_replaced_headers_are_written_and_read() -> None:
    msg = parse_message(INVITE)
    assert msg.cseq == CSeq(1, "INVITE")
    # A fresh Headers starts at version 0 like the parsed one: the cache must notice the new object.
    msg.headers = Headers([(n, "2 INVITE" if n == "CSeq" else v) for n, v in msg.headers])
    assert msg.cseq == CSeq(2, "INVITE")
    assert b"\r\nCSeq: 2 INVITE\r\n" in bytes(msg)


# --- typed values: built once, on first access ----------------------------------------------


def test_typed_values_are_cached_and_equal_to_a_direct_parse() -> None:
    msg = parse_message(INVITE)
    assert msg.via is msg.via and msg.from_ is msg.from_ and msg.to is msg.to and msg.cseq is msg.cseq
    assert msg.via == [Via._parse_general(msg.headers.get("via") or "")]
    assert msg.from_ == NameAddr._parse_general(msg.headers.get("from") or "")
    assert msg.to == NameAddr._parse_general(msg.headers.get("to") or "")
    assert msg.contact == [NameAddr._parse_general(msg.headers.get("contact") or "")]
    assert (msg.from_.display, msg.from_.tag, msg.to.uri.user) == (
        "Mario Rossi",
        "9fxced76sl",
        "+390212345678",
    )
    msg.headers.set("From", "<sip:other@example.com>;tag=2")
    assert msg.from_.tag == "2"


def test_values_checked_eagerly_still_refuse_the_message() -> None:
    bad = {
        b"Via: SIP/2.0/UDP 192.0.2.10:5060": b"Via: SIP/2.0/UDP 192.0.2.10:75060",
        b"To: <sip:+39": b"To: <sips:@",
        b'From: "Mario Rossi"': b'From: "Mario Rossi',
        b"Contact: <sip:caller@": b"Contact: <sip:caller@@",
        b"Max-Forwards: 70": b"Max-Forwards: 300",
        b"CSeq: 1 INVITE": b"CSeq: 1 BYE",
    }
    for old, new in bad.items():
        with pytest.raises(SipParseError) as info:
            parse_message(INVITE.replace(old, new))
        assert info.value.status == 400


def test_headers_built_by_hand_keep_first_value_lookups_current() -> None:
    headers = Headers([("Via", "SIP/2.0/UDP a"), ("v", "SIP/2.0/UDP b")])
    assert headers.get("VIA") == "SIP/2.0/UDP a"
    headers.prepend("Via", "SIP/2.0/UDP z")
    assert headers.get("v") == "SIP/2.0/UDP z"
    headers.remove("via")
    assert headers.get("via") is None
    copy = headers.copy()
    copy.add("Call-ID", "x")
    assert (copy.get("i"), headers.get("i")) == ("x", None)
