"""A mutation's payload shows the rows its own transaction wrote (gateway.storage.written), read back from
the write's `RETURNING` rather than from a new snapshot after the commit: the same values a later read gives,
with no SELECT of those rows after the write."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.factories import StoreFixture
from tests.order_flow import GB_LONDON, UPDATE_CONSIGNMENT, US_CA, OrderFlow

pytestmark = pytest.mark.anyio

CHECKOUT_PAYLOAD = """
mutation($input: UpdateConsignmentInput!) {
  updateConsignment(input: $input) {
    checkout { id version updatedAt grandTotal { value } shippingCostTotal { value } billingAddress { city } }
    errors { code }
  }
}
"""
CHECKOUT_READ = """
query($id: ID!) {
  checkout(id: $id) { id version updatedAt grandTotal { value } shippingCostTotal { value } billingAddress { city } }
}
"""
SHIPMENT_PAYLOAD = """
mutation($input: CreateShipmentInput!) {
  createShipment(input: $input) {
    shipment { id trackingNumber trackingLink createdAt }
    order { id status itemsShipped dateShipped }
    errors { code }
  }
}
"""
ORDER_READ = """
query($id: ID!) {
  order(id: $id) { id status itemsShipped dateShipped shipments { id trackingNumber trackingLink createdAt } }
}
"""


def after_write(statements: list[str], table: str) -> list[str]:
    """The statements reading `table` after the last write to it."""
    last = max(
        i for i, s in enumerate(statements) if s.lstrip().upper().startswith(("UPDATE", "INSERT")) and table in s
    )
    return [s for s in statements[last + 1 :] if f"FROM {table}" in s]


async def test_a_checkout_payload_is_the_written_row(client: httpx.AsyncClient, store: StoreFixture, sql_counter: Any):
    flow = OrderFlow(client, store)
    await flow.shipping()
    cart = await flow.cart(SHIRT=1)
    await flow.add(cart, {"address": US_CA, "lineItems": cart.units(SHIRT=1)})
    before = (await flow.storefront(CHECKOUT_READ, {"id": cart.id}))["checkout"]
    sql_counter.reset()
    payload = await flow.storefront_mutation(
        CHECKOUT_PAYLOAD,
        "updateConsignment",
        {"checkoutId": cart.id, "consignmentId": cart.consignment_ids[0], "address": {**US_CA, "city": "Fresno"}},
    )
    assert payload["errors"] == []
    assert after_write(sql_counter.statements, "checkout") == []
    read = (await flow.storefront(CHECKOUT_READ, {"id": cart.id}))["checkout"]
    assert payload["checkout"] == read
    assert read["version"] == before["version"] + 1 and read["updatedAt"] > before["updatedAt"]
    # A write that changes nothing is still shown as it is (no written row: read as before).
    sql_counter.reset()
    same = await flow.storefront_mutation(
        UPDATE_CONSIGNMENT,
        "updateConsignment",
        {"checkoutId": cart.id, "consignmentId": cart.consignment_ids[0], "address": {**US_CA, "city": "Fresno"}},
    )
    assert same["errors"] == [] and same["checkout"]["id"] == cart.id


async def test_a_shipment_payload_is_the_written_rows(client: httpx.AsyncClient, store: StoreFixture, sql_counter: Any):
    flow = OrderFlow(client, store)
    await flow.shipping()
    order = await flow.place_order(
        lines={"SHIRT": 2, "MUG": 1},
        consignments=[(US_CA, {"SHIRT": 2}, "Flat Rate"), (GB_LONDON, {"MUG": 1}, "Flat Rate")],
    )
    address = order["shippingAddresses"][0]
    product = next(p for p in order["products"] if (p["shippingAddress"] or {}).get("id") == address["id"])
    sql_counter.reset()
    payload = (
        await flow.server(
            SHIPMENT_PAYLOAD,
            {
                "input": {
                    "orderId": order["id"],
                    "shippingAddressId": address["id"],
                    "items": [{"orderProductId": product["id"], "quantity": 1}],
                    "trackingNumber": "1Z999",
                    "shippingProvider": "UPS",
                }
            },
        )
    )["createShipment"]
    assert payload["errors"] == []
    assert after_write(sql_counter.statements, "shipment") == []
    assert after_write(sql_counter.statements, "orders") == []
    read = (await flow.server(ORDER_READ, {"id": order["id"]}))["order"]
    assert payload["order"] == {key: read[key] for key in payload["order"]}
    assert read["status"] == "PARTIALLY_SHIPPED" and read["itemsShipped"] == 1
    assert [payload["shipment"]] == read["shipments"]
    assert payload["shipment"]["trackingLink"].endswith("1Z999")
    deleted = await flow.delete_shipment(payload["shipment"]["id"])
    assert deleted["errors"] == [] and deleted["shipment"] is None
    assert deleted["order"]["itemsShipped"] == 0
