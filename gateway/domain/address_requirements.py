"""Which address fields an order needs, by country. The one table the README documents.

Every shipping or billing address needs first name, last name, street, city, country and email to
complete a checkout. Shipping addresses in some countries also need a postal code, some a state or
province as well.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gateway.domain import subdivisions

BASE_FIELDS = ("first_name", "last_name", "address1", "city", "country_code", "email")

#: Countries whose addresses need a postal code and a state/province (name or code).
POSTAL_CODE_AND_STATE = frozenset({"US", "CA", "AU", "IN", "BR", "MX", "CN"})
#: Countries whose addresses need a postal code.
POSTAL_CODE_ONLY = frozenset(
    {
        "GB",
        "DE",
        "FR",
        "NL",
        "BE",
        "LU",
        "AT",
        "CH",
        "IT",
        "ES",
        "PT",
        "IE",
        "DK",
        "SE",
        "NO",
        "FI",
        "IS",
        "PL",
        "CZ",
        "SK",
        "HU",
        "SI",
        "HR",
        "RO",
        "BG",
        "GR",
        "EE",
        "LV",
        "LT",
        "JP",
        "KR",
        "SG",
        "NZ",
        "ZA",
        "IL",
        "TR",
        "RU",
        "UA",
        "AR",
        "CL",
    }
)

#: GraphQL names, for messages and error paths.
GRAPHQL_NAMES = {
    "first_name": "firstName",
    "last_name": "lastName",
    "address1": "address1",
    "city": "city",
    "country_code": "countryCode",
    "email": "email",
    "postal_code": "postalCode",
    "state_or_province": "stateOrProvince",
}


def missing_fields(address: Mapping[str, Any] | None, *, shipping: bool = True) -> list[str]:
    """GraphQL names of the fields this address still needs before an order can be placed.

    Billing addresses need the base fields; shipping addresses also the country's postal fields.
    """
    if address is None:
        return [GRAPHQL_NAMES[name] for name in BASE_FIELDS]
    missing = [name for name in BASE_FIELDS if not address.get(name)]
    if not shipping:
        return [GRAPHQL_NAMES[name] for name in missing]
    country = (address.get("country_code") or "").upper()
    if country in POSTAL_CODE_AND_STATE or country in POSTAL_CODE_ONLY:
        if not address.get("postal_code"):
            missing.append("postal_code")
    state = address.get("state_or_province_code") or address.get("state_or_province")
    if country in POSTAL_CODE_AND_STATE and subdivisions.find(country, state) is None:
        missing.append("state_or_province")
    return [GRAPHQL_NAMES[name] for name in missing]
