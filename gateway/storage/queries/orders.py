"""Orders, their shipping addresses and products, shipments, and idempotency keys."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.storage import written
from gateway.storage.models import (
    idempotency_key,
    order_product,
    order_shipping_address,
    orders,
    shipment,
    shipment_item,
)
from gateway.storage.queries.batched import STORE, KeyedQuery
from gateway.storage.queries.paging import Page, newest_first_after, newest_first_order, read_page

Rows = Sequence[Row[Any]]


async def insert_order(conn: AsyncConnection, values: dict[str, Any]) -> int:
    row = (await conn.execute(sa.insert(orders).values(**values).returning(*orders.c))).one()
    written.note("orders", row.id, row)
    return int(row.id)


async def insert_shipping_address(conn: AsyncConnection, values: dict[str, Any]) -> int:
    result = await conn.execute(
        sa.insert(order_shipping_address).values(**values).returning(order_shipping_address.c.id)
    )
    return int(result.scalar_one())


async def insert_order_products(conn: AsyncConnection, rows: list[dict[str, Any]]) -> None:
    if rows:
        await conn.execute(sa.insert(order_product), rows)


async def lock_order(conn: AsyncConnection, store_id: int, order_id: int) -> Row[Any] | None:
    stmt = sa.select(orders).where(orders.c.store_id == store_id, orders.c.id == order_id).with_for_update()
    return (await conn.execute(stmt)).first()


async def update_order(conn: AsyncConnection, order_id: int, values: dict[str, Any]) -> None:
    stmt = sa.update(orders).where(orders.c.id == order_id).values(**values).returning(*orders.c)
    written.note("orders", order_id, (await conn.execute(stmt)).first())


_ORDERS_BY_IDS = KeyedQuery(lambda keys_in: sa.select(orders).where(orders.c.store_id == STORE, keys_in(orders.c.id)))


async def orders_by_ids(conn: AsyncConnection, store_id: int, ids: Sequence[int]) -> Rows:
    return await _ORDERS_BY_IDS.rows(conn, store_id, ids)


async def orders_page(
    conn: AsyncConnection,
    store_id: int,
    *,
    before: tuple[datetime, int] | None,
    limit: int,
    status: str | None = None,
    email: str | None = None,
    created_after: datetime | None = None,
    created_before: datetime | None = None,
) -> Page:
    """Newest first; `before` is the (created_at, id) of the previous page's last order."""
    stmt = sa.select(orders).where(orders.c.store_id == store_id)
    if status is not None:
        stmt = stmt.where(orders.c.status == status)
    if email is not None:
        stmt = stmt.where(sa.func.lower(orders.c.email) == email.lower())
    if created_after is not None:
        stmt = stmt.where(orders.c.created_at >= created_after)
    if created_before is not None:
        stmt = stmt.where(orders.c.created_at < created_before)
    after = newest_first_after(orders, before) if before is not None else None
    return await read_page(conn, stmt, after=after, order=newest_first_order, limit=limit)


_SHIPPING_ADDRESSES_BY_ORDER_IDS = KeyedQuery(
    lambda keys_in: (
        sa.select(order_shipping_address)
        .where(order_shipping_address.c.store_id == STORE, keys_in(order_shipping_address.c.order_id))
        .order_by(order_shipping_address.c.order_id, order_shipping_address.c.position)
    )
)


async def shipping_addresses_by_order_ids(conn: AsyncConnection, store_id: int, ids: Sequence[int]) -> Rows:
    return await _SHIPPING_ADDRESSES_BY_ORDER_IDS.rows(conn, store_id, ids)


_SHIPPING_ADDRESSES_BY_IDS = KeyedQuery(
    lambda keys_in: sa.select(order_shipping_address).where(
        order_shipping_address.c.store_id == STORE, keys_in(order_shipping_address.c.id)
    )
)


async def shipping_addresses_by_ids(conn: AsyncConnection, store_id: int, ids: Sequence[int]) -> Rows:
    return await _SHIPPING_ADDRESSES_BY_IDS.rows(conn, store_id, ids)


async def update_shipping_address(conn: AsyncConnection, address_id: int, values: dict[str, Any]) -> None:
    await conn.execute(
        sa.update(order_shipping_address).where(order_shipping_address.c.id == address_id).values(**values)
    )


_ORDER_PRODUCTS_BY_ORDER_IDS = KeyedQuery(
    lambda keys_in: (
        sa.select(order_product)
        .where(order_product.c.store_id == STORE, keys_in(order_product.c.order_id))
        .order_by(order_product.c.order_id, order_product.c.position)
    )
)


async def order_products_by_order_ids(conn: AsyncConnection, store_id: int, ids: Sequence[int]) -> Rows:
    return await _ORDER_PRODUCTS_BY_ORDER_IDS.rows(conn, store_id, ids)


