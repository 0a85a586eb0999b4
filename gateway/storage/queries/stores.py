"""Stores and API tokens."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.storage.models import (
    api_token,
    store,
)

Rows = Sequence[Row[Any]]


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


async def token_with_store(conn: AsyncConnection, token_id: int) -> Row[Any] | None:
    stmt = (
        sa.select(api_token, store.c.slug.label("store_slug"), store.c.currency_code)
        .join(store, store.c.id == api_token.c.store_id)
        .where(api_token.c.id == token_id)
    )
    return (await conn.execute(stmt)).first()


async def tokens(conn: AsyncConnection, store_id: int | None = None) -> Rows:
    stmt = sa.select(api_token, store.c.slug.label("store_slug")).join(store, store.c.id == api_token.c.store_id)
    if store_id is not None:
        stmt = stmt.where(api_token.c.store_id == store_id)
    return (await conn.execute(stmt.order_by(api_token.c.id))).all()


async def revoke_token(conn: AsyncConnection, token_id: int, moment: Any) -> int:
    result = await conn.execute(
        sa.update(api_token)
        .where(api_token.c.id == token_id, api_token.c.revoked_at.is_(None))
        .values(revoked_at=moment)
    )
    return int(result.rowcount or 0)


async def update_store(conn: AsyncConnection, store_id: int, values: dict[str, Any]) -> None:
    await conn.execute(sa.update(store).where(store.c.id == store_id).values(**values))
