"""What a phone number is: country, kind (toll-free, geographic, mobile...), formats, time zone.

Everything about the numbering plans comes from ``phonenumbers`` (Google's libphonenumber
metadata); this module only decides the project's vocabulary on top of it. The IVR (time of
day in the caller's zone), rating (toll-free and premium numbers cost differently) and the
outbound dialer import it.

Precedence when classifying: a text starting with "+" is E.164; otherwise 2-8 digits are an
internal number (an extension or a short service number such as 100); otherwise, if a
default region is given, the text is read as a national number of that region.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from phonenumbers import PhoneNumberFormat, PhoneNumberType
from phonenumbers import timezone as number_zones

__all__ = ["NumberInfo", "NumberKind", "classify_number", "number_time_zone"]

INTERNAL = re.compile(r"^[0-9]{2,8}$")


class NumberKind(StrEnum):
    toll_free = "toll-free"
    geographic = "geographic"  # fixed line; in NANP also numbers that may be fixed or mobile
    mobile = "mobile"
    premium = "premium"
    shared_cost = "shared-cost"
    voip = "voip"
    internal = "internal"
    unknown = "unknown"


_KINDS = {
    PhoneNumberType.TOLL_FREE: NumberKind.toll_free,
    PhoneNumberType.FIXED_LINE: NumberKind.geographic,
    PhoneNumberType.FIXED_LINE_OR_MOBILE: NumberKind.geographic,
    PhoneNumberType.MOBILE: NumberKind.mobile,
    PhoneNumberType.PREMIUM_RATE: NumberKind.premium,
    PhoneNumberType.SHARED_COST: NumberKind.shared_cost,
    PhoneNumberType.VOIP: NumberKind.voip,
}


@dataclass(frozen=True, slots=True)
class NumberInfo:
    """A classified number. ``valid`` is False for texts that are not a number in service."""

    number: str  # as given
    kind: NumberKind
    valid: bool
    e164: str | None = None  # "+48221234567"; None for internal numbers
    region: str | None = None  # ISO 3166 alpha-2 of the number's country, e.g. "PL"; None for
    # numbers of no country (+800 international freephone, +881 satellite...)
    country_code: int | None = None  # calling code, e.g. 48
    national: str | None = None  # "22 123 45 67"
    international: str | None = None  # "+48 22 123 45 67"
    time_zones: tuple[str, ...] = field(default=())  # IANA zones phonenumbers knows for it

    @property
    def is_internal(self) -> bool:
        return self.kind is NumberKind.internal


def classify_number(number: str, default_region: str | None = None) -> NumberInfo:
    """Classify ``number``; never raises: an unreadable text is ``valid=False, kind=unknown``."""
    text = number.strip()
    if not text.startswith("+") and INTERNAL.match(text):
        return NumberInfo(number=number, kind=NumberKind.internal, valid=True,
                          national=text, international=text)
    if not text.startswith("+") and default_region is None:
        return NumberInfo(number=number, kind=NumberKind.unknown, valid=False)
    try:
        parsed = phonenumbers.parse(text, None if text.startswith("+") else default_region)
    except phonenumbers.NumberParseException:
        return NumberInfo(number=number, kind=NumberKind.unknown, valid=False)
    zones = tuple(z for z in number_zones.time_zones_for_number(parsed) if z != "Etc/Unknown")
    return NumberInfo(
        number=number,
        kind=_KINDS.get(phonenumbers.number_type(parsed), NumberKind.unknown),
        valid=phonenumbers.is_valid_number(parsed),
        e164=phonenumbers.format_number(parsed, PhoneNumberFormat.E164),
        region=_region(phonenumbers.region_code_for_number(parsed)),
        country_code=parsed.country_code,
        national=phonenumbers.format_number(parsed, PhoneNumberFormat.NATIONAL),
        international=phonenumbers.format_number(parsed, PhoneNumberFormat.INTERNATIONAL),
        time_zones=zones,
    )


def _region(code: str | None) -> str | None:
    """phonenumbers says "001" for non-geographic entities; that is not a country."""
    return None if code in (None, "001", "ZZ") else code


def number_time_zone(number: str, fallback: str, configured: str | None = None) -> str:
    """The time zone a number's calls are in: ``configured`` if set, else the number's own.

    A number has its own zone when phonenumbers gives exactly one, or several that keep the
    same clock (Europe/Rome and Europe/Vatican). Otherwise (a US toll-free number spans every
    US zone; internal numbers have none) the ``fallback``, normally the tenant's zone, applies;
    it also wins when it is one of the candidates.
    """
    if configured:
        return configured
    zones = classify_number(number).time_zones
    if not zones or fallback in zones:
        return fallback
    if len(zones) == 1 or _same_clock(zones):
        return zones[0]
    return fallback


# Fixed instants (winter and summer) to compare zones' offsets without reading the clock.
_PROBES = (datetime(2025, 1, 15, 12, tzinfo=UTC), datetime(2025, 7, 15, 12, tzinfo=UTC))


@cache
def _same_clock(zones: tuple[str, ...]) -> bool:
    try:
        offsets = {tuple(probe.astimezone(ZoneInfo(z)).utcoffset() for probe in _PROBES) for z in zones}
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return len(offsets) == 1
