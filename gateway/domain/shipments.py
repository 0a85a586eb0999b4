"""Shipments against an order: which items, how many, and how to track them.

Every function locks the order row first, so two processes shipping the same products at once are
serialised and can never ship more than was ordered. Creating or deleting a shipment moves
`quantityShipped`, the address's and order's `itemsShipped`, and the order status with it. Pickup
destinations and their products are never shipped (PICKUP_NOT_SHIPPABLE): they are collected in store.
"""

from __future__ import annotations

from enum import Enum
from typing import Any
from urllib.parse import quote, urlparse

from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.domain import idempotency
from gateway.domain.clock import utcnow
from gateway.domain.errors import ErrorCode, InvalidInput, NotFound, Problem, raise_if_any
from gateway.domain.inputs import CreateShipmentInput, TrackingInput
from gateway.domain.limits import MAX_STRING_LENGTH
from gateway.domain.orders import OrderStatus, lock_order, refresh_status
from gateway.storage import queries

MAX_TRACKING_NUMBER = 50
MAX_TRACKING_LINK = 500
MAX_COMMENTS = 65_535
MAX_ITEMS_PER_SHIPMENT = 250


class ShippingProvider(str, Enum):
    UPS = "UPS"
    FEDEX = "FEDEX"
    USPS = "USPS"
    CANADA_POST = "CANADA_POST"
    AUSTRALIA_POST = "AUSTRALIA_POST"
    ROYAL_MAIL = "ROYAL_MAIL"
    DHL = "DHL"
    CUSTOM = "CUSTOM"


#: Public tracking pages; `{}` takes the URL-encoded tracking number. CUSTOM has none.
TRACKING_URLS = {
    ShippingProvider.UPS: "https://www.ups.com/track?tracknum={}",
    ShippingProvider.FEDEX: "https://www.fedex.com/fedextrack/?trknbr={}",
    ShippingProvider.USPS: "https://tools.usps.com/go/TrackConfirmAction?tLabels={}",
    ShippingProvider.CANADA_POST: "https://www.canadapost-postescanada.ca/track-reperage/en#/search?searchFor={}",
    ShippingProvider.AUSTRALIA_POST: "https://auspost.com.au/mypost/track/details/{}",
    ShippingProvider.ROYAL_MAIL: "https://www.royalmail.com/track-your-item#/tracking-results/{}",
    ShippingProvider.DHL: "https://www.dhl.com/global-en/home/tracking/tracking-express.html?tracking-id={}",
}


def generated_tracking_link(provider: str | None, tracking_number: str | None) -> str | None:
    if not provider or not tracking_number:
        return None
    template = TRACKING_URLS.get(ShippingProvider(provider))
    return template.format(quote(tracking_number, safe="")) if template else None


def _clean(value: str | None) -> str | None:
    if value is None:
        return None
    return value.strip() or None


def validate_tracking(data: TrackingInput) -> tuple[dict[str, Any], list[Problem]]:
    """Column values for the tracking fields given (None = not given), and their problems."""
    problems: list[Problem] = []
    values: dict[str, Any] = {}
    limits = {
        "tracking_number": ("trackingNumber", MAX_TRACKING_NUMBER),
        "tracking_carrier": ("trackingCarrier", MAX_STRING_LENGTH),
        "shipping_method": ("shippingMethod", MAX_STRING_LENGTH),
        "comments": ("comments", MAX_COMMENTS),
        "tracking_link": ("trackingLink", MAX_TRACKING_LINK),
    }
    for column, (name, limit) in limits.items():
        raw = getattr(data, column)
        if raw is None:
            continue
        value = _clean(raw)
        if value is not None and len(value) > limit:
            problems.append(Problem(ErrorCode.TOO_LONG, f"{name} must be at most {limit} characters", (name,)))
        values[column] = value
    link = values.get("tracking_link")
    if link is not None:
        parsed = urlparse(link)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            problems.append(Problem(ErrorCode.INVALID_URL, "trackingLink must be an http(s) URL", ("trackingLink",)))
    if data.shipping_provider is not None:
        values["shipping_provider"] = data.shipping_provider
    return values, problems


