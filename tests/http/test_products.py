"""The `products` query: a Relay connection over the caller's catalog, with prices as exact Money strings."""

from __future__ import annotations

from decimal import Decimal

import pytest

from gateway.domain.catalog import ProductInput
from tests.factories import CATALOG, data, gql, make_store

# Marked here (not only by conftest's collection hook) so anyio's plugin keeps `parametrize` ids intact.
pytestmark = pytest.mark.anyio

PRODUCTS = """
query($first: Int, $after: String) {
  products(first: $first, after: $after) {
    edges { cursor node { id sku name price { value currencyCode } weight requiresShipping } }
    nodes { id sku }
    pageInfo { hasNextPage endCursor }
  }
}
"""

PRODUCTS_DEFAULT_PAGE = """
query { products { nodes { sku } pageInfo { hasNextPage endCursor } } }
"""

CREATE_MUG_CHECKOUT = """
mutation { createCheckout(input: {lineItems: [{sku: "MUG", quantity: 1}]}) { errors { code } } }
"""

CHECKOUTS_END_CURSOR = """
query { checkouts(first: 1) { pageInfo { endCursor } } }
"""


async def _page(client, token, first=None, after=None):
    variables = {"first": first, "after": after}
    return data(await gql(client, PRODUCTS, variables, token=token))["products"]


async def test_connection_has_edges_nodes_and_page_info(client, store):
    page = await _page(client, store.storefront_token, first=100)

    assert [edge["node"]["sku"] for edge in page["edges"]] == [product.sku for product in CATALOG]
    assert page["nodes"] == [{"id": edge["node"]["id"], "sku": edge["node"]["sku"]} for edge in page["edges"]]
    assert page["pageInfo"] == {"hasNextPage": False, "endCursor": page["edges"][-1]["cursor"]}
    assert len({edge["cursor"] for edge in page["edges"]}) == len(CATALOG)
    assert len({edge["node"]["id"] for edge in page["edges"]}) == len(CATALOG)


async def test_products_show_catalog_fields_and_price_as_money_string(client, store):
    page = await _page(client, store.storefront_token, first=100)
    by_sku = {edge["node"]["sku"]: edge["node"] for edge in page["edges"]}

    shirt = by_sku["SHIRT"]
    assert shirt["name"] == "Shirt"
    assert shirt["price"] == {"value": "19.99", "currencyCode": "USD"}
    assert Decimal(shirt["weight"]) == Decimal("0.25")
    assert shirt["requiresShipping"] is True

    assert by_sku["SOCKS"]["price"] == {"value": "0.10", "currencyCode": "USD"}
    assert by_sku["LAMP"]["price"] == {"value": "45.00", "currencyCode": "USD"}
    assert by_sku["EBOOK"]["requiresShipping"] is False
    assert by_sku["GIFTCARD"]["requiresShipping"] is False


async def test_decimal_weight_is_serialised_the_same_on_every_backend(client, store):
    # A client sees `Decimal` as a string; the string must not depend on which database the gateway runs
    # on (PostgreSQL's NUMERIC(18, 4) would pad 0.25 to 0.2500). One canonical spelling: no trailing zeros.
    page = await _page(client, store.storefront_token, first=100)
    weights = {edge["node"]["sku"]: edge["node"]["weight"] for edge in page["edges"]}
    assert weights == {
        "SHIRT": "0.25",
        "MUG": "0.4",
        "LAMP": "2.1",
        "CHAIR": "8",
        "SOCKS": "0.05",
        "EBOOK": "0",
        "GIFTCARD": "0",
    }


