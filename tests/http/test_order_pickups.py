"""Pickup orders through HTTP, as BigCommerce has them: a pickup consignment becomes an order pickup (never
a shipping address), the order waits in AWAITING_PICKUP once nothing is left to ship, `markPickedUp`
records the collection, and `createShipment` never ships what the shopper collects in store.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.domain.tokens import TokenKind, create_token
from gateway.storage.db import write_transaction
from tests.factories import gql
from tests.order_flow import MARK_PICKED_UP, US_CA, OrderFlow, errors_of

pytestmark = pytest.mark.anyio


async def pickup_order(flow: OrderFlow, *, ship: dict[str, int] | None = None, **collect: int) -> dict[str, Any]:
    """An order whose `collect` units are picked up at "Downtown Store" and whose `ship` units go to US_CA."""
    pickup_method_id = await flow.pickup_method("Downtown Store")
    cart = await flow.cart(**collect, **(ship or {}))
    await flow.pickup(cart, pickup_method_id, **collect)
    if ship:
        consignment_id = await flow.ship(cart, US_CA, **ship)
        await flow.select(cart, consignment_id)
    await flow.set_billing(cart)
    order = await flow.completed(cart.id)
    assert order["pickups"][0]["pickupMethodId"] == str(pickup_method_id)
    return order


def shipment_input(order: dict[str, Any], address_id: str, *product_ids: str) -> dict[str, Any]:
    return {
        "orderId": order["id"],
        "shippingAddressId": address_id,
        "items": [{"orderProductId": product_id, "quantity": 1} for product_id in product_ids],
        "trackingNumber": "1Z999AA10123456784",
        "shippingProvider": "UPS",
    }


async def test_pickup_only_order_awaits_pickup_and_has_no_shipping_address(flow: OrderFlow):
    order = await pickup_order(flow, SHIRT=2, MUG=1)

    assert order["status"] == "AWAITING_PICKUP"
    assert order["shippingAddresses"] == []
    assert (order["itemsTotal"], order["itemsShipped"], order["dateShipped"]) == (0, 0, None)
    [pickup] = order["pickups"]
    assert pickup["locationName"] == "Downtown Store"
    assert pickup["instructions"] == "Ask at the counter."
    assert (pickup["address"]["address1"], pickup["address"]["city"]) == ("5 Market St", "San Francisco")
    assert pickup["pickedUpAt"] is None
    assert sorted((item["sku"], item["quantity"]) for item in pickup["items"]) == [("MUG", 1), ("SHIRT", 2)]
    assert all(item["pickup"] == {"id": pickup["id"]} and item["shippingAddress"] is None for item in pickup["items"])
    assert all(p["pickup"] == {"id": pickup["id"]} and p["shippingAddress"] is None for p in order["products"])
    read_back = await flow.order(order["id"])
    assert read_back is not None
    assert (read_back["status"], read_back["pickups"], read_back["shippingAddresses"]) == (
        "AWAITING_PICKUP",
        order["pickups"],
        [],
    )
    assert [node["id"] for node in (await flow.orders(status="AWAITING_PICKUP"))["nodes"]] == [order["id"]]
    assert (await flow.orders(status="AWAITING_FULFILLMENT"))["nodes"] == []


async def test_mark_picked_up_completes_a_pickup_only_order_once(flow: OrderFlow):
    order = await pickup_order(flow, SHIRT=1)
    pickup_id = order["pickups"][0]["id"]

    payload = await flow.mark_picked_up(order["id"], pickup_id)

    assert payload["errors"] == []
    assert payload["order"]["status"] == "COMPLETED"
    picked_up_at = payload["order"]["pickups"][0]["pickedUpAt"]
    assert picked_up_at is not None
    assert payload["order"]["shipments"] == [] and payload["order"]["dateShipped"] is None

    again = await flow.mark_picked_up(order["id"], pickup_id)
    assert errors_of(again) == [("ALREADY_PICKED_UP", ["pickupId"])]
    after = await flow.order(order["id"])
    assert after is not None
    assert after["status"] == "COMPLETED"
    assert after["pickups"][0]["pickedUpAt"] == picked_up_at


async def test_mixed_order_ships_then_awaits_pickup_then_is_shipped(flow: OrderFlow):
    order = await pickup_order(flow, ship={"MUG": 2}, SHIRT=1)
    assert order["status"] == "AWAITING_FULFILLMENT"
    [delivery] = order["shippingAddresses"]
    [pickup] = order["pickups"]
    assert delivery["shippingMethod"] == "Flat Rate" and delivery["itemsTotal"] == 2
    assert [item["sku"] for item in pickup["items"]] == ["SHIRT"]
    assert (order["itemsTotal"], order["itemsShipped"]) == (2, 0)
    mug = next(p for p in order["products"] if p["sku"] == "MUG")

    first = await flow.create_shipment(shipment_input(order, delivery["id"], mug["id"]))
    assert first["errors"] == []
    assert first["order"]["status"] == "PARTIALLY_SHIPPED"

    second = await flow.create_shipment(shipment_input(order, delivery["id"], mug["id"]))
    assert second["errors"] == []
    # Everything to ship has shipped; the shirt still waits at the store.
    assert second["order"]["status"] == "AWAITING_PICKUP"
    assert second["order"]["dateShipped"] is not None
    assert (second["order"]["itemsTotal"], second["order"]["itemsShipped"]) == (2, 2)

    collected = await flow.mark_picked_up(order["id"], pickup["id"])
    assert collected["errors"] == []
    assert collected["order"]["status"] == "SHIPPED"

    # Taking a shipment back reopens shipping; the collection stays recorded.
    reopened = await flow.delete_shipment(second["shipment"]["id"])
    assert reopened["errors"] == []
    assert reopened["order"]["status"] == "PARTIALLY_SHIPPED"
    assert reopened["order"]["pickups"][0]["pickedUpAt"] is not None


async def test_collected_before_shipping_waits_for_the_shipment(flow: OrderFlow):
    order = await pickup_order(flow, ship={"MUG": 1}, SHIRT=1)
    collected = await flow.mark_picked_up(order["id"], order["pickups"][0]["id"])
    assert collected["errors"] == []
    # Shipping decides until everything has shipped.
    assert collected["order"]["status"] == "AWAITING_FULFILLMENT"

    mug = next(p for p in order["products"] if p["sku"] == "MUG")
    shipped = await flow.create_shipment(shipment_input(order, order["shippingAddresses"][0]["id"], mug["id"]))
    assert shipped["errors"] == []
    assert shipped["order"]["status"] == "SHIPPED"

    # Collected goods cannot be cancelled back.
    assert errors_of(await flow.cancel(order["id"])) == [("ORDER_HAS_SHIPMENTS", ["orderId"])]


async def test_create_shipment_refuses_pickup_items(flow: OrderFlow):
    order = await pickup_order(flow, ship={"MUG": 1}, SHIRT=1)
    pickup, delivery = order["pickups"][0], order["shippingAddresses"][0]
    shirt = pickup["items"][0]["id"]

    to_the_store = await flow.create_shipment(shipment_input(order, pickup["id"], shirt))
    assert errors_of(to_the_store) == [("PICKUP_NOT_SHIPPABLE", ["shippingAddressId"])]
    assert to_the_store["shipment"] is None

    mug = next(p for p in order["products"] if p["sku"] == "MUG")
    mixed = await flow.create_shipment(shipment_input(order, delivery["id"], mug["id"], shirt))
    assert errors_of(mixed) == [("PICKUP_NOT_SHIPPABLE", ["items", "1", "orderProductId"])]
    assert mixed["shipment"] is None

    after = await flow.order(order["id"])
    assert after is not None
    assert after["shipments"] == []
    assert after["status"] == "AWAITING_FULFILLMENT"
    assert all(p["quantityShipped"] == 0 for p in after["products"])


async def test_mark_picked_up_refusals(flow: OrderFlow):
    order = await pickup_order(flow, ship={"MUG": 1}, SHIRT=1)
    other = await pickup_order(flow, SHIRT=1)

    for pickup_id in ("999999", "abc", order["shippingAddresses"][0]["id"], other["pickups"][0]["id"]):
        payload = await flow.mark_picked_up(order["id"], pickup_id)
        assert errors_of(payload) == [("NOT_FOUND", ["pickupId"])], pickup_id
    assert errors_of(await flow.mark_picked_up("999999", order["pickups"][0]["id"])) == [("NOT_FOUND", ["orderId"])]

    assert (await flow.cancel(order["id"]))["errors"] == []
    refused = await flow.mark_picked_up(order["id"], order["pickups"][0]["id"])
    assert errors_of(refused) == [("ORDER_CANCELLED", ["orderId"])]
    assert refused["order"]["status"] == "CANCELLED"
    assert refused["order"]["pickups"][0]["pickedUpAt"] is None
    assert (await flow.order(other["id"]))["pickups"][0]["pickedUpAt"] is None  # type: ignore[index]


async def test_storefront_and_read_only_tokens_cannot_mark_picked_up(flow: OrderFlow, engine: AsyncEngine):
    order = await pickup_order(flow, SHIRT=1)
    async with write_transaction(engine) as conn:
        read_only = await create_token(conn, flow.store.slug, TokenKind.SERVER, scopes=("orders:read",))
    variables = {"input": {"orderId": order["id"], "pickupId": order["pickups"][0]["id"]}}
    for token in (flow.store.storefront_token, read_only):
        body = await gql(flow.client, MARK_PICKED_UP, variables, token=token)
        assert body["data"] is None
        assert [error["extensions"]["code"] for error in body["errors"]] == ["FORBIDDEN"]
    after = await flow.order(order["id"])
    assert after is not None
    assert after["status"] == "AWAITING_PICKUP" and after["pickups"][0]["pickedUpAt"] is None
