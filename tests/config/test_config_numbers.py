"""Number classification and the time zone of a number."""

from __future__ import annotations

import pytest

from centralino.config import NumberKind, classify_number, number_time_zone


def test_us_toll_free() -> None:
    info = classify_number("+18005550100")
    assert (info.kind, info.region, info.country_code, info.valid) == (NumberKind.toll_free, "US", 1, True)
    assert info.national == "(800) 555-0100"
    assert info.international == "+1 800-555-0100"
    assert len(info.time_zones) > 1


def test_polish_geographic() -> None:
    info = classify_number("+48221234567")
    assert (info.kind, info.region, info.e164) == (NumberKind.geographic, "PL", "+48221234567")
    assert info.national == "22 123 45 67"
    assert info.time_zones == ("Europe/Warsaw",)


def test_polish_toll_free_and_italian_mobile() -> None:
    assert classify_number("+48800123456").kind is NumberKind.toll_free
    info = classify_number("+393471234567")
    assert (info.kind, info.region, info.international) == (NumberKind.mobile, "IT", "+39 347 123 4567")


def test_international_freephone_has_no_country() -> None:
    info = classify_number("+80012345678")
    assert (info.kind, info.region, info.country_code, info.valid) == (NumberKind.toll_free, None, 800, True)


def test_internal_number() -> None:
    info = classify_number("100")
    assert (info.kind, info.valid, info.e164, info.region) == (NumberKind.internal, True, None, None)
    assert info.is_internal


@pytest.mark.parametrize("text", ["+4812", "+99912345", "hello", "1", "123456789"])
def test_invalid_or_unreadable(text: str) -> None:
    assert not classify_number(text).valid


def test_national_number_with_default_region() -> None:
    info = classify_number("22 123 45 67", default_region="PL")  # Poland dials no trunk 0
    assert (info.e164, info.kind) == ("+48221234567", NumberKind.geographic)
    assert classify_number("02 1234 5678", default_region="IT").e164 == "+390212345678"  # Italy keeps it


def test_time_zone_of_a_number() -> None:
    assert number_time_zone("+12125551234", "Europe/Warsaw") == "America/New_York"
    # Rome and Vatican keep the same clock: one answer without the fallback
    assert number_time_zone("+390212345678", "UTC") == "Europe/Rome"
    # a US toll-free number spans every US zone: the tenant's zone applies
    assert number_time_zone("+18005550100", "America/Chicago") == "America/Chicago"
    assert number_time_zone("+18005550100", "Europe/Warsaw") == "Europe/Warsaw"
    assert number_time_zone("100", "Europe/Warsaw") == "Europe/Warsaw"
    assert number_time_zone("+12125551234", "Europe/Warsaw", configured="Asia/Tokyo") == "Asia/Tokyo"
