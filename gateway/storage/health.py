"""Telling an unreachable database apart from a bug, and checking readiness."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy import exc
from sqlalchemy.ext.asyncio import AsyncEngine


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
        error = error.__cause__ or error.__context__
        seen += 1
    return False


async def ping(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        await conn.execute(sa.text("SELECT 1"))
