"""Shipments through HTTP: every createShipment rule with its field path and nothing written on error;
quantities, items shipped and status following shipments; tracking links; updateShipment,
deleteShipment, cancelOrder; idempotency keys.

The order used by most tests has two shipping addresses and a digital product:
  address 0 (US, Flat Rate): SHIRT x3, MUG x1
  address 1 (GB, Per Item):  SHIRT x2, LAMP x1
  no address:                EBOOK x1
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.domain import idempotency
from tests.factories import gql, make_store
from tests.order_flow import (
    GB_LONDON,
    UPDATE_SHIPMENT,
    US_CA,
    OrderFlow,
    errors_of,
    product,
)

pytestmark = pytest.mark.anyio

CREATE_SHIPMENT_ERRORS = (
    "mutation($input: CreateShipmentInput!) { createShipment(input: $input) { shipment { id } errors { code field } } }"
)


@pytest.fixture
async def order(flow: OrderFlow) -> dict[str, Any]:
    return await flow.place_order(
        lines={"SHIRT": 5, "MUG": 1, "LAMP": 1, "EBOOK": 1},
        consignments=[
            (US_CA, {"SHIRT": 3, "MUG": 1}, "Flat Rate"),
            (GB_LONDON, {"SHIRT": 2, "LAMP": 1}, "Per Item"),
        ],
    )


def item(order: dict[str, Any], sku: str, quantity: int, address_index: int | None = 0) -> dict[str, Any]:
    return {"orderProductId": product(order, sku, address_index)["id"], "quantity": quantity}


def shipment_input(order: dict[str, Any], address_index: int, *items: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "orderId": order["id"],
        "shippingAddressId": order["shippingAddresses"][address_index]["id"],
        "items": list(items),
        **extra,
    }


async def refused(flow: OrderFlow, order: dict[str, Any], input: dict[str, Any]) -> list[tuple[str, Any]]:
    """Create a shipment that must be refused; check nothing was written; return (code, field) pairs."""
    before = await flow.order(order["id"])
    payload = await flow.create_shipment(input)
    assert payload["shipment"] is None
    assert payload["errors"], payload
    assert all(error["message"] for error in payload["errors"])
    after = await flow.order(order["id"])
    assert after == before
    if payload["order"] is not None:
        assert payload["order"] == before
    return errors_of(payload)


# --- rules ------------------------------------------------------------------------------------------


async def test_address_of_another_order_is_not_found(flow: OrderFlow, order: dict[str, Any]):
    other = await flow.place_order(lines={"MUG": 1})
    input = shipment_input(order, 0, item(order, "MUG", 1))
    input["shippingAddressId"] = other["shippingAddresses"][0]["id"]
    assert await refused(flow, order, input) == [("NOT_FOUND", ["shippingAddressId"])]
    assert await flow.order(other["id"]) == other


@pytest.mark.parametrize("address_id", ["999999", "nope"])
async def test_unknown_address_is_not_found(flow: OrderFlow, order: dict[str, Any], address_id: str):
    input = shipment_input(order, 0, item(order, "MUG", 1))
    input["shippingAddressId"] = address_id
    assert await refused(flow, order, input) == [("NOT_FOUND", ["shippingAddressId"])]


async def test_product_of_another_order_is_not_found(flow: OrderFlow, order: dict[str, Any]):
    other = await flow.place_order(lines={"MUG": 1})
    input = shipment_input(
        order, 0, item(order, "SHIRT", 1), {"orderProductId": product(other, "MUG")["id"], "quantity": 1}
    )
    assert await refused(flow, order, input) == [("NOT_FOUND", ["items", "1", "orderProductId"])]
    assert await flow.order(other["id"]) == other


async def test_unknown_product_is_not_found(flow: OrderFlow, order: dict[str, Any]):
    input = shipment_input(order, 0, {"orderProductId": "999999", "quantity": 1})
    assert await refused(flow, order, input) == [("NOT_FOUND", ["items", "0", "orderProductId"])]


async def test_product_of_another_address_is_refused(flow: OrderFlow, order: dict[str, Any]):
    input = shipment_input(order, 0, item(order, "MUG", 1), item(order, "LAMP", 1, address_index=1))
    assert await refused(flow, order, input) == [("WRONG_SHIPPING_ADDRESS", ["items", "1", "orderProductId"])]


async def test_digital_product_cannot_ship(flow: OrderFlow, order: dict[str, Any]):
    input = shipment_input(order, 0, item(order, "EBOOK", 1, address_index=None))
    assert await refused(flow, order, input) == [("WRONG_SHIPPING_ADDRESS", ["items", "0", "orderProductId"])]


async def test_no_items_is_refused(flow: OrderFlow, order: dict[str, Any]):
    assert await refused(flow, order, shipment_input(order, 0)) == [("REQUIRED", ["items"])]


@pytest.mark.parametrize("quantity", [0, -1])
async def test_quantity_below_one_is_refused(flow: OrderFlow, order: dict[str, Any], quantity: int):
    input = shipment_input(order, 0, item(order, "MUG", 1), item(order, "SHIRT", quantity))
    assert await refused(flow, order, input) == [("INVALID_QUANTITY", ["items", "1", "quantity"])]


async def test_more_than_left_is_over_shipped(flow: OrderFlow, order: dict[str, Any]):
    assert await refused(flow, order, shipment_input(order, 0, item(order, "SHIRT", 4))) == [
        ("OVER_SHIPPED", ["items", "0", "quantity"])
    ]
    await flow.shipped(order, items={"SHIRT": 2})
    # Two of three shipped: one left.
    assert await refused(flow, order, shipment_input(order, 0, item(order, "SHIRT", 2))) == [
        ("OVER_SHIPPED", ["items", "0", "quantity"])
    ]
    payload = await flow.create_shipment(shipment_input(order, 0, item(order, "SHIRT", 1)))
    assert payload["errors"] == []
    assert await refused(flow, order, shipment_input(order, 0, item(order, "SHIRT", 1))) == [
        ("OVER_SHIPPED", ["items", "0", "quantity"])
    ]


async def test_product_listed_twice_is_refused(flow: OrderFlow, order: dict[str, Any]):
    input = shipment_input(order, 0, item(order, "SHIRT", 1), item(order, "MUG", 1), item(order, "SHIRT", 1))
    assert await refused(flow, order, input) == [("DUPLICATE_ORDER_PRODUCT", ["items", "2", "orderProductId"])]


async def test_tracking_number_longer_than_50_is_refused(flow: OrderFlow, order: dict[str, Any]):
    input = shipment_input(order, 0, item(order, "MUG", 1), trackingNumber="X" * 51)
    assert await refused(flow, order, input) == [("TOO_LONG", ["trackingNumber"])]
    payload = await flow.create_shipment({**input, "trackingNumber": "X" * 50})
    assert payload["errors"] == []
    assert payload["shipment"]["trackingNumber"] == "X" * 50


@pytest.mark.parametrize(
    "link",
    ["ftp://example.com/track/1", "javascript:alert(1)", "example.com/track", "not a url", "https://"],
)
async def test_tracking_link_must_be_http_url(flow: OrderFlow, order: dict[str, Any], link: str):
    input = shipment_input(order, 0, item(order, "MUG", 1), trackingLink=link)
    assert await refused(flow, order, input) == [("INVALID_URL", ["trackingLink"])]


async def test_tracking_link_longer_than_500_is_refused(flow: OrderFlow, order: dict[str, Any]):
    base = "https://track.example.com/"
    input = shipment_input(order, 0, item(order, "MUG", 1), trackingLink=base + "x" * (501 - len(base)))
    # The gateway reports over-long strings as TOO_LONG (as for trackingNumber), on the link's path.
    assert await refused(flow, order, input) == [("TOO_LONG", ["trackingLink"])]
    ok = await flow.create_shipment({**input, "trackingLink": base + "x" * (500 - len(base))})
    assert ok["errors"] == []
    assert len(ok["shipment"]["trackingLink"]) == 500


async def test_every_problem_of_one_request_is_listed(flow: OrderFlow, order: dict[str, Any]):
    input = shipment_input(
        order,
        0,
        item(order, "SHIRT", 9),
        item(order, "MUG", 0),
        item(order, "SHIRT", 1),
        item(order, "LAMP", 1, address_index=1),
        trackingNumber="9" * 60,
        trackingLink="mailto:someone@example.com",
    )
    assert await refused(flow, order, input) == sorted(
        [
            ("OVER_SHIPPED", ["items", "0", "quantity"]),
            ("INVALID_QUANTITY", ["items", "1", "quantity"]),
            ("DUPLICATE_ORDER_PRODUCT", ["items", "2", "orderProductId"]),
            ("WRONG_SHIPPING_ADDRESS", ["items", "3", "orderProductId"]),
            ("TOO_LONG", ["trackingNumber"]),
            ("INVALID_URL", ["trackingLink"]),
        ]
    )


async def test_cancelled_order_cannot_ship(flow: OrderFlow, order: dict[str, Any]):
    cancelled = await flow.cancel(order["id"])
    assert cancelled["errors"] == []
    assert cancelled["order"]["status"] == "CANCELLED"
    assert await refused(flow, order, shipment_input(order, 0, item(order, "MUG", 1))) == [
        ("ORDER_CANCELLED", ["orderId"])
    ]


@pytest.mark.parametrize("order_id", ["999999", "abc"])
async def test_unknown_order_is_not_found(flow: OrderFlow, order: dict[str, Any], order_id: str):
    payload = await flow.create_shipment({**shipment_input(order, 0, item(order, "MUG", 1)), "orderId": order_id})
    assert errors_of(payload) == [("NOT_FOUND", ["orderId"])]
    assert payload["shipment"] is None and payload["order"] is None
    assert (await flow.order(order["id"]))["shipments"] == []


async def test_storefront_token_cannot_ship(flow: OrderFlow, order: dict[str, Any]):
    body = await gql(
        flow.client,
        CREATE_SHIPMENT_ERRORS,
        {"input": shipment_input(order, 0, item(order, "MUG", 1))},
        token=flow.store.storefront_token,
    )
    assert body["data"] is None
    assert [error["extensions"]["code"] for error in body["errors"]] == ["FORBIDDEN"]
    assert (await flow.order(order["id"]))["shipments"] == []


# --- effects ----------------------------------------------------------------------------------------


async def test_shipping_in_parts_moves_quantities_and_status(flow: OrderFlow, order: dict[str, Any]):
    assert (order["status"], order["itemsTotal"], order["itemsShipped"]) == ("AWAITING_FULFILLMENT", 7, 0)

    first = await flow.create_shipment(
        shipment_input(
            order, 0, item(order, "SHIRT", 2), trackingNumber="1Z1", shippingProvider="UPS", comments="box 1"
        )
    )
    assert first["errors"] == []
    shipment, after = first["shipment"], first["order"]
    assert shipment["order"] == {"id": order["id"]}
    assert shipment["shippingAddress"] == {"id": order["shippingAddresses"][0]["id"]}
    assert [
        (i["quantity"], i["orderProduct"]["sku"], i["orderProduct"]["quantityShipped"]) for i in shipment["items"]
    ] == [(2, "SHIRT", 2)]
    assert shipment["comments"] == "box 1"
    assert shipment["createdAt"]
    assert after["status"] == "PARTIALLY_SHIPPED"
    assert after["itemsShipped"] == 2 and after["dateShipped"] is None
    assert product(after, "SHIRT", 0)["quantityShipped"] == 2
    assert product(after, "SHIRT", 1)["quantityShipped"] == 0
    assert [a["itemsShipped"] for a in after["shippingAddresses"]] == [2, 0]
    assert [s["id"] for s in after["shipments"]] == [shipment["id"]]
    assert after["shippingAddresses"][0]["shipments"] == [{"id": shipment["id"]}]
    assert after["shippingAddresses"][1]["shipments"] == []
    assert await flow.order(order["id"]) == after

    # The rest of address 0: still partial, address 1 has everything left.
    second = await flow.shipped(after, 0)
    after = second["order"]
    assert after["status"] == "PARTIALLY_SHIPPED"
    assert [a["itemsShipped"] for a in after["shippingAddresses"]] == [4, 0]
    assert after["itemsShipped"] == 4 and after["dateShipped"] is None

    # Address 1 in one go: everything physical has shipped (the e-book never ships).
    third = await flow.shipped(after, 1)
    after = third["order"]
    assert after["status"] == "SHIPPED"
    assert after["itemsShipped"] == after["itemsTotal"] == 7
    assert [a["itemsShipped"] for a in after["shippingAddresses"]] == [4, 3]
    assert after["dateShipped"] is not None
    assert product(after, "EBOOK", None)["quantityShipped"] == 0
    assert [(p["sku"], p["quantity"] == p["quantityShipped"]) for p in after["products"] if p["shippingAddress"]] == [
        (p["sku"], True) for p in after["products"] if p["shippingAddress"]
    ]
    assert len(after["shipments"]) == 3
    # Nothing is left to ship.
    assert await refused(flow, after, shipment_input(after, 1, item(after, "LAMP", 1, 1))) == [
        ("OVER_SHIPPED", ["items", "0", "quantity"])
    ]


async def test_one_shipment_of_everything_ships_the_order(flow: OrderFlow):
    order = await flow.place_order(lines={"SHIRT": 2, "MUG": 1})
    after = (await flow.shipped(order))["order"]
    assert after["status"] == "SHIPPED"
    assert after["dateShipped"] is not None
    assert after["itemsShipped"] == 3


TRACKING_HOSTS = {
    "UPS": "ups.com",
    "FEDEX": "fedex.com",
    "USPS": "usps.com",
    "CANADA_POST": "canadapost",
    "AUSTRALIA_POST": "auspost.com.au",
    "ROYAL_MAIL": "royalmail.com",
    "DHL": "dhl.com",
}


@pytest.mark.parametrize("provider", sorted(TRACKING_HOSTS))
async def test_tracking_link_is_generated_for_known_providers(flow: OrderFlow, order: dict[str, Any], provider: str):
    payload = await flow.shipped(order, items={"MUG": 1}, trackingNumber="AB 12/34", shippingProvider=provider)
    shipment = payload["shipment"]
    assert shipment["shippingProvider"] == provider
    link = shipment["trackingLink"]
    assert link.startswith("https://")
    assert TRACKING_HOSTS[provider] in link
    assert quote("AB 12/34", safe="") in link


async def test_no_tracking_link_for_custom_or_without_number(flow: OrderFlow, order: dict[str, Any]):
    custom = await flow.shipped(order, items={"MUG": 1}, trackingNumber="C-1", shippingProvider="CUSTOM")
    assert custom["shipment"]["trackingLink"] is None
    assert custom["shipment"]["shippingProvider"] == "CUSTOM"
    no_number = await flow.shipped(order, items={"SHIRT": 1}, shippingProvider="UPS")
    assert no_number["shipment"]["trackingLink"] is None
    no_provider = await flow.shipped(order, items={"SHIRT": 1}, trackingNumber="1Z1")
    assert no_provider["shipment"]["trackingLink"] is None
    assert no_provider["shipment"]["shippingProvider"] is None


async def test_explicit_tracking_link_is_kept(flow: OrderFlow, order: dict[str, Any]):
    payload = await flow.shipped(
        order,
        items={"MUG": 1},
        trackingNumber="1Z999",
        shippingProvider="UPS",
        trackingCarrier="ups",
        trackingLink="https://tracking.example.com/1Z999",
        shippingMethod="Ground",
    )
    shipment = payload["shipment"]
    assert shipment["trackingLink"] == "https://tracking.example.com/1Z999"
    assert (shipment["trackingNumber"], shipment["trackingCarrier"], shipment["shippingMethod"]) == (
        "1Z999",
        "ups",
        "Ground",
    )


# --- updateShipment ------------------------------------------------------------------------------------


async def test_update_changes_tracking_fields_only(flow: OrderFlow, order: dict[str, Any]):
    created = (await flow.shipped(order, items={"SHIRT": 2}, trackingNumber="OLD1", shippingProvider="UPS"))["shipment"]
    assert "OLD1" in created["trackingLink"]

    payload = await flow.update_shipment(
        {"shipmentId": created["id"], "trackingNumber": "NEW2", "comments": "relabelled"}
    )

    assert payload["errors"] == []
    updated = payload["shipment"]
    assert updated["trackingNumber"] == "NEW2"
    assert updated["comments"] == "relabelled"
    # The generated link follows the new number.
    assert "NEW2" in updated["trackingLink"] and "OLD1" not in updated["trackingLink"]
    assert "ups.com" in updated["trackingLink"]
    # Items, address and quantities are untouched.
    assert updated["items"] == created["items"]
    assert updated["shippingAddress"] == created["shippingAddress"]
    assert updated["createdAt"] == created["createdAt"]
    assert payload["order"]["itemsShipped"] == 2

    # A new provider regenerates the link too.
    moved = (await flow.update_shipment({"shipmentId": created["id"], "shippingProvider": "FEDEX"}))["shipment"]
    assert "fedex.com" in moved["trackingLink"] and "NEW2" in moved["trackingLink"]
    assert moved["trackingNumber"] == "NEW2" and moved["comments"] == "relabelled"


async def test_update_keeps_an_explicit_link_and_can_drop_it(flow: OrderFlow, order: dict[str, Any]):
    created = (
        await flow.shipped(
            order, items={"MUG": 1}, trackingNumber="1", shippingProvider="DHL", trackingLink="https://x.example/1"
        )
    )["shipment"]
    kept = (await flow.update_shipment({"shipmentId": created["id"], "trackingNumber": "2"}))["shipment"]
    assert kept["trackingLink"] == "https://x.example/1"
    assert kept["trackingNumber"] == "2"

    replaced = (await flow.update_shipment({"shipmentId": created["id"], "trackingLink": "https://y.example/2"}))[
        "shipment"
    ]
    assert replaced["trackingLink"] == "https://y.example/2"

    # An empty link removes the explicit one; the link is generated again.
    dropped = (await flow.update_shipment({"shipmentId": created["id"], "trackingLink": ""}))["shipment"]
    assert "dhl.com" in dropped["trackingLink"] and dropped["trackingLink"].endswith("2")


async def test_update_replaces_a_generated_link_with_an_explicit_one(flow: OrderFlow, order: dict[str, Any]):
    created = (await flow.shipped(order, items={"MUG": 1}, trackingNumber="1Z", shippingProvider="UPS"))["shipment"]
    updated = (await flow.update_shipment({"shipmentId": created["id"], "trackingLink": "http://mine.example/1Z"}))[
        "shipment"
    ]
    assert updated["trackingLink"] == "http://mine.example/1Z"
    again = (await flow.update_shipment({"shipmentId": created["id"], "trackingNumber": "1Z-NEW"}))["shipment"]
    assert again["trackingLink"] == "http://mine.example/1Z"


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"trackingNumber": "X" * 51}, [("TOO_LONG", ["trackingNumber"])]),
        ({"trackingLink": "ftp://nope"}, [("INVALID_URL", ["trackingLink"])]),
        ({"trackingLink": "https://e.example/" + "x" * 500}, [("TOO_LONG", ["trackingLink"])]),
        (
            {"trackingNumber": "X" * 51, "trackingLink": "nope"},
            [("INVALID_URL", ["trackingLink"]), ("TOO_LONG", ["trackingNumber"])],
        ),
    ],
)
async def test_update_refusals_change_nothing(
    flow: OrderFlow, order: dict[str, Any], fields: dict[str, Any], expected: list[tuple[str, list[str]]]
):
    created = (await flow.shipped(order, items={"MUG": 1}, trackingNumber="1", shippingProvider="UPS"))["shipment"]
    before = await flow.order(order["id"])
    payload = await flow.update_shipment({"shipmentId": created["id"], **fields})
    assert errors_of(payload) == expected
    assert payload["shipment"] is None
    assert await flow.order(order["id"]) == before


@pytest.mark.parametrize("shipment_id", ["999999", "x"])
async def test_update_unknown_shipment(flow: OrderFlow, order: dict[str, Any], shipment_id: str):
    payload = await flow.update_shipment({"shipmentId": shipment_id, "comments": "hi"})
    assert errors_of(payload) == [("NOT_FOUND", ["shipmentId"])]
    assert payload["shipment"] is None


async def test_update_cannot_send_items(flow: OrderFlow, order: dict[str, Any]):
    created = (await flow.shipped(order, items={"SHIRT": 1}))["shipment"]
    before = await flow.order(order["id"])
    body = await gql(
        flow.client,
        UPDATE_SHIPMENT,
        {
            "input": {
                "shipmentId": created["id"],
                "items": [{"orderProductId": product(order, "SHIRT")["id"], "quantity": 3}],
            }
        },
        token=flow.store.server_token,
    )
    assert body.get("data") is None
    assert body["errors"], body
    assert all(error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED" for error in body["errors"]), body
    assert any("items" in error["message"] for error in body["errors"])
    assert await flow.order(order["id"]) == before


# --- deleteShipment ------------------------------------------------------------------------------------


async def test_delete_gives_quantities_back_and_recomputes_status(flow: OrderFlow, order: dict[str, Any]):
    first = (await flow.shipped(order, 0))["shipment"]
    second_payload = await flow.shipped(order, 1, items={"SHIRT": 1})
    second = second_payload["shipment"]
    third = await flow.shipped(second_payload["order"], 1)  # the rest: SHIRT x1, LAMP x1
    shipped = third["order"]
    assert shipped["status"] == "SHIPPED" and shipped["dateShipped"] is not None

    payload = await flow.delete_shipment(second["id"])
    assert payload["errors"] == [] and payload["shipment"] is None
    after = payload["order"]
    assert after["status"] == "PARTIALLY_SHIPPED"
    assert after["dateShipped"] is None
    assert after["itemsShipped"] == 6
    assert [a["itemsShipped"] for a in after["shippingAddresses"]] == [4, 2]
    assert product(after, "SHIRT", 1)["quantityShipped"] == 1
    assert [s["id"] for s in after["shipments"]] == [first["id"], third["shipment"]["id"]]
    assert await flow.order(order["id"]) == after

    # The freed unit can ship again.
    reshipped = await flow.shipped(after, 1, items={"SHIRT": 1})
    assert reshipped["order"]["status"] == "SHIPPED"
    assert reshipped["order"]["dateShipped"] is not None

    # Deleting everything returns the order to AWAITING_FULFILLMENT.
    for shipment in reshipped["order"]["shipments"]:
        last = await flow.delete_shipment(shipment["id"])
        assert last["errors"] == []
    final = last["order"]
    assert final["status"] == "AWAITING_FULFILLMENT"
    assert final["itemsShipped"] == 0 and final["dateShipped"] is None
    assert final["shipments"] == []
    assert all(p["quantityShipped"] == 0 for p in final["products"])
    assert [a["itemsShipped"] for a in final["shippingAddresses"]] == [0, 0]


async def test_delete_only_shipment_of_shipped_order(flow: OrderFlow):
    order = await flow.place_order(lines={"MUG": 2})
    payload = await flow.shipped(order)
    assert payload["order"]["status"] == "SHIPPED"
    after = (await flow.delete_shipment(payload["shipment"]["id"]))["order"]
    assert after["status"] == "AWAITING_FULFILLMENT"
    assert after["dateShipped"] is None


@pytest.mark.parametrize("shipment_id", ["999999", "x"])
async def test_delete_unknown_shipment(flow: OrderFlow, order: dict[str, Any], shipment_id: str):
    payload = await flow.delete_shipment(shipment_id)
    assert errors_of(payload) == [("NOT_FOUND", ["shipmentId"])]


async def test_delete_twice(flow: OrderFlow, order: dict[str, Any]):
    shipment = (await flow.shipped(order, items={"MUG": 1}))["shipment"]
    assert (await flow.delete_shipment(shipment["id"]))["errors"] == []
    before = await flow.order(order["id"])
    again = await flow.delete_shipment(shipment["id"])
    assert errors_of(again) == [("NOT_FOUND", ["shipmentId"])]
    assert await flow.order(order["id"]) == before


# --- cancelOrder -------------------------------------------------------------------------------------


async def test_cancel_while_nothing_shipped(flow: OrderFlow, order: dict[str, Any]):
    payload = await flow.cancel(order["id"])
    assert payload["errors"] == []
    assert payload["order"]["status"] == "CANCELLED"
    cancelled = await flow.order(order["id"])
    assert cancelled == payload["order"]
    assert {**cancelled, "status": order["status"]} == order
    # Cancelling again changes nothing.
    again = await flow.cancel(order["id"])
    assert again["errors"] == [] and again["order"] == cancelled


async def test_cannot_cancel_once_something_shipped(flow: OrderFlow, order: dict[str, Any]):
    shipment = (await flow.shipped(order, items={"MUG": 1}))["shipment"]
    before = await flow.order(order["id"])
    payload = await flow.cancel(order["id"])
    assert errors_of(payload) == [("ORDER_HAS_SHIPMENTS", ["orderId"])]
    assert await flow.order(order["id"]) == before
    assert before["status"] == "PARTIALLY_SHIPPED"
    # Once the shipment is deleted, nothing has shipped: it can be cancelled.
    assert (await flow.delete_shipment(shipment["id"]))["errors"] == []
    assert (await flow.cancel(order["id"]))["order"]["status"] == "CANCELLED"


@pytest.mark.parametrize("order_id", ["999999", "abc"])
async def test_cancel_unknown_order(flow: OrderFlow, order_id: str):
    payload = await flow.cancel(order_id)
    assert errors_of(payload) == [("NOT_FOUND", ["orderId"])]
    assert payload["order"] is None


# --- idempotency --------------------------------------------------------------------------------------


async def test_same_key_and_input_returns_the_first_shipment(flow: OrderFlow, order: dict[str, Any]):
    input = shipment_input(order, 0, item(order, "SHIRT", 3), trackingNumber="1Z", idempotencyKey="ship-1")
    first = await flow.create_shipment(input)
    assert first["errors"] == []

    again = await flow.create_shipment(input)

    # Not OVER_SHIPPED, not shipped twice: the first result.
    assert again["errors"] == []
    assert again["shipment"]["id"] == first["shipment"]["id"]
    after = await flow.order(order["id"])
    assert len(after["shipments"]) == 1
    assert product(after, "SHIRT", 0)["quantityShipped"] == 3
    assert after["itemsShipped"] == 3


async def test_same_key_with_different_input_is_refused(flow: OrderFlow, order: dict[str, Any]):
    first = await flow.create_shipment(shipment_input(order, 0, item(order, "SHIRT", 1), idempotencyKey="ship-2"))
    assert first["errors"] == []
    variants = [
        shipment_input(order, 0, item(order, "SHIRT", 2), idempotencyKey="ship-2"),
        shipment_input(order, 0, item(order, "MUG", 1), idempotencyKey="ship-2"),
        shipment_input(order, 0, item(order, "SHIRT", 1), trackingNumber="T", idempotencyKey="ship-2"),
        shipment_input(order, 1, item(order, "SHIRT", 1, 1), idempotencyKey="ship-2"),
    ]
    for input in variants:
        assert await refused(flow, order, input) == [("IDEMPOTENCY_KEY_REUSED", ["idempotencyKey"])], input


async def test_same_key_on_another_order_is_refused(flow: OrderFlow, order: dict[str, Any]):
    other = await flow.place_order(lines={"MUG": 1})
    first = await flow.create_shipment(shipment_input(order, 0, item(order, "MUG", 1), idempotencyKey="ship-3"))
    assert first["errors"] == []
    assert await refused(flow, other, shipment_input(other, 0, item(other, "MUG", 1), idempotencyKey="ship-3")) == [
        ("IDEMPOTENCY_KEY_REUSED", ["idempotencyKey"])
    ]


async def test_refused_shipment_does_not_burn_the_key(flow: OrderFlow, order: dict[str, Any]):
    bad = shipment_input(order, 0, item(order, "SHIRT", 9), idempotencyKey="ship-4")
    assert await refused(flow, order, bad) == [("OVER_SHIPPED", ["items", "0", "quantity"])]
    good = await flow.create_shipment(shipment_input(order, 0, item(order, "SHIRT", 1), idempotencyKey="ship-4"))
    assert good["errors"] == []


async def test_keys_are_per_operation_and_distinct_keys_ship_twice(flow: OrderFlow):
    cart = await flow.ready(lines={"MUG": 3})
    order = await flow.completed(cart.id, idempotency_key="same-key")
    one = await flow.create_shipment(shipment_input(order, 0, item(order, "MUG", 1), idempotencyKey="same-key"))
    two = await flow.create_shipment(shipment_input(order, 0, item(order, "MUG", 1), idempotencyKey="other-key"))
    assert one["errors"] == [] and two["errors"] == []
    assert one["shipment"]["id"] != two["shipment"]["id"]
    assert product(await flow.order(order["id"]), "MUG")["quantityShipped"] == 2


@pytest.mark.parametrize("key", ["", "k" * 256])
async def test_idempotency_key_must_be_1_to_255_characters(flow: OrderFlow, order: dict[str, Any], key: str):
    input = shipment_input(order, 0, item(order, "MUG", 1), idempotencyKey=key)
    assert await refused(flow, order, input) == [("INVALID_INPUT", ["idempotencyKey"])]
    ok = await flow.create_shipment({**input, "idempotencyKey": "k" * 255})
    assert ok["errors"] == []


async def test_keys_are_kept_at_least_24_hours(flow: OrderFlow, order: dict[str, Any], monkeypatch: pytest.MonkeyPatch):
    input = shipment_input(order, 0, item(order, "SHIRT", 1), idempotencyKey="kept")
    first = await flow.create_shipment(input)
    assert first["errors"] == []

    later = datetime.now(UTC) + timedelta(hours=24, minutes=1)
    monkeypatch.setattr(idempotency, "utcnow", lambda: later)

    again = await flow.create_shipment(input)
    assert again["errors"] == []
    assert again["shipment"]["id"] == first["shipment"]["id"]
    assert product(await flow.order(order["id"]), "SHIRT")["quantityShipped"] == 1


async def test_update_to_custom_provider_drops_the_generated_link(flow: OrderFlow, order: dict[str, Any]):
    created = (await flow.shipped(order, items={"MUG": 1}, trackingNumber="1Z", shippingProvider="UPS"))["shipment"]
    updated = (await flow.update_shipment({"shipmentId": created["id"], "shippingProvider": "CUSTOM"}))["shipment"]
    assert updated["shippingProvider"] == "CUSTOM"
    assert updated["trackingLink"] is None
    assert updated["trackingNumber"] == "1Z"


async def test_another_stores_shipments_cannot_be_changed(flow: OrderFlow, order: dict[str, Any], engine: AsyncEngine):
    shipment = (await flow.shipped(order, items={"MUG": 1}, trackingNumber="1Z", shippingProvider="UPS"))["shipment"]
    before = await flow.order(order["id"])
    other = OrderFlow(flow.client, await make_store(engine, slug="other"))

    updated = await other.update_shipment({"shipmentId": shipment["id"], "trackingNumber": "HACK"})
    assert errors_of(updated) == [("NOT_FOUND", ["shipmentId"])]
    deleted = await other.delete_shipment(shipment["id"])
    assert errors_of(deleted) == [("NOT_FOUND", ["shipmentId"])]
    assert await flow.order(order["id"]) == before


#: Ids that are numbers, but too big for the id columns (int32 on PostgreSQL, int64 on SQLite): they
#: match nothing, like any other unknown id, and must never surface as INTERNAL_SERVER_ERROR.
OUT_OF_RANGE_IDS = ["2147483648", "99999999999999999999"]


@pytest.mark.parametrize("big", OUT_OF_RANGE_IDS)
@pytest.mark.parametrize("target", ["orderId", "shippingAddressId", "orderProductId"])
async def test_out_of_range_ids_in_create_shipment_are_not_found(
    flow: OrderFlow, order: dict[str, Any], big: str, target: str
):
    input = shipment_input(order, 0, item(order, "MUG", 1))
    expected_field = [target]
    if target == "orderProductId":
        input["items"][0]["orderProductId"] = big
        expected_field = ["items", "0", "orderProductId"]
    else:
        input[target] = big
    body = await gql(
        flow.client,
        CREATE_SHIPMENT_ERRORS,
        {"input": input},
        token=flow.store.server_token,
    )
    assert not body.get("errors"), body["errors"]
    assert body["data"]["createShipment"]["errors"] == [{"code": "NOT_FOUND", "field": expected_field}]
    assert (await flow.order(order["id"]))["shipments"] == []


@pytest.mark.parametrize("big", OUT_OF_RANGE_IDS)
@pytest.mark.parametrize(
    ("document", "field"),
    [
        pytest.param(
            "mutation($id: ID!) { cancelOrder(input: {orderId: $id}) { errors { code field } } }",
            "orderId",
            id="cancelOrder",
        ),
        pytest.param(
            "mutation($id: ID!) { deleteShipment(input: {shipmentId: $id}) { errors { code field } } }",
            "shipmentId",
            id="deleteShipment",
        ),
        pytest.param(
            'mutation($id: ID!) { updateShipment(input: {shipmentId: $id, comments: "x"}) { errors { code field } } }',
            "shipmentId",
            id="updateShipment",
        ),
    ],
)
async def test_out_of_range_ids_elsewhere_are_not_found(flow: OrderFlow, big: str, document: str, field: str):
    body = await gql(flow.client, document, {"id": big}, token=flow.store.server_token)
    assert not body.get("errors"), body["errors"]
    (payload,) = body["data"].values()
    assert payload["errors"] == [{"code": "NOT_FOUND", "field": [field]}]
