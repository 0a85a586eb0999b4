"""Keyset paging shared by the newest-first lists (checkouts, orders)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa


def newest_first(stmt: sa.Select[Any], table: sa.Table, before: tuple[Any, Any] | None, limit: int) -> sa.Select[Any]:
    """Order by (created_at, id) descending and continue after `before`, the previous page's last key."""
    if before is not None:
        created_at, key = before
        stmt = stmt.where(
            sa.or_(table.c.created_at < created_at, sa.and_(table.c.created_at == created_at, table.c.id < key))
        )
    return stmt.order_by(table.c.created_at.desc(), table.c.id.desc()).limit(limit)
