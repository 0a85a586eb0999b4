"""Stores (tenants)."""

from __future__ import annotations

import re

from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.domain.clock import utcnow
from gateway.domain.errors import ErrorCode, InvalidInput
from gateway.storage import queries

_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


async def create_store(conn: AsyncConnection, slug: str, name: str | None = None, currency_code: str = "USD") -> int:
    if not _SLUG.match(slug):
        raise InvalidInput.one(ErrorCode.INVALID_INPUT, "slug: lowercase letters, digits and dashes", ("slug",))
    if await queries.store_by_slug(conn, slug) is not None:
        raise InvalidInput.one(ErrorCode.INVALID_INPUT, f"store {slug!r} already exists", ("slug",))
    return await queries.insert_store(
        conn,
        {"slug": slug, "name": name or slug, "currency_code": currency_code.upper(), "created_at": utcnow()},
    )
