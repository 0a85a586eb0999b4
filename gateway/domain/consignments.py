"""Splitting a checkout into consignments: who gets which line items, and how many of each.

The invariant: for every line item, the quantities assigned across all its checkout's consignments never
exceed its quantity. Every function here runs inside one write transaction and starts by locking the
checkout (`lock_for_edit`), so two processes editing one checkout cannot both pass the check.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.domain.addresses import validate_address
from gateway.domain.checkout import lock_for_edit, new_id, touch
from gateway.domain.clock import utcnow
from gateway.domain.errors import ErrorCode, InvalidInput, NotFound, Problem, raise_if_any
from gateway.domain.inputs import (
    AddConsignmentsInput,
    ConsignmentInput,
    DeleteConsignmentInput,
    ItemQuantity,
    UpdateConsignmentInput,
)
from gateway.domain.limits import MAX_CONSIGNMENTS_PER_CHECKOUT, MAX_CONSIGNMENTS_PER_REQUEST
from gateway.domain.money import ZERO
from gateway.storage import queries

Path = tuple[str, ...]


class _Assignments:
    """Running totals of assigned units per line item while a request is checked."""

    def __init__(self, line_items: Sequence[Row[Any]], assigned: dict[str, int]) -> None:
        self.line_items = {row.id: row for row in line_items}
        self.assigned = dict(assigned)

    def check(self, items: Sequence[ItemQuantity], path: Path) -> list[Problem]:
        """Validate one consignment's item list and count it in; return its problems."""
        problems: list[Problem] = []
        if not items:
            return [Problem(ErrorCode.REQUIRED, "a consignment needs at least one line item", (*path, "lineItems"))]
        seen: set[str] = set()
        for index, item in enumerate(items):
            where = (*path, "lineItems", str(index))
            line = self.line_items.get(item.item_id)
            if line is None:
                problems.append(
                    Problem(ErrorCode.UNKNOWN_LINE_ITEM, "no such line item in this checkout", (*where, "itemId"))
                )
                continue
            if item.item_id in seen:
                problems.append(
                    Problem(
                        ErrorCode.DUPLICATE_LINE_ITEM,
                        "line item listed twice in one consignment",
                        (*where, "itemId"),
                    )
                )
                continue
            seen.add(item.item_id)
            if not line.requires_shipping:
                problems.append(
                    Problem(
                        ErrorCode.DIGITAL_ITEM,
                        f"{line.sku} does not require shipping and cannot be put in a consignment",
                        (*where, "itemId"),
                    )
                )
                continue
            if item.quantity < 1:
                problems.append(Problem(ErrorCode.INVALID_QUANTITY, "quantity must be at least 1", (*where, "quantity")))
                continue
            already = self.assigned.get(item.item_id, 0)
            if already + item.quantity > line.quantity:
                problems.append(
                    Problem(
                        ErrorCode.OVER_ASSIGNED,
                        f"{line.sku}: {line.quantity - already} of {line.quantity} units are unassigned, "
                        f"{item.quantity} requested",
                        (*where, "quantity"),
                    )
                )
                continue
            self.assigned[item.item_id] = already + item.quantity
        return problems


def _item_rows(
    store_id: int, checkout_id: str, consignment_id: str, items: Sequence[ItemQuantity]
) -> list[dict[str, Any]]:
    return [
        {
            "consignment_id": consignment_id,
            "line_item_id": item.item_id,
            "store_id": store_id,
            "checkout_id": checkout_id,
            "position": position,
            "quantity": item.quantity,
        }
        for position, item in enumerate(items)
    ]


def _check_destination(consignment: ConsignmentInput, path: Path) -> tuple[dict[str, Any] | None, list[Problem]]:
    if consignment.pickup_method_id is not None:
        # Pickup locations are configured with the shipping settings; a store without any has none.
        return None, [
            Problem(ErrorCode.PICKUP_METHOD_NOT_FOUND, "no such pickup method", (*path, "pickupOption", "pickupMethodId"))
        ]
    if consignment.address is None:
        return None, [Problem(ErrorCode.REQUIRED, "a shipping consignment needs an address", (*path, "address"))]
    return validate_address(consignment.address, (*path, "address"))


async def _assignment_state(
    conn: AsyncConnection, store_id: int, checkout_id: str, excluding_consignment: str | None = None
) -> _Assignments:
    line_items = await queries.line_items_by_checkout_ids(conn, store_id, [checkout_id])
    assigned: dict[str, int] = {}
    for row in await queries.consignment_items_by_checkout_id(conn, store_id, checkout_id):
        if row.consignment_id != excluding_consignment:
            assigned[row.line_item_id] = assigned.get(row.line_item_id, 0) + row.quantity
    return _Assignments(line_items, assigned)


