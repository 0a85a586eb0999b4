"""Fixtures shared by the HTTP tests."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from gateway import observability
from tests.factories import StoreFixture
from tests.order_flow import OrderFlow


@pytest.fixture
async def flow(client: httpx.AsyncClient, store: StoreFixture) -> OrderFlow:
    """The store of tests/order_flow.py with its shipping set up ("Everywhere": Flat Rate, Per Item, handling)."""
    flow = OrderFlow(client, store)
    await flow.shipping()
    return flow


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())

    def parsed(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.lines]

    def clear(self) -> None:
        self.lines.clear()


@pytest.fixture
def request_log(client: httpx.AsyncClient) -> Iterator[Lines]:
    handler = Lines()
    observability.request_log.addHandler(handler)
    try:
        yield handler
    finally:
        observability.request_log.removeHandler(handler)
