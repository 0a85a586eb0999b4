"""DataLoader queries (`KeyedQuery`) return the same rows, with the same Python values and types, whichever
way they run: through SQLAlchemy's execution, or on a request's read connection on PostgreSQL straight
through asyncpg (`storage.queries.batched`). On SQLite both ways are SQLAlchemy's."""

from __future__ import annotations

import importlib
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Row

from gateway.storage.db import RequestReads, is_sqlite
from gateway.storage.queries import batched
from gateway.storage.types import Record
from tests.order_flow import OrderFlow

# (`gateway.storage.queries.orders` is shadowed by the re-exported `orders` table: import modules by name.)
AREAS = ("checkouts", "orders", "shipping")
KEYED = {
    f"{module.__name__.rsplit('.', 1)[-1]}.{name}": query
    for module in map(importlib.import_module, [f"gateway.storage.queries.{area}" for area in AREAS])
    for name, query in vars(module).items()
    if isinstance(query, batched.KeyedQuery)
}


def described(value: Any) -> Any:
    """A value with its type, and the spelling clients will see for decimals and times."""
    if isinstance(value, Decimal | datetime):
        return type(value).__name__, str(value), getattr(value, "tzinfo", None)
    if isinstance(value, dict):
        return type(value).__name__, {key: described(item) for key, item in value.items()}
    if isinstance(value, list):
        return [described(item) for item in value]
    return type(value).__name__, value


async def test_keyed_queries_read_identical_rows_both_ways(client, engine, store):
    flow = OrderFlow(client, store)
    await flow.shipping()
    order = await flow.place_order(lines={"SHIRT": 2, "MUG": 1, "EBOOK": 1})
    await flow.shipped(order, items={"SHIRT": 1}, trackingNumber="1Z999", shippingProvider="UPS")
    await flow.ready(lines={"LAMP": 1, "SOCKS": 3})  # an open checkout with a consignment and quotes

    assert len(KEYED) >= 15, sorted(KEYED)
    direct_rows = 0
    for name, query in sorted(KEYED.items()):
        async with engine.connect() as conn:
            keys = list((await conn.execute(sa.select(query.key_column).distinct())).scalars())
            assert keys, f"{name}: the fixture made no rows to read"
            keys.append(999_999 if isinstance(keys[0], int) else "no-such-key")
            standard = list(await query.rows(conn, store.id, keys))
        seen: list[str] = []

        def count(_conn: Any, _cursor: Any, statement: str, *_: Any, seen: list[str] = seen) -> None:
            seen.append(statement)

        reads = RequestReads(engine)
        event.listen(engine.sync_engine, "before_cursor_execute", count)
        try:
            direct = list(await reads.run(lambda conn, query=query, keys=keys: query.rows(conn, store.id, keys)))
        finally:
            event.remove(engine.sync_engine, "before_cursor_execute", count)
            await reads.close()
        # Statement counters (N+1 tests, the request log, /metrics) see the direct statement too.
        assert len([statement for statement in seen if statement.lstrip().upper().startswith("SELECT")]) == 1, seen

        assert standard, name
        assert [described(tuple(row)) for row in direct] == [described(tuple(row)) for row in standard], name
        for mine, theirs in zip(direct, standard, strict=True):
            assert dict(mine._mapping) == dict(theirs._mapping), name
            for column in theirs._mapping:
                assert getattr(mine, column) == getattr(theirs, column), (name, column)
                if isinstance(getattr(theirs, column), dict):
                    assert isinstance(getattr(mine, column), Record), (name, column)
        if is_sqlite(engine):
            assert all(isinstance(row, Row) for row in direct), name  # no direct path on SQLite
        else:
            assert all(type(row).__name__ == "KeyedRow" for row in direct), name
            direct_rows += len(direct)
    if not is_sqlite(engine):
        assert direct_rows > 0
