"""Engines, connections and the unit of work.

Write transactions take the lock their invariants depend on *before* reading: on SQLite the whole
database (`BEGIN IMMEDIATE`, so two processes never interleave check-then-write), on PostgreSQL the
rows the caller locks with `SELECT ... FOR UPDATE`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

import orjson
from sqlalchemy import event, exc
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from gateway.storage.deadline import DatabaseDeadline, DatabaseDeadlineExceeded
from gateway.storage.queries.batched import RAW_READS

#: Defaults for engines made without a request deadline (the CLI, migrations, tools); the server passes its
#: settings (gateway.settings) instead.
POOL_SIZE = 10
CONNECT_TIMEOUT_S = 5.0
COMMAND_TIMEOUT_S = 10.0
SQLITE_BUSY_TIMEOUT_S = 30.0
#: PostgreSQL connections older than this are replaced at their next checkout, so one that a firewall, proxy
#: or server idle timeout dropped silently long ago is never relied on.
POOL_RECYCLE_S = 1800
#: The engine's execution option that carries the request deadline to `RequestReads`.
REQUEST_DEADLINE_OPTION = "gateway_request_deadline_s"
#: PostgreSQL stops a statement this long after the request gave up on it, so a cancelled request's work
#: does not go on on the server (the request itself answers at its deadline).
STATEMENT_TIMEOUT_GRACE_S = 0.5
_BUSY_TIMEOUT_OPTION = "gateway_busy_timeout_ms"

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


def create_engine(
    url: str,
    *,
    request_deadline_s: float | None = None,
    pool_size: int = POOL_SIZE,
    connect_timeout_s: float = CONNECT_TIMEOUT_S,
    command_timeout_s: float = COMMAND_TIMEOUT_S,
    **kwargs: Any,
) -> AsyncEngine:
    """An engine for `url`; with `request_deadline_s`, every request's database work is bounded by it.

    The deadline covers pool checkout, connect, every statement and (SQLite) the wait for the write lock;
    past it the request fails with `DatabaseDeadlineExceeded` and its connection is discarded
    (see `gateway.storage.deadline`). Connect and statement timeouts also bound work outside requests.
    """
    url = normalise_url(url)
    kwargs.setdefault("json_deserializer", orjson.loads)  # addresses are JSON; orjson reads them ~5x faster
    if request_deadline_s is not None:
        kwargs["execution_options"] = {
            **kwargs.get("execution_options", {}),
            REQUEST_DEADLINE_OPTION: request_deadline_s,
        }
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        # A database locked by another writer fails within the deadline instead of waiting 30 s.
        busy_timeout_s = min(SQLITE_BUSY_TIMEOUT_S, request_deadline_s or SQLITE_BUSY_TIMEOUT_S)
        engine = create_async_engine(url, connect_args={"timeout": busy_timeout_s}, **kwargs)
        _configure_sqlite(engine, busy_timeout_s)
        return engine
    kwargs.setdefault("pool_size", pool_size)
    kwargs.setdefault("max_overflow", 5)
    # No pre-ping (it costs three round trips per checkout): dead connections are caught on use instead, see
    # `_replace_closed_connections_at_checkout` and `_connect_and_begin`.
    kwargs.setdefault("pool_recycle", POOL_RECYCLE_S)
    kwargs.setdefault("pool_timeout", min(5.0, request_deadline_s or 5.0))
    # Bounded connects and statements: a database that stopped answering (a partition, not a refusal)
    # fails in seconds instead of hanging. Requests are bounded more tightly by their deadline.
    connect_args: dict[str, Any] = {"timeout": connect_timeout_s, "command_timeout": command_timeout_s}
    if request_deadline_s is not None:
        statement_timeout_ms = round((request_deadline_s + STATEMENT_TIMEOUT_GRACE_S) * 1000)
        connect_args["server_settings"] = {"statement_timeout": str(statement_timeout_ms)}
    kwargs.setdefault("connect_args", connect_args)
    engine = create_async_engine(url, **kwargs)
    _discard_invalidated_connections_at_once(engine)
    _replace_closed_connections_at_checkout(engine)
    return engine


def _replace_closed_connections_at_checkout(engine: AsyncEngine) -> None:
    """A pooled connection the driver already knows is closed is replaced at checkout, without a round trip.

    asyncpg reads from every open socket, so a connection the server closed while it sat in the pool (a
    restart, `pg_terminate_backend`, an idle timeout) is marked closed as soon as the server says so;
    raising `DisconnectionError` here makes the pool discard it and check out (or open) another. One that
    dies unnoticed is caught by its first statement (`_connect_and_begin`).
    """

    @event.listens_for(engine.sync_engine, "checkout")
    def _check(_dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        driver = record.driver_connection
        if driver is not None and driver.is_closed():
            raise exc.DisconnectionError("the pooled connection was closed by the server")


def _discard_invalidated_connections_at_once(engine: AsyncEngine) -> None:
    """An invalidated asyncpg connection is closed at once, not first politely.

    SQLAlchemy's asyncpg adapter tries a graceful close (up to 2 s) before it terminates an invalidated
    connection; on a database that stopped answering that is 2 s more for every request that gave up on it.
    An invalidated connection is broken or mid-statement, so nothing is lost by dropping it straight away.
    """

    @event.listens_for(engine.sync_engine, "invalidate")
    def _terminate(_dbapi_connection: Any, record: Any, _error: BaseException | None) -> None:
        driver = record.driver_connection
        if driver is not None:
            driver.terminate()


def _configure_sqlite(engine: AsyncEngine, busy_timeout_s: float) -> None:
    """Take transaction control away from pysqlite so we can say BEGIN IMMEDIATE for writes."""
    busy_timeout_ms = round(busy_timeout_s * 1000)

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        options = conn.get_execution_options()
        if options.get("gateway_write"):
            # The wait for the write lock gets what is left of the request's deadline (raw, so it is not
            # counted as a statement of the request).
            cursor = conn.connection.dbapi_connection.cursor()
            cursor.execute(f"PRAGMA busy_timeout={int(options.get(_BUSY_TIMEOUT_OPTION, busy_timeout_ms))}")
            cursor.close()
        conn.exec_driver_sql(f"BEGIN {'IMMEDIATE' if options.get('gateway_write') else 'DEFERRED'}")


def _bounded(deadline: DatabaseDeadline | None) -> AbstractAsyncContextManager[None]:
    return deadline.bound() if deadline is not None else contextlib.nullcontext()


@asynccontextmanager
async def write_transaction(
    engine: AsyncEngine, deadline: DatabaseDeadline | None = None
) -> AsyncIterator[AsyncConnection]:
    """One mutation, one transaction: commit on success, roll back on any exception.

    With `deadline`, the whole transaction (checkout, lock waits, statements, commit) must end within what
    is left of it; past it the statement in flight is cancelled and the connection discarded. A deadline
    that passes during COMMIT leaves the outcome unknown to the caller, as any lost connection does.
    """
    if is_sqlite(engine):
        async with _bounded(deadline), engine.connect() as conn:
            options: dict[str, Any] = {"gateway_write": True}
            if deadline is not None:
                options[_BUSY_TIMEOUT_OPTION] = max(1, int(deadline.remaining() * 1000))
            conn = await conn.execution_options(**options)
            async with conn.begin():
                yield conn
        return
    # PostgreSQL: BEGIN goes out before the caller's first statement (SQLAlchemy's asyncpg adapter would send it
    # just before that statement anyway, as a round trip of its own), so a pooled connection that turns out to
    # be dead fails here, before anything of the transaction ran, and is replaced once.
    async with _bounded(deadline):
        for attempt in (1, 2):
            try:
                async with engine.connect() as conn:
                    conn = await conn.execution_options(gateway_write=True)
                    async with conn.begin():
                        await _send_begin(engine, conn, retry=attempt == 1)
                        yield conn
                        return
            except _StaleConnection:
                continue


@asynccontextmanager
async def read_connection(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A short-lived connection for one batch of reads."""
    async with engine.connect() as conn:
        yield conn


