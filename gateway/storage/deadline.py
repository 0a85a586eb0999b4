"""A request's budget for database work, so that a database that stopped answering fails requests fast.

A request may wait for the database (a pool checkout, a connect, its statements, its turn on the shared read
connection) for at most `budget_s` seconds in total. Time while nothing waits for the database (a carrier
call, building the response) is not counted, so a slow carrier never eats into it. Past the budget, the
database work in flight is cancelled and `DatabaseDeadlineExceeded` is raised; the caller's connection
handling then discards the connection (it may be mid-statement), and every later database call of the
same request fails at once without touching the database.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class DatabaseDeadlineExceeded(TimeoutError):
    """The request used up its time for database work; the database is treated as unavailable."""


class DatabaseDeadline:
    """The remaining database time of one request (see the module docstring).

    Overlapping waits (sibling DataLoader batches queueing for the shared connection) count once: while any
    is in flight the budget runs down at wall-clock speed, and all of them share one absolute deadline.
    """

    __slots__ = ("budget_s", "_left", "_since", "_inside")

    def __init__(self, budget_s: float) -> None:
        self.budget_s = budget_s
        self._left = budget_s
        self._since = 0.0
        #: The tasks waiting for the database right now (a task inside already is not bounded twice).
        self._inside: set[asyncio.Task[object]] = set()

    @property
    def expired(self) -> bool:
        return self.remaining() <= 0

    def remaining(self) -> float:
        """Seconds of database work left (counting the wait in flight, if any)."""
        if self._inside:
            return self._left - (asyncio.get_running_loop().time() - self._since)
        return self._left

    @asynccontextmanager
    async def bound(self) -> AsyncIterator[None]:
        """Run the block within what is left of the budget, or raise `DatabaseDeadlineExceeded`."""
        task = asyncio.current_task()
        assert task is not None
        if task in self._inside:
            yield
            return
        if self.expired:
            raise self._exceeded()
        loop = asyncio.get_running_loop()
        if not self._inside:
            self._since = loop.time()
        self._inside.add(task)
        scope = asyncio.timeout_at(self._since + self._left)
        try:
            async with scope:
                yield
        except TimeoutError as error:
            if scope.expired():
                raise self._exceeded() from error
            raise
        finally:
            self._inside.discard(task)
            if not self._inside:
                self._left -= loop.time() - self._since

    def _exceeded(self) -> DatabaseDeadlineExceeded:
        return DatabaseDeadlineExceeded(f"database work took longer than {self.budget_s:g}s")
