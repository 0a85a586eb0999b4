"""ISO 3166-2 subdivisions (states, provinces, regions...): look one up by code or name, per country.

Built once from `pycountry.subdivisions` at import; every lookup is one dict access.

- Every level pycountry lists counts (GB: countries, counties, boroughs...; FR: regions and departments):
  a shopper may name any of them and a zone may list any of them.
- A subdivision is found by its code, in either form ("CA" or "US-CA"), or by its name, ignoring case
  and surrounding spaces. Where two subdivisions of one country share a name (a region and its
  department), the name means the higher level one (no parent), then the lowest code.
- Stored and returned codes are the short form after the country prefix ("CA"), as BigCommerce's
  `stateOrProvinceCode`.
- Countries pycountry lists no subdivisions for keep free text: nothing is refused, nothing normalised.
"""

from __future__ import annotations

from dataclasses import dataclass

import pycountry


@dataclass(frozen=True, slots=True)
class Subdivision:
    country_code: str
    #: Short code after the country prefix: "CA" for US-CA.
    code: str
    name: str
    #: Short code of the parent subdivision (a department's region), or None at the top level.
    parent: str | None


def _key(text: str) -> str:
    return " ".join(text.split()).casefold()


def _build() -> tuple[dict[tuple[str, str], Subdivision], frozenset[str]]:
    by_code: dict[tuple[str, str], Subdivision] = {}
    by_name: dict[tuple[str, str], Subdivision] = {}
    items = sorted(
        pycountry.subdivisions,
        key=lambda s: (s.parent_code is not None, s.code),  # top level first, then by code
    )
    for item in items:
        country = item.country_code.upper()
        short = item.code.split("-", 1)[1].upper()
        parent = item.parent_code.split("-", 1)[1].upper() if item.parent_code else None
        subdivision = Subdivision(country, short, item.name, parent)
        by_code[(country, _key(short))] = subdivision
        by_code[(country, _key(item.code))] = subdivision
        by_name.setdefault((country, _key(item.name)), subdivision)
    # codes win over names when a name happens to spell another subdivision's code
    return {**by_name, **by_code}, frozenset(s.country_code for s in by_code.values())


_LOOKUP, _COUNTRIES_WITH_SUBDIVISIONS = _build()


def has_subdivisions(country_code: str) -> bool:
    return country_code.upper() in _COUNTRIES_WITH_SUBDIVISIONS


def find(country_code: str, code_or_name: str | None) -> Subdivision | None:
    """The country's subdivision with this code ("CA", "US-CA") or name ("california"), or None."""
    if not code_or_name:
        return None
    return _LOOKUP.get((country_code.upper(), _key(code_or_name)))


def within(country_code: str, state: str | None, region: str | None) -> bool:
    """Whether the subdivision `state` is `region` or lies inside it (a department within its region).

    Both sides are resolved by code or name, so stored free text ("California") matches too; a side that
    does not resolve matches only the same text."""
    if not state or not region:
        return False
    target = find(country_code, region)
    current = find(country_code, state)
    if target is None or current is None:
        return _key(state) == _key(region)
    seen = 0
    while current is not None and seen < 8:  # pycountry nests at most a few levels
        if current.code == target.code:
            return True
        current = find(country_code, current.parent) if current.parent else None
        seen += 1
    return False
