import pytest

from centralino.media.collector import Collected, DigitCollector


def test_stops_at_max_digits() -> None:
    c = DigitCollector(3, now=0.0)
    assert c.key("1", 1.0) is None and c.deadline == 4.0
    assert c.key("2", 2.0) is None
    assert c.key("3", 2.5) == Collected("123", "max_digits")
    assert c.deadline is None and c.key("4", 3.0) is None


def test_terminator_ends_early_and_is_not_collected() -> None:
    c = DigitCollector(10, now=0.0, terminator="#")
    c.key("4", 0.5)
    assert c.key("#", 0.6) == Collected("4", "terminator")


def test_first_and_inter_digit_timeouts() -> None:
    c = DigitCollector(4, now=10.0, first_timeout=5.0, inter_timeout=2.0)
    assert c.expire(14.9) is None
    assert c.expire(15.0) == Collected("", "first_timeout")
    c = DigitCollector(4, now=10.0, first_timeout=5.0, inter_timeout=2.0)
    c.key("7", 14.0)
    assert c.expire(15.0) is None  # the first deadline is stale once a key came
    assert c.expire(16.0) == Collected("7", "inter_timeout")


def test_zero_digits_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one"):
        DigitCollector(0, now=0.0)
