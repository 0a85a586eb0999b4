"""Reading orders through HTTP: `order(id)` and `orders(first, after, filter)` for server tokens only,
newest first with paging and filters; storefronts see their order through `checkout.order`; another
store's orders are invisible.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.factories import data, gql, make_store
from tests.order_flow import ORDER, ORDERS, OrderFlow, address

pytestmark = pytest.mark.anyio

STOREFRONT_ORDER = """
query($id: ID!) {
  checkout(id: $id) {
    id
    order {
      id status email itemsTotal itemsShipped
      grandTotal { value currencyCode }
      shippingAddresses { id shippingMethod itemsShipped shipments { id trackingNumber } }
      products { id sku quantity quantityShipped }
      shipments {
        id trackingNumber shippingProvider trackingLink
        shippingAddress { id }
        items { quantity orderProduct { id sku } }
      }
    }
  }
}
"""


def when(order: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(order["createdAt"])


async def all_orders(flow: OrderFlow, page_size: int, **filter: Any) -> list[dict[str, Any]]:
    """Every order of the list, following the cursors page by page (bounded)."""
    seen: list[dict[str, Any]] = []
    after = None
    for _ in range(100):
        page = await flow.orders(first=page_size, after=after, **filter)
        assert [edge["node"]["id"] for edge in page["edges"]] == [node["id"] for node in page["nodes"]]
        assert len(page["nodes"]) <= page_size
        seen += [edge["node"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return seen
        assert page["pageInfo"]["endCursor"] == page["edges"][-1]["cursor"]
        after = page["pageInfo"]["endCursor"]
    raise AssertionError("the orders list did not end")


async def test_order_by_id(flow: OrderFlow):
    order = await flow.place_order()
    assert await flow.order(order["id"]) == order


@pytest.mark.parametrize("order_id", ["999999", "not-a-number", ""])
async def test_unknown_order_is_null(flow: OrderFlow, order_id: str):
    await flow.place_order()
    assert await flow.order(order_id) is None


async def test_orders_newest_first_with_paging(flow: OrderFlow):
    placed = [await flow.place_order(lines={"MUG": n}) for n in range(1, 6)]
    newest_first = [order["id"] for order in reversed(placed)]

    everything = await flow.orders()
    assert [node["id"] for node in everything["nodes"]] == newest_first
    assert everything["pageInfo"]["hasNextPage"] is False

    first_page = await flow.orders(first=2)
    assert [node["id"] for node in first_page["nodes"]] == newest_first[:2]
    assert first_page["pageInfo"]["hasNextPage"] is True
    second_page = await flow.orders(first=2, after=first_page["pageInfo"]["endCursor"])
    assert [node["id"] for node in second_page["nodes"]] == newest_first[2:4]
    assert second_page["pageInfo"]["hasNextPage"] is True
    last_page = await flow.orders(first=2, after=second_page["pageInfo"]["endCursor"])
    assert [node["id"] for node in last_page["nodes"]] == newest_first[4:]
    assert last_page["pageInfo"]["hasNextPage"] is False

    assert [node["id"] for node in await all_orders(flow, 1)] == newest_first
    assert [node["id"] for node in await all_orders(flow, 3)] == newest_first

    empty = await flow.orders(first=0)
    assert empty["nodes"] == [] and empty["edges"] == []


async def test_orders_page_size_and_cursor_are_checked(flow: OrderFlow):
    await flow.place_order()
    for variables in ({"first": 101}, {"first": -1}, {"after": "garbage"}):
        body = await gql(flow.client, ORDERS, variables, token=flow.store.server_token)
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", body


async def test_orders_filter_by_status(flow: OrderFlow):
    waiting = await flow.place_order(lines={"MUG": 1})
    partial = await flow.place_order(lines={"MUG": 2})
    shipped = await flow.place_order(lines={"MUG": 1})
    cancelled = await flow.place_order(lines={"MUG": 1})
    await flow.shipped(partial, items={"MUG": 1})
    await flow.shipped(shipped)
    assert (await flow.cancel(cancelled["id"]))["errors"] == []

    expected = {
        "AWAITING_FULFILLMENT": [waiting["id"]],
        "PARTIALLY_SHIPPED": [partial["id"]],
        "SHIPPED": [shipped["id"]],
        "CANCELLED": [cancelled["id"]],
    }
    for status, ids in expected.items():
        nodes = (await flow.orders(status=status))["nodes"]
        assert [node["id"] for node in nodes] == ids, status
        listed = await flow.orders(status=status)
        assert all(edge["node"]["status"] == status for edge in listed["edges"])


async def test_orders_filter_by_email_ignores_case(flow: OrderFlow):
    ada = await flow.place_order(email="Ada@Example.com")
    await flow.place_order(email="grace@example.com")
    ada_again = await flow.place_order(email="ada@example.com")

    nodes = (await flow.orders(email="ADA@example.COM"))["nodes"]
    assert [node["id"] for node in nodes] == [ada_again["id"], ada["id"]]
    assert (await flow.orders(email="nobody@example.com"))["nodes"] == []


async def test_orders_filter_by_creation_time(flow: OrderFlow):
    placed = [await flow.place_order(lines={"MUG": 1}) for _ in range(4)]
    listed = {edge["node"]["id"]: edge["node"] for edge in (await flow.orders())["edges"]}
    pivot = when(listed[placed[2]["id"]])

    after = (await flow.orders(createdAfter=pivot.isoformat()))["nodes"]
    before = (await flow.orders(createdBefore=pivot.isoformat()))["nodes"]

    newest_first = [order["id"] for order in reversed(placed)]
    # createdAfter is inclusive, createdBefore exclusive: together they cover everything once.
    assert [node["id"] for node in after] == [i for i in newest_first if when(listed[i]) >= pivot]
    assert [node["id"] for node in before] == [i for i in newest_first if when(listed[i]) < pivot]
    assert placed[2]["id"] in [node["id"] for node in after]

    window = (
        await flow.orders(createdAfter=when(listed[placed[1]["id"]]).isoformat(), createdBefore=pivot.isoformat())
    )["nodes"]
    assert [node["id"] for node in window] == [
        i for i in newest_first if when(listed[placed[1]["id"]]) <= when(listed[i]) < pivot
    ]
    assert (await flow.orders(createdAfter="2999-01-01T00:00:00+00:00"))["nodes"] == []
    assert len((await flow.orders(createdBefore="2999-01-01T00:00:00+00:00"))["nodes"]) == 4


async def test_orders_filters_combine_and_page(flow: OrderFlow):
    mine = [await flow.place_order(email="me@example.com") for _ in range(3)]
    await flow.place_order(email="you@example.com")
    cancelled = await flow.place_order(email="me@example.com")
    assert (await flow.cancel(cancelled["id"]))["errors"] == []

    listed = await all_orders(flow, 2, email="me@example.com", status="AWAITING_FULFILLMENT")
    assert [node["id"] for node in listed] == [order["id"] for order in reversed(mine)]


async def test_storefront_token_cannot_read_orders(flow: OrderFlow):
    order = await flow.place_order()
    for document, variables in ((ORDER, {"id": order["id"]}), (ORDERS, {})):
        body = await gql(flow.client, document, variables, token=flow.store.storefront_token)
        assert body["data"] is None
        assert [error["extensions"]["code"] for error in body["errors"]] == ["FORBIDDEN"]


async def test_anonymous_caller_cannot_read_orders(flow: OrderFlow):
    order = await flow.place_order()
    body = await gql(flow.client, ORDER, {"id": order["id"]}, token=None)
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_storefront_reads_its_order_and_shipments_through_the_checkout(flow: OrderFlow):
    cart = await flow.ready(lines={"SHIRT": 2, "MUG": 1})
    order = await flow.completed(cart.id)
    shipment = (await flow.shipped(order, items={"SHIRT": 1}, trackingNumber="1Z999", shippingProvider="UPS"))[
        "shipment"
    ]

    body = await gql(flow.client, STOREFRONT_ORDER, {"id": cart.id}, token=flow.store.storefront_token)
    seen = data(body)["checkout"]["order"]

    assert seen["id"] == order["id"]
    assert seen["status"] == "PARTIALLY_SHIPPED"
    assert (seen["itemsTotal"], seen["itemsShipped"]) == (3, 1)
    assert seen["grandTotal"] == order["grandTotal"]
    (shipped,) = seen["shipments"]
    assert shipped["id"] == shipment["id"]
    assert shipped["trackingNumber"] == "1Z999" and shipped["shippingProvider"] == "UPS"
    assert shipped["trackingLink"] and "1Z999" in shipped["trackingLink"]
    assert shipped["shippingAddress"]["id"] == order["shippingAddresses"][0]["id"]
    assert [(item["quantity"], item["orderProduct"]["sku"]) for item in shipped["items"]] == [(1, "SHIRT")]
    assert seen["shippingAddresses"][0]["shipments"] == [{"id": shipment["id"], "trackingNumber": "1Z999"}]
    assert seen["shippingAddresses"][0]["itemsShipped"] == 1


async def test_another_stores_orders_are_invisible(flow: OrderFlow, engine: AsyncEngine):
    cart = await flow.ready()
    order = await flow.completed(cart.id)
    other = await make_store(engine, slug="other")

    body = await gql(flow.client, ORDER, {"id": order["id"]}, token=other.server_token)
    assert data(body)["order"] is None
    body = await gql(flow.client, ORDERS, {}, token=other.server_token)
    assert data(body)["orders"]["nodes"] == []
    # Nor can the other store's storefront reach it through the checkout.
    body = await gql(flow.client, STOREFRONT_ORDER, {"id": cart.id}, token=other.storefront_token)
    assert data(body)["checkout"] is None
    # The owner still sees it.
    assert (await flow.order(order["id"]))["id"] == order["id"]


async def test_another_stores_order_cannot_be_shipped_or_cancelled(flow: OrderFlow, engine: AsyncEngine):
    order = await flow.place_order()
    other = OrderFlow(flow.client, await make_store(engine, slug="other"))
    address_id = order["shippingAddresses"][0]["id"]
    product_id = order["products"][0]["id"]

    payload = await other.create_shipment(
        {
            "orderId": order["id"],
            "shippingAddressId": address_id,
            "items": [{"orderProductId": product_id, "quantity": 1}],
        }
    )
    assert [(error["code"], error["field"]) for error in payload["errors"]] == [("NOT_FOUND", ["orderId"])]
    assert payload["order"] is None
    payload = await other.cancel(order["id"])
    assert [(error["code"], error["field"]) for error in payload["errors"]] == [("NOT_FOUND", ["orderId"])]
    assert payload["order"] is None
    assert await flow.order(order["id"]) == order


async def test_orders_list_nodes_carry_the_order(flow: OrderFlow):
    order = await flow.place_order(billing=address("GB", None, "N1 9GU", email="gb@example.com"))
    (edge,) = (await flow.orders())["edges"]
    assert edge["node"] == {
        "id": order["id"],
        "status": "AWAITING_FULFILLMENT",
        "email": "shopper@example.com",
        "createdAt": order["createdAt"],
    }
    assert edge["cursor"]


# --- ids and times clients may send -----------------------------------------------------------------

#: Ids that are numbers, but too big for the id columns (int32 on PostgreSQL, int64 on SQLite).
OUT_OF_RANGE_IDS = ["2147483648", "9223372036854775808", "99999999999999999999"]


@pytest.mark.parametrize("order_id", OUT_OF_RANGE_IDS)
async def test_out_of_range_order_id_is_null_not_an_internal_error(flow: OrderFlow, order_id: str):
    await flow.place_order()
    body = await gql(flow.client, ORDER, {"id": order_id}, token=flow.store.server_token)
    assert not body.get("errors"), body["errors"]
    assert body["data"]["order"] is None


async def test_orders_filter_accepts_other_offsets(flow: OrderFlow):
    placed = [await flow.place_order(lines={"MUG": 1}) for _ in range(3)]
    listed = {edge["node"]["id"]: edge["node"] for edge in (await flow.orders())["edges"]}
    pivot = when(listed[placed[1]["id"]])
    in_utc = (await flow.orders(createdAfter=pivot.isoformat()))["nodes"]
    in_berlin_summer = (await flow.orders(createdAfter=pivot.astimezone(timezone(timedelta(hours=2))).isoformat()))[
        "nodes"
    ]
    assert in_berlin_summer == in_utc
    assert placed[1]["id"] in [node["id"] for node in in_utc]


@pytest.mark.parametrize("value", ["2020-01-01T00:00:00", "2020-01-01"])
async def test_orders_filter_with_a_time_without_offset_is_not_an_internal_error(flow: OrderFlow, value: str):
    """A time without offset is either read as UTC (DESIGN: times are UTC) or refused as bad input; it
    must never surface as INTERNAL_SERVER_ERROR."""
    order = await flow.place_order()
    body = await gql(flow.client, ORDERS, {"filter": {"createdAfter": value}}, token=flow.store.server_token)
    if body.get("errors"):
        assert [error["extensions"]["code"] for error in body["errors"]] == ["BAD_USER_INPUT"], body["errors"]
    else:
        assert [node["id"] for node in body["data"]["orders"]["nodes"]] == [order["id"]]
