"""Ids never come back after a delete, and idempotent replays tell the truth (issue 12).

On SQLite an integer key without AUTOINCREMENT hands a new row the id of the deleted highest row; every
table the API deletes from must give the next row a new, higher id, on both backends.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.factories import make_store
from tests.http.test_shipping_options import DELETE_METHOD, DELETE_ZONE
from tests.order_flow import DELETE_PICKUP, OrderFlow, errors_of, product

pytestmark = pytest.mark.anyio


def _deleted(payload: dict[str, Any]) -> None:
    assert payload["errors"] == [], payload["errors"]


async def test_deleted_highest_zone_method_and_pickup_ids_are_not_reused(flow: OrderFlow):
    zone = flow.setup.zone_id
    method = await flow.method(zone, "Express courier", "PER_ORDER", rate="9.00")
    _deleted(await flow.server_mutation(DELETE_METHOD, "deleteShippingMethod", {"id": method}))
    again = await flow.method(zone, "Freight pallet", "PER_ORDER", rate="95.00")
    assert int(again) > int(method)

    pickup = await flow.pickup_method("Downtown")
    _deleted(await flow.server_mutation(DELETE_PICKUP, "deletePickupMethod", {"id": str(pickup)}))
    assert await flow.pickup_method("Staff only") > pickup

    doomed = (await flow.shipping(zone_name="Doomed")).zone_id
    _deleted(await flow.server_mutation(DELETE_ZONE, "deleteShippingZone", {"id": doomed}))
    assert int((await flow.shipping(zone_name="Next")).zone_id) > int(doomed)


async def test_deleted_highest_shipment_id_is_not_reused(flow: OrderFlow):
    order = await flow.place_order(lines={"MUG": 2})
    first = (await flow.shipped(order, items={"MUG": 1}))["shipment"]["id"]
    _deleted(await flow.delete_shipment(first))
    second = (await flow.shipped(order, items={"MUG": 1}))["shipment"]["id"]
    assert int(second) > int(first)


def _input(order: dict[str, Any], key: str, sku: str = "MUG") -> dict[str, Any]:
    return {
        "orderId": order["id"],
        "shippingAddressId": order["shippingAddresses"][0]["id"],
        "items": [{"orderProductId": product(order, sku)["id"], "quantity": 1}],
        "idempotencyKey": key,
    }


async def test_replay_after_delete_never_answers_another_orders_shipment(flow: OrderFlow):
    mine = await flow.place_order(lines={"MUG": 1})
    other = await flow.place_order(lines={"MUG": 1})
    created = await flow.create_shipment(_input(mine, "retry-me"))
    assert created["errors"] == []
    _deleted(await flow.delete_shipment(created["shipment"]["id"]))
    await flow.shipped(other)  # on SQLite without AUTOINCREMENT this took the deleted shipment's id

    replay = await flow.create_shipment(_input(mine, "retry-me"))

    assert replay["shipment"] is None
    assert errors_of(replay) == [("IDEMPOTENT_RESULT_DELETED", ["idempotencyKey"])]
    assert "retry-me" in replay["errors"][0]["message"]
    after = await flow.order(mine["id"])
    assert after is not None and after["shipments"] == [] and after["itemsShipped"] == 0


async def test_replay_of_a_deleted_shipment_is_a_typed_error_and_creates_nothing(flow: OrderFlow):
    order = await flow.place_order(lines={"MUG": 2})
    created = await flow.create_shipment(_input(order, "ship-once"))
    assert created["errors"] == []
    assert (await flow.create_shipment(_input(order, "ship-once")))["shipment"]["id"] == created["shipment"]["id"]
    _deleted(await flow.delete_shipment(created["shipment"]["id"]))

    for _ in range(2):  # the key stays spent: every later replay says the same
        replay = await flow.create_shipment(_input(order, "ship-once"))
        assert replay["shipment"] is None
        assert errors_of(replay) == [("IDEMPOTENT_RESULT_DELETED", ["idempotencyKey"])]
    after = await flow.order(order["id"])
    assert after is not None and after["shipments"] == [] and after["itemsShipped"] == 0


async def test_keys_are_independent_per_store_and_per_mutation(flow: OrderFlow, client: httpx.AsyncClient, engine: Any):
    order = await flow.place_order(lines={"MUG": 1})
    created = await flow.create_shipment(_input(order, "shared"))
    assert created["errors"] == []
    _deleted(await flow.delete_shipment(created["shipment"]["id"]))

    # The same key on completeCheckout is another key: it completes, and replays its own order.
    cart = await flow.ready(lines={"MUG": 1})
    completed = await flow.completed(cart.id, idempotency_key="shared")
    assert (await flow.completed(cart.id, idempotency_key="shared"))["id"] == completed["id"]

    # The same key in another store is another key: it ships there.
    elsewhere = OrderFlow(client, await make_store(engine, slug="elsewhere"))
    await elsewhere.shipping()
    theirs = await elsewhere.place_order(lines={"MUG": 1})
    shipped = await elsewhere.create_shipment(_input(theirs, "shared"))
    assert shipped["errors"] == [] and shipped["shipment"] is not None
    # ... and its own replay still answers its own shipment.
    assert (await elsewhere.create_shipment(_input(theirs, "shared")))["shipment"]["id"] == shipped["shipment"]["id"]
