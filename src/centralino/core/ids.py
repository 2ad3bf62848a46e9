"""Identifiers.

Ids are time-ordered (UUIDv7 layout: 48-bit milliseconds, then randomness) so
records sort by creation and database indexes stay append-mostly. The random
part comes from an injectable ``random.Random`` for deterministic tests.
"""

from __future__ import annotations

import random
import time
import uuid

_default_rng = random.SystemRandom()


def new_id(now: float | None = None, rng: random.Random | None = None) -> str:
    """A UUIDv7 string; ``now`` in seconds since the epoch."""
    millis = int((time.time() if now is None else now) * 1000) & ((1 << 48) - 1)
    r = rng or _default_rng
    rand_a = r.getrandbits(12)
    rand_b = r.getrandbits(62)
    value = (millis << 80) | (0x7 << 76) | (rand_a << 64) | (0b10 << 62) | rand_b
    return str(uuid.UUID(int=value))
