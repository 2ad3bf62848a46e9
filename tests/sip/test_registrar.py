"""RFC 3261 §10.3 registrar rules, with a FakeClock, an in-memory store and real digest answers."""

from __future__ import annotations

import random
from email.utils import parsedate_to_datetime

import pytest

from centralino.core.clock import FakeClock
from centralino.sip.auth import Challenge, Credentials, NonceManager, digest_response
from centralino.sip.authenticator import Authenticator, Ha1s, StaticCredentials
from centralino.sip.location import InMemoryBindingStore
from centralino.sip.message import Request, Response, parse_message
from centralino.sip.registrar import Registrar, RegistrarConfig, Removed, Saved, options_probe
from centralino.sip.transaction import Address, Deliver, Send, TimedOut
from centralino.sip.transaction_layer import TransactionLayer

DOMAIN = "acme.example.com"
PHONE = Address("UDP", "198.51.100.20", 40312)  # the NAT's public side
AOR = f"1001@{DOMAIN}"


def register(*contacts: str, cseq: int = 1, call_id: str = "reg-1", expires: int | None = None,
             user: str = "1001", extra: tuple[str, ...] = ()) -> Request:
    lines = [
        f"REGISTER sip:{DOMAIN} SIP/2.0",
        f"Via: SIP/2.0/UDP 192.168.1.20:5060;branch=z9hG4bK{call_id}{cseq};rport",
        f"From: <sip:{user}@{DOMAIN}>;tag=ft",
        f"To: <sip:{user}@{DOMAIN}>",
        f"Call-ID: {call_id}",
        f"CSeq: {cseq} REGISTER",
        "Max-Forwards: 70",
        "User-Agent: TestPhone/1.0",
        *(f"Contact: {c}" for c in contacts),
        *([f"Expires: {expires}"] if expires is not None else []),
        *extra,
        "Content-Length: 0",
        "", "",
    ]
    msg = parse_message("\r\n".join(lines).encode())
    assert isinstance(msg, Request)
    return msg


def contacts_of(response: Response) -> dict[str, dict[str, str | None]]:
    return {str(c.uri): c.params for c in response.contact}


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def registrar() -> Registrar:
    return Registrar(config=RegistrarConfig(min_expires=60, max_expires=3600, default_expires=1800),
                     rng=random.Random(1))


def test_register_binds_and_lists_contacts_with_expires(registrar: Registrar, clock: FakeClock) -> None:
    req = register("<sip:1001@192.168.1.20:5060>", expires=600)
    response = registrar.handle_register(req, PHONE, clock.now())
    assert response.status == 200 and response.to.tag
    assert contacts_of(response) == {"sip:1001@192.168.1.20:5060": {"expires": "600"}}
    assert parsedate_to_datetime(response.headers.get("date") or "").timestamp() == int(clock.now())
    (binding,) = registrar.lookup(AOR)
    assert binding.source == PHONE and binding.user_agent == "TestPhone/1.0"
    assert binding.expires_at == clock.now() + 600
    assert registrar.take_changes() == [Saved(binding)]
    assert registrar.take_changes() == []


def test_contact_param_beats_header_and_limits_apply(registrar: Registrar, clock: FakeClock) -> None:
    response = registrar.handle_register(register(
        "<sip:a@192.0.2.1>;expires=120", "<sip:b@192.0.2.2>", "<sip:c@192.0.2.3>;expires=99999",
        expires=300), PHONE, clock.now())
    assert {u: p["expires"] for u, p in contacts_of(response).items()} == {
        "sip:a@192.0.2.1": "120", "sip:b@192.0.2.2": "300", "sip:c@192.0.2.3": "3600"}
    default = registrar.handle_register(register("<sip:d@192.0.2.4>", cseq=2), PHONE, clock.now())
    assert contacts_of(default)["sip:d@192.0.2.4"]["expires"] == "1800"
    malformed = registrar.handle_register(register("<sip:e@192.0.2.5>;expires=soon", cseq=3), PHONE, 0)
    assert malformed.status == 200 and len(registrar.bindings(AOR)) == 5


def test_too_brief_interval_gets_423_with_min_expires(registrar: Registrar, clock: FakeClock) -> None:
    response = registrar.handle_register(register("<sip:1001@192.0.2.1>", expires=30), PHONE, clock.now())
    assert response.status == 423 and response.headers.get("min-expires") == "60"
    assert registrar.bindings(AOR) == [] and registrar.take_changes() == []


