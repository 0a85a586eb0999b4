"""Engines, connections and the unit of work.

Write transactions take the lock their invariants depend on *before* reading: on SQLite the whole
database (`BEGIN IMMEDIATE`, so two processes never interleave check-then-write), on PostgreSQL the
rows the caller locks with `SELECT ... FOR UPDATE`.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

import orjson
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from gateway.storage.queries.batched import RAW_READS

SQLITE_BUSY_TIMEOUT_S = 30

T = TypeVar("T")


def normalise_url(url: str) -> str:
    """Accept plain `postgresql://` / `sqlite:///` URLs and pick the async drivers we ship."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+asyncpg")
    elif backend == "sqlite":
        parsed = parsed.set(drivername="sqlite+aiosqlite")
    else:
        raise ValueError(f"unsupported database backend {backend!r}: use sqlite or postgresql")
    return parsed.render_as_string(hide_password=False)


def is_sqlite(engine: AsyncEngine) -> bool:
    return engine.dialect.name == "sqlite"


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    url = normalise_url(url)
    kwargs.setdefault("json_deserializer", orjson.loads)  # addresses are JSON; orjson reads them ~5x faster
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S}, **kwargs)
        _configure_sqlite(engine)
        return engine
    kwargs.setdefault("pool_size", int(os.environ.get("GATEWAY_DB_POOL_SIZE", "10")))
    kwargs.setdefault("max_overflow", 5)
    # Fail fast when the database is down, and recover without a restart once it is back.
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("pool_timeout", 5)
    # Bounded connects and statements: a database that stopped answering (a partition, not a refusal)
    # fails requests in seconds instead of hanging them. Both are configurable for slower networks.
    kwargs.setdefault(
        "connect_args",
        {
            "timeout": float(os.environ.get("GATEWAY_DB_CONNECT_TIMEOUT_S", "5")),
            "command_timeout": float(os.environ.get("GATEWAY_DB_COMMAND_TIMEOUT_S", "10")),
        },
    )
    return create_async_engine(url, **kwargs)


def _configure_sqlite(engine: AsyncEngine) -> None:
    """Take transaction control away from pysqlite so we can say BEGIN IMMEDIATE for writes."""

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_S * 1000}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        mode = "IMMEDIATE" if conn.get_execution_options().get("gateway_write") else "DEFERRED"
        conn.exec_driver_sql(f"BEGIN {mode}")


@asynccontextmanager
async def write_transaction(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """One mutation, one transaction: commit on success, roll back on any exception."""
    async with engine.connect() as conn:
        conn = await conn.execution_options(gateway_write=True)
        async with conn.begin():
            yield conn


@asynccontextmanager
async def read_connection(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A short-lived connection for one batch of reads."""
    async with engine.connect() as conn:
        yield conn


class RequestReads:
    """The one read connection of one request, shared by all of its reads (every DataLoader batch).

    Opened on the first read and kept until `release()` (before a write) or `close()` (the request is
    done; reads still arriving afterwards get a connection of their own): a request pays for one pool checkout (with its
    pre-ping), one BEGIN and one ROLLBACK, not one of each per batch. Its reads run in one transaction,
    so every level of a response sees the same snapshot (PostgreSQL: REPEATABLE READ READ ONLY; SQLite:
    a deferred transaction is a snapshot). Reads take turns on the connection; the connection is
    dropped after any error so a broken one is never reused. Callers release it before they write or
    wait on something slow (carriers), so a request never holds two connections.
    """

    __slots__ = ("_engine", "_conn", "_transaction", "_turn", "_closed")

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._conn: AsyncConnection | None = None
        self._transaction: Any = None  # asyncpg's, on PostgreSQL
        self._turn = asyncio.Lock()
        self._closed = False

    async def run(self, action: Callable[[AsyncConnection], Awaitable[T]]) -> T:
        async with self._turn:
            if not self._closed:
                return await self._run_shared(action)
        # The request is over, but a straggler (a sibling of a failed field, still running) reads: it
        # gets a connection of its own that goes straight back, never one nobody would release.
        async with read_connection(self._engine) as conn:
            return await action(conn)

    async def _run_shared(self, action: Callable[[AsyncConnection], Awaitable[T]]) -> T:
        if self._conn is None:
            await self._open()
        assert self._conn is not None
        try:
            return await action(self._conn)
        except BaseException:
            with contextlib.suppress(Exception):  # a broken connection may fail to close too
                await self._drop(broken=True)
            raise

    async def _open(self) -> None:
        conn = await self._engine.connect()
        try:
            if not is_sqlite(self._engine):
                # SQLAlchemy leaves the transaction alone (AUTOCOMMIT) and asyncpg runs ours, so keyed
                # queries may go straight to asyncpg (RAW_READS) inside the same snapshot.
                conn = await conn.execution_options(isolation_level="AUTOCOMMIT", **{RAW_READS: True})
                driver = (await conn.get_raw_connection()).driver_connection
                transaction = driver.transaction(isolation="repeatable_read", readonly=True)  # type: ignore[union-attr]
                await transaction.start()
                self._transaction = transaction
        except BaseException:
            await conn.invalidate()
            await conn.close()
            raise
        self._conn = conn

    async def release(self) -> None:
        """Give the connection back to the pool (ending the snapshot); the next read opens a new one."""
        async with self._turn:
            await self._drop()

    async def close(self) -> None:
        """The request is done: release the connection, and keep none for reads that come later."""
        self._closed = True
        await self.release()

    async def _drop(self, *, broken: bool = False) -> None:
        conn, transaction = self._conn, self._transaction
        self._conn = self._transaction = None
        if conn is None:
            return
        try:
            if broken:
                await conn.invalidate()  # never back to the pool: it may be mid-statement or gone
            elif transaction is not None:
                try:
                    await transaction.rollback()
                except Exception:  # noqa: BLE001 - the connection is gone or confused: never reuse it
                    await conn.invalidate()
        finally:
            await conn.close()