def _with_link(current: dict[str, Any]) -> dict[str, Any]:
    """Generate the tracking link for known providers unless the caller gave one."""
    if current.get("tracking_link") and not current.get("tracking_link_generated"):
        return {}
    generated = generated_tracking_link(current.get("shipping_provider"), current.get("tracking_number"))
    return {"tracking_link": generated, "tracking_link_generated": generated is not None}


async def create_shipment(conn: AsyncConnection, store_id: int, data: CreateShipmentInput) -> int:
    order = await lock_order(conn, store_id, data.order_id)
    if data.idempotency_key is not None:
        earlier = await idempotency.claim(conn, store_id, "createShipment", data.idempotency_key, _request(data))
        if earlier is not None:
            # The first shipment must still exist and be this order's: a deleted one is never re-created
            # and another order's is never answered.
            found = await queries.shipments_by_ids(conn, store_id, [int(earlier)])
            if not found or found[0].order_id != order.id:
                raise idempotency.result_deleted(data.idempotency_key)
            return int(earlier)
    if order.status == OrderStatus.CANCELLED.value:
        raise InvalidInput.one(ErrorCode.ORDER_CANCELLED, "the order is cancelled", ("orderId",))
    destinations = await queries.shipping_addresses_by_order_ids(conn, store_id, [order.id])
    pickup_ids = {row.id for row in destinations if row.pickup_method_id is not None}
    address = next((row for row in destinations if row.id == data.shipping_address_id), None)
    if address is None:
        raise NotFound.one(ErrorCode.NOT_FOUND, "no such shipping address on this order", ("shippingAddressId",))
    if address.pickup_method_id is not None:
        raise InvalidInput.one(
            ErrorCode.PICKUP_NOT_SHIPPABLE,
            "that is a pickup: its items are collected in store (markPickedUp), never shipped",
            ("shippingAddressId",),
        )

    values, problems = validate_tracking(data.tracking)
    if not data.items:
        problems.append(Problem(ErrorCode.REQUIRED, "a shipment needs at least one item", ("items",)))
    if len(data.items) > MAX_ITEMS_PER_SHIPMENT:
        problems.append(Problem(ErrorCode.TOO_MANY, f"at most {MAX_ITEMS_PER_SHIPMENT} items", ("items",)))
    products = {
        row.id: row
        for row in await queries.order_products_by_ids(conn, store_id, [item.order_product_id for item in data.items])
    }
    seen: set[int] = set()
    for index, item in enumerate(data.items):
        where = ("items", str(index))
        product = products.get(item.order_product_id)
        if product is None or product.order_id != order.id:
            problems.append(Problem(ErrorCode.NOT_FOUND, "no such product on this order", (*where, "orderProductId")))
            continue
        if item.order_product_id in seen:
            problems.append(
                Problem(
                    ErrorCode.DUPLICATE_ORDER_PRODUCT,
                    "product listed twice in one shipment",
                    (*where, "orderProductId"),
                )
            )
            continue
        seen.add(item.order_product_id)
        if product.shipping_address_id in pickup_ids:
            problems.append(
                Problem(
                    ErrorCode.PICKUP_NOT_SHIPPABLE,
                    f"{product.sku} is collected in store (markPickedUp), never shipped",
                    (*where, "orderProductId"),
                )
            )
            continue
        if product.shipping_address_id != address.id:
            problems.append(
                Problem(
                    ErrorCode.WRONG_SHIPPING_ADDRESS,
                    f"{product.sku} does not ship to this address",
                    (*where, "orderProductId"),
                )
            )
            continue
        left = product.quantity - product.quantity_shipped
        if item.quantity < 1:
            problems.append(Problem(ErrorCode.INVALID_QUANTITY, "quantity must be at least 1", (*where, "quantity")))
        elif item.quantity > left:
            problems.append(
                Problem(
                    ErrorCode.OVER_SHIPPED,
                    f"{product.sku}: {left} of {product.quantity} left to ship, {item.quantity} requested",
                    (*where, "quantity"),
                )
            )
    raise_if_any(problems)

    now = utcnow()
    values.update(_with_link(values))
    shipment_id = await queries.insert_shipment(
        conn,
        {
            "store_id": store_id,
            "order_id": order.id,
            "shipping_address_id": address.id,
            "tracking_link_generated": False,
            **values,
            "created_at": now,
            "updated_at": now,
        },
    )
    await queries.insert_shipment_items(
        conn,
        [
            {
                "shipment_id": shipment_id,
                "order_product_id": item.order_product_id,
                "store_id": store_id,
                "order_id": order.id,
                "position": position,
                "quantity": item.quantity,
            }
            for position, item in enumerate(data.items)
        ],
    )
    units = sum(item.quantity for item in data.items)
    for item in data.items:
        await queries.add_quantity_shipped(conn, item.order_product_id, item.quantity)
    await queries.update_shipping_address(conn, address.id, {"items_shipped": address.items_shipped + units})
    await refresh_status(conn, order, order.items_shipped + units, destinations)
    if data.idempotency_key is not None:
        await idempotency.record(conn, store_id, "createShipment", data.idempotency_key, str(shipment_id))
    return shipment_id