def test_expires_zero_removes_one_contact(registrar: Registrar, clock: FakeClock) -> None:
    registrar.handle_register(register("<sip:a@192.0.2.1>", "<sip:b@192.0.2.2>"), PHONE, clock.now())
    registrar.take_changes()
    response = registrar.handle_register(register("<sip:a@192.0.2.1>;expires=0", cseq=2), PHONE, clock.now())
    assert list(contacts_of(response)) == ["sip:b@192.0.2.2"]
    assert registrar.take_changes() == [Removed(AOR, "sip:a@192.0.2.1")]


def test_wildcard_removes_all_and_needs_expires_zero(registrar: Registrar, clock: FakeClock) -> None:
    registrar.handle_register(register("<sip:a@192.0.2.1>", "<sip:b@192.0.2.2>"), PHONE, clock.now())
    bad = registrar.handle_register(register("*", cseq=2, expires=60), PHONE, clock.now())
    mixed = registrar.handle_register(register("*", "<sip:a@192.0.2.1>", cseq=2, expires=0), PHONE, 0)
    assert bad.status == 400 and mixed.status == 400 and len(registrar.bindings(AOR)) == 2
    ok = registrar.handle_register(register("*", cseq=3, expires=0), PHONE, clock.now())
    assert ok.status == 200 and ok.contact == [] and registrar.bindings(AOR) == []


def test_query_without_contact_lists_bindings(registrar: Registrar, clock: FakeClock) -> None:
    registrar.handle_register(register("<sip:a@192.0.2.1>", expires=600), PHONE, clock.now())
    clock.advance(100.5)
    response = registrar.handle_register(register(cseq=2), PHONE, clock.now())
    assert contacts_of(response) == {"sip:a@192.0.2.1": {"expires": "500"}}


def test_same_call_id_needs_higher_cseq(registrar: Registrar, clock: FakeClock) -> None:
    """§10.3 step 7: an older or repeated CSeq fails without touching anything; another Call-ID wins."""
    assert registrar.handle_register(register("<sip:a@192.0.2.1>", cseq=5), PHONE, 0).status == 200
    registrar.take_changes()
    for cseq in (5, 4):
        stale = registrar.handle_register(register("<sip:a@192.0.2.1>;expires=0", "<sip:n@192.0.2.9>",
                                                   cseq=cseq), PHONE, 0)
        assert stale.status == 500 and registrar.take_changes() == []
    assert [b.contact for b in registrar.bindings(AOR)] == ["sip:a@192.0.2.1"]
    wildcard = registrar.handle_register(register("*", cseq=5, expires=0), PHONE, 0)
    assert wildcard.status == 500 and len(registrar.bindings(AOR)) == 1
    other = registrar.handle_register(register("<sip:a@192.0.2.1>", cseq=1, call_id="reg-2"), PHONE, 0)
    assert other.status == 200 and registrar.bindings(AOR)[0].call_id == "reg-2"


def test_equivalent_contact_uri_updates_in_place(registrar: Registrar, clock: FakeClock) -> None:
    registrar.handle_register(register("<sip:a@Phone.Example.com;transport=udp>"), PHONE, 0)
    registrar.handle_register(register("<sip:a@phone.example.com;transport=UDP>", cseq=2), PHONE, 10)
    (binding,) = registrar.bindings(AOR)
    assert binding.cseq == 2 and binding.registered_at == 10


def test_same_instance_replaces_the_old_contact(registrar: Registrar, clock: FakeClock) -> None:
    inst = '"<urn:uuid:00000000-0000-1000-8000-000A95A0E128>"'
    registrar.handle_register(register(f"<sip:a@10.0.0.1:5060>;+sip.instance={inst}"), PHONE, 0)
    registrar.take_changes()
    moved = registrar.handle_register(register(f"<sip:a@10.0.0.1:6060>;+sip.instance={inst}", cseq=2,
                                               call_id="after-reboot"), PHONE, 5)
    assert list(contacts_of(moved)) == ["sip:a@10.0.0.1:6060"]
    assert contacts_of(moved)["sip:a@10.0.0.1:6060"]["+sip.instance"] == inst
    assert isinstance(registrar.take_changes()[0], Removed)


def test_q_values_order_lookup(registrar: Registrar, clock: FakeClock) -> None:
    registrar.handle_register(register("<sip:low@192.0.2.1>;q=0.1", "<sip:high@192.0.2.2>;q=0.9",
                                       "<sip:none@192.0.2.3>"), PHONE, 0)
    registrar.handle_register(register("<sip:mid@192.0.2.4>;q=0.5", cseq=2), PHONE, 1)
    assert [b.contact.split("@")[0] for b in registrar.lookup(AOR)] == [
        "sip:none", "sip:high", "sip:mid", "sip:low"]
    ok = registrar.handle_register(register(cseq=3), PHONE, 2)
    assert contacts_of(ok)["sip:low@192.0.2.1"]["q"] == "0.1"


