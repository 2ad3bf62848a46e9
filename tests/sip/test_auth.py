from __future__ import annotations

import random

from centralino.core.clock import FakeClock
from centralino.sip.auth import (
    Challenge,
    Credentials,
    NonceManager,
    NonceStatus,
    digest_response,
    ha1,
    verify,
)

# RFC 7616 section 3.9.1
NONCE = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v"
CNONCE = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"
REALM = "http-auth@example.org"


def test_rfc7616_example_md5_and_sha256() -> None:
    for algorithm, expected in [
        ("MD5", "8ca523f5e9506fed4657c9700eebdbec"),
        ("SHA-256", "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"),
    ]:
        key = ha1("Mufasa", REALM, "Circle of Life", algorithm)
        got = digest_response(
            key, "GET", "/dir/index.html", NONCE, algorithm=algorithm, nc="00000001", cnonce=CNONCE
        )
        assert got == expected


def test_challenge_and_credentials_round_trip() -> None:
    text = (
        f'Digest realm="{REALM}", qop="auth, auth-int", algorithm=SHA-256, nonce="{NONCE}", '
        'opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS", stale=TRUE'
    )
    c = Challenge.parse(text)
    assert (c.realm, c.algorithm, c.qop, c.stale) == (REALM, "SHA-256", ["auth", "auth-int"], True)
    assert Challenge.parse(str(c)) == c
    key = ha1("Mufasa", REALM, "Circle of Life", "SHA-256")
    resp = digest_response(key, "INVITE", "sip:bob@example.com", NONCE, algorithm="SHA-256", cnonce=CNONCE)
    creds = Credentials(
        "Mufasa", REALM, NONCE, "sip:bob@example.com", resp, "SHA-256", "auth", "00000001", CNONCE
    )
    parsed = Credentials.parse(str(creds))
    assert parsed.response == resp and verify(parsed, key, "INVITE")
    assert not verify(parsed, key, "BYE")


def test_unknown_scheme_is_not_digest() -> None:
    creds = Credentials.parse("NoOneKnowsThisScheme opaque-data=here")
    assert not creds.is_digest and creds.params == {"opaque-data": "here"}
    assert not verify(creds, "x", "REGISTER")


def test_nonces_expire_and_counts_must_grow() -> None:
    clock = FakeClock()
    nonces = NonceManager(b"secret", clock, lifetime=30, rng=random.Random(1))
    nonce = nonces.challenge("example.com").nonce
    assert nonces.check(nonce) is NonceStatus.VALID
    assert nonces.check(nonce, "00000001") is NonceStatus.VALID
    assert nonces.check(nonce, "00000001") is NonceStatus.REPLAY
    assert nonces.check(nonce, "00000002") is NonceStatus.VALID
    assert NonceManager(b"other", clock).check(nonce) is NonceStatus.INVALID
    assert nonces.check("garbage!") is NonceStatus.INVALID
    clock.advance(31)
    assert nonces.check(nonce) is NonceStatus.STALE
    assert nonces.issue() != nonce
