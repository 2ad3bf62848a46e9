"""Business calendars: weekly hours, holidays, closed dates, daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from centralino.config import ALWAYS_OPEN, BusinessCalendar, BusinessHours, calendar_for, load

WARSAW = ZoneInfo("Europe/Warsaw")
OFFICE = BusinessHours(mon=["08:00-18:00"], tue=["08:00-18:00"], wed=["08:00-18:00"], thu=["08:00-18:00"],
                       fri=["08:00-18:00"], sat=["09:00-13:00"], holidays="PL", closed_dates=["2026-12-31"])


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=WARSAW)


def test_weekday_hours_and_next_change() -> None:
    calendar = BusinessCalendar(OFFICE, "Europe/Warsaw")
    assert calendar.is_open(at(2026, 11, 10, 8, 0))  # Tuesday, opening minute
    assert not calendar.is_open(at(2026, 11, 10, 7, 59))
    assert not calendar.is_open(at(2026, 11, 10, 18, 0))  # the end is excluded
    assert calendar.next_change(at(2026, 11, 10, 17, 59)) == at(2026, 11, 10, 18, 0)
    assert calendar.next_change(at(2026, 11, 14, 13, 0)) == at(2026, 11, 16, 8, 0)  # Sat close -> Mon


def test_polish_holiday_is_closed() -> None:
    calendar = BusinessCalendar(OFFICE, "Europe/Warsaw")
    assert calendar.closed_reason(at(2026, 11, 11).date()) == "National Independence Day"
    assert not calendar.is_open(at(2026, 11, 11, 10, 0))  # a Wednesday
    assert calendar.next_change(at(2026, 11, 10, 12, 0)) == at(2026, 11, 10, 18, 0)
    assert calendar.next_change(at(2026, 11, 10, 18, 0)) == at(2026, 11, 12, 8, 0)
    assert not calendar.is_open(at(2026, 12, 31, 10, 0))  # a closed date
    assert calendar.closed_reason(at(2026, 12, 31).date()) == "closed date"


def test_spring_forward_keeps_wall_clock_hours() -> None:
    calendar = BusinessCalendar(OFFICE, "Europe/Warsaw")
    # Saturday 28 March 2026 closes 13:00 CET (12:00 UTC); clocks jump Sunday 29 March;
    # Monday opens 08:00 CEST, which is 06:00 UTC (not 07:00 as in winter).
    assert calendar.next_change(at(2026, 3, 28, 13, 0)) == datetime(2026, 3, 30, 6, 0, tzinfo=UTC)
    assert calendar.is_open(datetime(2026, 3, 30, 6, 0, tzinfo=UTC))
    assert not calendar.is_open(datetime(2026, 3, 30, 5, 59, tzinfo=UTC))


def test_intervals_inside_the_skipped_and_repeated_hours() -> None:
    night = BusinessCalendar(BusinessHours(sun=["02:30-05:00"]), "Europe/Warsaw")
    # 29 March 2026: 02:00 CET jumps to 03:00 CEST at 01:00 UTC; 02:30 never happens, so the
    # opening is the jump itself.
    opens = night.next_change(at(2026, 3, 28, 12, 0))
    assert opens == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)
    assert night.is_open(opens) and not night.is_open(datetime(2026, 3, 29, 0, 59, 59, tzinfo=UTC))
    assert night.next_change(opens) == datetime(2026, 3, 29, 3, 0, tzinfo=UTC)  # 05:00 CEST
    # 25 October 2026: 02:30 happens twice; the first (CEST, 00:30 UTC) opens; 05:00 CET closes.
    opens = night.next_change(at(2026, 10, 24, 12, 0))
    assert opens == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    assert night.next_change(opens) == datetime(2026, 10, 25, 4, 0, tzinfo=UTC)


def test_overnight_opening_does_not_change_at_midnight() -> None:
    calendar = BusinessCalendar(BusinessHours(mon=["20:00-24:00"], tue=["00:00-06:00"]), "UTC")
    monday_night = datetime(2026, 1, 5, 21, 0, tzinfo=UTC)
    assert calendar.next_change(monday_night) == datetime(2026, 1, 6, 6, 0, tzinfo=UTC)
    assert calendar.is_open(datetime(2026, 1, 6, 0, 0, tzinfo=UTC))


def test_never_changing_calendars_and_naive_datetimes() -> None:
    always = BusinessCalendar(ALWAYS_OPEN, "UTC")
    assert always.is_open(datetime(2026, 1, 1, tzinfo=UTC))
    assert always.next_change(datetime(2026, 1, 1, tzinfo=UTC)) is None
    assert BusinessCalendar(BusinessHours(), "UTC").next_change(datetime(2026, 1, 1, tzinfo=UTC)) is None
    with pytest.raises(ValueError, match="timezone-aware"):
        always.is_open(datetime(2026, 1, 1))


def test_calendar_for_a_demo_number() -> None:
    demo = load().tenants[0]
    by_number = {n.number: n for n in demo.numbers}
    main_menu = calendar_for(demo, by_number["100"])
    assert main_menu.zone.key == "Europe/Warsaw"
    assert not main_menu.is_open(at(2026, 11, 11, 10, 0))
    assert main_menu.is_open(at(2026, 11, 12, 10, 0))
    assert calendar_for(demo, by_number["600"]).is_open(at(2026, 11, 11, 3, 0))  # echo: no hours
    assert calendar_for(demo, by_number["200"]).is_open(at(2026, 11, 11, 3, 0))  # support line: always


_times = st.integers(min_value=0, max_value=96).map(lambda q: f"{q * 15 // 60:02d}:{q * 15 % 60:02d}")
_interval = st.tuples(_times, _times).filter(lambda se: se[0] < se[1]).map(lambda se: f"{se[0]}-{se[1]}")


@settings(max_examples=150, deadline=None)
@given(
    days=st.dictionaries(st.sampled_from(["mon", "tue", "wed", "thu", "fri", "sat", "sun"]),
                         st.lists(_interval, max_size=3), max_size=7),
    zone=st.sampled_from(["Europe/Warsaw", "America/New_York", "Australia/Lord_Howe", "UTC"]),
    minutes=st.integers(min_value=0, max_value=366 * 24 * 60),
)
def test_next_change_is_the_first_flip(days: dict[str, list[str]], zone: str, minutes: int) -> None:
    """Whatever the hours and zone (Lord Howe moves its clock by 30 minutes), is_open holds its
    value until next_change and flips there."""
    calendar = BusinessCalendar(BusinessHours(**days, holidays="PL"), zone)
    start = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=minutes, seconds=7)
    change = calendar.next_change(start)
    if change is None:
        return
    assert change > start
    assert calendar.is_open(change) != calendar.is_open(start)
    assert calendar.is_open(change - timedelta(seconds=1)) == calendar.is_open(start)
    assert calendar.is_open(start + (change - start) / 2) == calendar.is_open(start)
