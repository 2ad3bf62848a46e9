"""INVITE admission without sockets: the policy of ``runtime.security`` and the ``trunks:`` section."""

from __future__ import annotations

from centralino import config
from centralino.core.clock import FakeClock
from centralino.runtime.agents import Roster
from centralino.runtime.security import Admission, InviteAdmission
from centralino.sip.auth import NonceManager
from centralino.sip.authenticator import AuthConfig, Authenticator, StaticCredentials
from centralino.sip.message import Request, parse_message
from centralino.sip.transaction import Address

TEXT = """\
version: 1
trunks:
  - name: carrier
    sources: ["203.0.113.0/24"]
  - name: pbx
    sources: ["198.51.100.7"]
    internal: true
  - name: backup
    username: in
    password: secret
tenants:
  - name: acme
    country: PL
    numbers:
      - {number: "+48221234567", route: {kind: echo}}
      - {number: "600", route: {kind: echo}}
    agents:
      - {extension: "1001", name: Anna, sip_password: pw}
"""


def _invite(dialled: str, caller: str = "+48601000001@carrier.example") -> Request:
    request = parse_message(
        f"INVITE sip:{dialled}@192.0.2.1 SIP/2.0\r\nVia: SIP/2.0/UDP 203.0.113.5;branch=z9hG4bK1\r\n"
        f"From: <sip:{caller}>;tag=a\r\nTo: <sip:{dialled}@192.0.2.1>\r\nCall-ID: c-{dialled}-{caller}\r\n"
        "CSeq: 1 INVITE\r\nContact: <sip:x@203.0.113.5>\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
        .encode())
    assert isinstance(request, Request)
    return request


def _admission() -> InviteAdmission:
    center = config.loads(TEXT)
    clock = FakeClock(1_800_000_000.0)
    nonces = NonceManager(b"k" * 32, clock)
    auth = Authenticator(StaticCredentials("acme", {}), nonces, AuthConfig(algorithms=("MD5",)))
    return InviteAdmission(center, Roster(center), auth, nonces, lambda: {"192.0.2.77"})


def _status(admission: InviteAdmission, request: Request, host: str) -> int | None:
    response = admission(request, Address("UDP", host, 5060), 1_800_000_000.0)
    return None if response is None else response.status


def test_trunk_by_address_reaches_public_numbers_only_unless_internal() -> None:
    admission = _admission()
    assert _status(admission, _invite("+48221234567"), "203.0.113.9") is None
    assert _status(admission, _invite("600"), "203.0.113.9") == 403
    assert _status(admission, _invite("600"), "198.51.100.7") is None  # the PBX may call inside
    assert Admission("trunk", "carrier", "address") in admission.admitted.values()


def test_phones_are_challenged_by_identity_or_address_and_strangers_by_the_digest_trunk() -> None:
    admission = _admission()
    assert _status(admission, _invite("600", "1001@acme"), "192.0.2.50") == 407  # an agent's extension
    assert _status(admission, _invite("600", "anna@elsewhere"), "192.0.2.77") == 407  # a phone's address
    challenge = admission(_invite("600"), Address("UDP", "192.0.2.99", 5060), 1_800_000_000.0)
    assert challenge is not None and challenge.status == 407  # a trunk with credentials may answer
    assert 'realm="centralino"' in (challenge.headers.get("Proxy-Authenticate") or "")
    assert not admission.admitted


def test_without_digest_trunks_a_stranger_gets_403() -> None:
    center = config.loads(TEXT.replace("  - name: backup\n    username: in\n    password: secret\n", ""))
    nonces = NonceManager(b"k" * 32, FakeClock(0.0))
    auth = Authenticator(StaticCredentials("acme", {}), nonces)
    admission = InviteAdmission(center, Roster(center), auth, nonces)
    assert _status(admission, _invite("+48221234567"), "192.0.2.99") == 403


def test_trunk_mistakes_are_reported_with_line_and_column() -> None:
    bad = TEXT.replace('"198.51.100.7"', '"198.51.100.300"').replace("    username: in\n", "")
    problems = config.check_text(bad, "center.yaml")
    found = {(p.line, p.message.split(":")[0]) for p in problems}
    assert any(p.line == 6 and "198.51.100.300" in p.message for p in problems), found
    assert any(p.line == 8 and "username and password" in p.message for p in problems), found
