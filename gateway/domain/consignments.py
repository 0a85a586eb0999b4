"""Splitting a checkout into consignments: who gets which line items, how many, and how they ship.

The invariant: for every line item, the quantities assigned across all its checkout's consignments never
exceed its quantity. Every write function here runs inside one write transaction and starts by locking
the checkout (`lock_for_edit`), so two processes editing one checkout cannot both pass the check.

Shipping options are priced before the transaction (`quote_destinations_for_*` + `quotes.plan`), so no
transaction waits on a carrier; the write stores the planned quotes that match the consignment's final
address and items.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.domain.addresses import validate_address
from gateway.domain.checkout import lock_for_edit, new_id, record_edit
from gateway.domain.clock import utcnow
from gateway.domain.errors import ErrorCode, InvalidInput, NotFound, Problem, raise_if_any
from gateway.domain.inputs import (
    AddConsignmentsInput,
    ConsignmentInput,
    DeleteConsignmentInput,
    ItemQuantity,
    RefreshShippingOptionsInput,
    UpdateConsignmentInput,
)
from gateway.domain.limits import (
    MAX_CONSIGNMENTS_PER_CHECKOUT,
    MAX_CONSIGNMENTS_PER_REQUEST,
    MAX_LINE_ITEMS_PER_CONSIGNMENT,
    too_many,
)
from gateway.domain.money import ZERO
from gateway.domain.quotes import ItemList, QuotePlan, selection_columns, stale_ids, store_quotes
from gateway.storage import queries
from gateway.storage.types import Record

Path = tuple[str, ...]
Destination = tuple[dict[str, Any] | None, ItemList]
NO_PLAN = QuotePlan()


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
        if (problem := too_many(items, (*path, "lineItems"), MAX_LINE_ITEMS_PER_CONSIGNMENT, "line items")) is not None:
            return [problem]
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
                problems.append(
                    Problem(ErrorCode.INVALID_QUANTITY, "quantity must be at least 1", (*where, "quantity"))
                )
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


def _item_list(items: Sequence[ItemQuantity]) -> ItemList:
    return [(item.item_id, item.quantity) for item in items]


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


async def _check_pickup(conn: AsyncConnection, store_id: int, pickup_method_id: int, path: Path) -> list[Problem]:
    method = await queries.pickup_method_by_id(conn, store_id, pickup_method_id)
    if method is None or not method.enabled:
        return [
            Problem(
                ErrorCode.PICKUP_METHOD_NOT_FOUND,
                "no such pickup method",
                (*path, "pickupOption", "pickupMethodId"),
            )
        ]
    return []


async def _check_destination(
    conn: AsyncConnection, store_id: int, consignment: ConsignmentInput, path: Path
) -> tuple[dict[str, Any] | None, list[Problem]]:
    """A consignment ships to an address or is picked up: exactly one of the two."""
    if consignment.pickup_method_id is not None:
        if consignment.address is not None:
            return None, [
                Problem(
                    ErrorCode.CONFLICTING_FIELDS,
                    "give an address or a pickupOption, not both",
                    (*path, "pickupOption"),
                )
            ]
        return None, await _check_pickup(conn, store_id, consignment.pickup_method_id, path)
    if consignment.address is None:
        return None, [Problem(ErrorCode.REQUIRED, "a shipping consignment needs an address", (*path, "address"))]
    return validate_address(consignment.address, (*path, "address"))


def _pickup_limit(path: Path) -> Problem:
    return Problem(ErrorCode.PICKUP_LIMIT, "a checkout has at most one pickup consignment", path)


async def _assignment_state(
    conn: AsyncConnection, store_id: int, checkout_id: str, excluding_consignment: str | None = None
) -> _Assignments:
    line_items = await queries.line_items_by_checkout_ids(conn, store_id, [checkout_id])
    assigned: dict[str, int] = {}
    for row in await queries.consignment_items_by_checkout_id(conn, store_id, checkout_id):
        if row.consignment_id != excluding_consignment:
            assigned[row.line_item_id] = assigned.get(row.line_item_id, 0) + row.quantity
    return _Assignments(line_items, assigned)


async def _config_version(conn: AsyncConnection, store_id: int) -> int:
    return (await queries.shipping_config_versions(conn, [store_id]))[store_id]


async def _requote(
    conn: AsyncConnection, consignment: Any, items: ItemList, config_version: int, plan: QuotePlan
) -> dict[str, Any]:
    """Column changes after a consignment's destination or items changed: new quotes, kept selection."""
    if consignment.pickup_method_id is not None:
        await queries.replace_quotes(conn, consignment.id, [])
        return {
            "quote_fingerprint": None,
            "quote_config_version": None,
            "quote_pricing_digest": None,
            "shipping_zone_id": None,
            "shipping_zone_name": None,
            "quote_warnings": None,
            **selection_columns(None),
        }
    return await store_quotes(conn, consignment, items, config_version, plan)


