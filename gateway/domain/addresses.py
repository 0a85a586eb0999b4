"""Address validation and normalisation shared by billing and consignment addresses."""

from __future__ import annotations

import re
from dataclasses import fields
from typing import Any

import pycountry

from gateway.domain import subdivisions
from gateway.domain.errors import ErrorCode, Problem
from gateway.domain.inputs import AddressInput
from gateway.domain.limits import MAX_CUSTOM_FIELDS_PER_ADDRESS, MAX_STRING_LENGTH

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_COUNTRY_CODES = frozenset(country.alpha_2 for country in pycountry.countries)

#: GraphQL (camelCase) name of each stored address field, for error paths.
GRAPHQL_NAMES = {
    "first_name": "firstName",
    "last_name": "lastName",
    "email": "email",
    "company": "company",
    "address1": "address1",
    "address2": "address2",
    "city": "city",
    "state_or_province": "stateOrProvince",
    "state_or_province_code": "stateOrProvinceCode",
    "country_code": "countryCode",
    "postal_code": "postalCode",
    "phone": "phone",
}


def is_email(value: str) -> bool:
    return _EMAIL.match(value) is not None


def is_country_code(code: str) -> bool:
    return code.upper() in _COUNTRY_CODES


def _normalise_state(document: dict[str, Any], path: tuple[str, ...]) -> list[Problem]:
    """Resolve the state by code or name (gateway/domain/subdivisions.py); store its short code.

    A given name is kept (a label) unless it names another subdivision than the code; a name alone
    becomes the subdivision's own name. Countries without subdivisions keep free text."""
    country = document["country_code"]
    if not subdivisions.has_subdivisions(country):
        return []
    code, name = document["state_or_province_code"], document["state_or_province"]
    by_code = subdivisions.find(country, code)
    by_name = subdivisions.find(country, name)
    if code and by_code is None:
        message = f"{code!r} is not a subdivision of {country}"
        return [Problem(ErrorCode.INVALID_STATE_OR_PROVINCE, message, (*path, "stateOrProvinceCode"))]
    if name and by_code is None and by_name is None:
        message = f"{name!r} is not a subdivision of {country}"
        return [Problem(ErrorCode.INVALID_STATE_OR_PROVINCE, message, (*path, "stateOrProvince"))]
    if by_code is not None and by_name is not None and by_name.code != by_code.code:
        message = f"{name!r} is not the subdivision {code!r}"
        return [Problem(ErrorCode.INVALID_STATE_OR_PROVINCE, message, (*path, "stateOrProvince"))]
    found = by_code or by_name
    if found is not None:
        document["state_or_province_code"] = found.code
        if by_code is None or not name:
            document["state_or_province"] = found.name
    return []


def validate_address(address: AddressInput, path: tuple[str, ...]) -> tuple[dict[str, Any], list[Problem]]:
    """Check the rules every stored address obeys; return the normalised document and any problems.

    Only `email` and `countryCode` are required here: completing a checkout asks for more.
    """
    problems: list[Problem] = []
    document: dict[str, Any] = {}
    for field in fields(AddressInput):
        if field.name == "custom_fields":
            continue
        value = getattr(address, field.name)
        if isinstance(value, str):
            value = value.strip() or None
        where = (*path, GRAPHQL_NAMES[field.name])
        if value is not None and len(value) > MAX_STRING_LENGTH:
            problems.append(Problem(ErrorCode.TOO_LONG, f"must be at most {MAX_STRING_LENGTH} characters", where))
        document[field.name] = value

    email = document["email"]
    if email is None:
        problems.append(Problem(ErrorCode.REQUIRED, "email is required", (*path, "email")))
    elif not is_email(email):
        problems.append(Problem(ErrorCode.INVALID_EMAIL, "email is not a valid address", (*path, "email")))

    country = document["country_code"]
    if country is None:
        problems.append(Problem(ErrorCode.REQUIRED, "countryCode is required", (*path, "countryCode")))
    elif not is_country_code(country):
        problems.append(
            Problem(
                ErrorCode.INVALID_COUNTRY_CODE,
                f"{country!r} is not an ISO 3166-1 alpha-2 country code",
                (*path, "countryCode"),
            )
        )
    else:
        document["country_code"] = country.upper()

    if document["state_or_province_code"]:
        document["state_or_province_code"] = document["state_or_province_code"].upper()
    if document["country_code"] and is_country_code(document["country_code"]):
        problems += _normalise_state(document, path)

    if len(address.custom_fields) > MAX_CUSTOM_FIELDS_PER_ADDRESS:
        problems.append(
            Problem(
                ErrorCode.TOO_MANY,
                f"at most {MAX_CUSTOM_FIELDS_PER_ADDRESS} custom fields per address",
                (*path, "customFields"),
            )
        )
    custom_fields = []
    given = address.custom_fields if len(address.custom_fields) <= MAX_CUSTOM_FIELDS_PER_ADDRESS else ()
    for index, custom in enumerate(given):
        where = (*path, "customFields", str(index))
        if not custom.field_id.strip():
            problems.append(Problem(ErrorCode.REQUIRED, "fieldId is required", (*where, "fieldId")))
        for name, value in (("fieldId", custom.field_id), ("fieldValue", custom.field_value)):
            if len(value) > MAX_STRING_LENGTH:
                problems.append(
                    Problem(ErrorCode.TOO_LONG, f"must be at most {MAX_STRING_LENGTH} characters", (*where, name))
                )
        custom_fields.append({"field_id": custom.field_id.strip(), "field_value": custom.field_value})
    document["custom_fields"] = custom_fields
    return document, problems
