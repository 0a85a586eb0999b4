"""Telling an unreachable database apart from a bug, and checking readiness."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy import exc
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.storage.deadline import DatabaseDeadline
from gateway.storage.migrate import current_revision

#: `/ready` answers within a second whatever the database does: its checks get this long in total.
READY_TIMEOUT_S = 0.8
#: SQLSTATE of a statement PostgreSQL cancelled (statement_timeout: the request had given up on it already).
QUERY_CANCELED = "57014"


def is_unavailable(error: BaseException | None) -> bool:
    """True when `error` (or anything it wraps) means the database cannot be reached right now."""
    seen = 0
    while error is not None and seen < 10:
        if isinstance(error, exc.DBAPIError) and error.connection_invalidated:
            return True
        if isinstance(error, (exc.OperationalError, exc.InterfaceError, exc.DisconnectionError, exc.TimeoutError)):
            return True
        if (
            isinstance(error, (ConnectionError, TimeoutError))
            or type(error).__module__.startswith("asyncpg.exceptions")
            and ("Connection" in type(error).__name__ or "CannotConnect" in type(error).__name__)
        ):
            return True
        if isinstance(error, OSError) and not isinstance(error, FileNotFoundError):
            return True
        if getattr(error, "sqlstate", None) == QUERY_CANCELED:
            return True
        error = error.__cause__ or error.__context__
        seen += 1
    return False


async def ping(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        await conn.execute(sa.text("SELECT 1"))


async def database_revision(engine: AsyncEngine, timeout_s: float = READY_TIMEOUT_S) -> str | None:
    """Ping the database and read its schema revision, within `timeout_s` in all.

    Raises (`DatabaseDeadlineExceeded` past the timeout) when the database does not answer; a connection
    given up on is discarded, not returned to the pool.
    """
    async with DatabaseDeadline(timeout_s).bound():
        await ping(engine)
        return await current_revision(engine)