_ORDER_PRODUCTS_BY_IDS = KeyedQuery(
    lambda keys_in: sa.select(order_product).where(order_product.c.store_id == STORE, keys_in(order_product.c.id))
)


async def order_products_by_ids(conn: AsyncConnection, store_id: int, ids: Sequence[int]) -> Rows:
    return await _ORDER_PRODUCTS_BY_IDS.rows(conn, store_id, ids)


async def add_quantity_shipped(conn: AsyncConnection, order_product_id: int, delta: int) -> None:
    await conn.execute(
        sa.update(order_product)
        .where(order_product.c.id == order_product_id)
        .values(quantity_shipped=order_product.c.quantity_shipped + delta)
    )


async def insert_shipment(conn: AsyncConnection, values: dict[str, Any]) -> int:
    row = (await conn.execute(sa.insert(shipment).values(**values).returning(*shipment.c))).one()
    written.note("shipment", row.id, row)
    return int(row.id)


async def insert_shipment_items(conn: AsyncConnection, rows: list[dict[str, Any]]) -> None:
    if rows:
        await conn.execute(sa.insert(shipment_item), rows)


_SHIPMENTS_BY_IDS = KeyedQuery(
    lambda keys_in: sa.select(shipment).where(shipment.c.store_id == STORE, keys_in(shipment.c.id))
)


async def shipments_by_ids(conn: AsyncConnection, store_id: int, ids: Sequence[int]) -> Rows:
    return await _SHIPMENTS_BY_IDS.rows(conn, store_id, ids)


_SHIPMENTS_BY_ORDER_IDS = KeyedQuery(
    lambda keys_in: (
        sa.select(shipment)
        .where(shipment.c.store_id == STORE, keys_in(shipment.c.order_id))
        .order_by(shipment.c.order_id, shipment.c.id)
    )
)


async def shipments_by_order_ids(conn: AsyncConnection, store_id: int, ids: Sequence[int]) -> Rows:
    return await _SHIPMENTS_BY_ORDER_IDS.rows(conn, store_id, ids)


async def update_shipment(conn: AsyncConnection, shipment_id: int, values: dict[str, Any]) -> None:
    stmt = sa.update(shipment).where(shipment.c.id == shipment_id).values(**values).returning(*shipment.c)
    written.note("shipment", shipment_id, (await conn.execute(stmt)).first())


async def delete_shipment(conn: AsyncConnection, shipment_id: int) -> None:
    await conn.execute(sa.delete(shipment_item).where(shipment_item.c.shipment_id == shipment_id))
    await conn.execute(sa.delete(shipment).where(shipment.c.id == shipment_id))
    written.note("shipment", shipment_id, None)


_SHIPMENT_ITEMS_BY_SHIPMENT_IDS = KeyedQuery(
    lambda keys_in: (
        sa.select(shipment_item)
        .where(shipment_item.c.store_id == STORE, keys_in(shipment_item.c.shipment_id))
        .order_by(shipment_item.c.shipment_id, shipment_item.c.position)
    )
)


async def shipment_items_by_shipment_ids(conn: AsyncConnection, store_id: int, ids: Sequence[int]) -> Rows:
    return await _SHIPMENT_ITEMS_BY_SHIPMENT_IDS.rows(conn, store_id, ids)


# --- idempotency keys --------------------------------------------------------------------------------


async def claim_idempotency_key(
    conn: AsyncConnection, store_id: int, operation: str, key: str, request_hash: str, now: datetime
) -> Row[Any] | None:
    """Record the key for this request, or return the row already holding it.

    `INSERT ... ON CONFLICT DO NOTHING` waits for a concurrent holder of the same key to commit, so two
    racing requests never both proceed.
    """
    values = {
        "store_id": store_id,
        "operation": operation,
        "key": key,
        "request_hash": request_hash,
        "created_at": now,
    }
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    stmt = insert(idempotency_key).values(**values).on_conflict_do_nothing()
    result = await conn.execute(stmt)
    if result.rowcount == 1:
        return None
    existing = await conn.execute(
        sa.select(idempotency_key).where(
            idempotency_key.c.store_id == store_id,
            idempotency_key.c.operation == operation,
            idempotency_key.c.key == key,
        )
    )
    return existing.first()


async def set_idempotency_result(
    conn: AsyncConnection, store_id: int, operation: str, key: str, result_id: str
) -> None:
    await conn.execute(
        sa.update(idempotency_key)
        .where(
            idempotency_key.c.store_id == store_id,
            idempotency_key.c.operation == operation,
            idempotency_key.c.key == key,
        )
        .values(result_id=result_id)
    )


async def purge_idempotency_keys(conn: AsyncConnection, older_than: datetime) -> None:
    await conn.execute(sa.delete(idempotency_key).where(idempotency_key.c.created_at < older_than))
