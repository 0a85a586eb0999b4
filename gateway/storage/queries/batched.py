"""Batched reads by a list of keys (what DataLoaders send), built once at import and run as-is.

Building a `select()` per batch and rendering `IN (...)` for each list length costs more CPU than the
query itself. A `KeyedQuery` is built once per backend: PostgreSQL gets `key = ANY(:keys)` with one
array parameter (one statement text for every batch size, so asyncpg prepares it once per connection);
SQLite, which has no arrays, gets an expanding `IN`. Every query is filtered on the store (`STORE`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import ColumnElement, Select

#: The caller's store, bound at execution.
STORE = sa.bindparam("store", type_=sa.Integer)

KeysIn = Callable[[ColumnElement[Any]], ColumnElement[bool]]


def _sqlite_keys_in(column: ColumnElement[Any]) -> ColumnElement[bool]:
    return column.in_(sa.bindparam("keys", expanding=True))


def _postgresql_keys_in(column: ColumnElement[Any]) -> ColumnElement[bool]:
    kind = getattr(column.type, "impl", column.type)  # SQLModel's AutoString is a TypeDecorator over String
    element = sa.BigInteger() if isinstance(kind, sa.Integer) else sa.String()
    return column == sa.any_(sa.bindparam("keys", type_=ARRAY(element)))


class KeyedQuery:
    """`build(keys_in)` returns the statement; `keys_in(column)` is the backend's "column is one of the keys"."""

    __slots__ = ("_postgresql", "_sqlite")

    def __init__(self, build: Callable[[KeysIn], Select[Any]]) -> None:
        self._postgresql = build(_postgresql_keys_in)
        self._sqlite = build(_sqlite_keys_in)

    async def rows(self, conn: AsyncConnection, store_id: int, keys: Sequence[Any]) -> Sequence[Row[Any]]:
        stmt = self._postgresql if conn.dialect.name == "postgresql" else self._sqlite
        return (await conn.execute(stmt, {"store": store_id, "keys": list(keys)})).all()