async def add_consignments(
    conn: AsyncConnection, store_id: int, data: AddConsignmentsInput, plan: QuotePlan = NO_PLAN
) -> str:
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
            f"a checkout holds at most {MAX_CONSIGNMENTS_PER_CHECKOUT} consignments ({len(existing)} already)",
            ("consignments",),
        )

    state = await _assignment_state(conn, store_id, checkout.id)
    problems: list[Problem] = []
    addresses: list[dict[str, Any] | None] = []
    pickups = sum(1 for row in existing if row.pickup_method_id is not None)
    for index, consignment in enumerate(data.consignments):
        path = ("consignments", str(index))
        address, address_problems = await _check_destination(conn, store_id, consignment, path)
        problems += address_problems
        if consignment.pickup_method_id is not None:
            pickups += 1
            if pickups > 1:
                problems.append(_pickup_limit((*path, "pickupOption")))
        problems += state.check(consignment.line_items, path)
        addresses.append(address)
    raise_if_any(problems)

    now = utcnow()
    config_version = await _config_version(conn, store_id)
    next_position = max((row.position for row in existing), default=-1) + 1
    rows: list[dict[str, Any]] = []
    item_rows: list[dict[str, Any]] = []
    for offset, (consignment, address) in enumerate(zip(data.consignments, addresses, strict=True)):
        row = {
            "id": new_id(),
            "store_id": store_id,
            "checkout_id": checkout.id,
            "position": next_position + offset,
            "address": address,
            "pickup_method_id": consignment.pickup_method_id,
            "currency_code": checkout.currency_code,
            "selected_shipping_option_id": None,
            "selected_option_key": None,
            "shipping_cost": ZERO,
            "handling_cost": ZERO,
            "created_at": now,
        }
        rows.append(row)
        item_rows += _item_rows(store_id, checkout.id, row["id"], consignment.line_items)
    await queries.insert_consignments(conn, rows)
    await queries.insert_consignment_items(conn, item_rows)
    for row, consignment in zip(rows, data.consignments, strict=True):
        changes = await _requote(conn, Record(row), _item_list(consignment.line_items), config_version, plan)
        await queries.update_consignment(conn, row["id"], changes)
    return await record_edit(conn, store_id, checkout)


async def _find_consignment(conn: AsyncConnection, store_id: int, checkout_id: str, consignment_id: str) -> Row[Any]:
    for row in await queries.consignments_by_checkout_ids(conn, store_id, [checkout_id]):
        if row.id == consignment_id:
            return row
    raise NotFound.one(ErrorCode.NOT_FOUND, "consignment not found in this checkout", ("consignmentId",))


def _check_update_shape(data: UpdateConsignmentInput) -> None:
    changes_destination = data.address is not None or data.pickup_method_id is not None
    if not changes_destination and data.line_items is None and data.shipping_option_id is None:
        raise InvalidInput.one(
            ErrorCode.NO_CHANGES,
            "give at least one of address, lineItems, shippingOptionId, pickupOption",
            None,
        )
    if data.shipping_option_id is not None and (changes_destination or data.line_items is not None):
        raise InvalidInput.one(
            ErrorCode.SHIPPING_OPTION_NOT_ALONE,
            "select a shipping option in a request of its own: address and item changes can invalidate it",
            ("shippingOptionId",),
        )
    if data.address is not None and data.pickup_method_id is not None:
        raise InvalidInput.one(
            ErrorCode.CONFLICTING_FIELDS, "give an address or a pickupOption, not both", ("pickupOption",)
        )


