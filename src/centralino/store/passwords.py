"""Password and SIP-secret hashing.

Web passwords (and customer PINs) are stored as argon2id hashes made by
argon2-cffi with its default parameters (RFC 9106's low-memory profile); the
hash string carries its parameters, so ``needs_rehash`` tells the login code
when to upgrade an old hash after a successful login.

SIP passwords cannot be hashed that way: digest authentication (RFC 2617,
RFC 7616, and RFC 8760 for SIP) needs ``H(user:realm:password)`` (HA1) to check
a response. We keep only HA1, for MD5 (what most phones still send) and
SHA-256, so a leaked database does not reveal the plain password, and an HA1
is bound to one realm: changing the realm needs the password again.
"""

from __future__ import annotations

import hashlib

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

__all__ = [
    "DIGEST_ALGORITHMS",
    "digest_ha1",
    "hash_password",
    "is_password_hash",
    "needs_rehash",
    "verify_password",
]

_hasher = PasswordHasher()

# RFC 8760 / RFC 7616 algorithm names -> hashlib names.
DIGEST_ALGORITHMS: dict[str, str] = {"MD5": "md5", "SHA-256": "sha256", "SHA-512-256": "sha512_256"}


def hash_password(plain: str) -> str:
    """An argon2id hash of ``plain``, with a fresh salt (two calls give different strings)."""
    return _hasher.hash(plain)


def verify_password(password_hash: str, plain: str) -> bool:
    """Whether ``plain`` matches; False (never an exception) for a wrong password or a malformed hash."""
    try:
        return _hasher.verify(password_hash, plain)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Whether a hash was made with other parameters than today's (or is not an argon2 hash at all)."""
    try:
        return _hasher.check_needs_rehash(password_hash)
    except (InvalidHashError, ValueError):
        return True


def is_password_hash(value: str) -> bool:
    """Whether ``value`` looks like an argon2 hash string (for ``password_hash:`` in the config file)."""
    return value.startswith(("$argon2id$", "$argon2i$", "$argon2d$"))


def digest_ha1(user: str, realm: str, password: str, algorithm: str = "MD5") -> str:
    """HA1 = H(user ":" realm ":" password) in lowercase hex, as RFC 7616 section 3.4.2 defines it.

    ``algorithm`` is the digest algorithm name as sent in the challenge ("MD5", "SHA-256",
    "SHA-512-256"); the "-sess" variants add nonces, so they are computed per request from this HA1.
    """
    name = DIGEST_ALGORITHMS.get(algorithm.upper())
    if name is None:
        raise ValueError(f"unknown digest algorithm {algorithm!r}; use one of {', '.join(DIGEST_ALGORITHMS)}")
    return hashlib.new(name, f"{user}:{realm}:{password}".encode()).hexdigest()
