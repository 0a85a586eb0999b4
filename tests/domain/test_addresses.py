"""`validate_address`: the rules every stored address obeys, as a pure function (no database)."""

from __future__ import annotations

import pytest

from gateway.domain.addresses import is_country_code, is_email, validate_address
from gateway.domain.errors import ErrorCode, Problem
from gateway.domain.inputs import AddressInput, CustomFieldInput
from gateway.domain.limits import MAX_CUSTOM_FIELDS_PER_ADDRESS, MAX_STRING_LENGTH

PATH = ("consignments", "0", "address")

OPTIONAL_FIELDS = {
    "first_name": "firstName",
    "last_name": "lastName",
    "company": "company",
    "address1": "address1",
    "address2": "address2",
    "city": "city",
    "state_or_province": "stateOrProvince",
    "state_or_province_code": "stateOrProvinceCode",
    "postal_code": "postalCode",
    "phone": "phone",
}


def codes_and_fields(problems: list[Problem]) -> list[tuple[ErrorCode, tuple[str, ...] | None]]:
    return sorted((problem.code, problem.field) for problem in problems)


def test_email_and_country_code_are_enough():
    document, problems = validate_address(AddressInput(email="a@example.com", country_code="US"), PATH)

    assert problems == []
    assert document == {
        "email": "a@example.com",
        "country_code": "US",
        **{name: None for name in OPTIONAL_FIELDS},
        "custom_fields": [],
    }


@pytest.mark.parametrize(("given", "stored"), [("us", "US"), ("Us", "US"), ("gb", "GB"), (" de ", "DE"), ("JP", "JP")])
def test_country_code_is_normalised_to_upper_case(given, stored):
    document, problems = validate_address(AddressInput(email="a@example.com", country_code=given), PATH)
    assert problems == []
    assert document["country_code"] == stored


@pytest.mark.parametrize("code", ["XX", "ZZ", "UK", "EU", "USA", "U", "1A", "U$", "ÜS"])
def test_country_code_must_be_iso_3166_alpha_2(code):
    _, problems = validate_address(AddressInput(email="a@example.com", country_code=code), PATH)
    assert codes_and_fields(problems) == [(ErrorCode.INVALID_COUNTRY_CODE, (*PATH, "countryCode"))]
    assert code in problems[0].message


@pytest.mark.parametrize("code", ["", "  "])
def test_country_code_is_required(code):
    _, problems = validate_address(AddressInput(email="a@example.com", country_code=code), PATH)
    assert codes_and_fields(problems) == [(ErrorCode.REQUIRED, (*PATH, "countryCode"))]


@pytest.mark.parametrize("email", ["", "   "])
def test_email_is_required(email):
    _, problems = validate_address(AddressInput(email=email, country_code="US"), PATH)
    assert codes_and_fields(problems) == [(ErrorCode.REQUIRED, (*PATH, "email"))]


@pytest.mark.parametrize(
    "email", ["nope", "a@b", "@example.com", "a@.", "a b@example.com", "a@exa mple.com", "a@@example.com"]
)
def test_bad_email_is_refused(email):
    _, problems = validate_address(AddressInput(email=email, country_code="US"), PATH)
    assert codes_and_fields(problems) == [(ErrorCode.INVALID_EMAIL, (*PATH, "email"))]


@pytest.mark.parametrize("email", ["a@example.com", "first.last+tag@sub.example.co.uk", " padded@example.com "])
def test_good_email_is_accepted_and_trimmed(email):
    document, problems = validate_address(AddressInput(email=email, country_code="US"), PATH)
    assert problems == []
    assert document["email"] == email.strip()


def test_strings_are_trimmed_and_blank_ones_become_null():
    address = AddressInput(
        email="a@example.com",
        country_code="US",
        first_name="  Ada ",
        last_name="",
        city="   ",
        address1="\t1 Main St\n",
        state_or_province_code=" tx ",
    )
    document, problems = validate_address(address, PATH)
    assert problems == []
    assert document["first_name"] == "Ada"
    assert document["last_name"] is None
    assert document["city"] is None
    assert document["address1"] == "1 Main St"
    assert document["state_or_province_code"] == "TX"


