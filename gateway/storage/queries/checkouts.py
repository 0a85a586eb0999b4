"""Checkouts, line items and consignments."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.storage import written
from gateway.storage.models import (
    checkout,
    consignment,
    consignment_line_item,
    line_item,
    shipping_quote,
)
from gateway.storage.queries.batched import STORE, KeyedQuery
from gateway.storage.queries.paging import Page, newest_first_after, newest_first_order, read_page

Rows = Sequence[Row[Any]]


_CHECKOUTS_BY_IDS = KeyedQuery(
    lambda keys_in: sa.select(checkout).where(checkout.c.store_id == STORE, keys_in(checkout.c.id))
)


async def checkouts_by_ids(conn: AsyncConnection, store_id: int, ids: Sequence[str]) -> Rows:
    return await _CHECKOUTS_BY_IDS.rows(conn, store_id, ids)


async def lock_checkout(conn: AsyncConnection, store_id: int, checkout_id: str) -> Row[Any] | None:
    """The checkout row, locked until the transaction ends (no-op on SQLite, already write-locked)."""
    stmt = sa.select(checkout).where(checkout.c.store_id == store_id, checkout.c.id == checkout_id).with_for_update()
    return (await conn.execute(stmt)).first()


async def insert_checkout(conn: AsyncConnection, values: dict[str, Any]) -> None:
    row = (await conn.execute(sa.insert(checkout).values(**values).returning(*checkout.c))).one()
    written.note("checkout", row.id, row)


async def update_checkout(conn: AsyncConnection, checkout_id: str, values: dict[str, Any]) -> None:
    stmt = sa.update(checkout).where(checkout.c.id == checkout_id).values(**values).returning(*checkout.c)
    row = (await conn.execute(stmt)).first()
    written.note("checkout", checkout_id, row)


async def update_checkouts(conn: AsyncConnection, rows: Sequence[dict[str, Any]]) -> None:
    """Apply each row's values (the same columns in every row) to the checkout `row["id"]`: one executemany."""
    if not rows:
        return
    if len(rows) == 1:  # one statement either way; this one returns the row (`written`)
        await update_checkout(conn, rows[0]["id"], {name: value for name, value in rows[0].items() if name != "id"})
        return
    columns = [name for name in rows[0] if name != "id"]
    for row in rows:
        written.note("checkout", row["id"], written.UNKNOWN)
    stmt = (
        sa.update(checkout)
        .where(checkout.c.id == sa.bindparam("checkout_id"))
        .values({name: sa.bindparam(f"new_{name}") for name in columns})
    )
    await conn.execute(
        stmt, [{"checkout_id": row["id"], **{f"new_{name}": row[name] for name in columns}} for row in rows]
    )


async def insert_line_items(conn: AsyncConnection, rows: list[dict[str, Any]]) -> None:
    await conn.execute(sa.insert(line_item), rows)


_LINE_ITEMS_BY_CHECKOUT_IDS = KeyedQuery(
    lambda keys_in: (
        sa.select(line_item)
        .where(line_item.c.store_id == STORE, keys_in(line_item.c.checkout_id))
        .order_by(line_item.c.checkout_id, line_item.c.position)
    )
)


async def line_items_by_checkout_ids(conn: AsyncConnection, store_id: int, ids: Sequence[str]) -> Rows:
    return await _LINE_ITEMS_BY_CHECKOUT_IDS.rows(conn, store_id, ids)


_LINE_ITEMS_BY_IDS = KeyedQuery(
    lambda keys_in: sa.select(line_item).where(line_item.c.store_id == STORE, keys_in(line_item.c.id))
)


async def line_items_by_ids(conn: AsyncConnection, store_id: int, ids: Sequence[str]) -> Rows:
    return await _LINE_ITEMS_BY_IDS.rows(conn, store_id, ids)


_CONSIGNMENTS_BY_CHECKOUT_IDS = KeyedQuery(
    lambda keys_in: (
        sa.select(consignment)
        .where(consignment.c.store_id == STORE, keys_in(consignment.c.checkout_id))
        .order_by(consignment.c.checkout_id, consignment.c.position)
    )
)


async def consignments_by_checkout_ids(conn: AsyncConnection, store_id: int, ids: Sequence[str]) -> Rows:
    return await _CONSIGNMENTS_BY_CHECKOUT_IDS.rows(conn, store_id, ids)


_CONSIGNMENT_ITEMS_BY_CONSIGNMENT_IDS = KeyedQuery(
    lambda keys_in: (
        sa.select(consignment_line_item)
        .where(
            consignment_line_item.c.store_id == STORE,
            keys_in(consignment_line_item.c.consignment_id),
        )
        .order_by(consignment_line_item.c.consignment_id, consignment_line_item.c.position)
    )
)


async def consignment_items_by_consignment_ids(conn: AsyncConnection, store_id: int, ids: Sequence[str]) -> Rows:
    return await _CONSIGNMENT_ITEMS_BY_CONSIGNMENT_IDS.rows(conn, store_id, ids)


