"""Shipping configuration and stored quotes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.storage.models import (
    carrier_connection,
    pickup_method,
    shipping_method,
    shipping_quote,
    shipping_zone,
    store,
)
from gateway.storage.queries.batched import STORE, KeyedQuery

Rows = Sequence[Row[Any]]


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


_METHODS_BY_ZONE_IDS = KeyedQuery(
    lambda keys_in: (
        sa.select(shipping_method)
        .where(shipping_method.c.store_id == STORE, keys_in(shipping_method.c.zone_id))
        .order_by(shipping_method.c.zone_id, shipping_method.c.id)
    )
)


async def methods_by_zone_ids(conn: AsyncConnection, store_id: int, zone_ids: Sequence[int]) -> Rows:
    return await _METHODS_BY_ZONE_IDS.rows(conn, store_id, zone_ids)


async def method_by_id(conn: AsyncConnection, store_id: int, method_id: int) -> Row[Any] | None:
    stmt = sa.select(shipping_method).where(shipping_method.c.store_id == store_id, shipping_method.c.id == method_id)
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
        sa.update(store)
        .where(store.c.id == store_id)
        .values(shipping_config_version=store.c.shipping_config_version + 1)
    )


async def shipping_config_versions(conn: AsyncConnection, store_ids: Sequence[int]) -> dict[int, int]:
    stmt = sa.select(store.c.id, store.c.shipping_config_version).where(store.c.id.in_(store_ids))
    return {row[0]: int(row[1]) for row in (await conn.execute(stmt)).all()}


_QUOTES_BY_CONSIGNMENT_IDS = KeyedQuery(
    lambda keys_in: (
        sa.select(shipping_quote)
        .where(shipping_quote.c.store_id == STORE, keys_in(shipping_quote.c.consignment_id))
        .order_by(shipping_quote.c.consignment_id, shipping_quote.c.position)
    )
)


async def quotes_by_consignment_ids(conn: AsyncConnection, store_id: int, ids: Sequence[str]) -> Rows:
    return await _QUOTES_BY_CONSIGNMENT_IDS.rows(conn, store_id, ids)


async def replace_quotes(conn: AsyncConnection, consignment_id: str, rows: list[dict[str, Any]]) -> None:
    await conn.execute(sa.delete(shipping_quote).where(shipping_quote.c.consignment_id == consignment_id))
    if rows:
        await conn.execute(sa.insert(shipping_quote), rows)
