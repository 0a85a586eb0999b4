"""Pooled connections are not pinged before use, yet a dead one never fails a request.

On PostgreSQL the gateway reaches the database through a TCP proxy (tests/db_proxy.py) that records every
statement on the wire. Connections die two ways: the server ends them (`pg_terminate_backend`, as on a
restart: the client is told), or they die unnoticed (the proxy drops the server side and keeps the client
side open and quiet, like a NAT or firewall that forgot the connection: the client finds out on its next
statement). After either, the next requests (reads and mutations, several at once) all succeed. On SQLite
(nothing to terminate) the gateway's pool is emptied instead, and the same requests must succeed.

The wire shows what a request costs: a read-only request is BEGIN (its snapshot), its SELECTs and ROLLBACK,
with no pre-ping (`;`) in front.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from gateway.app import create_app
from gateway.settings import Settings
from gateway.storage.db import create_engine, normalise_url
from tests.db_proxy import DbProxy, proxied_url, running_db_proxy, target_of
from tests.factories import StoreFixture, data, gql

pytestmark = pytest.mark.anyio

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
BACKEND = "postgresql" if TEST_DATABASE_URL else "sqlite"
#: How long terminated sessions may take to be gone from pg_stat_activity (a bound, not a measurement).
GONE_WITHIN_S = 20.0
REQUEST_DEADLINE_S = 5.0

CREATE_CHECKOUT = """
mutation($input: CreateCheckoutInput!) {
  createCheckout(input: $input) { checkout { id email } errors { code } }
}
"""
CHECKOUT = "query($id: ID!) { checkout(id: $id) { id email lineItems { sku quantity } } }"
PRODUCTS = "{ products(first: 3) { nodes { sku } } }"


@dataclass
class Gateway:
    client: httpx.AsyncClient
    engine: AsyncEngine
    proxy: DbProxy | None
    database: str
    #: SQLite: the statements the engine sent (PostgreSQL: see `proxy.statements`).
    sent: list[str]


@asynccontextmanager
async def gateway(database_url: str, *, token_cache_ttl_s: float = 0) -> AsyncIterator[Gateway]:
    """The app in process, on an engine made as the server makes it (PostgreSQL: through the proxy)."""

    async def serve(url: str, proxy: DbProxy | None) -> AsyncIterator[Gateway]:
        engine = create_engine(url, request_deadline_s=REQUEST_DEADLINE_S)
        settings = Settings(
            database_url=url, host="127.0.0.1", port=0, environment="test", token_cache_ttl_s=token_cache_ttl_s
        )
        app = create_app(settings, engine=engine)
        sent: list[str] = []
        if proxy is None:
            event.listen(engine.sync_engine, "before_cursor_execute", lambda *args: sent.append(args[2]))
        try:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as client:
                yield Gateway(client, engine, proxy, make_url(database_url).database or "", sent)
        finally:
            await engine.dispose()

    if BACKEND == "sqlite":
        async for served in serve(database_url, None):
            yield served
        return
    with running_db_proxy(*target_of(database_url)) as proxy:
        url = make_url(proxied_url(database_url, proxy)).update_query_dict({"ssl": "disable"})  # readable wire
        async for served in serve(url.render_as_string(hide_password=False), proxy):
            yield served


async def _admin(statement: str, **params: Any) -> list[Any]:
    assert TEST_DATABASE_URL
    admin = create_async_engine(normalise_url(TEST_DATABASE_URL), isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        async with admin.connect() as conn:
            return list((await conn.execute(sa.text(statement), params)).scalars())
    finally:
        await admin.dispose()


async def terminate_every_session(served: Gateway) -> int:
    """`pg_terminate_backend` every session on the test database; returns once all of them are gone."""
    pids = await _admin("SELECT pid FROM pg_stat_activity WHERE datname = :db", db=served.database)
    await _admin("SELECT pg_terminate_backend(pid) FROM unnest(CAST(:pids AS int[])) AS pid", pids=pids)
    deadline = time.monotonic() + GONE_WITHIN_S
    while await _admin("SELECT pid FROM pg_stat_activity WHERE pid = ANY(:pids)", pids=pids):
        assert time.monotonic() < deadline, f"terminated sessions still there after {GONE_WITHIN_S}s"
        await asyncio.sleep(0.05)
    return len(pids)


async def kill_connections(served: Gateway, how: str) -> None:
    if BACKEND == "sqlite":
        await served.engine.dispose()
        return
    assert served.proxy is not None
    if how == "terminated":
        killed = await terminate_every_session(served)
    else:
        killed = served.proxy.drop_silently()
    assert killed >= 2, f"the gateway had {killed} connections open; the test needs several"


async def warm_pool(served: Gateway, store: StoreFixture, checkout_id: str) -> None:
    """Several requests at once, so that several pooled connections are open."""
    bodies = await asyncio.gather(
        *(gql(served.client, CHECKOUT, {"id": checkout_id}, token=store.storefront_token) for _ in range(6))
    )
    for body in bodies:
        assert data(body)["checkout"]["id"] == checkout_id


async def create_checkout(served: Gateway, store: StoreFixture, email: str) -> str:
    body = await gql(
        served.client,
        CREATE_CHECKOUT,
        {"input": {"email": email, "lineItems": [{"sku": "MUG", "quantity": 2}]}},
        token=store.storefront_token,
    )
    payload = data(body)["createCheckout"]
    assert payload["errors"] == []
    return str(payload["checkout"]["id"])


@pytest.mark.parametrize("how", ["terminated", "unnoticed"])
@pytest.mark.parametrize("token_cache_ttl_s", [0, 60])
async def test_every_request_succeeds_after_the_pooled_connections_died(
    database_url: str, store: StoreFixture, how: str, token_cache_ttl_s: float
):
    # With tokens cached, a mutation's first statement is its own BEGIN; without, the token lookup's read.
    async with gateway(database_url, token_cache_ttl_s=token_cache_ttl_s) as served:
        first = await create_checkout(served, store, "first@example.com")
        await warm_pool(served, store, first)

        await kill_connections(served, how)
        # Reads first, several at once: each may be handed a dead connection.
        bodies = await asyncio.gather(
            *(gql(served.client, CHECKOUT, {"id": first}, token=store.storefront_token) for _ in range(4)),
            gql(served.client, PRODUCTS, token=store.storefront_token),
        )
        for body in bodies[:4]:
            assert data(body)["checkout"]["lineItems"] == [{"sku": "MUG", "quantity": 2}]
        assert [node["sku"] for node in data(bodies[4])["products"]["nodes"]] == ["SHIRT", "MUG", "LAMP"]
        second = await create_checkout(served, store, "second@example.com")

        await warm_pool(served, store, first)
        await kill_connections(served, how)
        # A mutation first this time, then several at once, then reads of what they wrote.
        third = await create_checkout(served, store, "third@example.com")
        more = await asyncio.gather(*(create_checkout(served, store, f"more{i}@example.com") for i in range(3)))
        emails = {second: "second", third: "third"} | {checkout_id: f"more{i}" for i, checkout_id in enumerate(more)}
        for checkout_id, email in emails.items():
            body = await gql(served.client, CHECKOUT, {"id": checkout_id}, token=store.storefront_token)
            assert data(body)["checkout"]["email"] == f"{email}@example.com"


def statements_since(served: Gateway) -> Callable[[], list[str]]:
    """The statements on the wire (PostgreSQL) or sent by the engine (SQLite) from now on."""
    sent = served.proxy.statements if served.proxy is not None else served.sent
    start = len(sent)
    return lambda: list(sent[start:])


def normalised(statements: list[str]) -> list[str]:
    """Upper case, without surrounding blanks or a trailing `;` (a pre-ping, `;`, becomes "")."""
    return [statement.strip().rstrip(";").strip().upper() for statement in statements]


async def test_a_read_request_is_its_statements_in_one_snapshot_without_a_pre_ping(
    database_url: str, store: StoreFixture
):
    async with gateway(database_url) as served:
        checkout_id = await create_checkout(served, store, "wire@example.com")
        await gql(served.client, CHECKOUT, {"id": checkout_id}, token=store.storefront_token)  # statements prepared

        per_request = []
        for _ in range(5):
            seen = statements_since(served)
            body = await gql(served.client, CHECKOUT, {"id": checkout_id}, token=store.storefront_token)
            assert data(body)["checkout"]["email"] == "wire@example.com"
            per_request.append(seen())

        for sent in per_request:
            statements = normalised(sent)
            assert "" not in statements, sent  # no pre-ping (`;`)
            assert statements[0].startswith("BEGIN"), sent
            if BACKEND == "postgresql":
                assert "REPEATABLE READ" in statements[0], sent  # one snapshot for every level
                assert statements[-1] == "ROLLBACK", sent
            middle = statements[1:-1] if BACKEND == "postgresql" else statements[1:]
            assert middle and all(statement.startswith("SELECT") for statement in middle), sent
        assert len({len(sent) for sent in per_request}) == 1, per_request

        seen = statements_since(served)
        await create_checkout(served, store, "write@example.com")
        statements = normalised(seen())
        assert "" not in statements, statements
        if BACKEND == "postgresql":  # (SQLite commits through the driver, not a statement)
            assert statements.count("COMMIT") == 1, statements
