"""Relay `PageInfo` over HTTP: `startCursor` is the first edge's cursor, `hasPreviousPage` says truthfully
whether any item of the list (with the request's filter) sorts at or before `after`, and neither costs a
statement: a page read after a cursor takes as many statements as the first page.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.factories import CATALOG, StoreFixture, data, gql
from tests.order_flow import OrderFlow

pytestmark = pytest.mark.anyio

PAGE_INFO = "pageInfo { hasNextPage hasPreviousPage startCursor endCursor }"
PRODUCTS = (
    "query($first: Int, $after: String) { products(first: $first, after: $after) { edges { cursor node { sku } } "
    + PAGE_INFO
    + " } }"
)
CHECKOUTS = (
    "query($first: Int, $after: String) { checkouts(first: $first, after: $after) { edges { cursor node { id } } "
    + PAGE_INFO
    + " } }"
)
ORDERS = (
    "query($first: Int, $after: String, $filter: OrderFilter) { orders(first: $first, after: $after, filter: $filter) "
    "{ edges { cursor node { id status } } " + PAGE_INFO + " } }"
)


async def page(client: httpx.AsyncClient, document: str, field: str, token: str, **variables: Any) -> dict[str, Any]:
    return data(await gql(client, document, variables, token=token))[field]  # type: ignore[no-any-return]


def check_cursors(connection: dict[str, Any]) -> None:
    """startCursor / endCursor are the first and last edges' cursors, null without edges."""
    edges, info = connection["edges"], connection["pageInfo"]
    assert info["startCursor"] == (edges[0]["cursor"] if edges else None)
    assert info["endCursor"] == (edges[-1]["cursor"] if edges else None)


async def test_products_page_by_page(client: httpx.AsyncClient, store: StoreFixture):
    skus = [product.sku for product in CATALOG]
    seen: list[str] = []
    infos: list[dict[str, Any]] = []
    after = None
    while True:
        connection = await page(client, PRODUCTS, "products", store.storefront_token, first=3, after=after)
        check_cursors(connection)
        seen += [edge["node"]["sku"] for edge in connection["edges"]]
        infos.append(connection["pageInfo"])
        if not connection["pageInfo"]["hasNextPage"]:
            break
        after = connection["pageInfo"]["endCursor"]
    assert sorted(seen) == sorted(skus) and len(seen) == len(skus)
    assert [info["hasPreviousPage"] for info in infos] == [False] + [True] * (len(infos) - 1)
    assert infos[0]["startCursor"] != infos[1]["startCursor"]

    # Past the last product: no edges, no cursors, but items before.
    end = await page(client, PRODUCTS, "products", store.storefront_token, first=3, after=infos[-1]["endCursor"])
    assert end["edges"] == []
    assert end["pageInfo"] == {"hasNextPage": False, "hasPreviousPage": True, "startCursor": None, "endCursor": None}


async def test_empty_pages_have_null_cursors_and_tell_what_precedes(client: httpx.AsyncClient, store: StoreFixture):
    first = await page(client, PRODUCTS, "products", store.storefront_token, first=0)
    assert first["pageInfo"] == {"hasNextPage": True, "hasPreviousPage": False, "startCursor": None, "endCursor": None}
    one = await page(client, PRODUCTS, "products", store.storefront_token, first=1)
    after_one = await page(
        client, PRODUCTS, "products", store.storefront_token, first=0, after=one["pageInfo"]["endCursor"]
    )
    assert after_one["pageInfo"] == {
        "hasNextPage": True,
        "hasPreviousPage": True,
        "startCursor": None,
        "endCursor": None,
    }


async def test_checkouts_newest_first(client: httpx.AsyncClient, store: StoreFixture):
    flow = OrderFlow(client, store)
    created = [(await flow.cart(MUG=n)).id for n in range(1, 4)]
    one = await page(client, CHECKOUTS, "checkouts", store.server_token, first=1)
    two = await page(client, CHECKOUTS, "checkouts", store.server_token, first=1, after=one["pageInfo"]["endCursor"])
    rest = await page(client, CHECKOUTS, "checkouts", store.server_token, first=5, after=two["pageInfo"]["endCursor"])
    for connection in (one, two, rest):
        check_cursors(connection)
    ids = [edge["node"]["id"] for connection in (one, two, rest) for edge in connection["edges"]]
    assert ids == list(reversed(created))
    assert [c["pageInfo"]["hasPreviousPage"] for c in (one, two, rest)] == [False, True, True]
    assert [c["pageInfo"]["hasNextPage"] for c in (one, two, rest)] == [True, True, False]


async def test_has_previous_page_follows_the_filter_not_the_cursor(flow: OrderFlow):
    """A cursor names an order; whether anything precedes it depends on the list being read. Here the
    cursor's own order does not match the filter, so nothing matching sorts at or before it, until it does."""
    older = await flow.place_order(lines={"MUG": 1})
    newer = await flow.place_order(lines={"MUG": 2})
    token = flow.store.server_token
    newest = await page(flow.client, ORDERS, "orders", token, first=1)
    assert [edge["node"]["id"] for edge in newest["edges"]] == [newer["id"]]
    cursor = newest["pageInfo"]["endCursor"]

    assert (await flow.cancel(older["id"]))["errors"] == []
    cancelled = await page(flow.client, ORDERS, "orders", token, first=5, after=cursor, filter={"status": "CANCELLED"})
    assert [edge["node"]["id"] for edge in cancelled["edges"]] == [older["id"]]
    assert cancelled["pageInfo"]["hasPreviousPage"] is False  # the newer order is not cancelled
    check_cursors(cancelled)

    assert (await flow.cancel(newer["id"]))["errors"] == []
    cancelled = await page(flow.client, ORDERS, "orders", token, first=5, after=cursor, filter={"status": "CANCELLED"})
    assert [edge["node"]["id"] for edge in cancelled["edges"]] == [older["id"]]
    assert cancelled["pageInfo"]["hasPreviousPage"] is True

    unfiltered = await page(flow.client, ORDERS, "orders", token, first=5, after=cursor)
    assert unfiltered["pageInfo"]["hasPreviousPage"] is True
    assert unfiltered["pageInfo"]["startCursor"] == unfiltered["edges"][0]["cursor"]


@pytest.mark.parametrize(("document", "field", "storefront"), [(PRODUCTS, "products", True), (ORDERS, "orders", False)])
async def test_a_page_after_a_cursor_costs_no_extra_statement(
    flow: OrderFlow, sql_counter: Any, document: str, field: str, storefront: bool
):
    for n in range(1, 4):
        await flow.place_order(lines={"MUG": n})
    token = flow.store.storefront_token if storefront else flow.store.server_token
    sql_counter.reset()
    first = await page(flow.client, document, field, token, first=1)
    first_count = sql_counter.count
    sql_counter.reset()
    second = await page(flow.client, document, field, token, first=1, after=first["pageInfo"]["endCursor"])
    second_count = sql_counter.count
    assert (first["pageInfo"]["hasPreviousPage"], second["pageInfo"]["hasPreviousPage"]) == (False, True)
    assert second["edges"] and second["edges"][0]["cursor"] != first["edges"][0]["cursor"]
    assert second_count == first_count, sql_counter.statements