class _StaleConnection(Exception):
    """The first statement on a pooled connection found it dead: nothing ran, so try once more on another."""


def _is_disconnect(error: BaseException, driver: Any) -> bool:
    """True when `error`, raised by the first statement on a connection, means the connection is dead."""
    if isinstance(error, DatabaseDeadlineExceeded):
        return False
    if driver is not None and driver.is_closed():
        return True
    seen: BaseException | None = error
    for _ in range(5):
        if seen is None:
            return False
        if isinstance(seen, exc.DBAPIError) and seen.connection_invalidated:
            return True
        if isinstance(seen, ConnectionError):
            return True
        # asyncpg's, named rather than imported (the storage layer speaks to asyncpg only through SQLAlchemy).
        name = type(seen).__name__ if type(seen).__module__.startswith("asyncpg") else ""
        if name == "ConnectionDoesNotExistError" or name == "InterfaceError" and "connection is closed" in str(seen):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


async def _discard_stale(
    engine: AsyncEngine, conn: AsyncConnection, error: BaseException, *, close: bool = True
) -> None:
    """Discard a connection found dead, and with it every pooled connection opened before it.

    What killed one (a restart, a terminated backend) most likely killed its siblings: they are replaced
    at their next checkout instead of each failing a request's first statement (SQLAlchemy's own handling
    of a disconnect, which our direct asyncpg calls bypass).
    """
    with contextlib.suppress(Exception):
        raw = await conn.get_raw_connection()
        invalidate_generation = getattr(engine.sync_engine.pool, "_invalidate", None)
        if invalidate_generation is not None:
            invalidate_generation(raw, error, _checkin=False)
    if close:
        await _discard(conn)
    else:
        await conn.invalidate()


