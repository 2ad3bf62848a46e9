"""argon2id for web passwords; digest HA1 checked against the worked examples of RFC 2617 and RFC 7616."""

from __future__ import annotations

import hashlib

import pytest
from argon2 import PasswordHasher, profiles

from centralino.store.passwords import (
    digest_ha1,
    hash_password,
    is_password_hash,
    needs_rehash,
    verify_password,
)


def test_hash_is_argon2id_salted_and_verifies() -> None:
    first, second = hash_password("correct horse"), hash_password("correct horse")
    assert first.startswith("$argon2id$") and is_password_hash(first)
    assert first != second  # a fresh salt each time
    assert "correct horse" not in first
    assert verify_password(first, "correct horse")
    assert not verify_password(first, "correct horse ")
    assert not needs_rehash(first)


def test_bad_hashes_do_not_raise() -> None:
    assert not verify_password("not-a-hash", "x")
    assert not verify_password("", "x")
    assert needs_rehash("not-a-hash")
    assert not is_password_hash("$2b$12$bcrypt")


def test_weaker_parameters_need_a_rehash() -> None:
    cheap = PasswordHasher.from_parameters(profiles.CHEAPEST).hash("pw")
    assert verify_password(cheap, "pw")  # still accepted at login...
    assert needs_rehash(cheap)  # ...and upgraded afterwards


def _response(algorithm: str, ha1: str, nonce: str, cnonce: str) -> str:
    """RFC 7616 section 3.4.1 response for qop=auth, GET /dir/index.html, nc=00000001."""
    name = {"MD5": "md5", "SHA-256": "sha256"}[algorithm]
    ha2 = hashlib.new(name, b"GET:/dir/index.html").hexdigest()
    return hashlib.new(name, f"{ha1}:{nonce}:00000001:{cnonce}:auth:{ha2}".encode()).hexdigest()


def test_ha1_reproduces_the_rfc_2617_example() -> None:
    ha1 = digest_ha1("Mufasa", "testrealm@host.com", "Circle Of Life", "MD5")
    assert ha1 == "939e7578ed9e3c518a452acee763bce9"
    response = _response("MD5", ha1, "dcd98b7102dd2f0e8b11d0f600bfb0c093", "0a4f113b")
    assert response == "6629fae49393a05397450978507c4ef1"  # RFC 2617 section 3.5


@pytest.mark.parametrize(
    ("algorithm", "expected"),
    [
        ("MD5", "8ca523f5e9506fed4657c9700eebdbec"),
        ("SHA-256", "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"),
    ],
)
def test_ha1_reproduces_the_rfc_7616_examples(algorithm: str, expected: str) -> None:
    ha1 = digest_ha1("Mufasa", "http-auth@example.org", "Circle of Life", algorithm)
    nonce = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v"
    cnonce = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"
    assert _response(algorithm, ha1, nonce, cnonce) == expected  # RFC 7616 section 3.9.1


def test_ha1_algorithm_names() -> None:
    assert digest_ha1("u", "r", "p", "sha-256") == hashlib.sha256(b"u:r:p").hexdigest()
    assert len(digest_ha1("u", "r", "p", "SHA-512-256")) == 64
    with pytest.raises(ValueError, match="SHA-256"):
        digest_ha1("u", "r", "p", "SHA-1")
