"""The rows a write transaction left behind, as its own statements returned them (`RETURNING`).

A mutation's payload shows the objects it changed: reading them again after the commit costs a snapshot
(BEGIN, a SELECT per object, ROLLBACK) and may show somebody else's later change instead of this one. The
write functions of the tables payloads read (checkouts, orders, shipments) return their row and note it
here; `gateway.api.transactions.in_transaction` hands the rows to the request's loaders once the
transaction has committed. A write whose new row is not known (an executemany) marks the row unknown, so
the payload reads it as before.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

#: A row written, then changed by a statement that did not return it: the payload must read it.
UNKNOWN: Any = object()

_rows: ContextVar[dict[tuple[str, Any], Any] | None] = ContextVar("gateway_written_rows", default=None)


@contextmanager
def recording() -> Iterator[dict[tuple[str, Any], Any]]:
    """Collect, by (table, id), the last row each write of this block returned (None: deleted)."""
    rows: dict[tuple[str, Any], Any] = {}
    token = _rows.set(rows)
    try:
        yield rows
    finally:
        _rows.reset(token)


def note(table: str, key: Any, row: Any) -> None:
    rows = _rows.get()
    if rows is not None:
        rows[(table, key)] = row