async def _select_option(
    conn: AsyncConnection, store_id: int, checkout: Row[Any], consignment: Row[Any], option_id: str
) -> str:
    quotes = {row.id: row for row in await queries.quotes_by_consignment_ids(conn, store_id, [consignment.id])}
    quote = quotes.get(option_id) if consignment.pickup_method_id is None else None
    if quote is None:
        raise InvalidInput.one(
            ErrorCode.SHIPPING_OPTION_NOT_AVAILABLE,
            "this shipping option is not offered for this consignment",
            ("shippingOptionId",),
        )
    if consignment.id in await stale_ids(conn, store_id, [consignment]):
        raise InvalidInput.one(
            ErrorCode.SHIPPING_OPTION_STALE,
            "shipping options changed since they were quoted: refresh them and select again",
            ("shippingOptionId",),
        )
    if consignment.selected_shipping_option_id == option_id:
        return str(checkout.id)  # already selected: nothing changes
    await queries.update_consignment(conn, consignment.id, selection_columns(quote._mapping))
    return await record_edit(conn, store_id, checkout)


async def update_consignment(
    conn: AsyncConnection, store_id: int, data: UpdateConsignmentInput, plan: QuotePlan = NO_PLAN
) -> str:
    """Change a consignment's address, items, pickup or selected shipping option.

    `shippingOptionId` must come alone: a new address or new items can change which options exist.
    `lineItems` replaces the whole assignment. An address or items change re-quotes the consignment
    and keeps the selection only while an option of the same method is still offered.
    """
    _check_update_shape(data)
    checkout = await lock_for_edit(conn, store_id, data.checkout_id, data.version)
    consignment = await _find_consignment(conn, store_id, checkout.id, data.consignment_id)
    if data.shipping_option_id is not None:
        return await _select_option(conn, store_id, checkout, consignment, data.shipping_option_id)

    problems: list[Problem] = []
    changes: dict[str, Any] = {}
    if data.address is not None:
        address, address_problems = validate_address(data.address, ("address",))
        problems += address_problems
        changes.update(address=address, pickup_method_id=None)
    if data.pickup_method_id is not None:
        problems += await _check_pickup(conn, store_id, data.pickup_method_id, ())
        others = await queries.consignments_by_checkout_ids(conn, store_id, [checkout.id])
        if any(row.pickup_method_id is not None and row.id != consignment.id for row in others):
            problems.append(_pickup_limit(("pickupOption",)))
        changes.update(address=None, pickup_method_id=data.pickup_method_id)
    if data.line_items is not None:
        state = await _assignment_state(conn, store_id, checkout.id, excluding_consignment=consignment.id)
        problems += state.check(data.line_items, ())
    raise_if_any(problems)

    current = await _current_items(conn, store_id, consignment.id)
    if not _changes_anything(consignment, changes, current, data.line_items):
        return str(checkout.id)  # nothing changed: no write, `version` and `updatedAt` stay
    if data.line_items is not None:
        await queries.replace_consignment_items(
            conn, consignment.id, _item_rows(store_id, checkout.id, consignment.id, data.line_items)
        )
        items = _item_list(data.line_items)
    else:
        items = current
    updated = Record({**consignment._mapping, **changes})
    changes.update(await _requote(conn, updated, items, await _config_version(conn, store_id), plan))
    await queries.update_consignment(conn, consignment.id, changes)
    return await record_edit(conn, store_id, checkout)


def _changes_anything(
    consignment: Any, changes: dict[str, Any], current: ItemList, line_items: Sequence[ItemQuantity] | None
) -> bool:
    """Whether an update would change the consignment: only real changes re-quote it and move the version."""
    if any(consignment._mapping[column] != value for column, value in changes.items()):
        return True
    return line_items is not None and _item_totals(_item_list(line_items)) != _item_totals(current)


def _item_totals(items: ItemList) -> dict[str, int]:
    totals: dict[str, int] = {}
    for item_id, quantity in items:
        totals[item_id] = totals.get(item_id, 0) + quantity
    return totals


async def _items_of(conn: AsyncConnection, store_id: int, consignment_ids: Sequence[str]) -> dict[str, ItemList]:
    """Each consignment's (line item, quantity) pairs, in one query."""
    found: dict[str, list[tuple[str, int]]] = {}
    for row in await queries.consignment_items_by_consignment_ids(conn, store_id, consignment_ids):
        found.setdefault(row.consignment_id, []).append((row.line_item_id, row.quantity))
    return {consignment_id: found.get(consignment_id, []) for consignment_id in consignment_ids}


async def _current_items(conn: AsyncConnection, store_id: int, consignment_id: str) -> ItemList:
    rows = await queries.consignment_items_by_consignment_ids(conn, store_id, [consignment_id])
    return [(row.line_item_id, row.quantity) for row in rows]