@pytest.mark.parametrize(("attribute", "graphql_name"), sorted(OPTIONAL_FIELDS.items()))
def test_every_string_longer_than_255_is_too_long(attribute, graphql_name):
    # Antarctica has no ISO 3166-2 subdivisions, so any state text is kept and only its length counts.
    country = "AQ" if attribute.startswith("state_") else "US"
    too_long = AddressInput(email="a@example.com", country_code=country, **{attribute: "x" * (MAX_STRING_LENGTH + 1)})
    just_right = AddressInput(email="a@example.com", country_code=country, **{attribute: "x" * MAX_STRING_LENGTH})

    _, problems = validate_address(too_long, PATH)
    assert codes_and_fields(problems) == [(ErrorCode.TOO_LONG, (*PATH, graphql_name))]

    document, problems = validate_address(just_right, PATH)
    assert problems == []
    assert len(document[attribute]) == MAX_STRING_LENGTH


def test_too_long_email_is_too_long():
    email = "a" * 250 + "@example.com"
    _, problems = validate_address(AddressInput(email=email, country_code="US"), PATH)
    assert (ErrorCode.TOO_LONG, (*PATH, "email")) in codes_and_fields(problems)


def test_length_counts_characters_not_bytes():
    document, problems = validate_address(AddressInput(email="a@example.com", country_code="US", city="é" * 255), PATH)
    assert problems == []
    assert document["city"] == "é" * 255


def test_length_is_measured_after_trimming():
    _, problems = validate_address(
        AddressInput(email="a@example.com", country_code="US", city="  " + "x" * MAX_STRING_LENGTH + "  "),
        PATH,
    )
    assert problems == []


def test_every_problem_is_reported_at_once():
    address = AddressInput(
        email="not-an-email",
        country_code="QQ",
        first_name="f" * 300,
        postal_code="p" * 256,
        custom_fields=(CustomFieldInput(field_id=" ", field_value="v" * 256),),
    )
    _, problems = validate_address(address, PATH)
    assert codes_and_fields(problems) == sorted(
        [
            (ErrorCode.INVALID_EMAIL, (*PATH, "email")),
            (ErrorCode.INVALID_COUNTRY_CODE, (*PATH, "countryCode")),
            (ErrorCode.TOO_LONG, (*PATH, "firstName")),
            (ErrorCode.TOO_LONG, (*PATH, "postalCode")),
            (ErrorCode.REQUIRED, (*PATH, "customFields", "0", "fieldId")),
            (ErrorCode.TOO_LONG, (*PATH, "customFields", "0", "fieldValue")),
        ]
    )
    assert all(problem.message for problem in problems)


def test_paths_start_with_the_given_prefix():
    _, problems = validate_address(AddressInput(email="x", country_code="US"), ("address",))
    assert [problem.field for problem in problems] == [("address", "email")]
    _, problems = validate_address(AddressInput(email="x", country_code="US"), ())
    assert [problem.field for problem in problems] == [("email",)]


def test_custom_fields_are_kept_in_order_with_trimmed_ids():
    address = AddressInput(
        email="a@example.com",
        country_code="US",
        custom_fields=(CustomFieldInput(" field_1 ", " keep spaces "), CustomFieldInput("field_2", "")),
    )
    document, problems = validate_address(address, PATH)
    assert problems == []
    assert document["custom_fields"] == [
        {"field_id": "field_1", "field_value": " keep spaces "},
        {"field_id": "field_2", "field_value": ""},
    ]


def test_custom_field_id_longer_than_255_is_too_long():
    address = AddressInput(email="a@example.com", country_code="US", custom_fields=(CustomFieldInput("i" * 256, "v"),))
    _, problems = validate_address(address, PATH)
    assert codes_and_fields(problems) == [(ErrorCode.TOO_LONG, (*PATH, "customFields", "0", "fieldId"))]


def test_at_most_50_custom_fields():
    fields = tuple(CustomFieldInput(f"f{index}", "v") for index in range(MAX_CUSTOM_FIELDS_PER_ADDRESS + 1))
    _, problems = validate_address(AddressInput(email="a@example.com", country_code="US", custom_fields=fields), PATH)
    assert codes_and_fields(problems) == [(ErrorCode.TOO_MANY, (*PATH, "customFields"))]

    _, problems = validate_address(
        AddressInput(email="a@example.com", country_code="US", custom_fields=fields[:MAX_CUSTOM_FIELDS_PER_ADDRESS]),
        PATH,
    )
    assert problems == []


def test_validation_does_not_change_the_input():
    address = AddressInput(email=" a@example.com ", country_code="us", city=" Paris ")
    validate_address(address, PATH)
    assert (address.email, address.country_code, address.city) == (" a@example.com ", "us", " Paris ")


def test_helpers():
    assert is_email("a@example.com") and not is_email("a@example")
    assert is_country_code("fr") and is_country_code("FR") and not is_country_code("FRA")
