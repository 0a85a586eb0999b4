"""setCheckoutBillingAddress: the address rules, normalisation, version checks and unchanged-on-error."""

from __future__ import annotations

import uuid
from datetime import datetime

import pytest

from tests.factories import data, gql, make_store

pytestmark = pytest.mark.anyio

ADDRESS_FIELDS = """
fragment AddressFields on Address {
  firstName lastName email company address1 address2 city stateOrProvince stateOrProvinceCode
  countryCode postalCode phone customFields { fieldId fieldValue }
}
"""

CHECKOUT_FIELDS = (
    """
fragment CheckoutFields on Checkout {
  id email currencyCode version createdAt updatedAt
  billingAddress { ...AddressFields }
  subtotal { value currencyCode } grandTotal { value currencyCode }
  lineItems { id sku quantity unassignedQuantity }
  consignments { id address { ...AddressFields } lineItems { quantity lineItem { id } } }
}
"""
    + ADDRESS_FIELDS
)

CREATE = (
    """
mutation($input: CreateCheckoutInput!) {
  createCheckout(input: $input) { checkout { ...CheckoutFields } errors { code field } }
}
"""
    + CHECKOUT_FIELDS
)

SET_BILLING = (
    """
mutation($input: SetCheckoutBillingAddressInput!) {
  setCheckoutBillingAddress(input: $input) {
    checkout { ...CheckoutFields }
    errors { code message field }
  }
}
"""
    + CHECKOUT_FIELDS
)

CHECKOUT = (
    """
query($id: ID!) { checkout(id: $id) { ...CheckoutFields } }
"""
    + CHECKOUT_FIELDS
)

EMPTY_ADDRESS = {
    "firstName": None,
    "lastName": None,
    "company": None,
    "address1": None,
    "address2": None,
    "city": None,
    "stateOrProvince": None,
    "stateOrProvinceCode": None,
    "postalCode": None,
    "phone": None,
    "customFields": [],
}


async def create_checkout(client, token):
    variables = {"input": {"email": "a@example.com", "lineItems": [{"sku": "SHIRT", "quantity": 2}]}}
    payload = data(await gql(client, CREATE, variables, token=token))["createCheckout"]
    assert payload["errors"] == []
    return payload["checkout"]


async def set_billing(client, token, checkout_id, address, **extra):
    variables = {"input": {"checkoutId": checkout_id, "address": address, **extra}}
    return data(await gql(client, SET_BILLING, variables, token=token))["setCheckoutBillingAddress"]


async def raw_checkout(client, token, checkout_id):
    """The checkout exactly as the server sends it: the bytes of the HTTP response."""
    response = await client.post(
        "/graphql",
        json={"query": CHECKOUT, "variables": {"id": checkout_id}},
        headers={"X-Auth-Token": token},
    )
    assert response.status_code == 200
    assert response.json()["data"]["checkout"] is not None
    return response.content


def problems(payload):
    return sorted((error["code"], error["field"]) for error in payload["errors"])


async def test_only_email_and_country_code_are_required(client, store):
    checkout = await create_checkout(client, store.storefront_token)

    payload = await set_billing(
        client, store.storefront_token, checkout["id"], {"email": "bill@example.com", "countryCode": "US"}
    )

    assert payload["errors"] == []
    assert payload["checkout"]["billingAddress"] == {
        **EMPTY_ADDRESS,
        "email": "bill@example.com",
        "countryCode": "US",
    }
    read = data(await gql(client, CHECKOUT, {"id": checkout["id"]}, token=store.storefront_token))["checkout"]
    assert read == payload["checkout"]


async def test_country_code_is_normalised_to_upper_case(client, store):
    checkout = await create_checkout(client, store.storefront_token)

    payload = await set_billing(
        client,
        store.storefront_token,
        checkout["id"],
        {"email": "bill@example.com", "countryCode": "us", "stateOrProvinceCode": "ca"},
    )

    assert payload["errors"] == []
    assert payload["checkout"]["billingAddress"]["countryCode"] == "US"
    assert payload["checkout"]["billingAddress"]["stateOrProvinceCode"] == "CA"


