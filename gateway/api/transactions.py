"""The one way a mutation writes: a domain call inside one transaction, refusals mapped to UserErrors."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import strawberry
from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.api.errors import UserError, user_errors
from gateway.domain.errors import DomainError
from gateway.storage import written
from gateway.storage.db import write_transaction

T = TypeVar("T")


async def in_transaction(
    info: strawberry.Info, action: Callable[[AsyncConnection], Awaitable[T]]
) -> tuple[T | None, list[UserError]]:
    """Run `action` in one write transaction: all of it commits, or (on any error) none of it.

    Loaders are cleared afterwards so the payload shows the state after the write. The transaction
    counts against the request's database deadline (lock waits included): past it, SERVICE_UNAVAILABLE.
    """
    context = info.context
    reads = context.reads
    try:
        async with reads.bounded():
            await reads.release()  # never hold a read connection while waiting for the write lock
            with written.recording() as rows:
                async with write_transaction(context.engine, reads.deadline) as conn:
                    result = await action(conn)
    except DomainError as error:
        context.loaders.clear_all()
        return None, user_errors(error)
    context.loaders.clear_all()
    _prime(context, rows)
    return result, []


#: The loaders a committed write's own rows answer (`gateway.storage.written`), by table.
_PRIMED = {"checkout": "checkout_by_id", "orders": "order_by_id", "shipment": "shipment_by_id"}


def _prime(context: Any, rows: dict[tuple[str, Any], Any]) -> None:
    """The payload reads the committed write's own rows instead of a new snapshot of them."""
    for (table, key), row in rows.items():
        if row is written.UNKNOWN or (row is not None and row.store_id != context.store_id):
            continue
        getattr(context.loaders, _PRIMED[table]).prime(key, row)


async def read(info: strawberry.Info, action: Callable[[AsyncConnection], Awaitable[T]]) -> T:
    """A read outside any write transaction, on the request's shared read connection.

    It runs in a task of its own: reads take turns on the connection, and a resolver waiting for its turn
    must not stall whoever steps it together with its siblings (the fast path resumes a level's
    resolvers once all of them can go on, and the one holding the connection is among them).
    """
    return await asyncio.ensure_future(info.context.reads.run(action))
