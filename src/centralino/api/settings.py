"""What the HTTP API needs to know that is not in the database.

A frozen dataclass handed to ``create_app`` by the composition root, so the API
reads no environment variables and opens nothing on its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from centralino.core.clock import Clock, SystemClock

__all__ = ["ApiSettings"]


@dataclass(frozen=True)
class ApiSettings:
    """``secret_key`` signs session cookies; keep it stable across restarts (the data dir holds one)."""

    secret_key: str
    session_max_age: int = 12 * 3600  # seconds a login cookie stays valid
    login_token_ttl: int = 3600  # seconds the optional token returned by login stays valid
    secure_cookies: bool = False  # set the cookie's Secure flag (behind HTTPS)
    metrics_token: str | None = None  # when set, /metrics wants "Authorization: Bearer <it>"
    demo: bool = False  # the built-in demo center is loaded (shown by /healthz)
    clock: Clock = field(default_factory=SystemClock)
    data_dir: Path | None = None  # where recordings live (files under <data_dir>/recordings/)
