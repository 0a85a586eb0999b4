"""Reads and writes as plain SQLAlchemy Core statements, every one filtered on the store.

Batch reads take lists of keys and return rows; callers (DataLoaders, domain functions) group them.
Nothing here decides anything: the rules live in `gateway.domain`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.storage.models import (
    api_token,
    carrier_connection,
    checkout,
    consignment,
    consignment_line_item,
    line_item,
    pickup_method,
    product,
    shipping_method,
    shipping_quote,
    shipping_zone,
    store,
)

Rows = Sequence[Row[Any]]


# --- stores and tokens -------------------------------------------------------------------------------

async def store_by_slug(conn: AsyncConnection, slug: str) -> Row[Any] | None:
    result = await conn.execute(sa.select(store).where(store.c.slug == slug))
    return result.first()


async def store_by_id(conn: AsyncConnection, store_id: int) -> Row[Any] | None:
    result = await conn.execute(sa.select(store).where(store.c.id == store_id))
    return result.first()


async def insert_store(conn: AsyncConnection, values: dict[str, Any]) -> int:
    result = await conn.execute(sa.insert(store).values(**values).returning(store.c.id))
    return int(result.scalar_one())


async def insert_token(conn: AsyncConnection, values: dict[str, Any]) -> int:
    result = await conn.execute(sa.insert(api_token).values(**values).returning(api_token.c.id))
    return int(result.scalar_one())


async def token_with_store_by_hash(conn: AsyncConnection, token_hash: str) -> Row[Any] | None:
    stmt = (
        sa.select(api_token, store.c.slug.label("store_slug"), store.c.currency_code)
        .join(store, store.c.id == api_token.c.store_id)
        .where(api_token.c.token_hash == token_hash)
    )
    return (await conn.execute(stmt)).first()


# --- catalog -----------------------------------------------------------------------------------------

async def products_page(conn: AsyncConnection, store_id: int, after_id: int, limit: int) -> Rows:
    stmt = (
        sa.select(product)
        .where(product.c.store_id == store_id, product.c.id > after_id)
        .order_by(product.c.id)
        .limit(limit)
    )
    return (await conn.execute(stmt)).all()


async def products_by_skus(conn: AsyncConnection, store_id: int, skus: Iterable[str]) -> Rows:
    stmt = sa.select(product).where(product.c.store_id == store_id, product.c.sku.in_(list(skus)))
    return (await conn.execute(stmt)).all()


async def upsert_product(conn: AsyncConnection, store_id: int, values: dict[str, Any]) -> None:
    existing = await conn.execute(
        sa.select(product.c.id).where(product.c.store_id == store_id, product.c.sku == values["sku"])
    )
    product_id = existing.scalar_one_or_none()
    if product_id is None:
        await conn.execute(sa.insert(product).values(store_id=store_id, **values))
    else:
        changes = {key: value for key, value in values.items() if key != "created_at"}
        await conn.execute(sa.update(product).where(product.c.id == product_id).values(**changes))


async def count_products(conn: AsyncConnection, store_id: int) -> int:
    stmt = sa.select(sa.func.count()).select_from(product).where(product.c.store_id == store_id)
    return int((await conn.execute(stmt)).scalar_one())


# --- checkouts ---------------------------------------------------------------------------------------

async def checkouts_by_ids(conn: AsyncConnection, store_id: int, ids: Sequence[str]) -> Rows:
    stmt = sa.select(checkout).where(checkout.c.store_id == store_id, checkout.c.id.in_(ids))
    return (await conn.execute(stmt)).all()


async def lock_checkout(conn: AsyncConnection, store_id: int, checkout_id: str) -> Row[Any] | None:
    """The checkout row, locked until the transaction ends (no-op on SQLite, already write-locked)."""
    stmt = (
        sa.select(checkout)
        .where(checkout.c.store_id == store_id, checkout.c.id == checkout_id)
        .with_for_update()
    )
    return (await conn.execute(stmt)).first()


async def insert_checkout(conn: AsyncConnection, values: dict[str, Any]) -> None:
    await conn.execute(sa.insert(checkout).values(**values))


async def update_checkout(conn: AsyncConnection, checkout_id: str, values: dict[str, Any]) -> None:
    await conn.execute(sa.update(checkout).where(checkout.c.id == checkout_id).values(**values))


async def insert_line_items(conn: AsyncConnection, rows: list[dict[str, Any]]) -> None:
    await conn.execute(sa.insert(line_item), rows)


async def line_items_by_checkout_ids(conn: AsyncConnection, store_id: int, ids: Sequence[str]) -> Rows:
    stmt = (
        sa.select(line_item)
        .where(line_item.c.store_id == store_id, line_item.c.checkout_id.in_(ids))
        .order_by(line_item.c.checkout_id, line_item.c.position)
    )
    return (await conn.execute(stmt)).all()


async def line_items_by_ids(conn: AsyncConnection, store_id: int, ids: Sequence[str]) -> Rows:
    stmt = sa.select(line_item).where(line_item.c.store_id == store_id, line_item.c.id.in_(ids))
    return (await conn.execute(stmt)).all()


# --- consignments ------------------------------------------------------------------------------------

async def consignments_by_checkout_ids(conn: AsyncConnection, store_id: int, ids: Sequence[str]) -> Rows:
    stmt = (
        sa.select(consignment)
        .where(consignment.c.store_id == store_id, consignment.c.checkout_id.in_(ids))
        .order_by(consignment.c.checkout_id, consignment.c.position)
    )
    return (await conn.execute(stmt)).all()


async def consignment_items_by_consignment_ids(
    conn: AsyncConnection, store_id: int, ids: Sequence[str]
) -> Rows:
    stmt = (
        sa.select(consignment_line_item)
        .where(
            consignment_line_item.c.store_id == store_id,
            consignment_line_item.c.consignment_id.in_(ids),
        )
        .order_by(consignment_line_item.c.consignment_id, consignment_line_item.c.position)
    )
    return (await conn.execute(stmt)).all()


async def consignment_items_by_checkout_id(conn: AsyncConnection, store_id: int, checkout_id: str) -> Rows:
    stmt = sa.select(consignment_line_item).where(
        consignment_line_item.c.store_id == store_id,
        consignment_line_item.c.checkout_id == checkout_id,
    )
    return (await conn.execute(stmt)).all()


async def assigned_quantities_by_line_item_ids(
    conn: AsyncConnection, store_id: int, ids: Sequence[str]
) -> dict[str, int]:
    stmt = (
        sa.select(consignment_line_item.c.line_item_id, sa.func.sum(consignment_line_item.c.quantity))
        .where(
            consignment_line_item.c.store_id == store_id,
            consignment_line_item.c.line_item_id.in_(ids),
        )
        .group_by(consignment_line_item.c.line_item_id)
    )
    return {row[0]: int(row[1]) for row in (await conn.execute(stmt)).all()}


async def insert_consignments(conn: AsyncConnection, rows: list[dict[str, Any]]) -> None:
    await conn.execute(sa.insert(consignment), rows)


async def update_consignment(conn: AsyncConnection, consignment_id: str, values: dict[str, Any]) -> None:
    await conn.execute(sa.update(consignment).where(consignment.c.id == consignment_id).values(**values))


async def delete_consignment(conn: AsyncConnection, consignment_id: str) -> None:
    await conn.execute(sa.delete(shipping_quote).where(shipping_quote.c.consignment_id == consignment_id))
    await conn.execute(
        sa.delete(consignment_line_item).where(consignment_line_item.c.consignment_id == consignment_id)
    )
    await conn.execute(sa.delete(consignment).where(consignment.c.id == consignment_id))


async def replace_consignment_items(
    conn: AsyncConnection, consignment_id: str, rows: list[dict[str, Any]]
) -> None:
    await conn.execute(
        sa.delete(consignment_line_item).where(consignment_line_item.c.consignment_id == consignment_id)
    )
    if rows:
        await conn.execute(sa.insert(consignment_line_item), rows)


async def insert_consignment_items(conn: AsyncConnection, rows: list[dict[str, Any]]) -> None:
    if rows:
        await conn.execute(sa.insert(consignment_line_item), rows)



async def checkouts_page(
    conn: AsyncConnection, store_id: int, before: tuple[Any, str] | None, limit: int
) -> Rows:
    """Newest first; `before` is the (created_at, id) of the last row of the previous page."""
    stmt = sa.select(checkout).where(checkout.c.store_id == store_id)
    if before is not None:
        created_at, checkout_id = before
        stmt = stmt.where(
            sa.or_(
                checkout.c.created_at < created_at,
                sa.and_(checkout.c.created_at == created_at, checkout.c.id < checkout_id),
            )
        )
    stmt = stmt.order_by(checkout.c.created_at.desc(), checkout.c.id.desc()).limit(limit)
    return (await conn.execute(stmt)).all()


# --- shipping configuration --------------------------------------------------------------------------


async def zones_for_store(conn: AsyncConnection, store_id: int) -> Rows:
    stmt = sa.select(shipping_zone).where(shipping_zone.c.store_id == store_id).order_by(shipping_zone.c.id)
    return (await conn.execute(stmt)).all()


async def zone_by_id(conn: AsyncConnection, store_id: int, zone_id: int) -> Row[Any] | None:
    stmt = sa.select(shipping_zone).where(shipping_zone.c.store_id == store_id, shipping_zone.c.id == zone_id)
    return (await conn.execute(stmt)).first()


async def insert_zone(conn: AsyncConnection, values: dict[str, Any]) -> int:
    result = await conn.execute(sa.insert(shipping_zone).values(**values).returning(shipping_zone.c.id))
    return int(result.scalar_one())


async def update_zone(conn: AsyncConnection, zone_id: int, values: dict[str, Any]) -> None:
    await conn.execute(sa.update(shipping_zone).where(shipping_zone.c.id == zone_id).values(**values))


async def delete_zone(conn: AsyncConnection, zone_id: int) -> None:
    await conn.execute(sa.delete(shipping_method).where(shipping_method.c.zone_id == zone_id))
    await conn.execute(sa.delete(shipping_zone).where(shipping_zone.c.id == zone_id))


async def methods_for_store(conn: AsyncConnection, store_id: int) -> Rows:
    stmt = sa.select(shipping_method).where(shipping_method.c.store_id == store_id).order_by(shipping_method.c.id)
    return (await conn.execute(stmt)).all()


async def methods_by_zone_ids(conn: AsyncConnection, store_id: int, zone_ids: Sequence[int]) -> Rows:
    stmt = (
        sa.select(shipping_method)
        .where(shipping_method.c.store_id == store_id, shipping_method.c.zone_id.in_(zone_ids))
        .order_by(shipping_method.c.zone_id, shipping_method.c.id)
    )
    return (await conn.execute(stmt)).all()


async def method_by_id(conn: AsyncConnection, store_id: int, method_id: int) -> Row[Any] | None:
    stmt = sa.select(shipping_method).where(
        shipping_method.c.store_id == store_id, shipping_method.c.id == method_id
    )
    return (await conn.execute(stmt)).first()


async def insert_method(conn: AsyncConnection, values: dict[str, Any]) -> int:
    result = await conn.execute(sa.insert(shipping_method).values(**values).returning(shipping_method.c.id))
    return int(result.scalar_one())


async def update_method(conn: AsyncConnection, method_id: int, values: dict[str, Any]) -> None:
    await conn.execute(sa.update(shipping_method).where(shipping_method.c.id == method_id).values(**values))


async def delete_method(conn: AsyncConnection, method_id: int) -> None:
    await conn.execute(sa.delete(shipping_method).where(shipping_method.c.id == method_id))


async def pickup_methods_for_store(conn: AsyncConnection, store_id: int) -> Rows:
    stmt = sa.select(pickup_method).where(pickup_method.c.store_id == store_id).order_by(pickup_method.c.id)
    return (await conn.execute(stmt)).all()


async def pickup_method_by_id(conn: AsyncConnection, store_id: int, method_id: int) -> Row[Any] | None:
    stmt = sa.select(pickup_method).where(pickup_method.c.store_id == store_id, pickup_method.c.id == method_id)
    return (await conn.execute(stmt)).first()


async def insert_pickup_method(conn: AsyncConnection, values: dict[str, Any]) -> int:
    result = await conn.execute(sa.insert(pickup_method).values(**values).returning(pickup_method.c.id))
    return int(result.scalar_one())


async def update_pickup_method(conn: AsyncConnection, method_id: int, values: dict[str, Any]) -> None:
    await conn.execute(sa.update(pickup_method).where(pickup_method.c.id == method_id).values(**values))


async def delete_pickup_method(conn: AsyncConnection, method_id: int) -> None:
    await conn.execute(sa.delete(pickup_method).where(pickup_method.c.id == method_id))


async def carrier_connections_for_store(conn: AsyncConnection, store_id: int) -> Rows:
    stmt = sa.select(carrier_connection).where(carrier_connection.c.store_id == store_id)
    return (await conn.execute(stmt)).all()


async def upsert_carrier_connection(
    conn: AsyncConnection, store_id: int, carrier_id: str, values: dict[str, Any]
) -> None:
    existing = await conn.execute(
        sa.select(carrier_connection.c.id).where(
            carrier_connection.c.store_id == store_id, carrier_connection.c.carrier_id == carrier_id
        )
    )
    connection_id = existing.scalar_one_or_none()
    if connection_id is None:
        await conn.execute(sa.insert(carrier_connection).values(store_id=store_id, carrier_id=carrier_id, **values))
    else:
        changes = {key: value for key, value in values.items() if key != "created_at"}
        await conn.execute(
            sa.update(carrier_connection).where(carrier_connection.c.id == connection_id).values(**changes)
        )


async def delete_carrier_connection(conn: AsyncConnection, store_id: int, carrier_id: str) -> int:
    result = await conn.execute(
        sa.delete(carrier_connection).where(
            carrier_connection.c.store_id == store_id, carrier_connection.c.carrier_id == carrier_id
        )
    )
    return int(result.rowcount or 0)


async def bump_shipping_config_version(conn: AsyncConnection, store_id: int) -> None:
    await conn.execute(
        sa.update(store).where(store.c.id == store_id).values(shipping_config_version=store.c.shipping_config_version + 1)
    )


async def shipping_config_versions(conn: AsyncConnection, store_ids: Sequence[int]) -> dict[int, int]:
    stmt = sa.select(store.c.id, store.c.shipping_config_version).where(store.c.id.in_(store_ids))
    return {row[0]: int(row[1]) for row in (await conn.execute(stmt)).all()}


# --- quotes ------------------------------------------------------------------------------------------

async def quotes_by_consignment_ids(conn: AsyncConnection, store_id: int, ids: Sequence[str]) -> Rows:
    stmt = (
        sa.select(shipping_quote)
        .where(shipping_quote.c.store_id == store_id, shipping_quote.c.consignment_id.in_(ids))
        .order_by(shipping_quote.c.consignment_id, shipping_quote.c.position)
    )
    return (await conn.execute(stmt)).all()


async def replace_quotes(conn: AsyncConnection, consignment_id: str, rows: list[dict[str, Any]]) -> None:
    await conn.execute(sa.delete(shipping_quote).where(shipping_quote.c.consignment_id == consignment_id))
    if rows:
        await conn.execute(sa.insert(shipping_quote), rows)
