"""No N+1 on orders: `orders(first: 50)` with addresses, pickups, products and shipments with their items sends
as many SQL statements as `orders(first: 1)`, because every relation loads through per-request
DataLoaders (one batched query per relation and level).
"""

from __future__ import annotations

from typing import Any

import httpx

from tests.factories import StoreFixture, data, gql
from tests.order_flow import GB_LONDON, US_CA, OrderFlow

ORDER_FIELDS = """
fragment LoadedOrder on Order {
  id status itemsTotal itemsShipped dateShipped
  billingAddress { countryCode email }
  grandTotal { value }
  shippingAddresses {
    id shippingMethod itemsTotal itemsShipped
    address { countryCode city }
    order { id }
    products { id sku quantity quantityShipped }
    shipments { id trackingNumber }
  }
  pickups {
    id pickupMethodId locationName instructions pickedUpAt
    address { city }
    order { id }
    items { id sku quantity pickup { id } }
  }
  products { id sku quantity quantityShipped shippingAddress { id itemsTotal } pickup { id locationName } }
  shipments {
    id trackingNumber trackingLink
    order { id }
    shippingAddress { id }
    items { quantity orderProduct { id sku shippingAddress { id } } }
  }
}
"""

ORDERS_PAGE = (
    "query($first: Int!) { orders(first: $first) { nodes { ...LoadedOrder } pageInfo { hasNextPage } } }" + ORDER_FIELDS
)
ORDER_BY_ID = "query($id: ID!) { order(id: $id) { ...LoadedOrder } }" + ORDER_FIELDS

ORDERS_COUNT = 12


async def build_orders(flow: OrderFlow) -> list[str]:
    """Orders with two addresses, a collected pickup, a digital product and two shipments each (one per
    address)."""
    pickup_method_id = await flow.pickup_method("Downtown Store")
    ids = []
    for index in range(ORDERS_COUNT):
        cart = await flow.cart(SHIRT=2, MUG=1, LAMP=1, SOCKS=1, EBOOK=1)
        for to, quantities, description in (
            (US_CA, {"SHIRT": 1, "MUG": 1}, "Flat Rate"),
            (GB_LONDON, {"SHIRT": 1, "LAMP": 1}, "Per Item"),
        ):
            await flow.select(cart, await flow.ship(cart, to, **quantities), description)
        await flow.pickup(cart, pickup_method_id, SOCKS=1)
        await flow.set_billing(cart)
        order = await flow.completed(cart.id)
        assert (await flow.mark_picked_up(order["id"], order["pickups"][0]["id"]))["errors"] == []
        first = await flow.shipped(
            order, 0, items={"SHIRT": 1, "MUG": 1}, trackingNumber=f"US{index}", shippingProvider="UPS"
        )
        await flow.shipped(
            first["order"], 1, items={"LAMP": 1}, trackingNumber=f"GB{index}", shippingProvider="ROYAL_MAIL"
        )
        ids.append(order["id"])
    return ids


def check_order(order: dict[str, Any]) -> None:
    """The response really holds every relation the statement count claims to have loaded."""
    assert order["status"] == "PARTIALLY_SHIPPED"
    assert (order["itemsTotal"], order["itemsShipped"]) == (4, 3)
    us, gb = order["shippingAddresses"]
    assert (us["address"]["countryCode"], gb["address"]["countryCode"]) == ("US", "GB")
    assert us["order"] == gb["order"] == {"id": order["id"]}
    assert sorted(p["sku"] for p in us["products"]) == ["MUG", "SHIRT"]
    assert sorted(p["sku"] for p in gb["products"]) == ["LAMP", "SHIRT"]
    assert len(us["shipments"]) == len(gb["shipments"]) == 1
    [pickup] = order["pickups"]
    assert (pickup["locationName"], pickup["instructions"]) == ("Downtown Store", "Ask at the counter.")
    assert pickup["pickedUpAt"] is not None and pickup["address"]["city"] == "San Francisco"
    assert pickup["order"] == {"id": order["id"]}
    assert [(i["sku"], i["quantity"], i["pickup"]) for i in pickup["items"]] == [("SOCKS", 1, {"id": pickup["id"]})]
    assert sorted((p["sku"], (p["shippingAddress"] or {}).get("id")) for p in order["products"]) == sorted(
        [
            ("SHIRT", us["id"]),
            ("MUG", us["id"]),
            ("SHIRT", gb["id"]),
            ("LAMP", gb["id"]),
            ("SOCKS", None),
            ("EBOOK", None),
        ]
    )
    assert [p["pickup"]["locationName"] for p in order["products"] if p["pickup"]] == ["Downtown Store"]
    first, second = order["shipments"]
    assert first["order"] == second["order"] == {"id": order["id"]}
    assert (first["shippingAddress"]["id"], second["shippingAddress"]["id"]) == (us["id"], gb["id"])
    assert sorted((i["quantity"], i["orderProduct"]["sku"]) for i in first["items"]) == [(1, "MUG"), (1, "SHIRT")]
    assert [(i["quantity"], i["orderProduct"]["sku"]) for i in second["items"]] == [(1, "LAMP")]
    assert all(i["orderProduct"]["shippingAddress"]["id"] == us["id"] for i in first["items"])
    assert first["trackingLink"] and second["trackingLink"]


async def count_statements(
    client: httpx.AsyncClient, sql_counter: Any, first: int, token: str
) -> tuple[dict[str, Any], int, list[str]]:
    sql_counter.reset()
    body = await gql(client, ORDERS_PAGE, {"first": first}, token=token)
    return data(body)["orders"], sql_counter.count, list(sql_counter.statements)


async def test_orders_page_statement_count_does_not_grow_with_orders(
    client: httpx.AsyncClient, store: StoreFixture, sql_counter: Any
):
    flow = OrderFlow(client, store)
    await flow.shipping()
    created = await build_orders(flow)

    one, one_count, one_statements = await count_statements(client, sql_counter, 1, store.server_token)
    many, many_count, many_statements = await count_statements(client, sql_counter, 50, store.server_token)

    assert [node["id"] for node in one["nodes"]] == [created[-1]]
    assert one["pageInfo"]["hasNextPage"] is True
    assert [node["id"] for node in many["nodes"]] == list(reversed(created))
    assert many["pageInfo"]["hasNextPage"] is False
    for node in one["nodes"] + many["nodes"]:
        check_order(node)
    assert sum(len(node["shipments"]) for node in many["nodes"]) == 2 * ORDERS_COUNT

    print(
        f"\nSQL statements: orders(first: 1) = {one_count}, orders(first: 50) with {ORDERS_COUNT} orders = {many_count}"
    )
    assert one_count == many_count, (
        f"orders(first: 1): {one_count} statements, orders(first: 50): {many_count}\n"
        "first: 1:\n  " + "\n  ".join(one_statements) + "\nfirst: 50:\n  " + "\n  ".join(many_statements)
    )


async def test_order_by_id_costs_the_same_as_a_page(client: httpx.AsyncClient, store: StoreFixture, sql_counter: Any):
    """Reading one order by id walks the same loaders, so it costs no more than a page of one."""
    flow = OrderFlow(client, store)
    await flow.shipping()
    created = await build_orders(flow)
    sql_counter.reset()
    body = await gql(client, ORDER_BY_ID, {"id": created[0]}, token=store.server_token)
    order = data(body)["order"]
    by_id_count = sql_counter.count
    check_order(order)

    _, page_count, _ = await count_statements(client, sql_counter, 1, store.server_token)
    assert by_id_count <= page_count, (by_id_count, page_count)