def test_max_contacts_drops_the_least_recently_registered(clock: FakeClock) -> None:
    registrar = Registrar(config=RegistrarConfig(max_contacts=2))
    for i in range(3):
        registrar.handle_register(register(f"<sip:p{i}@192.0.2.{i + 1}>", cseq=i + 1), PHONE, float(i))
    assert sorted(b.contact for b in registrar.bindings(AOR)) == ["sip:p1@192.0.2.2", "sip:p2@192.0.2.3"]


def test_require_unknown_extension_is_420_but_path_is_kept(registrar: Registrar) -> None:
    bad = registrar.handle_register(register("<sip:a@192.0.2.1>", extra=("Require: gruu",)), PHONE, 0)
    assert bad.status == 420 and bad.headers.get("unsupported") == "gruu"
    path = "<sip:edge.example.com;lr>"
    ok = registrar.handle_register(register("<sip:a@192.0.2.1>", cseq=2,
                                            extra=(f"Path: {path}", "Supported: path")), PHONE, 0)
    assert ok.status == 200 and ok.headers.get("path") == path
    assert registrar.bindings(AOR)[0].path == (path,)


def test_to_without_user_is_404_and_tel_contact_400(registrar: Registrar) -> None:
    no_user = register("<sip:a@192.0.2.1>")
    no_user.headers.set("To", f"<sip:{DOMAIN}>")
    assert registrar.handle_register(no_user, PHONE, 0).status == 404
    assert registrar.handle_register(register("<tel:+12125550123>"), PHONE, 0).status == 400
    with pytest.raises(ValueError, match="REGISTER"):
        registrar.handle_register(parse_options(), PHONE, 0)


def parse_options() -> Request:
    req = register()
    return Request("OPTIONS", req.uri, req.headers)


def test_expiry_and_next_deadline(clock: FakeClock) -> None:
    registrar = Registrar(config=RegistrarConfig(keepalive_interval=None))
    registrar.handle_register(register("<sip:a@192.0.2.1>", expires=120), PHONE, 0)
    registrar.handle_register(register("<sip:b@192.0.2.2>", expires=60, cseq=2), PHONE, 0)
    registrar.take_changes()
    assert registrar.next_deadline() == 60
    assert registrar.expire(59.9) == []
    assert [b.contact for b in registrar.expire(60)] == ["sip:b@192.0.2.2"]
    assert registrar.take_changes() == [Removed(AOR, "sip:b@192.0.2.2")]
    assert registrar.next_deadline() == 120
    registrar.expire(500)
    assert registrar.next_deadline() is None and registrar.lookup(AOR) == []


def test_keepalive_probes_and_reachability(clock: FakeClock) -> None:
    registrar = Registrar(config=RegistrarConfig(keepalive_interval=30))
    registrar.handle_register(register("<sip:a@192.0.2.1>", "<sip:b@192.0.2.2>", expires=600), PHONE, 0)
    assert registrar.next_deadline() == 30
    assert registrar.due_probes(29) == []
    due = registrar.due_probes(30)
    assert sorted(b.contact for b in due) == ["sip:a@192.0.2.1", "sip:b@192.0.2.2"]
    assert registrar.next_deadline() == 60 and registrar.due_probes(30) == []
    assert registrar.mark_unreachable(AOR, "sip:a@192.0.2.1", 62)
    assert [b.contact for b in registrar.lookup(AOR)] == ["sip:b@192.0.2.2"]
    assert len(registrar.bindings(AOR)) == 2
    assert registrar.mark_reachable(AOR, "sip:a@192.0.2.1", 90)
    assert len(registrar.lookup(AOR)) == 2
    # A refreshing REGISTER also makes a contact reachable again and restarts its probe clock.
    registrar.mark_unreachable(AOR, "sip:b@192.0.2.2", 91)
    registrar.handle_register(register("<sip:b@192.0.2.2>", cseq=2, expires=600), PHONE, 100)
    assert len(registrar.lookup(AOR)) == 2


def test_options_probe_goes_to_the_contact_via_path(registrar: Registrar) -> None:
    registrar.handle_register(register("<sip:a@192.168.1.20:5060;transport=udp>", extra=(
        "Path: <sip:edge.example.com;lr>", "Supported: path")), PHONE, 0)
    (binding,) = registrar.bindings(AOR)
    probe = options_probe(binding, Address("UDP", "203.0.113.1", 5060), branch="z9hG4bKp1", tag="t1",
                          call_id="probe-1")
    again = parse_message(bytes(probe))
    assert isinstance(again, Request) and again.method == "OPTIONS"
    assert str(again.uri) == "sip:a@192.168.1.20:5060;transport=udp"
    assert again.top_via.branch == "z9hG4bKp1" and again.headers.get("route") == "<sip:edge.example.com;lr>"


