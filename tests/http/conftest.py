"""Fixtures shared by the HTTP tests."""

from __future__ import annotations

import httpx
import pytest

from tests.factories import StoreFixture
from tests.order_flow import OrderFlow


@pytest.fixture
async def flow(client: httpx.AsyncClient, store: StoreFixture) -> OrderFlow:
    """The store of tests/order_flow.py with its shipping set up ("Everywhere": Flat Rate, Per Item, handling)."""
    flow = OrderFlow(client, store)
    await flow.shipping()
    return flow