async def test_full_address_round_trips_trimmed(client, store):
    checkout = await create_checkout(client, store.storefront_token)
    address = {
        "firstName": " Ada ",
        "lastName": "Lovelace",
        "email": " ada@example.com ",
        "company": "Analytical Engines",
        "address1": "12 St James's Square",
        "address2": "",
        "city": "London",
        "stateOrProvince": "Greater London",
        "stateOrProvinceCode": "LND",
        "countryCode": " gb ",
        "postalCode": "SW1Y 4JH",
        "phone": "+44 20 7946 0000",
        "customFields": [{"fieldId": "field_25", "fieldValue": "leave at the door"}],
    }

    payload = await set_billing(client, store.storefront_token, checkout["id"], address)

    assert payload["errors"] == []
    assert payload["checkout"]["billingAddress"] == {
        "firstName": "Ada",
        "lastName": "Lovelace",
        "email": "ada@example.com",
        "company": "Analytical Engines",
        "address1": "12 St James's Square",
        "address2": None,
        "city": "London",
        "stateOrProvince": "Greater London",
        "stateOrProvinceCode": "LND",
        "countryCode": "GB",
        "postalCode": "SW1Y 4JH",
        "phone": "+44 20 7946 0000",
        "customFields": [{"fieldId": "field_25", "fieldValue": "leave at the door"}],
    }


async def test_setting_again_replaces_the_address(client, store):
    checkout = await create_checkout(client, store.storefront_token)
    first = await set_billing(
        client,
        store.storefront_token,
        checkout["id"],
        {"email": "one@example.com", "countryCode": "US", "city": "Austin"},
    )
    assert first["errors"] == []

    second = await set_billing(
        client, store.storefront_token, checkout["id"], {"email": "two@example.com", "countryCode": "DE"}
    )

    assert second["errors"] == []
    assert second["checkout"]["billingAddress"] == {
        **EMPTY_ADDRESS,
        "email": "two@example.com",
        "countryCode": "DE",
    }
    assert second["checkout"]["version"] == 3


async def test_success_bumps_version_and_updated_at_only(client, store):
    checkout = await create_checkout(client, store.storefront_token)

    payload = await set_billing(
        client, store.storefront_token, checkout["id"], {"email": "bill@example.com", "countryCode": "FR"}
    )

    after = payload["checkout"]
    assert after["version"] == checkout["version"] + 1
    assert datetime.fromisoformat(after["updatedAt"]) > datetime.fromisoformat(checkout["updatedAt"])
    assert after["createdAt"] == checkout["createdAt"]
    unchanged = {key: value for key, value in checkout.items() if key not in ("version", "updatedAt", "billingAddress")}
    assert {key: after[key] for key in unchanged} == unchanged


ADDRESS_REFUSALS = [
    pytest.param(
        {"email": "not-an-email", "countryCode": "US"},
        [("INVALID_EMAIL", ["address", "email"])],
        id="bad-email",
    ),
    pytest.param(
        {"email": "a@b", "countryCode": "US"},
        [("INVALID_EMAIL", ["address", "email"])],
        id="email-without-dot",
    ),
    pytest.param({"email": "   ", "countryCode": "US"}, [("REQUIRED", ["address", "email"])], id="blank-email"),
    pytest.param(
        {"email": "a@example.com", "countryCode": ""},
        [("REQUIRED", ["address", "countryCode"])],
        id="blank-country",
    ),
    pytest.param(
        {"email": "a@example.com", "countryCode": "XX"},
        [("INVALID_COUNTRY_CODE", ["address", "countryCode"])],
        id="xx",
    ),
    pytest.param(
        {"email": "a@example.com", "countryCode": "USA"},
        [("INVALID_COUNTRY_CODE", ["address", "countryCode"])],
        id="alpha-3",
    ),
    pytest.param(
        {"email": "a@example.com", "countryCode": "U"},
        [("INVALID_COUNTRY_CODE", ["address", "countryCode"])],
        id="one-letter",
    ),
    pytest.param(
        {"email": "a@example.com", "countryCode": "US", "city": "x" * 256},
        [("TOO_LONG", ["address", "city"])],
        id="city-too-long",
    ),
    pytest.param(
        {
            "email": "a@example.com",
            "countryCode": "US",
            "customFields": [{"fieldId": "f", "fieldValue": "v" * 256}],
        },
        [("TOO_LONG", ["address", "customFields", "0", "fieldValue"])],
        id="custom-field-too-long",
    ),
    pytest.param(
        {"email": "nope", "countryCode": "ZZ", "firstName": "y" * 300, "phone": "1" * 256},
        [
            ("INVALID_EMAIL", ["address", "email"]),
            ("INVALID_COUNTRY_CODE", ["address", "countryCode"]),
            ("TOO_LONG", ["address", "firstName"]),
            ("TOO_LONG", ["address", "phone"]),
        ],
        id="all-problems-together",
    ),
]


@pytest.mark.parametrize(("address", "expected"), ADDRESS_REFUSALS)
async def test_invalid_address_is_refused_and_checkout_unchanged(client, store, address, expected):
    checkout = await create_checkout(client, store.storefront_token)
    before = await raw_checkout(client, store.storefront_token, checkout["id"])

    payload = await set_billing(client, store.storefront_token, checkout["id"], address)

    assert problems(payload) == sorted(expected)
    assert all(error["message"] for error in payload["errors"])
    assert payload["checkout"] == checkout
    assert await raw_checkout(client, store.storefront_token, checkout["id"]) == before


