"""Completing a checkout into an order, and the order's status rules.

Completion refuses (listing every problem, with field paths) while `Checkout.problems` is not empty;
the two use the same rules (`gateway.domain.problems`). The order snapshots prices, costs and
addresses: later catalog or shipping changes never alter it. Completing a completed checkout returns
its order, and the checkout row lock plus a unique order-per-checkout constraint make concurrent
completions produce exactly one order.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import Enum
from typing import Any

from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.domain import idempotency
from gateway.domain.clock import utcnow
from gateway.domain.errors import ErrorCode, InvalidInput, NotFound, Problem
from gateway.domain.inputs import CompleteCheckoutInput, MarkPickedUpInput
from gateway.domain.problems import CheckoutProblem, ProblemCode, checkout_problems
from gateway.domain.quotes import stale_ids
from gateway.storage import queries
from gateway.storage.types import Record


class OrderStatus(str, Enum):
    AWAITING_FULFILLMENT = "AWAITING_FULFILLMENT"
    PARTIALLY_SHIPPED = "PARTIALLY_SHIPPED"
    AWAITING_PICKUP = "AWAITING_PICKUP"
    SHIPPED = "SHIPPED"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"


def status_for(items_total: int, items_shipped: int, pickups_total: int = 0, pickups_collected: int = 0) -> OrderStatus:
    """The status an order's destinations imply (a cancelled order stays cancelled; callers check that first).

    `items_total` / `items_shipped` count the physical units to ship (pickup units are never shipped);
    `pickups_total` / `pickups_collected` count pickup destinations and those collected (`markPickedUp`).
    The statuses follow BigCommerce: SHIPPED means shipped (receipt not confirmed), COMPLETED means
    fulfilled and in the shopper's hands, AWAITING_PICKUP means waiting at the store for the shopper.

    | units to ship  | shipped       | pickups                     | status               |
    |----------------|---------------|-----------------------------|----------------------|
    | none           | -             | none (digital only)         | COMPLETED            |
    | some           | none          | any                         | AWAITING_FULFILLMENT |
    | some           | some, not all | any                         | PARTIALLY_SHIPPED    |
    | none, or all   | all           | some not collected          | AWAITING_PICKUP      |
    | none           | -             | all collected               | COMPLETED            |
    | some           | all           | none, or all collected      | SHIPPED              |

    Partial cases: while anything is left to ship, shipping decides (a collected pickup does not move
    an unshipped order past AWAITING_FULFILLMENT, nor a partly shipped one past PARTIALLY_SHIPPED);
    AWAITING_PICKUP lasts until every pickup destination of the order is collected. A collected pickup
    counts as handed over: the order can no longer be cancelled, like one with shipments.
    """
    if items_total > 0 and items_shipped <= 0:
        return OrderStatus.AWAITING_FULFILLMENT
    if items_total > 0 and items_shipped < items_total:
        return OrderStatus.PARTIALLY_SHIPPED
    if pickups_collected < pickups_total:
        return OrderStatus.AWAITING_PICKUP
    if items_total > 0:
        return OrderStatus.SHIPPED
    return OrderStatus.COMPLETED


def _completion_errors(
    problems: list[CheckoutProblem], line_items: list[Any], consignments: list[Any]
) -> list[Problem]:
    """Checkout problems as input-style errors, one per missing field, with paths into the checkout."""
    line_index = {line.id: str(index) for index, line in enumerate(line_items)}
    consignment_index = {row.id: str(index) for index, row in enumerate(consignments)}
    errors: list[Problem] = []
    for problem in problems:
        code = ErrorCode(problem.code.value)
        if problem.code is ProblemCode.MISSING_BILLING_ADDRESS:
            errors.append(Problem(code, problem.message, ("billingAddress",)))
        elif problem.code is ProblemCode.INCOMPLETE_BILLING_ADDRESS:
            errors += [
                Problem(code, f"billing address needs {name}", ("billingAddress", name)) for name in problem.fields
            ]
        elif problem.code is ProblemCode.UNASSIGNED_ITEMS:
            errors.append(Problem(code, problem.message, ("lineItems", line_index[problem.line_item_id or ""])))
        else:
            where = ("consignments", consignment_index[problem.consignment_id or ""])
            if problem.code is ProblemCode.INCOMPLETE_SHIPPING_ADDRESS:
                errors += [
                    Problem(code, f"shipping address needs {name}", (*where, "address", name))
                    for name in problem.fields
                ]
            elif problem.code is ProblemCode.NO_SHIPPING_ZONE:
                errors.append(Problem(code, problem.message, (*where, "address")))
            elif problem.code is ProblemCode.PICKUP_METHOD_UNAVAILABLE:
                errors.append(Problem(code, problem.message, (*where, "pickupOption")))
            else:
                errors.append(Problem(code, problem.message, (*where, "selectedShippingOption")))
    return errors


async def complete_checkout(conn: AsyncConnection, store_id: int, data: CompleteCheckoutInput) -> tuple[int, str]:
    """Turn a checkout into an order; returns (order id, checkout id)."""
    checkout = await queries.lock_checkout(conn, store_id, data.checkout_id)
    if checkout is None:
        raise NotFound.one(ErrorCode.NOT_FOUND, "checkout not found", ("checkoutId",))
    if data.idempotency_key is not None:
        earlier = await idempotency.claim(
            conn, store_id, "completeCheckout", data.idempotency_key, {"checkoutId": data.checkout_id}
        )
        if earlier is not None:
            # Belt and braces: the order must still exist and be this checkout's.
            found = await queries.orders_by_ids(conn, store_id, [int(earlier)])
            if not found or found[0].checkout_id != checkout.id:
                raise idempotency.result_deleted(data.idempotency_key)
            return int(earlier), checkout.id
    if checkout.order_id is not None:
        order_id = int(checkout.order_id)
    else:
        order_id = await _place_order(conn, store_id, checkout)
    if data.idempotency_key is not None:
        await idempotency.record(conn, store_id, "completeCheckout", data.idempotency_key, str(order_id))
    return order_id, checkout.id


async def _place_order(conn: AsyncConnection, store_id: int, checkout: Row[Any]) -> int:
    line_items = list(await queries.line_items_by_checkout_ids(conn, store_id, [checkout.id]))
    consignments = list(await queries.consignments_by_checkout_ids(conn, store_id, [checkout.id]))
    portions = await queries.consignment_items_by_checkout_id(conn, store_id, checkout.id)
    assigned: dict[str, int] = {}
    for portion in portions:
        assigned[portion.line_item_id] = assigned.get(portion.line_item_id, 0) + portion.quantity
    stale = await stale_ids(conn, store_id, consignments)
    pickups = {row.id: row for row in await queries.pickup_methods_for_store(conn, store_id)}
    enabled = {pickup_id for pickup_id, row in pickups.items() if row.enabled}
    problems = checkout_problems(checkout, line_items, assigned, consignments, stale, enabled)
    if problems:
        raise InvalidInput(_completion_errors(problems, line_items, consignments))

    now = utcnow()
    lines = {line.id: line for line in line_items}
    billing = checkout.billing_address
    # Units to ship: those of shipping consignments. Pickup units are collected, never shipped.
    pickup_consignments = {row.id for row in consignments if row.pickup_method_id is not None}
    items_total = sum(p.quantity for p in portions if p.consignment_id not in pickup_consignments)
    order_id = await queries.insert_order(
        conn,
        {
            "store_id": store_id,
            "checkout_id": checkout.id,
            "status": status_for(items_total, 0, len(pickup_consignments), 0).value,
            "email": checkout.email or billing["email"],
            "currency_code": checkout.currency_code,
            "billing_address": dict(billing),
            "subtotal": checkout.subtotal,
            "shipping_cost_total": checkout.shipping_cost_total,
            "handling_cost_total": checkout.handling_cost_total,
            "grand_total": checkout.grand_total,
            "items_total": items_total,
            "items_shipped": 0,
            "date_shipped": None,
            "created_at": now,
            "updated_at": now,
        },
    )
    quotes = {
        (row.consignment_id, row.id): row
        for row in await queries.quotes_by_consignment_ids(conn, store_id, [row.id for row in consignments])
    }
    products: list[dict[str, Any]] = []
    for position, consignment in enumerate(consignments):
        mine = [portion for portion in portions if portion.consignment_id == consignment.id]
        location: dict[str, Any] = {}
        if consignment.pickup_method_id is not None:
            pickup = pickups[consignment.pickup_method_id]
            address, method = dict(pickup.address), f"Pickup: {pickup.location_name}"
            location = {"pickup_location_name": pickup.location_name, "pickup_instructions": pickup.instructions}
        else:
            quote = quotes[(consignment.id, consignment.selected_shipping_option_id)]
            address, method = dict(consignment.address), quote.description
        address_id = await queries.insert_shipping_address(
            conn,
            {
                "store_id": store_id,
                "order_id": order_id,
                "position": position,
                "address": address,
                "shipping_method": method,
                "currency_code": checkout.currency_code,
                "shipping_cost": consignment.shipping_cost,
                "handling_cost": consignment.handling_cost,
                "shipping_zone_name": consignment.shipping_zone_name,
                "pickup_method_id": consignment.pickup_method_id,
                **location,
                "items_total": sum(portion.quantity for portion in mine),
                "items_shipped": 0,
            },
        )
        products += [_product(store_id, order_id, address_id, lines[p.line_item_id], p.quantity) for p in mine]
    products += [
        _product(store_id, order_id, None, line, line.quantity) for line in line_items if not line.requires_shipping
    ]
    for position, product in enumerate(products):
        product["position"] = position
    await queries.insert_order_products(conn, products)
    await queries.update_checkout(
        conn,
        checkout.id,
        {"order_id": order_id, "completed_at": now, "updated_at": now, "version": checkout.version + 1},
    )
    return order_id


def _product(store_id: int, order_id: int, address_id: int | None, line: Any, quantity: int) -> dict[str, Any]:
    return {
        "store_id": store_id,
        "order_id": order_id,
        "shipping_address_id": address_id,
        "product_id": line.product_id,
        "sku": line.sku,
        "name": line.name,
        "quantity": quantity,
        "quantity_shipped": 0,
        "currency_code": line.currency_code,
        "price": line.list_price,
        "weight": line.weight,
        "requires_shipping": line.requires_shipping,
    }


async def lock_order(conn: AsyncConnection, store_id: int, order_id: int, field: str = "orderId") -> Row[Any]:
    """Lock the order for the rest of the transaction: shipments and cancellation serialise on it."""
    order = await queries.lock_order(conn, store_id, order_id)
    if order is None:
        raise NotFound.one(ErrorCode.NOT_FOUND, "order not found", (field,))
    return order


async def refresh_status(
    conn: AsyncConnection, order: Row[Any], items_shipped: int, destinations: Sequence[Any]
) -> None:
    """Store the order's new `items_shipped` and the status `status_for` gives it (under the order lock).

    `destinations` are the order's shipping addresses and pickups as they are now (the caller read them
    under the lock; their collections count). `dateShipped` is set when the last unit to ship ships (kept
    while it stays so), whatever the pickups.
    """
    pickups = [row for row in destinations if row.pickup_method_id is not None]
    collected = sum(1 for row in pickups if row.picked_up_at is not None)
    status = status_for(order.items_total, items_shipped, len(pickups), collected)
    all_shipped = order.items_total > 0 and items_shipped >= order.items_total
    await queries.update_order(
        conn,
        order.id,
        {
            "items_shipped": items_shipped,
            "status": status.value,
            "date_shipped": (order.date_shipped or utcnow()) if all_shipped else None,
            "updated_at": utcnow(),
        },
    )


async def mark_picked_up(conn: AsyncConnection, store_id: int, data: MarkPickedUpInput) -> int:
    """Record that the shopper collected a pickup destination's items, and move the order status on.

    Locks the order first (like shipments), so two concurrent calls record one collection and the
    second is refused with ALREADY_PICKED_UP; a refusal changes nothing.
    """
    order = await lock_order(conn, store_id, data.order_id)
    if order.status == OrderStatus.CANCELLED.value:
        raise InvalidInput.one(ErrorCode.ORDER_CANCELLED, "the order is cancelled", ("orderId",))
    destinations = await queries.shipping_addresses_by_order_ids(conn, store_id, [order.id])
    pickup = next((row for row in destinations if row.id == data.pickup_id and row.pickup_method_id is not None), None)
    if pickup is None:
        raise NotFound.one(ErrorCode.NOT_FOUND, "no such pickup on this order", ("pickupId",))
    if pickup.picked_up_at is not None:
        raise InvalidInput.one(
            ErrorCode.ALREADY_PICKED_UP,
            f"collected already, at {pickup.picked_up_at.isoformat()}",
            ("pickupId",),
        )
    collected = Record({**pickup._mapping, "picked_up_at": utcnow()})
    await queries.update_shipping_address(conn, pickup.id, {"picked_up_at": collected.picked_up_at})
    current = [collected if row.id == pickup.id else row for row in destinations]
    await refresh_status(conn, order, order.items_shipped, current)
    return order.id


async def cancel_order(conn: AsyncConnection, store_id: int, order_id: int) -> int:
    """Cancel an order while nothing has shipped or been picked up. Cancelling a cancelled order changes nothing."""
    order = await lock_order(conn, store_id, order_id)
    if order.status == OrderStatus.CANCELLED.value:
        return order_id
    destinations = await queries.shipping_addresses_by_order_ids(conn, store_id, [order.id])
    if order.items_shipped > 0 or any(row.picked_up_at is not None for row in destinations):
        raise InvalidInput.one(
            ErrorCode.ORDER_HAS_SHIPMENTS,
            "items of this order have shipped or been picked up; it can no longer be cancelled",
            ("orderId",),
        )
    await queries.update_order(conn, order_id, {"status": OrderStatus.CANCELLED.value, "updated_at": utcnow()})
    return order_id
