"""Digest challenge/verification of requests from phones, and trunk admission."""

from __future__ import annotations

import random

import pytest

from centralino.core.clock import FakeClock
from centralino.sip.auth import Challenge, Credentials, NonceManager, digest_response
from centralino.sip.authenticator import (
    Accepted,
    AuthConfig,
    Authenticator,
    Challenged,
    Ha1s,
    Rejected,
    StaticCredentials,
    Trunk,
    TrunkAdmission,
    TrunkAdmitted,
)
from centralino.sip.message import Request, Response, parse_message

REALM = "acme.example.com"
SOURCE = "192.0.2.7"


def request(method: str = "REGISTER", user: str = "1001", *, cseq: int = 1,
            uri: str = f"sip:{REALM}", extra: tuple[str, ...] = ()) -> Request:
    lines = [
        f"{method} {uri} SIP/2.0",
        "Via: SIP/2.0/UDP 192.0.2.7:5060;branch=z9hG4bK-" + str(cseq),
        f"From: <sip:{user}@{REALM}>;tag=abc",
        f"To: <sip:{user if method == 'REGISTER' else '2000'}@{REALM}>",
        "Call-ID: call-1@192.0.2.7",
        f"CSeq: {cseq} {method}",
        f"Contact: <sip:{user}@192.168.1.20:5060>",
        "Max-Forwards: 70",
        *extra,
        "Content-Length: 0",
        "", "",
    ]
    msg = parse_message("\r\n".join(lines).encode())
    assert isinstance(msg, Request)
    return msg


def answer(challenge_response: Response, req: Request, password: str, *, user: str = "1001",
           algorithm: str | None = None, nc: str = "00000001", uri: str | None = None) -> Request:
    """``req`` again with credentials for the first (or the ``algorithm``) challenge of a 401/407."""
    header = "www-authenticate" if challenge_response.status == 401 else "proxy-authenticate"
    challenges = [Challenge.parse(v) for v in challenge_response.headers.get_lines(header)]
    ch = next(c for c in challenges if algorithm is None or c.algorithm == algorithm)
    digest_uri = uri or str(req.uri)
    ha1 = Ha1s.from_password(user, ch.realm, password).for_algorithm(ch.algorithm)
    assert ha1 is not None
    response = digest_response(ha1, req.method, digest_uri, ch.nonce, algorithm=ch.algorithm, qop="auth",
                               nc=nc, cnonce="0a4f113b")
    creds = Credentials(user, ch.realm, ch.nonce, digest_uri, response, ch.algorithm, "auth", nc, "0a4f113b")
    name = "Authorization" if challenge_response.status == 401 else "Proxy-Authorization"
    again = parse_message(bytes(req))
    assert isinstance(again, Request)
    again.headers.add(name, str(creds))
    return again


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def auth(clock: FakeClock) -> Authenticator:
    users = StaticCredentials(REALM, {"1001": "demo1001", "1002": "demo1002"}, tenant="t1")
    nonces = NonceManager(b"secret", clock, lifetime=300, rng=random.Random(1))
    return Authenticator(users, nonces, rng=random.Random(2))


def challenged(result: object) -> Response:
    assert isinstance(result, Challenged), result
    return result.response


def test_register_without_credentials_gets_401_sha256_then_md5(auth: Authenticator, clock: FakeClock) -> None:
    response = challenged(auth.check(request(), SOURCE, clock.now()))
    assert response.status == 401 and response.to.tag
    values = response.headers.get_lines("www-authenticate")
    assert [Challenge.parse(v).algorithm for v in values] == ["SHA-256", "MD5"]
    assert all(Challenge.parse(v).qop == ["auth"] and Challenge.parse(v).realm == REALM for v in values)
    assert "proxy-authenticate" not in response.headers


def test_invite_gets_407_with_proxy_authenticate(auth: Authenticator, clock: FakeClock) -> None:
    response = challenged(auth.check(request("INVITE", uri=f"sip:2000@{REALM}"), SOURCE, clock.now()))
    assert response.status == 407 and len(response.headers.get_lines("proxy-authenticate")) == 2