async def test_invalid_address_leaves_a_previous_address_in_place(client, store):
    checkout = await create_checkout(client, store.storefront_token)
    await set_billing(client, store.storefront_token, checkout["id"], {"email": "ok@example.com", "countryCode": "NL"})
    before = await raw_checkout(client, store.storefront_token, checkout["id"])

    payload = await set_billing(
        client, store.storefront_token, checkout["id"], {"email": "ok@example.com", "countryCode": "NLD"}
    )

    assert problems(payload) == [("INVALID_COUNTRY_CODE", ["address", "countryCode"])]
    assert payload["checkout"]["billingAddress"]["countryCode"] == "NL"
    assert await raw_checkout(client, store.storefront_token, checkout["id"]) == before


async def test_strings_of_exactly_255_characters_are_accepted(client, store):
    checkout = await create_checkout(client, store.storefront_token)
    payload = await set_billing(
        client,
        store.storefront_token,
        checkout["id"],
        {"email": "a@example.com", "countryCode": "US", "address1": "é" * 255, "company": "c" * 255},
    )
    assert payload["errors"] == []
    assert payload["checkout"]["billingAddress"]["address1"] == "é" * 255


async def test_missing_required_fields_are_a_graphql_validation_error(client, store):
    checkout = await create_checkout(client, store.storefront_token)
    before = await raw_checkout(client, store.storefront_token, checkout["id"])

    body = await gql(
        client,
        SET_BILLING,
        {"input": {"checkoutId": checkout["id"], "address": {"email": "a@example.com"}}},
        token=store.storefront_token,
    )

    assert body.get("data") is None
    assert "countryCode" in body["errors"][0]["message"]
    assert await raw_checkout(client, store.storefront_token, checkout["id"]) == before


async def test_stale_version_is_a_conflict_and_changes_nothing(client, store):
    checkout = await create_checkout(client, store.storefront_token)
    await set_billing(client, store.storefront_token, checkout["id"], {"email": "a@example.com", "countryCode": "US"})
    before = await raw_checkout(client, store.storefront_token, checkout["id"])

    payload = await set_billing(
        client,
        store.storefront_token,
        checkout["id"],
        {"email": "b@example.com", "countryCode": "CA"},
        version=checkout["version"],
    )

    assert problems(payload) == [("VERSION_CONFLICT", ["version"])]
    assert payload["checkout"]["version"] == 2
    assert payload["checkout"]["billingAddress"]["email"] == "a@example.com"
    assert await raw_checkout(client, store.storefront_token, checkout["id"]) == before


async def test_current_version_succeeds_and_increments(client, store):
    checkout = await create_checkout(client, store.storefront_token)

    payload = await set_billing(
        client,
        store.storefront_token,
        checkout["id"],
        {"email": "a@example.com", "countryCode": "US"},
        version=1,
    )
    assert payload["errors"] == []
    assert payload["checkout"]["version"] == 2

    payload = await set_billing(
        client,
        store.storefront_token,
        checkout["id"],
        {"email": "b@example.com", "countryCode": "US"},
        version=2,
    )
    assert payload["errors"] == []
    assert payload["checkout"]["version"] == 3
    assert payload["checkout"]["billingAddress"]["email"] == "b@example.com"


async def test_unknown_checkout_is_not_found(client, store):
    payload = await set_billing(
        client, store.storefront_token, str(uuid.uuid4()), {"email": "a@example.com", "countryCode": "US"}
    )
    assert payload["checkout"] is None
    assert problems(payload) == [("NOT_FOUND", ["checkoutId"])]


async def test_checkout_of_another_store_is_not_found(client, engine, store):
    other = await make_store(engine, slug="other")
    checkout = await create_checkout(client, store.storefront_token)
    before = await raw_checkout(client, store.storefront_token, checkout["id"])

    for token in (other.storefront_token, other.server_token):
        payload = await set_billing(client, token, checkout["id"], {"email": "x@example.com", "countryCode": "US"})
        assert payload["checkout"] is None
        assert problems(payload) == [("NOT_FOUND", ["checkoutId"])]

    assert await raw_checkout(client, store.storefront_token, checkout["id"]) == before


async def test_setting_the_billing_address_needs_a_token(client, store):
    checkout = await create_checkout(client, store.storefront_token)
    before = await raw_checkout(client, store.storefront_token, checkout["id"])

    body = await gql(
        client,
        SET_BILLING,
        {"input": {"checkoutId": checkout["id"], "address": {"email": "a@example.com", "countryCode": "US"}}},
        token=None,
    )

    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert await raw_checkout(client, store.storefront_token, checkout["id"]) == before