async def _driver_of(conn: AsyncConnection) -> Any:
    return (await conn.get_raw_connection()).driver_connection


async def _send_begin(engine: AsyncEngine, conn: AsyncConnection, *, retry: bool) -> None:
    """Send the write transaction's BEGIN now (SQLAlchemy's asyncpg adapter defers it to the first statement)."""
    raw = await conn.get_raw_connection()
    adapter = raw.dbapi_connection
    start = getattr(adapter, "_start_transaction", None)
    if start is None or getattr(adapter, "_transaction", True) is not None:
        return  # another adapter: BEGIN goes out with the first statement, as before
    try:
        async with adapter._execute_mutex:  # type: ignore[union-attr]
            await start()
    except Exception as error:
        if retry and _is_disconnect(error, raw.driver_connection):
            await _discard_stale(engine, conn, error, close=False)  # the caller's `engine.connect()` closes it
            raise _StaleConnection from error
        raise


def request_deadline(engine: AsyncEngine) -> DatabaseDeadline | None:
    """A fresh deadline for one request on `engine` (None: the engine bounds requests by nothing more)."""
    budget = engine.get_execution_options().get(REQUEST_DEADLINE_OPTION)
    return DatabaseDeadline(float(budget)) if budget else None


class RequestReads:
    """The one read connection of one request, shared by all of its reads (every DataLoader batch).

    Opened on the first read and kept until `release()` (before a write) or `close()` (the request is
    done; reads still arriving afterwards get a connection of their own): a request pays for one pool
    checkout (no pre-ping: a pooled connection found dead by the BEGIN is replaced once), one BEGIN and one
    ROLLBACK, not one of each per batch. Its reads run in one transaction,
    so every level of a response sees the same snapshot (PostgreSQL: REPEATABLE READ READ ONLY; SQLite:
    a deferred transaction is a snapshot). Reads take turns on the connection; the connection is
    dropped after any error so a broken one is never reused. Callers release it before they write or
    wait on something slow (carriers), so a request never holds two connections.

    It also carries the request's `deadline` (from the engine, see `create_engine`): every read, the wait
    for its turn and the final rollback count against it, and so do the request's writes (`in_transaction`).
    """

    __slots__ = ("_engine", "_conn", "_transaction", "_turn", "_closed", "deadline")

    def __init__(self, engine: AsyncEngine, deadline: DatabaseDeadline | None = None) -> None:
        """`deadline`: one the request already started spending (else a fresh one from the engine)."""
        self._engine = engine
        self._conn: AsyncConnection | None = None
        self._transaction: Any = None  # asyncpg's, on PostgreSQL
        self._turn = asyncio.Lock()
        self._closed = False
        self.deadline = deadline if deadline is not None else request_deadline(engine)

    def bounded(self) -> AbstractAsyncContextManager[None]:
        """A block of this request's database work: within its deadline, or `DatabaseDeadlineExceeded`."""
        return _bounded(self.deadline)

    async def run(self, action: Callable[[AsyncConnection], Awaitable[T]]) -> T:
        async with self.bounded():
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
        if is_sqlite(self._engine):
            self._conn = await self._engine.connect()
            return
        for attempt in (1, 2):
            conn = await self._engine.connect()
            driver = None
            try:
                # SQLAlchemy leaves the transaction alone (AUTOCOMMIT) and asyncpg runs ours, so keyed
                # queries may go straight to asyncpg (RAW_READS) inside the same snapshot.
                conn = await conn.execution_options(isolation_level="AUTOCOMMIT", **{RAW_READS: True})
                driver = await _driver_of(conn)
                transaction = driver.transaction(isolation="repeatable_read", readonly=True)  # type: ignore[union-attr]
                await transaction.start()  # the first statement on the connection: it may find it dead
            except Exception as error:
                if attempt == 1 and _is_disconnect(error, driver):
                    # Nothing of the request ran on it: read on a fresh connection instead.
                    await _discard_stale(self._engine, conn, error)
                    continue
                await _discard(conn)
                raise
            except BaseException:
                await _discard(conn)
                raise
            self._transaction = transaction
            self._conn = conn
            return

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
        if broken or (self.deadline is not None and self.deadline.expired):
            await _discard(conn)  # never back to the pool: it may be mid-statement or gone
            return
        try:
            if transaction is not None:
                async with self.bounded():
                    await transaction.rollback()
        except Exception:  # noqa: BLE001 - gone, confused or out of time (the request is done with it anyway)
            await _discard(conn)
        except BaseException:
            await _discard(conn)
            raise
        else:
            await conn.close()


async def _discard(conn: AsyncConnection) -> None:
    """Close `conn` without returning its DBAPI connection to the pool."""
    try:
        await conn.invalidate()
    finally:
        await conn.close()
