"""Shipping zones: which zone serves an address, and what a valid zone looks like.

The zone for a consignment is the most specific *enabled* zone matching its address: ZIP, then STATE,
then COUNTRY, then GLOBAL; ties go to the lowest id. ZIP patterns: `*` matches any run of characters,
`?` exactly one; matching ignores case and surrounding spaces.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from enum import Enum
from functools import lru_cache
from typing import Any

from gateway.domain import subdivisions
from gateway.domain.addresses import is_country_code
from gateway.domain.errors import ErrorCode, Problem
from gateway.domain.limits import too_long


class ZoneType(str, Enum):
    ZIP = "ZIP"
    STATE = "STATE"
    COUNTRY = "COUNTRY"
    GLOBAL = "GLOBAL"


#: Most specific first.
PRECEDENCE = (ZoneType.ZIP, ZoneType.STATE, ZoneType.COUNTRY, ZoneType.GLOBAL)
MAX_LOCATIONS_PER_ZONE = 40_000


@lru_cache(maxsize=4096)
def _zip_regex(pattern: str) -> re.Pattern[str]:
    parts = []
    for char in pattern.strip().upper():
        if char == "*":
            parts.append(".*")
        elif char == "?":
            parts.append(".")
        else:
            parts.append(re.escape(char))
    return re.compile("".join(parts))


def zip_matches(pattern: str, postal_code: str | None) -> bool:
    if not postal_code:
        return False
    return _zip_regex(pattern).fullmatch(postal_code.strip().upper()) is not None


def location_matches(zone_type: ZoneType, location: Mapping[str, Any], address: Mapping[str, Any]) -> bool:
    country = (address.get("country_code") or "").upper()
    if zone_type is ZoneType.GLOBAL:
        return True
    if (location.get("country_code") or "").upper() != country:
        return False
    if zone_type is ZoneType.COUNTRY:
        return True
    if zone_type is ZoneType.STATE:
        state = address.get("state_or_province_code") or address.get("state_or_province")
        return subdivisions.within(country, state, location.get("state_code"))
    return zip_matches(location.get("zip") or "", address.get("postal_code"))


def zone_matches(zone: Any, address: Mapping[str, Any]) -> bool:
    zone_type = ZoneType(zone.type)
    if zone_type is ZoneType.GLOBAL:
        return True
    return any(location_matches(zone_type, location, address) for location in zone.locations or ())


def match_zone(zones: Iterable[Any], address: Mapping[str, Any] | None) -> Any | None:
    """The zone that serves `address`, or None when the store ships nowhere near it."""
    if address is None:
        return None
    rank = {zone_type.value: index for index, zone_type in enumerate(PRECEDENCE)}
    candidates = sorted(
        (zone for zone in zones if zone.enabled and zone_matches(zone, address)),
        key=lambda zone: (rank[zone.type], zone.id),
    )
    return candidates[0] if candidates else None


def validate_locations(
    zone_type: ZoneType, locations: Sequence[Mapping[str, Any]], path: tuple[str, ...]
) -> tuple[list[dict[str, Any]], list[Problem]]:
    """Check each location has exactly the shape its zone type needs; return normalised locations."""
    problems: list[Problem] = []
    normalised: list[dict[str, Any]] = []
    if zone_type is ZoneType.GLOBAL:
        if locations:
            problems.append(Problem(ErrorCode.INVALID_INPUT, "a GLOBAL zone has no locations", path))
        return [], problems
    if not locations:
        problems.append(Problem(ErrorCode.REQUIRED, f"a {zone_type.value} zone needs at least one location", path))
    if len(locations) > MAX_LOCATIONS_PER_ZONE:
        problems.append(Problem(ErrorCode.TOO_MANY, f"at most {MAX_LOCATIONS_PER_ZONE} locations", path))
        return [], problems
    for index, location in enumerate(locations):
        where = (*path, str(index))
        country = (location.get("country_code") or "").strip().upper()
        state = (location.get("state_code") or "").strip().upper() or None
        zip_pattern = (location.get("zip") or "").strip().upper() or None
        long = [too_long(country, (*where, "countryCode")), too_long(state, (*where, "stateCode"))]
        if any(long):
            problems += [problem for problem in long if problem is not None]
            continue
        if not country:
            problems.append(Problem(ErrorCode.REQUIRED, "countryCode is required", (*where, "countryCode")))
        elif not is_country_code(country):
            problems.append(
                Problem(
                    ErrorCode.INVALID_COUNTRY_CODE,
                    f"{country!r} is not an ISO 3166-1 alpha-2 code",
                    (*where, "countryCode"),
                )
            )
        if (
            zone_type is ZoneType.STATE
            and state
            and is_country_code(country)
            and subdivisions.has_subdivisions(country)
        ):
            found = subdivisions.find(country, state)
            if found is None:
                problems.append(
                    Problem(
                        ErrorCode.INVALID_STATE_OR_PROVINCE,
                        f"{state!r} is not a subdivision of {country}",
                        (*where, "stateCode"),
                    )
                )
            else:
                state = found.code
        if zone_type is ZoneType.STATE and not state:
            problems.append(Problem(ErrorCode.REQUIRED, "a STATE zone location needs stateCode", (*where, "stateCode")))
        if zone_type is not ZoneType.STATE and state:
            problems.append(
                Problem(ErrorCode.INVALID_INPUT, "stateCode only belongs in STATE zones", (*where, "stateCode"))
            )
        if zone_type is ZoneType.ZIP and not zip_pattern:
            problems.append(Problem(ErrorCode.REQUIRED, "a ZIP zone location needs zip", (*where, "zip")))
        if zone_type is not ZoneType.ZIP and zip_pattern:
            problems.append(Problem(ErrorCode.INVALID_INPUT, "zip only belongs in ZIP zones", (*where, "zip")))
        if zip_pattern and (len(zip_pattern) > 20 or not re.fullmatch(r"[A-Z0-9 *?-]+", zip_pattern)):
            problems.append(
                Problem(
                    ErrorCode.INVALID_INPUT,
                    "zip: letters, digits, spaces, dashes and the wildcards * and ?, at most 20",
                    (*where, "zip"),
                )
            )
        normalised.append({"country_code": country, "state_code": state, "zip": zip_pattern})
    return normalised, problems
