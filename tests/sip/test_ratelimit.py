"""The per-source token bucket: fairness between sources, refill, bounded 503s and memory."""

import pytest

from centralino.sip.ratelimit import RateLimitConfig, RateLimiter, Verdict


def test_burst_then_reject_once_then_drop() -> None:
    limiter = RateLimiter(RateLimitConfig(rate=10, burst=5, reject_interval=1.0))
    verdicts = [limiter.check("198.51.100.7", 0.0) for _ in range(8)]
    assert verdicts == [Verdict.ALLOW] * 5 + [Verdict.REJECT, Verdict.DROP, Verdict.DROP]
    assert (limiter.rejected, limiter.dropped) == (1, 2)
    # One second later the bucket is full again and a new 503 would be allowed.
    assert limiter.check("198.51.100.7", 1.0) is Verdict.ALLOW


def test_flooding_source_does_not_starve_another() -> None:
    limiter = RateLimiter(RateLimitConfig(rate=5, burst=5))
    for i in range(1000):
        limiter.check("203.0.113.1", i * 0.001)
    assert limiter.check("203.0.113.2", 1.0) is Verdict.ALLOW


def test_refill_rate_and_retry_after() -> None:
    limiter = RateLimiter(RateLimitConfig(rate=0.5, burst=1))
    assert limiter.check("a", 0.0) is Verdict.ALLOW
    assert limiter.check("a", 0.5) is Verdict.REJECT
    assert limiter.retry_after("a") == 2  # 0.75 token missing at 0.5/s
    assert limiter.check("a", 2.5) is Verdict.ALLOW
    assert limiter.retry_after("unknown") == 1


def test_memory_is_bounded_least_recent_evicted() -> None:
    limiter = RateLimiter(RateLimitConfig(rate=1, burst=1, max_sources=3))
    for ip in ("a", "b", "c"):
        limiter.check(ip, 0.0)
    limiter.check("a", 0.0)  # a is now the most recent
    limiter.check("d", 0.0)
    assert len(limiter) == 3
    # b was evicted: it starts again with a full bucket; a was kept and is empty.
    assert limiter.check("b", 0.0) is Verdict.ALLOW
    assert limiter.check("a", 0.0) is not Verdict.ALLOW


def test_config_errors_name_the_fields() -> None:
    with pytest.raises(ValueError, match="rate > 0"):
        RateLimitConfig(rate=0)


def test_trunk_networks_are_exempt_and_others_still_limited() -> None:
    limiter = RateLimiter(RateLimitConfig(rate=1, burst=2, exempt=("192.0.2.0/24", "2001:db8::/32")))
    assert all(limiter.check("192.0.2.10", 0.0) is Verdict.ALLOW for _ in range(500))
    assert all(limiter.check("2001:db8::5", 0.0) is Verdict.ALLOW for _ in range(500))
    verdicts = [limiter.check("198.51.100.7", 0.0) for _ in range(4)]
    assert verdicts == [Verdict.ALLOW, Verdict.ALLOW, Verdict.REJECT, Verdict.DROP]
    assert limiter.check("not-an-address", 0.0) is Verdict.ALLOW  # limited as any source: first token
    assert len(limiter) == 2  # exempt sources keep no bucket
