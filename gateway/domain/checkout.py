"""Checkout lifecycle: creation from catalog SKUs, billing address, and the lock every edit takes."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.domain.addresses import is_email, validate_address
from gateway.domain.clock import utcnow
from gateway.domain.errors import Conflict, ErrorCode, InvalidInput, NotFound, Problem, raise_if_any
from gateway.domain.inputs import CreateCheckoutInput, SetBillingAddressInput
from gateway.domain.limits import MAX_LINE_ITEMS_PER_CHECKOUT, MAX_QUANTITY_PER_LINE_ITEM, MAX_STRING_LENGTH, too_long
from gateway.domain.money import ZERO
from gateway.storage import queries


def new_id() -> str:
    """122 random bits (UUID version 4): checkout ids cannot be guessed."""
    return str(uuid.uuid4())


async def create_checkout(conn: AsyncConnection, store: Any, data: CreateCheckoutInput) -> str:
    """Create a checkout whose prices come from the catalog; returns its id.

    Repeated SKUs are merged into one line item. Unknown SKUs, bad quantities, an empty list or a bad
    email refuse the whole request.
    """
    problems: list[Problem] = []
    email = data.email.strip() if data.email else None
    if email is not None and (len(email) > MAX_STRING_LENGTH or not is_email(email)):
        problems.append(Problem(ErrorCode.INVALID_EMAIL, "email is not a valid address", ("email",)))
    if not data.line_items:
        problems.append(Problem(ErrorCode.REQUIRED, "a checkout needs at least one line item", ("lineItems",)))
    if len(data.line_items) > MAX_LINE_ITEMS_PER_CHECKOUT:
        problems.append(
            Problem(
                ErrorCode.TOO_MANY,
                f"at most {MAX_LINE_ITEMS_PER_CHECKOUT} line items per checkout",
                ("lineItems",),
            )
        )
        raise_if_any(problems)
    skus = {item.sku for item in data.line_items if len(item.sku) <= MAX_STRING_LENGTH}
    products = {row.sku: row for row in await queries.products_by_skus(conn, store.id, skus)}
    quantities: dict[str, int] = {}
    for index, item in enumerate(data.line_items):
        where = ("lineItems", str(index))
        quantity_ok = 1 <= item.quantity <= MAX_QUANTITY_PER_LINE_ITEM
        if not quantity_ok:
            problems.append(
                Problem(
                    ErrorCode.INVALID_QUANTITY,
                    f"quantity must be between 1 and {MAX_QUANTITY_PER_LINE_ITEM}",
                    (*where, "quantity"),
                )
            )
        if (problem := too_long(item.sku, (*where, "sku"))) is not None:
            problems.append(problem)
            continue
        if item.sku not in products:
            problems.append(Problem(ErrorCode.UNKNOWN_SKU, f"no product with sku {item.sku!r}", (*where, "sku")))
            continue
        if not quantity_ok:
            continue
        quantities[item.sku] = quantities.get(item.sku, 0) + item.quantity
        if quantities[item.sku] > MAX_QUANTITY_PER_LINE_ITEM:
            problems.append(
                Problem(
                    ErrorCode.INVALID_QUANTITY,
                    f"sku {item.sku!r} adds up to more than {MAX_QUANTITY_PER_LINE_ITEM}",
                    (*where, "quantity"),
                )
            )
    raise_if_any(problems)

    checkout_id = new_id()
    now = utcnow()
    rows = []
    subtotal = ZERO
    for position, (sku, quantity) in enumerate(quantities.items()):
        product = products[sku]
        extended = product.price * quantity
        subtotal += extended
        rows.append(
            {
                "id": new_id(),
                "store_id": store.id,
                "checkout_id": checkout_id,
                "product_id": product.id,
                "position": position,
                "sku": product.sku,
                "name": product.name,
                "quantity": quantity,
                "requires_shipping": product.requires_shipping,
                "currency_code": store.currency_code,
                "list_price": product.price,
                "extended_list_price": extended,
                "weight": product.weight,
            }
        )
    await queries.insert_checkout(
        conn,
        {
            "id": checkout_id,
            "store_id": store.id,
            "email": email,
            "currency_code": store.currency_code,
            "billing_address": None,
            "subtotal": subtotal,
            "shipping_cost_total": ZERO,
            "handling_cost_total": ZERO,
            "grand_total": subtotal,
            "version": 1,
            "created_at": now,
            "updated_at": now,
        },
    )
    await queries.insert_line_items(conn, rows)
    return checkout_id


async def lock_for_edit(conn: AsyncConnection, store_id: int, checkout_id: str, version: int | None) -> Row[Any]:
    """Lock the checkout for the rest of the transaction and check the caller's expected version.

    Every checkout mutation starts here, so concurrent edits of one checkout are serialised.
    """
    row = await queries.lock_checkout(conn, store_id, checkout_id)
    if row is None:
        raise NotFound.one(ErrorCode.NOT_FOUND, "checkout not found", ("checkoutId",))
    if row.completed_at is not None:
        raise InvalidInput.one(
            ErrorCode.CHECKOUT_COMPLETED,
            "this checkout became an order and can no longer change",
            ("checkoutId",),
        )
    if version is not None and version != row.version:
        raise Conflict.one(
            ErrorCode.VERSION_CONFLICT,
            f"checkout is at version {row.version}, not {version}; reload and try again",
            ("version",),
        )
    return row


async def touch(conn: AsyncConnection, checkout: Row[Any], **changes: Any) -> None:
    """Record a successful edit: bump the version and `updatedAt`, apply `changes`."""
    await queries.update_checkout(
        conn, checkout.id, {"version": checkout.version + 1, "updated_at": utcnow(), **changes}
    )


async def record_edit(conn: AsyncConnection, store_id: int, checkout: Row[Any]) -> str:
    """Recompute the checkout's totals from its consignments and record the edit."""
    await record_edits(conn, store_id, [checkout])
    return str(checkout.id)


async def record_edits(conn: AsyncConnection, store_id: int, checkouts: Sequence[Row[Any]]) -> None:
    """`record_edit` for several checkouts in two statements (their consignments read at once)."""
    costs: dict[str, tuple[Decimal, Decimal]] = {}
    for row in await queries.consignments_by_checkout_ids(conn, store_id, [checkout.id for checkout in checkouts]):
        shipping, handling = costs.get(row.checkout_id, (ZERO, ZERO))
        costs[row.checkout_id] = (shipping + row.shipping_cost, handling + row.handling_cost)
    now = utcnow()
    rows = []
    for checkout in checkouts:
        shipping, handling = costs.get(checkout.id, (ZERO, ZERO))
        rows.append(
            {
                "id": checkout.id,
                "version": checkout.version + 1,
                "updated_at": now,
                "shipping_cost_total": shipping,
                "handling_cost_total": handling,
                "grand_total": checkout.subtotal + shipping + handling,
            }
        )
    await queries.update_checkouts(conn, rows)


async def set_billing_address(conn: AsyncConnection, store_id: int, data: SetBillingAddressInput) -> str:
    checkout = await lock_for_edit(conn, store_id, data.checkout_id, data.version)
    document, problems = validate_address(data.address, ("address",))
    raise_if_any(problems)
    if document == checkout.billing_address:
        return str(checkout.id)  # the same address again: nothing changes
    await touch(conn, checkout, billing_address=document)
    return checkout.id
