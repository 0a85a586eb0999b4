"""Keyset paging: ascending ids (products) and newest first (checkouts, orders).

A page read after a cursor also tells whether any row (still) sorts at or before that cursor, in the same
statement: the page and at most one preceding row are read by one `UNION ALL`, so `hasPreviousPage` is
answered truthfully (a deleted row, or a filter the cursor's row no longer matches, is seen) without a
second query.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

#: The label of the column telling page rows (1) from the preceding row (0).
_IN_PAGE = "in_page"


@dataclass(frozen=True, slots=True)
class Page:
    """Up to `limit` rows after the cursor, in list order, and whether any row sorts at or before it."""

    rows: Sequence[Row[Any]]
    has_previous: bool


def newest_first_after(table: sa.Table, before: tuple[Any, Any]) -> sa.ColumnElement[bool]:
    """Rows after `before` (the previous page's last (created_at, id)) in newest-first order."""
    created_at, key = before
    return sa.or_(table.c.created_at < created_at, sa.and_(table.c.created_at == created_at, table.c.id < key))


def newest_first_order(columns: Any) -> list[Any]:
    return [columns.created_at.desc(), columns.id.desc()]


def ascending_id_order(columns: Any) -> list[Any]:
    return [columns.id]


async def read_page(
    conn: AsyncConnection,
    stmt: sa.Select[Any],
    *,
    after: sa.ColumnElement[bool] | None,
    order: Callable[[Any], list[Any]],
    limit: int,
) -> Page:
    """One statement: the rows of `stmt` satisfying `after`, in `order`, at most `limit`; with `after`, also
    one row of `stmt` not satisfying it (any: only its existence is asked), told apart by a marker column."""
    if after is None:
        rows = (await conn.execute(stmt.order_by(*order(stmt.selected_columns)).limit(limit))).all()
        return Page(rows=rows, has_previous=False)
    page = stmt.where(after).order_by(*order(stmt.selected_columns)).limit(limit)
    preceding = stmt.where(sa.not_(after)).limit(1)
    both = sa.union_all(
        sa.select(page.add_columns(sa.literal(1).label(_IN_PAGE)).subquery()),
        sa.select(preceding.add_columns(sa.literal(0).label(_IN_PAGE)).subquery()),
    ).subquery()
    found = (await conn.execute(sa.select(both).order_by(both.c[_IN_PAGE], *order(both.c)))).all()
    has_previous = bool(found) and getattr(found[0], _IN_PAGE) == 0
    return Page(rows=found[1:] if has_previous else found, has_previous=has_previous)