async def consignment_items_by_checkout_id(conn: AsyncConnection, store_id: int, checkout_id: str) -> Rows:
    stmt = sa.select(consignment_line_item).where(
        consignment_line_item.c.store_id == store_id,
        consignment_line_item.c.checkout_id == checkout_id,
    )
    return (await conn.execute(stmt)).all()


_CONSIGNMENT_ITEMS_BY_CHECKOUT_IDS = KeyedQuery(
    lambda keys_in: (
        sa.select(consignment_line_item)
        .where(consignment_line_item.c.store_id == STORE, keys_in(consignment_line_item.c.checkout_id))
        .order_by(
            consignment_line_item.c.checkout_id,
            consignment_line_item.c.consignment_id,
            consignment_line_item.c.position,
        )
    )
)


async def consignment_items_by_checkout_ids(conn: AsyncConnection, store_id: int, ids: Sequence[str]) -> Rows:
    """Every consignment item of the checkouts: what their consignments hold and what is assigned."""
    return await _CONSIGNMENT_ITEMS_BY_CHECKOUT_IDS.rows(conn, store_id, ids)


async def insert_consignments(conn: AsyncConnection, rows: list[dict[str, Any]]) -> None:
    await conn.execute(sa.insert(consignment), rows)


async def update_consignment(conn: AsyncConnection, consignment_id: str, values: dict[str, Any]) -> None:
    await conn.execute(sa.update(consignment).where(consignment.c.id == consignment_id).values(**values))


async def delete_consignment(conn: AsyncConnection, consignment_id: str) -> None:
    await conn.execute(sa.delete(shipping_quote).where(shipping_quote.c.consignment_id == consignment_id))
    await conn.execute(sa.delete(consignment_line_item).where(consignment_line_item.c.consignment_id == consignment_id))
    await conn.execute(sa.delete(consignment).where(consignment.c.id == consignment_id))


async def replace_consignment_items(conn: AsyncConnection, consignment_id: str, rows: list[dict[str, Any]]) -> None:
    await conn.execute(sa.delete(consignment_line_item).where(consignment_line_item.c.consignment_id == consignment_id))
    if rows:
        await conn.execute(sa.insert(consignment_line_item), rows)


async def insert_consignment_items(conn: AsyncConnection, rows: list[dict[str, Any]]) -> None:
    if rows:
        await conn.execute(sa.insert(consignment_line_item), rows)


async def checkouts_page(conn: AsyncConnection, store_id: int, before: tuple[Any, str] | None, limit: int) -> Page:
    """Newest first; `before` is the (created_at, id) of the last row of the previous page."""
    stmt = sa.select(checkout).where(checkout.c.store_id == store_id)
    after = newest_first_after(checkout, before) if before is not None else None
    return await read_page(conn, stmt, after=after, order=newest_first_order, limit=limit)


def _removed_quotes(store_id: int, method_ids: Sequence[int], option_keys: Sequence[str]) -> Any:
    """Quotes of open checkouts offering one of the methods (or option keys) being removed."""
    open_checkouts = sa.select(checkout.c.id).where(checkout.c.store_id == store_id, checkout.c.completed_at.is_(None))
    return sa.and_(
        shipping_quote.c.store_id == store_id,
        sa.or_(shipping_quote.c.method_id.in_(list(method_ids)), shipping_quote.c.option_key.in_(list(option_keys))),
        shipping_quote.c.checkout_id.in_(open_checkouts),
    )


async def lock_checkouts_quoting(
    conn: AsyncConnection, store_id: int, method_ids: Sequence[int], option_keys: Sequence[str]
) -> Rows:
    """Open checkouts with a quote for one of the methods (or option keys), locked in id order (one
    statement, so concurrent deleters cannot deadlock). A row may have completed while the lock was awaited."""
    quoting = sa.select(shipping_quote.c.checkout_id).where(_removed_quotes(store_id, method_ids, option_keys))
    stmt = (
        sa.select(checkout)
        .where(checkout.c.store_id == store_id, checkout.c.id.in_(quoting))
        .order_by(checkout.c.id)
        .with_for_update()
    )
    return (await conn.execute(stmt)).all()


async def withdraw_quotes(
    conn: AsyncConnection, store_id: int, method_ids: Sequence[int], option_keys: Sequence[str]
) -> None:
    """Clear open consignments' selections of the removed methods, remembering the option's description,
    and delete those quotes."""
    selected = (
        sa.select(shipping_quote.c.description)
        .where(
            shipping_quote.c.consignment_id == consignment.c.id,
            shipping_quote.c.id == consignment.c.selected_shipping_option_id,
            _removed_quotes(store_id, method_ids, option_keys),
        )
        .scalar_subquery()
    )
    await conn.execute(
        sa.update(consignment)
        .where(consignment.c.store_id == store_id, selected.is_not(None))
        .values(
            unavailable_option=selected,
            selected_shipping_option_id=None,
            selected_option_key=None,
            shipping_cost=Decimal(0),
            handling_cost=Decimal(0),
        )
    )
    await conn.execute(sa.delete(shipping_quote).where(_removed_quotes(store_id, method_ids, option_keys)))
