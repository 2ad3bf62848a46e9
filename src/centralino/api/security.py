"""Who is calling: session cookies for the web pages, bearer tokens for programs.

Two credentials, one ``Principal``:

- ``POST /api/v1/auth/login`` checks the argon2id password hash and sets a cookie
  signed with itsdangerous (``URLSafeTimedSerializer``: HMAC with the installation's
  secret key plus a timestamp, so it expires after ``session_max_age``). The cookie
  carries the user id and a fingerprint of the password hash, so changing the
  password ends every session. It is ``HttpOnly`` and ``SameSite=Lax``: other
  sites cannot read it, nor send it with their POSTs.
- ``Authorization: Bearer cnt_...`` tokens are random 256-bit strings; only their
  SHA-256 is stored (a fast hash is enough for a secret with that much entropy,
  and it allows an indexed lookup).

Each request re-reads the user, so deactivating a user or revoking a token takes
effect at once.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fastapi import Request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from centralino.api.errors import ApiError
from centralino.api.settings import ApiSettings
from centralino.store import passwords
from centralino.store.db import Database
from centralino.store.models import ApiToken, User

__all__ = [
    "SESSION_COOKIE",
    "TOKEN_PREFIX",
    "Principal",
    "SessionSigner",
    "authenticate",
    "check_password",
    "new_token",
    "token_digest",
]

SESSION_COOKIE = "centralino_session"
TOKEN_PREFIX = "cnt_"
ROLES = ("admin", "supervisor", "agent")

# Verified against when the username is unknown, so a failed login costs the same time either way.
_DUMMY_HASH: str | None = None


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated caller. ``tenant_id`` is None only for installation admins."""

    user_id: str
    username: str
    role: str
    tenant_id: str | None
    token_id: str | None = None  # set when the request came with a bearer token

    @property
    def is_installation_admin(self) -> bool:
        return self.tenant_id is None and self.role == "admin"

    def has_role(self, *roles: str) -> bool:
        return self.is_installation_admin or self.role in roles

    def require(self, *roles: str) -> None:
        """Raise 403 unless the caller has one of ``roles`` (installation admins have all)."""
        if not self.has_role(*roles):
            raise ApiError.forbidden(f"needs role {' or '.join(roles)}; you are {self.role}")

    @classmethod
    def of(cls, user: User, token_id: str | None = None) -> Principal:
        return cls(user.id, user.username, user.role, user.tenant_id, token_id)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> tuple[str, str]:
    """A fresh bearer token and the SHA-256 hex digest to store."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    return token, token_digest(token)


def _fingerprint(user: User) -> str:
    return hashlib.sha256((user.password_hash or "").encode()).hexdigest()[:16]


class SessionSigner:
    """Signs and checks the session cookie's value."""

    def __init__(self, settings: ApiSettings) -> None:
        self._serializer = URLSafeTimedSerializer(settings.secret_key, salt="centralino.session")
        self._settings = settings

    def dumps(self, user: User) -> str:
        return self._serializer.dumps({"u": user.id, "f": _fingerprint(user)})

    def loads(self, value: str) -> tuple[str, str] | None:
        """(user id, fingerprint), or None when the value is forged, expired or malformed."""
        try:
            data: Any = self._serializer.loads(value, max_age=self._settings.session_max_age)
        except (BadSignature, ValueError, TypeError):
            return None
        if (
            not isinstance(data, dict)
            or not isinstance(data.get("u"), str)
            or not isinstance(data.get("f"), str)
        ):
            return None
        return data["u"], data["f"]

    def matches(self, user: User, fingerprint: str) -> bool:
        return hmac.compare_digest(_fingerprint(user), fingerprint)


def check_password(session: Session, username: str, password: str) -> User | None:
    """The active user with this username and password, or None; upgrades old hashes."""
    global _DUMMY_HASH
    user = session.scalar(select(User).where(User.username == username))
    if user is None or not user.active or not user.password_hash:
        if _DUMMY_HASH is None:
            _DUMMY_HASH = passwords.hash_password(secrets.token_hex(8))
        passwords.verify_password(_DUMMY_HASH, password)
        return None
    if not passwords.verify_password(user.password_hash, password):
        return None
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    return user


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise ApiError.unauthenticated("the Authorization header must be 'Bearer <token>'")
    return value.strip()


def _from_token(session: Session, token: str, now: datetime) -> Principal:
    row = session.scalar(select(ApiToken).where(ApiToken.token_sha256 == token_digest(token)))
    if row is None or row.revoked:
        raise ApiError.unauthenticated("unknown or revoked token")
    if row.expires_at is not None and _aware(row.expires_at) <= now:
        raise ApiError.unauthenticated("the token has expired; create a new one")
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        raise ApiError.unauthenticated("the token's user is disabled")
    row.last_used_at = now
    return Principal.of(user, token_id=row.id)


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes even for timezone-aware columns; they are UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def authenticate(request: Request) -> Principal:
    """The FastAPI dependency behind every protected route: bearer token first, then cookie."""
    app_state = request.app.state
    db: Database = app_state.db
    settings: ApiSettings = app_state.settings
    token = _bearer(request)
    now = datetime.fromtimestamp(settings.clock.now(), UTC)
    with db.session() as session:
        if token is not None:
            principal = _from_token(session, token, now)
        else:
            cookie = request.cookies.get(SESSION_COOKIE)
            decoded = app_state.signer.loads(cookie) if cookie else None
            if decoded is None:
                raise ApiError.unauthenticated()
            user = session.get(User, decoded[0])
            if user is None or not user.active or not app_state.signer.matches(user, decoded[1]):
                raise ApiError.unauthenticated("the session has ended; log in again")
            principal = Principal.of(user)
    request.state.principal = principal
    return principal
