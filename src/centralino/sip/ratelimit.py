"""Per-source request rate limiting: one token bucket per source IP, sans-I/O.

Why: a single misbehaving or scanning peer (SIP scanners send thousands of
OPTIONS and INVITEs a second) must not starve the other callers of CPU and
transactions. Each source IP gets its own bucket of ``burst`` tokens refilled
at ``rate`` per second; a new request costs one token.

The decision for an over-limit request is ``Verdict.REJECT`` (answer 503
Service Unavailable with Retry-After) at most once per ``reject_interval``
per source, and ``Verdict.DROP`` otherwise: answering every flooded request
would turn the limiter into an amplifier, while one 503 tells a well-behaved
peer to back off (RFC 3261 §21.5.4). Responses, ACKs and CANCELs are never
limited (the caller does not even ask): they belong to transactions already
admitted, and dropping them would only cause retransmissions.

Carrier trunks are exempt by network (``exempt``): a trunk legitimately sends hundreds of calls a
second from one address, and its source is already known and trusted by configuration.

Memory is bounded: at most ``max_sources`` buckets are kept, the least
recently seen evicted first (an evicted source simply starts with a full
bucket again).
"""

from __future__ import annotations

import ipaddress
import math
from collections import OrderedDict
from dataclasses import dataclass
from enum import Enum

__all__ = ["RateLimitConfig", "RateLimiter", "Verdict"]


class Verdict(Enum):
    ALLOW = "allow"
    REJECT = "reject"  # answer 503 with Retry-After
    DROP = "drop"  # say nothing


@dataclass(frozen=True, slots=True)
class RateLimitConfig:
    rate: float = 50.0  # requests per second per source IP, sustained
    burst: float = 100.0  # bucket size: how many requests a source may send at once
    reject_interval: float = 1.0  # at most one 503 per source per this many seconds
    max_sources: int = 10_000
    exempt: tuple[str, ...] = ()  # networks never limited, e.g. carrier trunks ("192.0.2.0/24")

    def __post_init__(self) -> None:
        if self.rate <= 0 or self.burst < 1 or self.max_sources < 1 or self.reject_interval < 0:
            raise ValueError(
                "SIP rate limit: need rate > 0, burst >= 1, max_sources >= 1 and reject_interval >= 0; "
                f"got {self}")


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float
    last_reject: float = -math.inf


class RateLimiter:
    """Token buckets keyed by source IP; time comes in as ``now`` (seconds, monotonic)."""

    def __init__(self, config: RateLimitConfig | None = None) -> None:
        self.config = config or RateLimitConfig()
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()
        self._exempt = [ipaddress.ip_network(n, strict=False) for n in self.config.exempt]
        self._exempt_seen: dict[str, bool] = {}  # per source IP, bounded like the buckets
        self.dropped = 0
        self.rejected = 0

    def check(self, source_ip: str, now: float) -> Verdict:
        """Spend a token for one new request from ``source_ip``, or say what to do instead."""
        cfg = self.config
        if self._exempt and self._is_exempt(source_ip):
            return Verdict.ALLOW
        bucket = self._buckets.get(source_ip)
        if bucket is None:
            bucket = _Bucket(tokens=cfg.burst, updated=now)
            self._buckets[source_ip] = bucket
            if len(self._buckets) > cfg.max_sources:
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(source_ip)
            elapsed = max(0.0, now - bucket.updated)
            bucket.tokens = min(cfg.burst, bucket.tokens + elapsed * cfg.rate)
            bucket.updated = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return Verdict.ALLOW
        if now - bucket.last_reject >= cfg.reject_interval:
            bucket.last_reject = now
            self.rejected += 1
            return Verdict.REJECT
        self.dropped += 1
        return Verdict.DROP

    def _is_exempt(self, source_ip: str) -> bool:
        known = self._exempt_seen.get(source_ip)
        if known is None:
            try:
                address = ipaddress.ip_address(source_ip)
            except ValueError:
                known = False
            else:
                known = any(address in network for network in self._exempt)
            if len(self._exempt_seen) >= self.config.max_sources:
                self._exempt_seen.clear()
            self._exempt_seen[source_ip] = known
        return known

    def retry_after(self, source_ip: str) -> int:
        """Whole seconds until ``source_ip`` has a token again (at least 1), for Retry-After."""
        bucket = self._buckets.get(source_ip)
        missing = 1.0 - (bucket.tokens if bucket else 1.0)
        return max(1, math.ceil(missing / self.config.rate))

    def __len__(self) -> int:
        return len(self._buckets)
