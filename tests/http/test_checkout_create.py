"""createCheckout and the checkout query: catalog prices, exact totals, refusals that create nothing, ids."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from decimal import Decimal

import pytest

from gateway.domain.catalog import ProductInput
from tests.factories import data, gql, make_store

pytestmark = pytest.mark.anyio

CHECKOUT_FIELDS = """
fragment CheckoutFields on Checkout {
  id email currencyCode version createdAt updatedAt
  billingAddress { email countryCode }
  subtotal { value currencyCode }
  shippingCostTotal { value currencyCode }
  handlingCostTotal { value currencyCode }
  grandTotal { value currencyCode }
  lineItems {
    id sku name quantity requiresShipping unassignedQuantity
    listPrice { value currencyCode }
    extendedListPrice { value currencyCode }
  }
  consignments { id }
}
"""

CREATE = (
    """
mutation($input: CreateCheckoutInput!) {
  createCheckout(input: $input) {
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

CHECKOUT_IDS = """
query { checkouts(first: 100) { nodes { id } pageInfo { hasNextPage } } }
"""

UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


async def create(client, token, line_items, email=None):
    variables = {"input": {"lineItems": [{"sku": sku, "quantity": quantity} for sku, quantity in line_items]}}
    if email is not None:
        variables["input"]["email"] = email
    return data(await gql(client, CREATE, variables, token=token))["createCheckout"]


async def checkout_ids(client, store):
    connection = data(await gql(client, CHECKOUT_IDS, token=store.server_token))["checkouts"]
    assert connection["pageInfo"]["hasNextPage"] is False
    return [node["id"] for node in connection["nodes"]]


def money(value):
    return {"value": value, "currencyCode": "USD"}


# --- prices come from the catalog --------------------------------------------------------------------


async def test_line_items_are_priced_from_the_catalog(client, store):
    payload = await create(client, store.storefront_token, [("SHIRT", 2), ("LAMP", 1), ("EBOOK", 1)], "a@example.com")

    assert payload["errors"] == []
    checkout = payload["checkout"]
    assert [
        (
            item["sku"],
            item["name"],
            item["quantity"],
            item["listPrice"],
            item["extendedListPrice"],
            item["requiresShipping"],
        )
        for item in checkout["lineItems"]
    ] == [
        ("SHIRT", "Shirt", 2, money("19.99"), money("39.98"), True),
        ("LAMP", "Lamp", 1, money("45.00"), money("45.00"), True),
        ("EBOOK", "E-book", 1, money("9.99"), money("9.99"), False),
    ]
    assert checkout["subtotal"] == money("94.97")
    assert checkout["shippingCostTotal"] == money("0.00")
    assert checkout["handlingCostTotal"] == money("0.00")
    assert checkout["grandTotal"] == money("94.97")
    assert checkout["currencyCode"] == "USD"
    assert checkout["email"] == "a@example.com"
    assert checkout["billingAddress"] is None
    assert checkout["consignments"] == []


async def test_subtotal_is_exact_decimal_arithmetic(client, store):
    # 0.10 * 3 is 0.30000000000000004 in binary floating point.
    payload = await create(client, store.storefront_token, [("SOCKS", 3)])
    assert payload["errors"] == []
    assert payload["checkout"]["lineItems"][0]["extendedListPrice"] == money("0.30")
    assert payload["checkout"]["subtotal"] == money("0.30")
    assert payload["checkout"]["grandTotal"] == money("0.30")


async def test_subtotal_is_the_sum_of_extended_list_prices(client, store):
    lines = [("SOCKS", 7), ("SHIRT", 3), ("MUG", 11), ("CHAIR", 2), ("GIFTCARD", 4)]
    payload = await create(client, store.storefront_token, lines)

    checkout = payload["checkout"]
    extended = [Decimal(item["extendedListPrice"]["value"]) for item in checkout["lineItems"]]
    assert extended == [
        Decimal("0.70"),
        Decimal("59.97"),
        Decimal("82.50"),
        Decimal("240.00"),
        Decimal("100.00"),
    ]
    assert checkout["subtotal"] == money(str(sum(extended)))
    assert checkout["subtotal"] == money("483.17")


async def test_many_small_prices_add_up_exactly(client, store):
    payload = await create(client, store.storefront_token, [("SOCKS", 9999)])
    assert payload["checkout"]["subtotal"] == money("999.90")


async def test_repeated_skus_merge_into_one_line_item(client, store):
    payload = await create(client, store.storefront_token, [("SHIRT", 2), ("MUG", 1), ("SHIRT", 1)])

    assert payload["errors"] == []
    items = payload["checkout"]["lineItems"]
    assert [(item["sku"], item["quantity"]) for item in items] == [("SHIRT", 3), ("MUG", 1)]
    assert items[0]["extendedListPrice"] == money("59.97")
    assert items[0]["unassignedQuantity"] == 3
    assert payload["checkout"]["subtotal"] == money("67.47")


async def test_a_price_sent_by_the_client_is_refused_and_creates_nothing(client, store):
    body = await gql(
        client,
        CREATE,
        {"input": {"lineItems": [{"sku": "CHAIR", "quantity": 1, "price": "0.01"}]}},
        token=store.storefront_token,
    )
    assert body.get("data") is None
    assert body["errors"]
    assert await checkout_ids(client, store) == []


async def test_new_checkouts_use_the_current_catalog_price(client, engine, store):
    await make_store(
        engine, slug="default", catalog=(ProductInput("SHIRT", "Shirt", Decimal("21.50"), Decimal("0.25")),)
    )
    payload = await create(client, store.storefront_token, [("SHIRT", 2)])
    assert payload["checkout"]["lineItems"][0]["listPrice"] == money("21.50")
    assert payload["checkout"]["subtotal"] == money("43.00")


async def test_prices_come_from_the_callers_store_catalog(client, engine, store):
    other = await make_store(
        engine,
        slug="other",
        catalog=(ProductInput("SHIRT", "Other shirt", Decimal("5.00"), Decimal("0.2")),),
        currency_code="EUR",
    )
    payload = await create(client, other.storefront_token, [("SHIRT", 3)])
    assert payload["checkout"]["lineItems"][0]["name"] == "Other shirt"
    assert payload["checkout"]["subtotal"] == {"value": "15.00", "currencyCode": "EUR"}
    assert payload["checkout"]["currencyCode"] == "EUR"

    # SKUs of one store are unknown in another.
    payload = await create(client, other.storefront_token, [("MUG", 1)])
    assert payload["checkout"] is None
    assert [(error["code"], error["field"]) for error in payload["errors"]] == [
        ("UNKNOWN_SKU", ["lineItems", "0", "sku"])
    ]


# --- the new checkout --------------------------------------------------------------------------------


async def test_new_checkout_reads_back_the_same(client, store):
    payload = await create(client, store.storefront_token, [("MUG", 2), ("EBOOK", 1)], "buyer@example.com")
    checkout = payload["checkout"]

    read = data(await gql(client, CHECKOUT, {"id": checkout["id"]}, token=store.storefront_token))["checkout"]

    assert read == checkout
    assert checkout["version"] == 1
    assert checkout["createdAt"] == checkout["updatedAt"]
    created = datetime.fromisoformat(checkout["createdAt"])
    assert created.utcoffset() is not None and created.utcoffset().total_seconds() == 0
    # Digital items never need a consignment.
    assert [(item["sku"], item["unassignedQuantity"]) for item in checkout["lineItems"]] == [
        ("MUG", 2),
        ("EBOOK", 0),
    ]


async def test_server_token_may_create_and_read_checkouts(client, store):
    payload = await create(client, store.server_token, [("MUG", 1)])
    assert payload["errors"] == []
    read = data(await gql(client, CHECKOUT, {"id": payload["checkout"]["id"]}, token=store.storefront_token))
    assert read["checkout"]["id"] == payload["checkout"]["id"]


async def test_email_is_trimmed(client, store):
    payload = await create(client, store.storefront_token, [("MUG", 1)], "  shopper@example.com ")
    assert payload["checkout"]["email"] == "shopper@example.com"


async def test_email_is_optional(client, store):
    payload = await create(client, store.storefront_token, [("MUG", 1)])
    assert payload["errors"] == []
    assert payload["checkout"]["email"] is None


async def test_checkout_ids_are_uuid4_shaped_and_distinct(client, store):
    ids = []
    for _ in range(20):
        payload = await create(client, store.storefront_token, [("MUG", 1)])
        ids.append(payload["checkout"]["id"])

    for checkout_id in ids:
        assert UUID4.match(checkout_id), checkout_id
        assert uuid.UUID(checkout_id).version == 4
    assert len(set(ids)) == len(ids)
    assert sorted(await checkout_ids(client, store)) == sorted(ids)


async def test_unknown_checkout_id_reads_as_null(client, store):
    for unknown in (str(uuid.uuid4()), "not-a-uuid", ""):
        body = await gql(client, CHECKOUT, {"id": unknown}, token=store.storefront_token)
        assert data(body) == {"checkout": None}


async def test_checkout_of_another_store_is_not_found(client, engine, store):
    other = await make_store(engine, slug="other")
    payload = await create(client, store.storefront_token, [("SHIRT", 1)])
    checkout_id = payload["checkout"]["id"]

    for token in (other.storefront_token, other.server_token):
        body = await gql(client, CHECKOUT, {"id": checkout_id}, token=token)
        assert data(body) == {"checkout": None}
    assert await checkout_ids(client, other) == []
    assert await checkout_ids(client, store) == [checkout_id]


# --- refusals: typed errors with paths, and no checkout created --------------------------------------


REFUSALS = [
    pytest.param(
        [("SHIRT", 1), ("NOPE", 1)],
        None,
        [("UNKNOWN_SKU", ["lineItems", "1", "sku"])],
        id="unknown-sku",
    ),
    pytest.param(
        [("SHIRT", 1), ("shirt", 1)],
        None,
        [("UNKNOWN_SKU", ["lineItems", "1", "sku"])],
        id="sku-is-case-sensitive",
    ),
    pytest.param(
        [("SHIRT", 0)],
        None,
        [("INVALID_QUANTITY", ["lineItems", "0", "quantity"])],
        id="zero-quantity",
    ),
    pytest.param(
        [("MUG", 2), ("SHIRT", -3)],
        None,
        [("INVALID_QUANTITY", ["lineItems", "1", "quantity"])],
        id="negative-quantity",
    ),
    pytest.param(
        [("SHIRT", 2), ("SHIRT", -1)],
        None,
        [("INVALID_QUANTITY", ["lineItems", "1", "quantity"])],
        id="negative-quantity-on-a-repeated-sku",
    ),
    pytest.param(
        [("SHIRT", 10_001)],
        None,
        [("INVALID_QUANTITY", ["lineItems", "0", "quantity"])],
        id="quantity-too-large",
    ),
    pytest.param(
        [("SHIRT", 6_000), ("SHIRT", 5_000)],
        None,
        [("INVALID_QUANTITY", ["lineItems", "1", "quantity"])],
        id="merged-quantity-too-large",
    ),
    pytest.param([], None, [("REQUIRED", ["lineItems"])], id="empty-list"),
    pytest.param(
        [("SHIRT", 1)],
        "not-an-email",
        [("INVALID_EMAIL", ["email"])],
        id="bad-email",
    ),
    pytest.param(
        [("NOPE", 0), ("MUG", 1), ("LAMP", 0), ("ALSO-NOPE", 2)],
        "a@b",
        [
            ("INVALID_EMAIL", ["email"]),
            ("INVALID_QUANTITY", ["lineItems", "0", "quantity"]),
            ("UNKNOWN_SKU", ["lineItems", "0", "sku"]),
            ("INVALID_QUANTITY", ["lineItems", "2", "quantity"]),
            ("UNKNOWN_SKU", ["lineItems", "3", "sku"]),
        ],
        id="all-problems-together",
    ),
]


@pytest.mark.parametrize(("line_items", "email", "expected"), REFUSALS)
async def test_refused_create_reports_typed_errors_and_creates_nothing(client, store, line_items, email, expected):
    existing = (await create(client, store.storefront_token, [("MUG", 1)]))["checkout"]["id"]

    payload = await create(client, store.storefront_token, line_items, email)

    assert payload["checkout"] is None
    assert sorted((error["code"], error["field"]) for error in payload["errors"]) == sorted(expected)
    assert all(error["message"] for error in payload["errors"])
    assert await checkout_ids(client, store) == [existing]


async def test_too_many_line_items_is_refused(client, store):
    payload = await create(client, store.storefront_token, [("SOCKS", 1)] * 251)
    assert payload["checkout"] is None
    assert [(error["code"], error["field"]) for error in payload["errors"]] == [("TOO_MANY", ["lineItems"])]
    assert await checkout_ids(client, store) == []


async def test_too_long_email_is_refused(client, store):
    payload = await create(client, store.storefront_token, [("MUG", 1)], "a" * 250 + "@example.com")
    assert payload["checkout"] is None
    assert [error["field"] for error in payload["errors"]] == [["email"]]
    assert await checkout_ids(client, store) == []


async def test_create_without_a_token_creates_nothing(client, store):
    body = await gql(client, CREATE, {"input": {"lineItems": [{"sku": "MUG", "quantity": 1}]}}, token=None)
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert await checkout_ids(client, store) == []


async def test_listing_checkouts_needs_a_server_token(client, store):
    body = await gql(client, CHECKOUT_IDS, token=store.storefront_token)
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