@pytest.mark.parametrize("algorithm", ["SHA-256", "MD5"])
@pytest.mark.parametrize("method", ["REGISTER", "INVITE"])
def test_correct_password_is_accepted(
    auth: Authenticator, clock: FakeClock, algorithm: str, method: str
) -> None:
    uri = f"sip:{REALM}" if method == "REGISTER" else f"sip:2000@{REALM}"
    first = request(method, uri=uri)
    again = answer(challenged(auth.check(first, SOURCE, 0)), first, "demo1001", algorithm=algorithm)
    result = auth.check(again, SOURCE, clock.now())
    assert isinstance(result, Accepted)
    assert (result.user.username, result.user.realm, result.user.tenant) == ("1001", REALM, "t1")


@pytest.mark.parametrize("algorithm", ["SHA-256", "MD5"])
def test_wrong_password_is_challenged_again_and_counted(
    auth: Authenticator, clock: FakeClock, algorithm: str
) -> None:
    req = request()
    again = answer(challenged(auth.check(req, SOURCE, 0)), req, "guess", algorithm=algorithm)
    response = challenged(auth.check(again, SOURCE, clock.now()))
    assert response.status == 401 and not challenged(auth.check(again, SOURCE, clock.now())).headers.get(
        "www-authenticate").endswith("stale=true")
    assert auth.failures(SOURCE) == 2


def test_unknown_user_looks_like_a_wrong_password(auth: Authenticator, clock: FakeClock) -> None:
    req = request(user="9999")
    result = auth.check(answer(challenged(auth.check(req, SOURCE, 0)), req, "x", user="9999"), SOURCE, 0)
    assert challenged(result).status == 401 and auth.failures(SOURCE) == 1


def test_brute_force_source_is_refused_then_forgiven(auth: Authenticator, clock: FakeClock) -> None:
    req = request()
    for i in range(4):
        bad = answer(challenged(auth.check(req, SOURCE, clock.now())), req, f"guess{i}")
        assert isinstance(auth.check(bad, SOURCE, clock.now()), Challenged)
    bad = answer(challenged(auth.check(req, SOURCE, clock.now())), req, "guess4")
    fifth = auth.check(bad, SOURCE, clock.now())
    assert isinstance(fifth, Rejected) and fifth.response.status == 403
    # Even the right password is refused while the source is blocked; other sources are not.
    good = answer(challenged(auth.check(req, "192.0.2.99", clock.now())), req, "demo1001")
    blocked = auth.check(good, SOURCE, clock.now())
    assert isinstance(blocked, Rejected) and blocked.response.status == 403
    assert isinstance(auth.check(good, "192.0.2.99", clock.now()), Accepted)
    clock.advance(61)
    fresh = answer(challenged(auth.check(req, SOURCE, clock.now())), req, "demo1001")
    assert isinstance(auth.check(fresh, SOURCE, clock.now()), Accepted)


def test_expired_nonce_with_right_password_gets_stale_challenge(
    auth: Authenticator, clock: FakeClock
) -> None:
    req = request()
    good = answer(challenged(auth.check(req, SOURCE, 0)), req, "demo1001")
    clock.advance(301)
    result = auth.check(good, SOURCE, clock.now())
    assert isinstance(result, Challenged) and result.stale
    assert all(v.endswith("stale=true") for v in result.response.headers.get_lines("www-authenticate"))
    # ... and with a wrong password, no stale=true (the client must not retry silently).
    bad = answer(challenged(auth.check(req, SOURCE, 0)), req, "nope")
    clock.advance(301)
    result = auth.check(bad, SOURCE, clock.now())
    assert isinstance(result, Challenged) and not result.stale and auth.failures(SOURCE) == 1


def test_replayed_nonce_count_is_refused(auth: Authenticator, clock: FakeClock) -> None:
    req = request()
    challenge = challenged(auth.check(req, SOURCE, 0))
    good = answer(challenge, req, "demo1001", nc="00000001")
    assert isinstance(auth.check(good, SOURCE, 0), Accepted)
    assert isinstance(auth.check(good, SOURCE, 0), Challenged)  # the same nc again: a replay
    assert isinstance(auth.check(answer(challenge, req, "demo1001", nc="00000002"), SOURCE, 0), Accepted)
    assert auth.failures(SOURCE) == 0


def test_nonce_from_another_secret_is_challenged_fresh(auth: Authenticator, clock: FakeClock) -> None:
    other = Authenticator(StaticCredentials(REALM, {"1001": "demo1001"}), NonceManager(b"other", clock))
    req = request()
    foreign = answer(challenged(other.check(req, SOURCE, 0)), req, "demo1001")
    result = auth.check(foreign, SOURCE, 0)
    assert isinstance(result, Challenged) and not result.stale and auth.failures(SOURCE) == 0