@pytest.mark.parametrize("first", [1, 2, 3, 6, 7])
async def test_paging_with_first_and_after_visits_every_product_once(client, store, first):
    seen: list[str] = []
    after = None
    pages = 0
    while True:
        page = await _page(client, store.storefront_token, first=first, after=after)
        pages += 1
        assert len(page["edges"]) <= first
        seen += [edge["node"]["sku"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        assert page["pageInfo"]["endCursor"] == page["edges"][-1]["cursor"]
        after = page["pageInfo"]["endCursor"]
        assert pages <= len(CATALOG), "paging does not terminate"

    assert seen == [product.sku for product in CATALOG]
    assert pages == -(-len(CATALOG) // first)


async def test_paging_a_catalog_larger_than_one_full_page(client, engine):
    catalog = tuple(
        ProductInput(f"SKU-{index:03d}", f"Product {index}", Decimal(index) / 100, Decimal(1))
        for index in range(1, 231)
    )
    big = await make_store(engine, slug="big", catalog=catalog)

    seen: list[str] = []
    after = None
    sizes = []
    while True:
        page = await _page(client, big.storefront_token, first=100, after=after)
        sizes.append(len(page["nodes"]))
        seen += [node["sku"] for node in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]

    assert sizes == [100, 100, 30]
    assert seen == [product.sku for product in catalog]
    assert len(set(seen)) == 230


async def test_default_page_size_is_50(client, engine):
    catalog = tuple(ProductInput(f"P{index:02d}", f"P {index}", Decimal("1.00"), Decimal(1)) for index in range(60))
    big = await make_store(engine, slug="sixty", catalog=catalog)

    page = data(await gql(client, PRODUCTS_DEFAULT_PAGE, token=big.storefront_token))["products"]

    assert len(page["nodes"]) == 50
    assert page["pageInfo"]["hasNextPage"] is True


async def test_first_zero_returns_an_empty_page(client, store):
    page = await _page(client, store.storefront_token, first=0)
    assert page["edges"] == []
    assert page["nodes"] == []
    assert page["pageInfo"]["endCursor"] is None


async def test_last_page_reports_no_next_page(client, store):
    page = await _page(client, store.storefront_token, first=len(CATALOG))
    assert len(page["nodes"]) == len(CATALOG)
    assert page["pageInfo"]["hasNextPage"] is False


@pytest.mark.parametrize("first", [101, 1000, -1])
async def test_page_size_out_of_range_is_an_error(client, store, first):
    body = await gql(client, PRODUCTS, {"first": first}, token=store.storefront_token)
    assert body["data"] is None
    assert [error["extensions"]["code"] for error in body["errors"]] == ["BAD_USER_INPUT"]
    assert "first" in body["errors"][0]["message"]


async def test_first_100_is_allowed(client, store):
    page = await _page(client, store.storefront_token, first=100)
    assert len(page["nodes"]) == len(CATALOG)


@pytest.mark.parametrize("cursor", ["not-a-cursor", "", "cHJvZHVjdDphYmM=", "Y2hlY2tvdXQ6MQ==", "!!!", "cHJvZHVjdDo="])
async def test_bad_cursor_is_an_error(client, store, cursor):
    # "cHJvZHVjdDphYmM=" is "product:abc", "Y2hlY2tvdXQ6MQ==" is "checkout:1", "cHJvZHVjdDo=" is "product:".
    body = await gql(client, PRODUCTS, {"first": 2, "after": cursor}, token=store.storefront_token)
    assert body["data"] is None
    assert [error["extensions"]["code"] for error in body["errors"]] == ["BAD_USER_INPUT"]


async def test_a_checkouts_cursor_is_not_a_products_cursor(client, store):
    assert data(await gql(client, CREATE_MUG_CHECKOUT, token=store.storefront_token))["createCheckout"]["errors"] == []
    body = await gql(client, CHECKOUTS_END_CURSOR, token=store.server_token)
    checkout_cursor = data(body)["checkouts"]["pageInfo"]["endCursor"]
    assert checkout_cursor

    body = await gql(client, PRODUCTS, {"first": 2, "after": checkout_cursor}, token=store.storefront_token)
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_products_are_those_of_the_callers_store(client, engine, store):
    other = await make_store(
        engine,
        slug="other",
        catalog=(ProductInput("KETTLE", "Kettle", Decimal("30.00"), Decimal("1.2")),),
        currency_code="EUR",
    )

    mine = await _page(client, store.storefront_token, first=100)
    theirs = await _page(client, other.storefront_token, first=100)

    assert [node["sku"] for node in mine["nodes"]] == [product.sku for product in CATALOG]
    assert [edge["node"]["sku"] for edge in theirs["edges"]] == ["KETTLE"]
    assert theirs["edges"][0]["node"]["price"] == {"value": "30.00", "currencyCode": "EUR"}


async def test_server_token_may_read_products(client, store):
    page = await _page(client, store.server_token, first=3)
    assert [node["sku"] for node in page["nodes"]] == [product.sku for product in CATALOG[:3]]


async def test_products_need_a_token(client, store):
    body = await gql(client, PRODUCTS, {"first": 3}, token=None)
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
