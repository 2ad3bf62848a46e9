from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from centralino.sip import abnf
from centralino.sip.errors import SipParseError
from centralino.sip.uri import URI, NameAddr


def test_sip_uri_parts_and_round_trip() -> None:
    u = URI.parse("sips:alice:secret@[2001:db8::1]:5061;transport=tcp;lr?subject=hi%20there&x=1")
    assert (u.scheme, u.user, u.password, u.host, u.port) == (
        "sips",
        "alice",
        "secret",
        "[2001:db8::1]",
        5061,
    )
    assert u.params == {"transport": "tcp", "lr": None}
    assert u.headers == {"subject": "hi there", "x": "1"}
    assert URI.parse(str(u)) == u


def test_other_schemes_are_opaque() -> None:
    assert URI.parse("tel:+1-201-555-0123;phone-context=x") == URI(
        "tel", opaque="+1-201-555-0123;phone-context=x"
    )
    assert str(URI.parse("urn:service:sos")) == "urn:service:sos"


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("sip:%61lice@atlanta.com;transport=TCP", "sip:alice@AtLanTa.CoM;Transport=tcp"),
        ("sip:carol@chicago.com", "sip:carol@chicago.com;newparam=5"),
        ("sip:carol@chicago.com;security=on", "sip:carol@chicago.com;newparam=5"),
        (
            "sip:alice@atlanta.com?subject=project%20x&priority=urgent",
            "sip:alice@atlanta.com?priority=urgent&subject=project%20x",
        ),
    ],
)  # fmt: skip
def test_equivalent_uris_rfc3261_19_1_4(a: str, b: str) -> None:
    assert URI.parse(a).equivalent(URI.parse(b))


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("SIP:ALICE@AtLanTa.CoM;Transport=udp", "sip:alice@AtLanTa.CoM;Transport=UDP"),
        ("sip:bob@biloxi.com", "sip:bob@biloxi.com:5060"),
        ("sip:bob@biloxi.com", "sip:bob@biloxi.com;transport=udp"),
        ("sip:bob@biloxi.com", "sip:bob@biloxi.com:6000;transport=tcp"),
        ("sip:carol@chicago.com", "sip:carol@chicago.com?Subject=next%20meeting"),
        ("sip:bob@phone21.boxesbybob.com", "sip:bob@192.0.2.4"),
        ("sip:a@x", "sips:a@x"),
    ],
)
def test_different_uris_rfc3261_19_1_4(a: str, b: str) -> None:
    assert not URI.parse(a).equivalent(URI.parse(b))


@pytest.mark.parametrize(
    "text", ["<sip:a@b>", " sip:a@b", "sip:a@b c", "sip:a@", "sip:a@b:99999", "sip:a@b;=x", "1x:y"]
)
def test_bad_uris(text: str) -> None:
    with pytest.raises(SipParseError):
        URI.parse(text)


def test_name_addr_forms() -> None:
    n = NameAddr.parse('"Alice \\"A\\"" <sip:alice@example.com;lr>;tag=88;expires=60')
    assert n.display == 'Alice "A"' and n.tag == "88" and n.params["expires"] == "60"
    assert n.uri.params == {"lr": None}
    assert NameAddr.parse(str(n)) == n
    spec = NameAddr.parse("sip:bob@example.com;tag=9")
    assert spec.display is None and spec.tag == "9" and spec.uri.params == {}
    assert NameAddr.parse("*").is_star and str(NameAddr.star()) == "*"
    assert NameAddr.parse("Bob Smith <sip:b@x>").display == "Bob Smith"


@pytest.mark.parametrize(
    "text", ['"open <sip:a@b>', "Bell, A <sip:a@b>", "sip:a@b?x=y", "<sip:a@b", "<sip:a@b>;;"]
)
def test_bad_name_addrs(text: str) -> None:
    with pytest.raises(SipParseError):
        NameAddr.parse(text)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.text(alphabet="ab -]^\\%é[", max_size=12), st.text(alphabet="ab -]^\\[", max_size=5))
def test_escape_keeps_allowed_characters_and_encodes_the_rest(text: str, allowed: str) -> None:
    expected = "".join(c if c in allowed else "".join(f"%{b:02X}" for b in c.encode("utf-8")) for c in text)
    assert abnf.escape(text, allowed) == expected


def test_common_uri_forms_round_trip_through_the_fast_path() -> None:
    for text in ["sip:+390212345678@pbx.example.com", "sips:b@192.0.2.1:5061;transport=tcp;lr", "sip:p1;lr"]:
        assert str(URI.parse(text)) == text
    assert URI.parse("sip:h;Transport=UDP").params == {"transport": "UDP"}