def _request(data: CreateShipmentInput) -> dict[str, Any]:
    return {
        "orderId": data.order_id,
        "shippingAddressId": data.shipping_address_id,
        "items": [[item.order_product_id, item.quantity] for item in data.items],
        "tracking": [
            data.tracking.tracking_number,
            data.tracking.shipping_provider,
            data.tracking.tracking_carrier,
            data.tracking.tracking_link,
            data.tracking.shipping_method,
            data.tracking.comments,
        ],
    }


async def _find_shipment(conn: AsyncConnection, store_id: int, shipment_id: int) -> tuple[Row[Any], Row[Any]]:
    rows = await queries.shipments_by_ids(conn, store_id, [shipment_id])
    if not rows:
        raise NotFound.one(ErrorCode.NOT_FOUND, "shipment not found", ("shipmentId",))
    order = await lock_order(conn, store_id, rows[0].order_id, field="shipmentId")
    rows = await queries.shipments_by_ids(conn, store_id, [shipment_id])  # re-read under the order lock
    if not rows:
        raise NotFound.one(ErrorCode.NOT_FOUND, "shipment not found", ("shipmentId",))
    return rows[0], order


async def update_shipment(conn: AsyncConnection, store_id: int, shipment_id: int, data: TrackingInput) -> int:
    """Change tracking fields and comments; items never change."""
    shipment, _ = await _find_shipment(conn, store_id, shipment_id)
    values, problems = validate_tracking(data)
    raise_if_any(problems)
    if "tracking_link" in values:
        values["tracking_link_generated"] = False
    merged = {**shipment._mapping, **values}
    values.update(_with_link(merged))
    await queries.update_shipment(conn, shipment.id, {**values, "updated_at": utcnow()})
    return shipment.id


async def delete_shipment(conn: AsyncConnection, store_id: int, shipment_id: int) -> int:
    """Delete a shipment, give its quantities back and recompute the order status from them."""
    shipment, order = await _find_shipment(conn, store_id, shipment_id)
    items = await queries.shipment_items_by_shipment_ids(conn, store_id, [shipment.id])
    units = sum(item.quantity for item in items)
    for item in items:
        await queries.add_quantity_shipped(conn, item.order_product_id, -item.quantity)
    destinations = await queries.shipping_addresses_by_order_ids(conn, store_id, [order.id])
    address = next(row for row in destinations if row.id == shipment.shipping_address_id)
    await queries.update_shipping_address(conn, address.id, {"items_shipped": address.items_shipped - units})
    await queries.delete_shipment(conn, shipment.id)
    # A shipment to a pickup destination predates migration 0006 (which took pickup units out of the order's counts).
    order_units = 0 if address.pickup_method_id is not None else units
    if order.status != OrderStatus.CANCELLED.value:
        await refresh_status(conn, order, order.items_shipped - order_units, destinations)
    return order.id