def test_restart_rebuilds_from_the_store(clock: FakeClock) -> None:
    store = InMemoryBindingStore()
    first = Registrar(store=store)
    first.handle_register(register("<sip:a@192.0.2.1>", expires=600), PHONE, 1000)
    first.handle_register(register("<sip:b@192.0.2.2>", expires=60, cseq=2), PHONE, 1000)
    first.handle_register(register("<sip:b@192.0.2.2>;expires=0", cseq=3), PHONE, 1001)
    first.handle_register(register("<sip:c@192.0.2.3>", expires=60, cseq=4), PHONE, 1001)
    assert first.flush() == 4
    second = Registrar.from_store(store, 1100)  # c expired while we were down
    assert [b.contact for b in second.lookup(AOR)] == ["sip:a@192.0.2.1"]
    assert second.lookup(AOR) == first.bindings(AOR)[:1]
    assert second.take_changes() == [Removed(AOR, "sip:c@192.0.2.3")]
    # The CSeq rule still holds across the restart.
    assert second.handle_register(register("<sip:a@192.0.2.1>", cseq=1), PHONE, 1100).status == 500


def test_authenticated_register_binds_user_at_realm(clock: FakeClock) -> None:
    users = StaticCredentials("acme", {"1001": "demo1001"})
    auth = Authenticator(users, NonceManager(b"k", clock, rng=random.Random(5)), rng=random.Random(6))
    registrar = Registrar(authenticator=auth)
    first = register("<sip:1001@192.168.1.20>")
    challenge = registrar.handle_register(first, PHONE, clock.now())
    assert challenge.status == 401 and registrar.bindings("1001@acme") == []
    ch = Challenge.parse(challenge.headers.get_lines("www-authenticate")[0])
    key = Ha1s.from_password("1001", "acme", "demo1001").sha256 or ""
    resp = digest_response(key, "REGISTER", str(first.uri), ch.nonce, algorithm="SHA-256", cnonce="c")
    creds = Credentials("1001", "acme", ch.nonce, str(first.uri), resp, "SHA-256", "auth", "00000001", "c")
    second = register("<sip:1001@192.168.1.20>", cseq=2, extra=(f"Authorization: {creds}",))
    assert registrar.handle_register(second, PHONE, clock.now()).status == 200
    assert [b.aor for b in registrar.lookup("1001@acme")] == ["1001@acme"]


def test_config_checks_its_limits() -> None:
    with pytest.raises(ValueError, match="min_expires"):
        RegistrarConfig(min_expires=600, default_expires=300)
    with pytest.raises(ValueError, match="max_contacts"):
        RegistrarConfig(max_contacts=0)


def test_keepalive_round_trip_through_the_transaction_layer() -> None:
    """How a TU drives probes: options_probe -> send_request -> response or Timer F -> mark_*."""
    layer = TransactionLayer(rng=random.Random(4))
    local = Address("UDP", "203.0.113.1", 5060)
    registrar = Registrar(config=RegistrarConfig(keepalive_interval=30))
    registrar.handle_register(register("<sip:a@192.168.1.20>", "<sip:b@192.168.1.21>", expires=3600),
                              PHONE, 0)
    sent: dict[str, tuple[str, str]] = {}
    outputs = []
    for i, binding in enumerate(registrar.due_probes(30)):
        probe = options_probe(binding, local, branch=layer.new_branch(), tag=layer.new_tag(),
                              call_id=f"probe-{i}")
        _, out = layer.send_request(probe, binding.source, 30)
        sent[probe.call_id] = (binding.aor, binding.contact)
        outputs += out
    sends = [o for o in outputs if isinstance(o, Send)]
    assert len(sends) == 2 and all(s.destination == PHONE for s in sends)
    # Contact a answers (even a 405 proves it is alive); contact b never does.
    first = sends[0].message
    assert isinstance(first, Request)
    answered = layer.receive(bytes(first.make_response(405, to_tag="x")), PHONE, 30.1)
    for output in answered:
        if isinstance(output, Deliver) and isinstance(output.message, Response):
            registrar.mark_reachable(*sent[output.message.call_id], 30.1)
    timed_out: list[TimedOut] = []
    t = 30.1
    while (deadline := layer.get_timer()) is not None and deadline < 100:
        t = deadline
        timed_out += [o for o in layer.handle_timer(t) if isinstance(o, TimedOut)]
    for output in timed_out:
        registrar.mark_unreachable(*sent[output.request.call_id], t)
    assert [o.request.call_id for o in timed_out] == ["probe-1"]
    assert [b.contact for b in registrar.lookup(AOR)] == [sent["probe-0"][1]]
