"""Products."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.storage.models import (
    product,
)
from gateway.storage.queries.paging import Page, ascending_id_order, read_page

Rows = Sequence[Row[Any]]


async def products_page(conn: AsyncConnection, store_id: int, after_id: int, limit: int) -> Page:
    """Ascending ids after `after_id` (0: from the start), and whether a product sorts at or before it."""
    stmt = sa.select(product).where(product.c.store_id == store_id)
    after = product.c.id > after_id if after_id else None
    return await read_page(conn, stmt, after=after, order=ascending_id_order, limit=limit)


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
