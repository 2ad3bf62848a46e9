"""Whether a number's business is open at an instant, and when that next changes.

Opening hours are written in wall-clock time of a zone ("Mon 08:00-18:00 Europe/Warsaw") but
asked about with instants (a call arriving now). Each local day's intervals are turned into
pairs of instants with ``zoneinfo``, and every question is answered from those pairs, so
``is_open`` and ``next_change`` always agree, also across daylight-saving changes:

- a wall time that happens twice (autumn, 02:30 twice) means its first occurrence;
- a wall time that never happens (spring, 02:30 skipped) means the instant the clock jumps
  over it, i.e. the earliest instant whose wall time is past it.

Public holidays come from the ``holidays`` package for the configured country/region; extra
closing days from ``closed_dates``. Nothing here reads the clock: callers pass the instant.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays

from centralino.config.model import BusinessHours, PhoneNumber, Tenant
from centralino.config.numbers import number_time_zone

__all__ = ["ALWAYS_OPEN", "BusinessCalendar", "calendar_for"]

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # date.weekday() order
HORIZON_DAYS = 800  # next_change looks this far ahead before deciding "never"

ALWAYS_OPEN = BusinessHours.model_validate({day: ["00:00-24:00"] for day in DAYS})
"""The hours of a number that names none: open around the clock, every day."""

Span = tuple[datetime, datetime]


class BusinessCalendar:
    """Weekly hours + holidays + closed dates in one time zone, asked with aware datetimes."""

    def __init__(self, hours: BusinessHours, time_zone: str | ZoneInfo) -> None:
        self.hours = hours
        self.zone = time_zone if isinstance(time_zone, ZoneInfo) else ZoneInfo(time_zone)
        self.weekly = [_minutes_of(getattr(hours, day)) for day in DAYS]
        self.closed_dates = {date.fromisoformat(d) for d in hours.closed_dates if _is_date(d)}
        self.public_holidays: holidays.HolidayBase | None = None
        if hours.holidays:
            self.public_holidays = holidays.country_holidays(hours.holidays, subdiv=hours.holidays_region)

    def closed_reason(self, day: date) -> str | None:
        """Why a local date is closed all day ("Christmas Day", "closed date"), or None."""
        if day in self.closed_dates:
            return "closed date"
        if self.public_holidays is not None and day in self.public_holidays:
            return str(self.public_holidays.get(day))
        return None

    def open_intervals(self, day: date) -> list[Span]:
        """The opening spans of one local date as (start, end) instants in UTC, end excluded."""
        if self.closed_reason(day) is not None:
            return []
        spans = self.weekly[day.weekday()]
        return [(self._instant(day, start), self._instant(day, end)) for start, end in spans]

    def is_open(self, at: datetime) -> bool:
        """Whether ``at`` (timezone-aware) falls inside an opening span."""
        at = _aware(at)
        today = at.astimezone(self.zone).date()
        for day in (today - timedelta(days=1), today):
            if any(start <= at < end for start, end in self.open_intervals(day)):
                return True
        return False

    def next_change(self, at: datetime) -> datetime | None:
        """The first instant after ``at`` at which ``is_open`` flips (UTC), or None if it never does.

        Touching spans (Mon 20:00-24:00 then Tue 00:00-06:00) count as one, so an overnight
        opening does not "change" at midnight. None means open (or closed) for good as far as
        ``HORIZON_DAYS`` ahead: e.g. 24/7 hours without holidays, or no hours at all.
        """
        at = _aware(at)
        now_open = self.is_open(at)
        for start, end in self._merged_spans(at.astimezone(self.zone).date() - timedelta(days=1)):
            if now_open and start <= at < end:
                return end
            if not now_open and start > at:
                return start
        return None

    def _merged_spans(self, first: date) -> Iterator[Span]:
        current: Span | None = None
        for offset in range(HORIZON_DAYS):
            for start, end in self.open_intervals(first + timedelta(days=offset)):
                if current is not None and start <= current[1]:
                    current = (current[0], max(current[1], end))
                    continue
                if current is not None:
                    yield current
                current = (start, end)
        # a span still open at the horizon is not reported: its end is unknown

    def _instant(self, day: date, minutes: int) -> datetime:
        wall = datetime.combine(day, time()) + timedelta(minutes=minutes)  # 24:00 is next midnight
        first = wall.replace(tzinfo=self.zone, fold=0).astimezone(UTC)
        if first.astimezone(self.zone).replace(tzinfo=None) == wall:
            return first  # exists (the first occurrence, if it happens twice)
        # In a spring-forward gap: fold=1 reads the wall time with the later offset, giving an
        # instant before the jump; fold=0 one after it. Find the jump, to the second.
        low = wall.replace(tzinfo=self.zone, fold=1).astimezone(UTC)
        high = first
        while high - low > timedelta(seconds=1):
            middle = low + (high - low) / 2
            if middle.astimezone(self.zone).replace(tzinfo=None) >= wall:
                high = middle
            else:
                low = middle
        return high.replace(microsecond=0) if high.microsecond else high


def calendar_for(tenant: Tenant, number: PhoneNumber) -> BusinessCalendar:
    """The calendar that applies to calls to ``number``: its hours set in its time zone."""
    zone = number_time_zone(number.number, tenant.time_zone, number.time_zone)
    hours = tenant.business_hours.get(number.hours) if number.hours else None
    return BusinessCalendar(hours or ALWAYS_OPEN, zone)


def _aware(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("pass a timezone-aware datetime (e.g. clock.now()), not a naive one")
    return at


def _is_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _minutes_of(intervals: list[str]) -> list[tuple[int, int]]:
    """Valid intervals as sorted, merged (start, end) minutes; invalid ones are the rules' business."""
    spans = []
    for interval in intervals:
        start_text, end_text = interval.split("-")
        start, end = (int(t[:2]) * 60 + int(t[3:]) for t in (start_text, end_text))
        if start < end <= 24 * 60:
            spans.append((start, end))
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged
