"""Zone rules alone: ZIP patterns, which zone serves an address, and the location shape per zone type."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from gateway.domain.errors import ErrorCode
from gateway.domain.zones import ZoneType, location_matches, match_zone, validate_locations, zip_matches


@dataclass(frozen=True)
class Zone:
    """Stands in for a stored zone row: the attributes zone matching reads."""

    id: int
    type: str
    locations: list[dict[str, Any]] = field(default_factory=list)
    enabled: bool = True
    name: str = ""


def address(country: str, state: str | None = None, postal: str | None = None) -> dict[str, Any]:
    return {"country_code": country, "state_or_province_code": state, "postal_code": postal}


# --- zip_matches -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "postal", "expected"),
    [
        ("94105", "94105", True),
        ("94105", "94106", False),
        ("941*", "94105", True),
        ("941*", "941", True),  # `*` may match nothing
        ("941*", "9410512345", True),
        ("941*", "8941", False),  # anchored at the start
        ("*105", "94105", True),
        ("*105", "94106", False),
        ("9*5", "94105", True),
        ("665?6", "66526", True),
        ("665?6", "665A6", True),  # `?` is any one character
        ("665?6", "6656", False),  # ... exactly one
        ("665?6", "665226", False),
        ("??", "AB", True),
        ("??", "A", False),
        ("sw1a*", "SW1A 1AA", True),  # case-insensitive both ways
        ("SW1A*", "sw1a 1aa", True),
        ("SW1A ?AA", "SW1A 1AA", True),
        ("SW1A ?AA", "SW1A1AA", False),  # the space is literal
        (" 941* ", " 94105 ", True),  # surrounding spaces ignored
        ("*", "ANYTHING", True),
        ("*", None, False),
        ("*", "", False),
        ("94.05", "94105", False),  # regex characters are literal
        ("94.05", "94.05", True),
        ("A+B", "AAB", False),
        ("A+B", "A+B", True),
        ("K1A-0B?", "k1a-0b1", True),
    ],
)
def test_zip_matches(pattern, postal, expected):
    assert zip_matches(pattern, postal) is expected


# --- location_matches --------------------------------------------------------------------------------


def test_location_matching_per_zone_type():
    us_ca = address("US", "CA", "94105")
    assert location_matches(ZoneType.COUNTRY, {"country_code": "US"}, us_ca)
    assert location_matches(ZoneType.COUNTRY, {"country_code": "us"}, address("us"))
    assert not location_matches(ZoneType.COUNTRY, {"country_code": "CA"}, us_ca)
    assert location_matches(ZoneType.STATE, {"country_code": "US", "state_code": "CA"}, us_ca)
    assert location_matches(ZoneType.STATE, {"country_code": "US", "state_code": "CA"}, address("US", "ca"))
    assert not location_matches(ZoneType.STATE, {"country_code": "US", "state_code": "NY"}, us_ca)
    assert not location_matches(
        ZoneType.STATE, {"country_code": "CA", "state_code": "CA"}, us_ca
    )  # California is not in Canada
    assert not location_matches(ZoneType.STATE, {"country_code": "US", "state_code": "CA"}, address("US"))
    assert location_matches(ZoneType.ZIP, {"country_code": "US", "zip": "941*"}, us_ca)
    assert not location_matches(ZoneType.ZIP, {"country_code": "DE", "zip": "941*"}, us_ca)
    assert not location_matches(ZoneType.ZIP, {"country_code": "US", "zip": "941*"}, address("US", "CA"))
    assert location_matches(ZoneType.GLOBAL, {}, address("JP"))


# --- match_zone --------------------------------------------------------------------------------------


WORLD = Zone(1, "GLOBAL", name="world")
US = Zone(2, "COUNTRY", [{"country_code": "US"}], name="us")
CALIFORNIA = Zone(3, "STATE", [{"country_code": "US", "state_code": "CA"}], name="california")
BAY_AREA = Zone(4, "ZIP", [{"country_code": "US", "zip": "941*"}], name="bay area")
ZONES = [BAY_AREA, WORLD, CALIFORNIA, US]  # order given is irrelevant


@pytest.mark.parametrize(
    ("destination", "expected"),
    [
        (address("US", "CA", "94105"), "bay area"),
        (address("US", "CA", "90001"), "california"),
        (address("US", "NY", "10001"), "us"),
        (address("US", "NY", "94105"), "bay area"),  # ZIP beats everything, even across states
        (address("DE", None, "10115"), "world"),
        (address("US"), "us"),
    ],
)
def test_most_specific_zone_wins(destination, expected):
    assert match_zone(ZONES, destination).name == expected


def test_ties_go_to_the_lowest_id_whatever_the_order():
    later = Zone(9, "COUNTRY", [{"country_code": "US"}], name="later")
    earlier = Zone(5, "COUNTRY", [{"country_code": "CA"}, {"country_code": "US"}], name="earlier")
    assert match_zone([later, earlier], address("US")).name == "earlier"
    assert match_zone([earlier, later], address("US")).name == "earlier"
    zips = [
        Zone(8, "ZIP", [{"country_code": "US", "zip": "94105"}], name="narrow"),
        Zone(7, "ZIP", [{"country_code": "US", "zip": "9*"}], name="wide"),
    ]
    assert match_zone(zips, address("US", "CA", "94105")).name == "wide"


def test_disabled_zones_never_match():
    disabled_zip = Zone(1, "ZIP", [{"country_code": "US", "zip": "*"}], enabled=False, name="off")
    disabled_world = Zone(2, "GLOBAL", enabled=False, name="off world")
    state = Zone(3, "STATE", [{"country_code": "US", "state_code": "CA"}], name="california")
    assert match_zone([disabled_zip, disabled_world, state], address("US", "CA", "94105")).name == "california"
    assert match_zone([disabled_zip, disabled_world, state], address("DE")) is None


def test_no_zone_and_no_address():
    assert match_zone([US], address("CA", "ON", "K1A 0B1")) is None
    assert match_zone([], address("US")) is None
    assert match_zone(ZONES, None) is None


def test_zone_without_locations_matches_nothing_unless_global():
    assert match_zone([Zone(1, "COUNTRY", [])], address("US")) is None
    assert match_zone([Zone(1, "GLOBAL", [])], address("US")).id == 1


# --- validate_locations ------------------------------------------------------------------------------


def codes(problems) -> list[tuple[ErrorCode, tuple[str, ...] | None]]:
    return sorted((p.code, p.field) for p in problems)


def test_valid_locations_are_normalised():
    normalised, problems = validate_locations(
        ZoneType.ZIP,
        [{"country_code": " gb ", "zip": " sw1a* "}, {"country_code": "US", "zip": "665?6"}],
        ("locations",),
    )
    assert problems == []
    assert normalised == [
        {"country_code": "GB", "state_code": None, "zip": "SW1A*"},
        {"country_code": "US", "state_code": None, "zip": "665?6"},
    ]
    normalised, problems = validate_locations(
        ZoneType.STATE, [{"country_code": "us", "state_code": "ca"}], ("locations",)
    )
    assert (normalised, problems) == ([{"country_code": "US", "state_code": "CA", "zip": None}], [])
    assert validate_locations(ZoneType.GLOBAL, [], ("locations",)) == ([], [])


@pytest.mark.parametrize(
    ("zone_type", "locations", "expected"),
    [
        (ZoneType.STATE, [{"country_code": "US"}], [(ErrorCode.REQUIRED, ("locations", "0", "stateCode"))]),
        (ZoneType.ZIP, [{"country_code": "US"}], [(ErrorCode.REQUIRED, ("locations", "0", "zip"))]),
        (ZoneType.GLOBAL, [{"country_code": "US"}], [(ErrorCode.INVALID_INPUT, ("locations",))]),
        (ZoneType.COUNTRY, [], [(ErrorCode.REQUIRED, ("locations",))]),
        (
            ZoneType.COUNTRY,
            [{"country_code": "US", "state_code": "CA", "zip": "9*"}],
            [
                (ErrorCode.INVALID_INPUT, ("locations", "0", "stateCode")),
                (ErrorCode.INVALID_INPUT, ("locations", "0", "zip")),
            ],
        ),
        (
            ZoneType.COUNTRY,
            [{"country_code": "US"}, {"country_code": "XX"}, {"country_code": ""}],
            [
                (ErrorCode.INVALID_COUNTRY_CODE, ("locations", "1", "countryCode")),
                (ErrorCode.REQUIRED, ("locations", "2", "countryCode")),
            ],
        ),
        (
            ZoneType.ZIP,
            [{"country_code": "US", "zip": "94_105"}],
            [(ErrorCode.INVALID_INPUT, ("locations", "0", "zip"))],
        ),
        (
            ZoneType.ZIP,
            [{"country_code": "US", "zip": "9" * 21}],
            [(ErrorCode.INVALID_INPUT, ("locations", "0", "zip"))],
        ),
    ],
)
def test_location_shape_refusals(zone_type, locations, expected):
    _, problems = validate_locations(zone_type, locations, ("locations",))
    assert codes(problems) == expected


def test_too_many_locations():
    _, problems = validate_locations(ZoneType.COUNTRY, [{"country_code": "US"}] * 40_001, ("locations",))
    assert codes(problems) == [(ErrorCode.TOO_MANY, ("locations",))]
    _, problems = validate_locations(ZoneType.COUNTRY, [{"country_code": "US"}] * 40_000, ("locations",))
    assert problems == []