def test_digest_uri_must_be_the_request_uri(auth: Authenticator, clock: FakeClock) -> None:
    req = request()
    moved = answer(challenged(auth.check(req, SOURCE, 0)), req, "demo1001", uri="sip:elsewhere.example.com")
    result = auth.check(moved, SOURCE, 0)
    assert isinstance(result, Rejected) and result.response.status == 400


def test_user_may_not_register_someone_else(auth: Authenticator, clock: FakeClock) -> None:
    req = request(user="1002")  # To: 1002, but the credentials are 1001's
    result = auth.check(answer(challenged(auth.check(req, SOURCE, 0)), req, "demo1001"), SOURCE, 0)
    assert isinstance(result, Rejected) and result.response.status == 403


def test_answer_without_qop_is_challenged(auth: Authenticator, clock: FakeClock) -> None:
    req = request()
    ch = Challenge.parse(challenged(auth.check(req, SOURCE, 0)).headers.get_lines("www-authenticate")[1])
    ha1 = Ha1s.from_password("1001", REALM, "demo1001").md5
    assert ha1 is not None
    resp = digest_response(ha1, "REGISTER", str(req.uri), ch.nonce, algorithm="MD5", qop=None)
    req.headers.add("Authorization", str(Credentials("1001", REALM, ch.nonce, str(req.uri), resp, "MD5")))
    assert isinstance(auth.check(req, SOURCE, 0), Challenged)
    lenient = Authenticator(auth.credentials, auth.nonces, AuthConfig(require_qop=False))
    assert isinstance(lenient.check(req, SOURCE, 0), Accepted)


def test_unknown_domain_is_refused(clock: FakeClock) -> None:
    class Nowhere(StaticCredentials):
        def realm_for(self, domain: str, offered_realm: str | None) -> str | None:
            return None

    auth = Authenticator(Nowhere(REALM, {}), NonceManager(b"s", clock))
    register = auth.check(request(), SOURCE, 0)
    invite = auth.check(request("INVITE", uri=f"sip:2000@{REALM}"), SOURCE, 0)
    assert isinstance(register, Rejected) and register.response.status == 404
    assert isinstance(invite, Rejected) and invite.response.status == 403


def test_malformed_credentials_are_a_bad_request(auth: Authenticator) -> None:
    req = request(extra=('Authorization: Digest username="1001", realm="x"',))
    result = auth.check(req, SOURCE, 0)
    assert isinstance(result, Rejected) and result.response.status == 400


def test_config_refuses_algorithms_without_stored_ha1() -> None:
    with pytest.raises(ValueError, match="SHA-256"):
        AuthConfig(algorithms=("SHA-512-256",))


# ---- trunks --------------------------------------------------------------------------------------


def test_trunk_admitted_by_network_or_digest(clock: FakeClock) -> None:
    carrier = Trunk.make("carrier", ["203.0.113.0/24", "2001:db8::/32"])
    backup = Trunk.make("backup", username="backup-trunk", password="s3cret", realm="centralino")
    admission = TrunkAdmission([carrier, backup], NonceManager(b"t", clock), realm="centralino",
                               rng=random.Random(3))
    invite = request("INVITE", user="backup-trunk", uri="sip:+18005550100@centralino")
    for host in ("203.0.113.9", "2001:db8::5", "[2001:db8::5]"):
        assert admission.check(invite, host, 0) == TrunkAdmitted(carrier, "address")
    first = admission.check(invite, "198.51.100.1", 0)
    assert isinstance(first, Challenged) and first.response.status == 407
    creds = answer(first.response, invite, "s3cret", user="backup-trunk")
    assert admission.check(creds, "198.51.100.1", 0) == TrunkAdmitted(backup, "digest")
    wrong = answer(first.response, invite, "nope", user="backup-trunk")
    assert isinstance(admission.check(wrong, "198.51.100.2", 0), Challenged)


def test_trunks_without_credentials_refuse_strangers(clock: FakeClock) -> None:
    admission = TrunkAdmission([Trunk.make("carrier", ["203.0.113.7"])], NonceManager(b"t", clock))
    result = admission.check(request("INVITE", uri="sip:100@x"), "198.51.100.1", 0)
    assert isinstance(result, Rejected) and result.response.status == 403
    assert admission.by_address("not-an-ip") is None
    with pytest.raises(ValueError, match="both"):
        Trunk.make("half", username="u")