async def delete_consignment(conn: AsyncConnection, store_id: int, data: DeleteConsignmentInput) -> str:
    """Remove a consignment and free its items. Deleting the last one leaves none."""
    checkout = await lock_for_edit(conn, store_id, data.checkout_id, data.version)
    consignment = await _find_consignment(conn, store_id, checkout.id, data.consignment_id)
    await queries.delete_consignment(conn, consignment.id)
    return await record_edit(conn, store_id, checkout)


async def refresh_shipping_options(
    conn: AsyncConnection, store_id: int, data: RefreshShippingOptionsInput, plan: QuotePlan
) -> str:
    """Store fresh quotes for one consignment (or every shipping consignment) of a checkout.

    A refresh follows the merchant's configuration changes, so a selection it cannot keep (its method
    disabled, the address now in another zone) is remembered as `unavailable_option` and shown as
    SHIPPING_OPTION_UNAVAILABLE until the shopper chooses again (an earlier such notice is kept).
    """
    checkout = await lock_for_edit(conn, store_id, data.checkout_id, data.version)
    targets = await _refresh_targets(conn, store_id, checkout.id, data.consignment_id)
    config_version = await _config_version(conn, store_id)
    ids = [row.id for row in targets]
    items = await _items_of(conn, store_id, ids)
    chosen = {row.selected_shipping_option_id for row in targets} - {None}
    selected = {
        quote.consignment_id: quote.description
        for quote in await queries.quotes_by_consignment_ids(conn, store_id, ids)
        if quote.id in chosen
    }
    for consignment in targets:
        changes = await _requote(conn, consignment, items[consignment.id], config_version, plan)
        if changes["selected_shipping_option_id"] is None:
            changes["unavailable_option"] = selected.get(consignment.id) or consignment.unavailable_option
        await queries.update_consignment(conn, consignment.id, changes)
    return await record_edit(conn, store_id, checkout)


async def _refresh_targets(
    conn: AsyncConnection, store_id: int, checkout_id: str, consignment_id: str | None
) -> list[Row[Any]]:
    if consignment_id is not None:
        return [await _find_consignment(conn, store_id, checkout_id, consignment_id)]
    return list(await queries.consignments_by_checkout_ids(conn, store_id, [checkout_id]))


# --- what to quote ahead of each write (read-only; runs before the transaction) -----------------------


async def quote_destinations_for_add(conn: AsyncConnection, data: AddConsignmentsInput) -> list[Destination]:
    destinations: list[Destination] = []
    for consignment in data.consignments:
        if consignment.pickup_method_id is None and consignment.address is not None:
            address, problems = validate_address(consignment.address, ())
            if not problems:
                destinations.append((address, _item_list(consignment.line_items)))
    return destinations


async def quote_destinations_for_update(
    conn: AsyncConnection, store_id: int, data: UpdateConsignmentInput
) -> list[Destination]:
    if data.shipping_option_id is not None or data.pickup_method_id is not None:
        return []
    rows = await queries.consignments_by_checkout_ids(conn, store_id, [data.checkout_id])
    consignment = next((row for row in rows if row.id == data.consignment_id), None)
    if consignment is None:
        return []
    address: dict[str, Any] | None = consignment.address
    if data.address is not None:
        address, problems = validate_address(data.address, ())
        if problems:
            return []
    items = (
        _item_list(data.line_items)
        if data.line_items is not None
        else await _current_items(conn, store_id, consignment.id)
    )
    return [(address, items)]


async def quote_destinations_for_refresh(
    conn: AsyncConnection, store_id: int, data: RefreshShippingOptionsInput
) -> list[Destination]:
    rows = [
        row
        for row in await queries.consignments_by_checkout_ids(conn, store_id, [data.checkout_id])
        if row.pickup_method_id is None and (data.consignment_id is None or row.id == data.consignment_id)
    ]
    items = await _items_of(conn, store_id, [row.id for row in rows])
    return [(row.address, items[row.id]) for row in rows]


def assigned_quantities(items: Iterable[Any]) -> dict[str, int]:
    """Units of each line item assigned to consignments, from a checkout's consignment items."""
    assigned: dict[str, int] = {}
    for item in items:
        assigned[item.line_item_id] = assigned.get(item.line_item_id, 0) + item.quantity
    return assigned
