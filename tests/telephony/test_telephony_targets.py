"""Ring targets: URI as is, static contact, registered extension (via its REGISTER source), trunk."""

from __future__ import annotations

import pytest

from centralino.sip.location import Binding
from centralino.sip.transaction import Address
from centralino.telephony import TargetResolver, TargetUnreachable


def binding(contact: str, source: Address) -> Binding:
    return Binding(
        aor="1001@acme.test",
        contact=contact,
        expires_at=2e9,
        call_id="c",
        cseq=1,
        source=source,
        registered_at=1e9,
    )


def test_uri_and_static_contact_win() -> None:
    resolver = TargetResolver(contacts={"1002": "sip:bob@192.0.2.9:5062"})
    assert resolver.resolve("sip:x@192.0.2.1") == "sip:x@192.0.2.1"
    assert resolver.resolve("1002") == "sip:bob@192.0.2.9:5062"


def test_registered_extension_is_reached_where_it_registered_from() -> None:
    behind_nat = binding("sip:1001@10.0.0.5:5060", Address("UDP", "198.51.100.7", 40123))
    resolver = TargetResolver(
        locate=lambda aor: [behind_nat] if aor == "1001@acme.test" else [],
        domains=("other.test", "acme.test"),
    )
    assert resolver.resolve("1001") == "sip:1001@198.51.100.7:40123"
    direct = binding("sip:1001@192.0.2.5:5062", Address("UDP", "192.0.2.5", 5062))
    assert (
        TargetResolver(locate=lambda aor: [direct], domains=("acme.test",)).resolve("1001") == direct.contact
    )
    tcp = binding("sip:1001@10.0.0.5", Address("TCP", "198.51.100.7", 40123))
    assert TargetResolver(locate=lambda aor: [tcp], domains=("acme.test",)).resolve("1001") == (
        "sip:1001@198.51.100.7:40123;transport=tcp"
    )


def test_numbers_go_through_the_trunk() -> None:
    resolver = TargetResolver(locate=lambda aor: [], domains=("acme.test",), trunk="sip:{number}@203.0.113.1")
    assert resolver.resolve("+390612345678") == "sip:+390612345678@203.0.113.1"


def test_unreachable_names_what_was_tried() -> None:
    with pytest.raises(TargetUnreachable) as caught:
        TargetResolver(locate=lambda aor: [], domains=("acme.test",)).resolve("1001")
    assert caught.value.code == 480
    assert "acme.test" in str(caught.value) and "register the phone" in str(caught.value)
    with pytest.raises(TargetUnreachable) as unknown:
        TargetResolver().resolve("alice")
    assert unknown.value.code == 404
