"""Batched reads by a list of keys (what DataLoaders send), built once at import and run as-is.

Building a `select()` per batch and rendering `IN (...)` for each list length costs more CPU than the
query itself. A `KeyedQuery` is built once per backend: PostgreSQL gets `key = ANY(:keys)` with one
array parameter (one statement text for every batch size, so asyncpg prepares it once per connection);
SQLite, which has no arrays, gets an expanding `IN`. Every query is filtered on the store (`STORE`).

On a request's read connection on PostgreSQL (`RAW_READS`, set by `storage.db.RequestReads`), the
statement, compiled once, goes straight to asyncpg: SQLAlchemy's per-execution work (parameter
processing, cursor and result set-up) cost more than the round trip itself. Rows come back as
`KeyedRow`s with the columns' own result processing (exact decimals, UTC times, JSON records), so
callers cannot tell the two paths apart (`tests/http/test_loading.py` compares them).
"""

from __future__ import annotations

import functools
from collections import namedtuple
from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import ColumnElement, Select
from sqlalchemy.types import TypeDecorator

#: The caller's store, bound at execution.
STORE = sa.bindparam("store", type_=sa.Integer)

#: Execution option of a read-only connection whose transaction the caller manages: keyed queries on it
#: may bypass SQLAlchemy's execution.
RAW_READS = "gateway_raw_reads"

KeysIn = Callable[[ColumnElement[Any]], ColumnElement[bool]]


def _sqlite_keys_in(column: ColumnElement[Any]) -> ColumnElement[bool]:
    return column.in_(sa.bindparam("keys", expanding=True))


def _postgresql_keys_in(column: ColumnElement[Any]) -> ColumnElement[bool]:
    kind = getattr(column.type, "impl", column.type)  # SQLModel's AutoString is a TypeDecorator over String
    element = sa.BigInteger() if isinstance(kind, sa.Integer) else sa.String()
    return column == sa.any_(sa.bindparam("keys", type_=ARRAY(element)))


class _Direct:
    """A keyed PostgreSQL statement compiled once for asyncpg, with its row type and column processors."""

    __slots__ = ("sql", "make_row", "processors")

    def __init__(self, stmt: Select[Any], dialect: Dialect) -> None:
        compiled = stmt.compile(dialect=dialect)
        if list(compiled.positiontup or ()) != ["store", "keys"]:
            raise ValueError(f"a keyed query binds (store, keys), not {compiled.positiontup}")
        self.sql = str(compiled)
        names = [entry.keyname for entry in compiled._result_columns]
        self.make_row = _row_type(tuple(names))._make
        self.processors = [
            (index, processor)
            for index, entry in enumerate(compiled._result_columns)
            if (processor := _processor(entry.type, dialect)) is not None
        ]

    async def rows(self, conn: AsyncConnection, store_id: int, keys: Sequence[Any]) -> list[Any]:
        parameters = (store_id, list(keys))
        sync = conn.sync_connection
        if sync is not None and sync.dispatch.before_cursor_execute:
            # The engine's own statement event, so whatever counts statements (tests, the request log,
            # /metrics) sees direct statements exactly like executed ones.
            sync.dispatch.before_cursor_execute(sync, None, self.sql, parameters, None, False)
        driver = (await conn.get_raw_connection()).driver_connection
        records = await driver.fetch(self.sql, *parameters)  # type: ignore[union-attr]
        make_row, processors = self.make_row, self.processors
        if not processors:
            return [make_row(record) for record in records]
        rows = []
        for record in records:
            values = list(record)
            for index, processor in processors:
                values[index] = processor(values[index])
            rows.append(make_row(values))
        return rows


def _processor(column_type: Any, dialect: Dialect) -> Callable[[Any], Any] | None:
    """What SQLAlchemy would do to a value asyncpg decoded. asyncpg already returns `Decimal`, aware
    `datetime`, `bool` and (through the codec SQLAlchemy installs) decoded JSON, so only our
    `TypeDecorator`s' own `process_result_value` is left to apply."""
    if isinstance(column_type, TypeDecorator):
        if type(column_type).process_result_value is TypeDecorator.process_result_value:
            return None  # e.g. SQLModel's AutoString: a plain string
        return functools.partial(column_type.process_result_value, dialect=dialect)
    if isinstance(column_type, (sa.Integer, sa.String, sa.Boolean, sa.JSON)):
        return None
    raise TypeError(f"no direct read for {column_type!r}: add it to batched._processor")


_ROW_TYPES: dict[tuple[str, ...], type] = {}


def _row_type(names: tuple[str, ...]) -> type:
    """A named tuple per column list: attribute and index access like SQLAlchemy's `Row`, plus `_mapping`."""
    row_type = _ROW_TYPES.get(names)
    if row_type is None:
        base = namedtuple("KeyedRow", names)  # type: ignore[misc]  # noqa: PYI024
        row_type = type("KeyedRow", (base,), {"__slots__": (), "_mapping": property(lambda row: row._asdict())})
        _ROW_TYPES[names] = row_type
    return row_type


class KeyedQuery:
    """`build(keys_in)` returns the statement; `keys_in(column)` is the backend's "column is one of the keys"."""

    __slots__ = ("_postgresql", "_sqlite", "_direct", "key_column")

    def __init__(self, build: Callable[[KeysIn], Select[Any]]) -> None:
        self._postgresql = build(_postgresql_keys_in)
        keyed: list[ColumnElement[Any]] = []
        self._sqlite = build(lambda column: keyed.append(column) or _sqlite_keys_in(column))
        #: The column the keys are matched against.
        self.key_column = keyed[0]
        self._direct: _Direct | None = None

    async def rows(self, conn: AsyncConnection, store_id: int, keys: Sequence[Any]) -> Sequence[Any]:
        if conn.dialect.name != "postgresql":
            return (await conn.execute(self._sqlite, {"store": store_id, "keys": list(keys)})).all()
        if conn.sync_connection is not None and conn.sync_connection.get_execution_options().get(RAW_READS):
            direct = self._direct
            if direct is None:
                direct = self._direct = _Direct(self._postgresql, conn.dialect)
            return await direct.rows(conn, store_id, keys)
        return (await conn.execute(self._postgresql, {"store": store_id, "keys": list(keys)})).all()