async def add_consignments(conn: AsyncConnection, store_id: int, data: AddConsignmentsInput) -> str:
    """Add one or many consignments atomically: if any is invalid, none is added."""
    checkout = await lock_for_edit(conn, store_id, data.checkout_id, data.version)
    if not data.consignments:
        raise InvalidInput.one(ErrorCode.REQUIRED, "give at least one consignment", ("consignments",))
    existing = await queries.consignments_by_checkout_ids(conn, store_id, [checkout.id])
    if len(data.consignments) > MAX_CONSIGNMENTS_PER_REQUEST or (
        len(existing) + len(data.consignments) > MAX_CONSIGNMENTS_PER_CHECKOUT
    ):
        raise InvalidInput.one(
            ErrorCode.TOO_MANY,
            f"a checkout holds at most {MAX_CONSIGNMENTS_PER_CHECKOUT} consignments "
            f"({len(existing)} already)",
            ("consignments",),
        )

    state = await _assignment_state(conn, store_id, checkout.id)
    problems: list[Problem] = []
    addresses: list[dict[str, Any] | None] = []
    for index, consignment in enumerate(data.consignments):
        path = ("consignments", str(index))
        address, address_problems = _check_destination(consignment, path)
        problems += address_problems
        problems += state.check(consignment.line_items, path)
        addresses.append(address)
    raise_if_any(problems)

    now = utcnow()
    next_position = max((row.position for row in existing), default=-1) + 1
    consignment_rows = []
    item_rows: list[dict[str, Any]] = []
    for offset, (consignment, address) in enumerate(zip(data.consignments, addresses, strict=True)):
        consignment_id = new_id()
        consignment_rows.append(
            {
                "id": consignment_id,
                "store_id": store_id,
                "checkout_id": checkout.id,
                "position": next_position + offset,
                "address": address,
                "pickup_method_id": consignment.pickup_method_id,
                "selected_shipping_option_id": None,
                "currency_code": checkout.currency_code,
                "shipping_cost": ZERO,
                "handling_cost": ZERO,
                "created_at": now,
            }
        )
        item_rows += _item_rows(store_id, checkout.id, consignment_id, consignment.line_items)
    await queries.insert_consignments(conn, consignment_rows)
    await queries.insert_consignment_items(conn, item_rows)
    await touch(conn, checkout)
    return checkout.id


async def _find_consignment(conn: AsyncConnection, store_id: int, checkout_id: str, consignment_id: str) -> Row[Any]:
    for row in await queries.consignments_by_checkout_ids(conn, store_id, [checkout_id]):
        if row.id == consignment_id:
            return row
    raise NotFound.one(ErrorCode.NOT_FOUND, "consignment not found in this checkout", ("consignmentId",))


async def update_consignment(conn: AsyncConnection, store_id: int, data: UpdateConsignmentInput) -> str:
    """Change a consignment's address, items, pickup or selected shipping option.

    `shippingOptionId` must come alone: a new address or new items can change which options exist.
    `lineItems` replaces the whole assignment. After an address or items change a selected option that is
    no longer offered is cleared.
    """
    changes_destination = data.address is not None or data.pickup_method_id is not None
    if not changes_destination and data.line_items is None and data.shipping_option_id is None:
        raise InvalidInput.one(
            ErrorCode.NO_CHANGES, "give at least one of address, lineItems, shippingOptionId, pickupOption", ()
        )
    if data.shipping_option_id is not None and (changes_destination or data.line_items is not None):
        raise InvalidInput.one(
            ErrorCode.SHIPPING_OPTION_NOT_ALONE,
            "select a shipping option in a request of its own: address and item changes can invalidate it",
            ("shippingOptionId",),
        )
    checkout = await lock_for_edit(conn, store_id, data.checkout_id, data.version)
    consignment = await _find_consignment(conn, store_id, checkout.id, data.consignment_id)

    if data.shipping_option_id is not None:
        # Options are quoted from the store's shipping configuration; none is offered without it.
        raise InvalidInput.one(
            ErrorCode.SHIPPING_OPTION_NOT_AVAILABLE,
            "this shipping option is not offered for this consignment",
            ("shippingOptionId",),
        )

    problems: list[Problem] = []
    changes: dict[str, Any] = {}
    if changes_destination:
        destination = ConsignmentInput(line_items=(), address=data.address, pickup_method_id=data.pickup_method_id)
        address, address_problems = _check_destination(destination, ())
        problems += address_problems
        changes["address"] = address
        changes["pickup_method_id"] = data.pickup_method_id
    if data.line_items is not None:
        state = await _assignment_state(conn, store_id, checkout.id, excluding_consignment=consignment.id)
        problems += state.check(data.line_items, ())
    raise_if_any(problems)

    # Address or items changed: the options were priced for the old ones.
    changes.update(selected_shipping_option_id=None, shipping_cost=ZERO, handling_cost=ZERO)
    await queries.update_consignment(conn, consignment.id, changes)
    if data.line_items is not None:
        await queries.replace_consignment_items(
            conn, consignment.id, _item_rows(store_id, checkout.id, consignment.id, data.line_items)
        )
    await touch(conn, checkout)
    return checkout.id


async def delete_consignment(conn: AsyncConnection, store_id: int, data: DeleteConsignmentInput) -> str:
    """Remove a consignment and free its items. Deleting the last one leaves none."""
    checkout = await lock_for_edit(conn, store_id, data.checkout_id, data.version)
    consignment = await _find_consignment(conn, store_id, checkout.id, data.consignment_id)
    await queries.delete_consignment(conn, consignment.id)
    await touch(conn, checkout)
    return checkout.id
