"""Faults over HTTP: health and readiness, the database going away and coming back, a failure in the middle
of a multi-row write, carriers that time out or answer garbage.

The database outage is played against a real uvicorn process (tests/servers.py):

- on PostgreSQL the process reaches the database only through a TCP proxy on loopback (tests/db_proxy.py)
  that the test cuts ("reset": every connection reset, new ones refused, as when the server stops;
  "blackhole": nothing answers any more, as in a network partition) and restores;
- on SQLite there is no connection to cut: the database file (with its -wal/-shm) is moved away and a
  directory put in its place, so the process cannot open it, then moved back. A process keeps working on
  the file it already has open, so there the outage starts before the process's first database request.
  Both modes mean the same on SQLite.

Either way: while the database is gone every request is answered quickly with SERVICE_UNAVAILABLE, the
process stays up (/health 200, /ready 503), and the same process serves normally once it is back.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import sqlite3
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
import sqlalchemy as sa
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from gateway.app import create_app
from gateway.settings import Settings
from gateway.storage import queries
from gateway.storage.db import create_engine, normalise_url, write_transaction
from gateway.storage.migrate import alembic_config, head_revision, upgrade
from gateway.storage.models import (
    checkout,
    consignment,
    consignment_line_item,
    idempotency_key,
    line_item,
    order_product,
    order_shipping_address,
    orders,
    shipment,
    shipment_item,
    shipping_quote,
)
from tests.db_proxy import proxied_url, running_db_proxy, target_of
from tests.factories import StoreFixture, data, gql
from tests.fake_carrier import FakeCarrier, Service, running_fake_carrier
from tests.order_flow import BILLING, COMPLETE, ORDER, REFRESH, SET_BILLING, US_CA, OrderFlow, address
from tests.order_flow import CHECKOUT as FLOW_CHECKOUT
from tests.servers import start_server, stop_server

pytestmark = pytest.mark.anyio

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
BACKEND = "postgresql" if TEST_DATABASE_URL else "sqlite"

#: "Fail fast": every request during an outage must be answered within this (a bound, not a measurement).
ANSWER_WITHIN_S = 10.0
#: How long the process may take to serve again after the database is back.
RECOVERY_WITHIN_S = 20.0

HEALTHY = "{ products(first: 2) { nodes { sku } } }"
CREATE_CHECKOUT = """
mutation($input: CreateCheckoutInput!) {
  createCheckout(input: $input) { checkout { id email } errors { code } }
}
"""
CHECKOUT = "query($id: ID!) { checkout(id: $id) { id email lineItems { sku quantity } } }"
CHECKOUT_IDS = "{ checkouts(first: 100) { nodes { id } } }"
CHECKOUT_OPTIONS = """
query($id: ID!) {
  checkout(id: $id) {
    id
    consignments { id availableShippingOptions { id description type cost { value } } }
    warnings { code consignmentId carrierId }
  }
}
"""
ADD_CONSIGNMENTS_DOC = """
mutation($input: AddConsignmentsInput!) {
  addConsignments(input: $input) { checkout { id consignments { id } } errors { code message field } }
}
"""
CREATE_SHIPMENT_DOC = """
mutation($input: CreateShipmentInput!) {
  createShipment(input: $input) { shipment { id } order { id status } errors { code message field } }
}
"""
CONNECT = """
mutation($input: ConnectCarrierInput!) {
  connectCarrier(input: $input) { carrierAccount { carrierId connected } errors { code message field } }
}
"""


# --- health and readiness ------------------------------------------------------------------------------


async def test_health_and_ready(client):
    health = await client.get("/health")
    assert (health.status_code, health.json()) == (200, {"status": "ok"})
    ready = await client.get("/ready")
    assert ready.status_code == 200, ready.text
    assert ready.json() == {"status": "ready", "migration": head_revision()}


def previous_revision() -> str:
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    head = script.get_revision(head_revision())
    assert head is not None and isinstance(head.down_revision, str)
    return head.down_revision


async def test_ready_is_503_while_migrations_are_behind(client, database_url):
    """Downgrade the live database one step: not ready (and says why); upgrade: ready, no restart."""
    behind = previous_revision()
    await anyio.to_thread.run_sync(lambda: command.downgrade(alembic_config(database_url), behind))
    ready = await client.get("/ready")
    assert ready.status_code == 503, ready.text
    assert ready.json()["status"] == "unavailable"
    assert behind in ready.json()["reason"] and str(head_revision()) in ready.json()["reason"]
    assert (await client.get("/health")).status_code == 200

    await anyio.to_thread.run_sync(lambda: upgrade(database_url))
    ready = await client.get("/ready")
    assert ready.status_code == 200 and ready.json()["migration"] == head_revision()


async def _pg_admin(*statements: str) -> None:
    assert TEST_DATABASE_URL
    admin = create_async_engine(normalise_url(TEST_DATABASE_URL), isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        async with admin.connect() as conn:
            for statement in statements:
                await conn.execute(sa.text(statement))
    finally:
        await admin.dispose()


@pytest.fixture
async def empty_database_url(tmp_path: Path) -> AsyncIterator[str]:
    """A database that exists but was never migrated."""
    if TEST_DATABASE_URL is None:
        yield f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
        return
    name = f"gw_empty_{uuid.uuid4().hex[:12]}"
    await _pg_admin(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(normalise_url(TEST_DATABASE_URL)).set(database=name).render_as_string(hide_password=False)
    finally:
        await _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def unreachable_database_url(tmp_path: Path) -> str:
    if TEST_DATABASE_URL is None:
        directory = tmp_path / "not-a-database.db"
        directory.mkdir()
        return f"sqlite+aiosqlite:///{directory}"
    return (
        make_url(normalise_url(TEST_DATABASE_URL))
        .set(host="127.0.0.1", port=closed_port())
        .render_as_string(hide_password=False)
    )


def closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _app_client(url: str) -> tuple[Any, AsyncEngine]:
    engine = create_engine(url)
    settings = Settings(database_url=url, host="127.0.0.1", port=0, environment="test")
    return create_app(settings, engine=engine), engine


async def test_ready_is_503_on_an_unmigrated_or_unreachable_database(empty_database_url, tmp_path):
    for url, reason in (
        (empty_database_url, "migrations at None"),
        (unreachable_database_url(tmp_path), "unreachable"),
    ):
        app, engine = await _app_client(url)
        try:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test", timeout=30) as client:
                ready = await client.get("/ready")
                assert ready.status_code == 503, (url, ready.text)
                assert reason in ready.json()["reason"], ready.json()
                assert (await client.get("/health")).status_code == 200
        finally:
            await engine.dispose()


# --- the database goes away and comes back ---------------------------------------------------------------


class Outage:
    """How the test takes the database away from a server process and gives it back."""

    server_url: str
    #: Whether the server may use the database before the cut (see the module docstring).
    warm: bool

    def cut(self, mode: str) -> None:
        raise NotImplementedError

    def restore(self) -> None:
        raise NotImplementedError


class ProxyOutage(Outage):
    warm = True

    def __init__(self, proxy: Any, server_url: str) -> None:
        self.proxy = proxy
        self.server_url = server_url

    def cut(self, mode: str) -> None:
        self.proxy.cut(mode)

    def restore(self) -> None:
        self.proxy.restore()


class FileOutage(Outage):
    warm = False

    def __init__(self, database_url: str, aside: Path) -> None:
        self.path = Path(make_url(database_url).database or "")
        self.aside = aside
        self.server_url = database_url

    def cut(self, mode: str) -> None:
        self.aside.mkdir(exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            path = Path(f"{self.path}{suffix}")
            if path.exists():
                shutil.move(str(path), self.aside / path.name)
        self.path.mkdir()  # nothing can be opened, or created, where the database was

    def restore(self) -> None:
        self.path.rmdir()
        for path in self.aside.iterdir():
            shutil.move(str(path), self.path.parent / path.name)


@pytest.fixture
async def outage(database_url: str, engine: AsyncEngine, tmp_path: Path) -> AsyncIterator[Outage]:
    if BACKEND == "postgresql":
        with running_db_proxy(*target_of(database_url)) as proxy:
            yield ProxyOutage(proxy, proxied_url(database_url, proxy))
        return
    file_outage = FileOutage(database_url, tmp_path / "aside")
    yield file_outage
    if file_outage.path.is_dir():  # a failed test must not leave the database away
        file_outage.restore()


def assert_unavailable(response: httpx.Response) -> None:
    """SERVICE_UNAVAILABLE: a 503, or (if the outage hit inside a resolver) a GraphQL error with that code."""
    assert response.status_code in (200, 503), (response.status_code, response.text)
    body = response.json()
    errors = body.get("errors") or []
    assert errors, body
    assert {error["extensions"]["code"] for error in errors} == {"SERVICE_UNAVAILABLE"}, errors
    assert all(error["extensions"].get("requestId") for error in errors), errors
    assert "Traceback" not in response.text and "asyncpg" not in response.text and "sqlite" not in response.text


async def poll_until_serving(client: httpx.AsyncClient, store: StoreFixture) -> None:
    deadline = time.monotonic() + RECOVERY_WITHIN_S
    last: Any = None
    while time.monotonic() < deadline:
        try:
            response = await client.post(
                "/graphql", json={"query": HEALTHY}, headers={"X-Auth-Token": store.storefront_token}
            )
            last = (response.status_code, response.text)
            if response.status_code == 200 and not response.json().get("errors"):
                return
        except httpx.TransportError as error:
            last = error
        await anyio.sleep(0.2)
    raise AssertionError(f"the server did not serve again within {RECOVERY_WITHIN_S}s: {last!r}")


@pytest.mark.parametrize("mode", ["reset", "blackhole"])
async def test_database_outage_fails_fast_and_recovers_without_restart(
    outage: Outage, mode: str, client: httpx.AsyncClient, store: StoreFixture, engine: AsyncEngine, tmp_path: Path
):
    # Data written (in process) before the server starts, so that on SQLite the server has nothing open yet.
    body = await gql(
        client,
        CREATE_CHECKOUT,
        {"input": {"email": "before@example.com", "lineItems": [{"sku": "SHIRT", "quantity": 1}]}},
        token=store.storefront_token,
    )
    before_id = data(body)["createCheckout"]["checkout"]["id"]
    await engine.dispose()  # close the test's own connections (SQLite: everything is in the main file)

    # Fail fast on a silent database: the operator's knobs for a partition, tightened for the test.
    server = start_server(
        outage.server_url,
        tmp_path / "server-logs",
        env={"GATEWAY_DB_CONNECT_TIMEOUT_S": "2", "GATEWAY_DB_COMMAND_TIMEOUT_S": "2"},
    )
    try:
        pid = server.process.pid
        async with server.client(timeout=ANSWER_WITHIN_S) as client:
            if outage.warm:
                # The process serves, with its connections open, when the database goes away.
                body = await gql(client, CHECKOUT, {"id": before_id}, token=store.storefront_token)
                assert data(body)["checkout"]["email"] == "before@example.com"
            outage.cut(mode)

            attempts = [
                (CHECKOUT, {"id": before_id}, store.storefront_token),
                (
                    CREATE_CHECKOUT,
                    {"input": {"email": "during@example.com", "lineItems": [{"sku": "MUG", "quantity": 1}]}},
                    store.storefront_token,
                ),
                (CHECKOUT_IDS, None, store.server_token),
                (HEALTHY, None, store.storefront_token),
            ]
            for query, variables, token in attempts:
                # Bounded by the client's timeout: a request that hangs fails the test.
                try:
                    response = await client.post(
                        "/graphql", json={"query": query, "variables": variables or {}}, headers={"X-Auth-Token": token}
                    )
                except httpx.TimeoutException:
                    raise AssertionError(
                        f"not answered within {ANSWER_WITHIN_S}s while the database was cut ({mode}): {query.strip()!r}"
                    ) from None
                assert_unavailable(response)

            assert (await client.get("/health")).status_code == 200
            ready = await client.get("/ready")
            assert ready.status_code == 503 and ready.json()["status"] == "unavailable", ready.text
            assert server.is_running()

            outage.restore()
            await poll_until_serving(client, store)
            assert server.is_running() and server.process.pid == pid

            # Normal service: reads, writes, readiness; the write refused during the outage never happened.
            ids = [
                node["id"]
                for node in data(await gql(client, CHECKOUT_IDS, token=store.server_token))["checkouts"]["nodes"]
            ]
            assert ids == [before_id]
            body = await gql(
                client,
                CREATE_CHECKOUT,
                {"input": {"email": "after@example.com", "lineItems": [{"sku": "MUG", "quantity": 1}]}},
                token=store.storefront_token,
            )
            after_id = data(body)["createCheckout"]["checkout"]["id"]
            body = await gql(client, CHECKOUT, {"id": after_id}, token=store.storefront_token)
            assert data(body)["checkout"]["lineItems"] == [{"sku": "MUG", "quantity": 1}]
            ready = await client.get("/ready")
            assert ready.status_code == 200, ready.text
    finally:
        stop_server(server)
    # Every failure was answered by the gateway itself: nothing escaped to uvicorn as an unhandled exception.
    assert "Exception in ASGI application" not in server.log(), server.log()[-5000:]


# --- a stalled database: every request is answered within its database deadline ----------------------
#
# "Stalled" is a database that accepts but never answers: on PostgreSQL a black hole between the process
# and the server (tests/db_proxy.py), on SQLite another process holding the write lock (WAL readers never
# wait for a writer, so there only writes stall). Either way a request gives up at its deadline for
# database work (GATEWAY_DB_REQUEST_DEADLINE_S) with SERVICE_UNAVAILABLE, /ready answers within a second,
# and the same process serves again once the database answers.

#: The request deadline the server runs with; connect and statement timeouts keep their defaults (5 s, 10 s).
DEADLINE_S = 2.0
#: How much later than the deadline an answer may arrive (scheduling, the response itself, a busy machine).
DEADLINE_MARGIN_S = 1.5
#: /ready answers within this, whatever the database does.
READY_WITHIN_S = 1.0
#: Concurrent requests during the stall: more than the pool holds (10 connections plus 5 overflow).
BURST = 20


class Stall:
    """How the test makes the database stop answering a server process, and answer again."""

    server_url: str
    #: Whether reads stall too, or only writes.
    reads_stall: bool

    def start(self) -> None:
        raise NotImplementedError

    def end(self) -> None:
        raise NotImplementedError


class BlackholeStall(Stall):
    reads_stall = True

    def __init__(self, proxy: Any, server_url: str) -> None:
        self.proxy = proxy
        self.server_url = server_url

    def start(self) -> None:
        self.proxy.cut("blackhole")

    def end(self) -> None:
        self.proxy.restore()


class WriteLockStall(Stall):
    """Another process's connection holds SQLite's write lock (as a long write or a backup tool would)."""

    reads_stall = False

    def __init__(self, database_url: str) -> None:
        self.server_url = database_url
        self.path = make_url(database_url).database or ""
        self.holder: sqlite3.Connection | None = None

    def start(self) -> None:
        self.holder = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self.holder.execute("BEGIN IMMEDIATE")

    def end(self) -> None:
        if self.holder is not None:
            self.holder.execute("ROLLBACK")
            self.holder.close()
            self.holder = None


@pytest.fixture
async def stall(database_url: str) -> AsyncIterator[Stall]:
    if BACKEND == "postgresql":
        with running_db_proxy(*target_of(database_url)) as proxy:
            yield BlackholeStall(proxy, proxied_url(database_url, proxy))
        return
    lock = WriteLockStall(database_url)
    try:
        yield lock
    finally:
        lock.end()


async def timed_post(
    client: httpx.AsyncClient, query: str, variables: dict[str, Any] | None, token: str
) -> tuple[float, httpx.Response]:
    started = time.monotonic()
    response = await client.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers={"X-Auth-Token": token}
    )
    return time.monotonic() - started, response


def assert_within_deadline(elapsed: float, what: str) -> None:
    assert elapsed < DEADLINE_S + DEADLINE_MARGIN_S, f"{what}: answered after {elapsed:.2f}s (deadline {DEADLINE_S}s)"


def assert_served(response: httpx.Response) -> None:
    assert response.status_code == 200, response.text
    assert not response.json().get("errors"), response.text


def new_checkout(email: str) -> dict[str, Any]:
    return {"input": {"email": email, "lineItems": [{"sku": "MUG", "quantity": 1}]}}


@pytest.mark.parametrize("pool", ["warm", "cold"])
async def test_stalled_database_answers_within_the_deadline_and_recovers(
    stall: Stall, pool: str, client: httpx.AsyncClient, store: StoreFixture, engine: AsyncEngine, tmp_path: Path
):
    """warm: the pool holds connections opened before the stall; cold: every connect happens during it."""
    body = await gql(client, CREATE_CHECKOUT, new_checkout("before@example.com"), token=store.storefront_token)
    before_id = data(body)["createCheckout"]["checkout"]["id"]
    await engine.dispose()
    page = (FLOW_CHECKOUT, {"id": before_id}, store.storefront_token)
    timings: dict[str, float] = {}

    server = start_server(
        stall.server_url, tmp_path / "server-logs", env={"GATEWAY_DB_REQUEST_DEADLINE_S": str(DEADLINE_S)}
    )
    try:
        pid = server.process.pid
        async with server.client(timeout=60) as http:
            if pool == "warm":
                # Several pooled connections, all opened (and used) before the database stops answering.
                for _, response in await asyncio.gather(*(timed_post(http, *page) for _ in range(3))):
                    assert_served(response)
            stall.start()

            # The checkout page, a mutation, and a token the process has never seen (its lookup is a read).
            for name, (query, variables, token), writes in (
                ("read", page, False),
                ("mutation", (CREATE_CHECKOUT, new_checkout("during@example.com"), store.storefront_token), True),
                ("fresh token", (CHECKOUT_IDS, None, store.server_token), False),
            ):
                elapsed, response = await timed_post(http, query, variables, token)
                timings[name] = elapsed
                assert_within_deadline(elapsed, name)
                if writes or stall.reads_stall:
                    assert_unavailable(response)
                else:
                    assert_served(response)

            # More requests at once than the pool has connections: none waits for another's deadline.
            burst = [
                page if index % 2 else (CREATE_CHECKOUT, new_checkout(f"b{index}@example.com"), page[2])
                for index in range(BURST)
            ]
            answers = await asyncio.gather(*(timed_post(http, *request) for request in burst))
            timings["burst (slowest)"] = max(elapsed for elapsed, _ in answers)
            for index, (elapsed, response) in enumerate(answers):
                assert_within_deadline(elapsed, f"burst request {index}")
                if index % 2 == 0 or stall.reads_stall:
                    assert_unavailable(response)
                else:
                    assert_served(response)

            assert (await http.get("/health")).status_code == 200
            started = time.monotonic()
            ready = await http.get("/ready")
            timings["/ready"] = time.monotonic() - started
            assert timings["/ready"] < READY_WITHIN_S, timings
            if stall.reads_stall:
                assert ready.status_code == 503 and ready.json()["status"] == "unavailable", ready.text
            else:
                assert ready.status_code == 200, ready.text
            print(
                f"\nstalled database ({BACKEND}, {pool} pool): "
                + ", ".join(f"{k} {v:.2f}s" for k, v in timings.items())
            )

            stall.end()
            await poll_until_serving(http, store)
            assert server.is_running() and server.process.pid == pid
            # Normal service again: the refused writes never happened, new ones do, readiness is back.
            ids = [
                node["id"]
                for node in data(await gql(http, CHECKOUT_IDS, token=store.server_token))["checkouts"]["nodes"]
            ]
            assert ids == [before_id]
            body = await gql(http, CREATE_CHECKOUT, new_checkout("after@example.com"), token=store.storefront_token)
            assert data(body)["createCheckout"]["errors"] == []
            assert_served((await timed_post(http, *page))[1])
            assert (await http.get("/ready")).status_code == 200
    finally:
        stop_server(server)
    # Answered by the gateway itself, and logged as warnings without a traceback.
    log = server.log()
    assert "Traceback" not in log and "Exception in ASGI application" not in log, log[-5000:]


async def test_a_write_waiting_for_a_lock_held_elsewhere_answers_within_the_deadline(
    client: httpx.AsyncClient, store: StoreFixture, engine: AsyncEngine, database_url: str, tmp_path: Path
):
    """Another transaction holds the checkout (PostgreSQL: its row, FOR UPDATE; SQLite: the write lock)."""
    body = await gql(client, CREATE_CHECKOUT, new_checkout("locked@example.com"), token=store.storefront_token)
    checkout_id = data(body)["createCheckout"]["checkout"]["id"]
    billing = (SET_BILLING, {"input": {"checkoutId": checkout_id, "address": BILLING}}, store.storefront_token)
    read = (FLOW_CHECKOUT, {"id": checkout_id}, store.storefront_token)

    server = start_server(
        database_url, tmp_path / "server-logs", env={"GATEWAY_DB_REQUEST_DEADLINE_S": str(DEADLINE_S)}
    )
    try:
        async with server.client(timeout=60) as http:
            assert_served((await timed_post(http, *read))[1])
            async with write_transaction(engine) as conn:
                assert await queries.lock_checkout(conn, store.id, checkout_id) is not None
                elapsed, response = await timed_post(http, *billing)
                print(f"\nwrite waiting for a lock ({BACKEND}): answered after {elapsed:.2f}s")
                assert_within_deadline(elapsed, "setCheckoutBillingAddress")
                assert_unavailable(response)
                # Reads do not wait for writers.
                assert_served((await timed_post(http, *read))[1])
            # The lock is released: the same write goes through.
            elapsed, response = await timed_post(http, *billing)
            assert_served(response)
            assert response.json()["data"]["setCheckoutBillingAddress"]["errors"] == []
    finally:
        stop_server(server)
    log = server.log()
    assert "Traceback" not in log and "Exception in ASGI application" not in log, log[-5000:]


# --- a failure in the middle of a multi-row write leaves nothing half-written --------------------------


async def table_rows(engine: AsyncEngine, store_id: int, *tables: sa.Table) -> dict[str, list[dict[str, Any]]]:
    """Every row of these tables in the store, in a stable order: the database as the test compares it."""
    snapshot: dict[str, list[dict[str, Any]]] = {}
    async with engine.connect() as conn:
        for table in tables:
            result = await conn.execute(sa.select(table).where(table.c.store_id == store_id))
            rows = [dict(row._mapping) for row in result]
            snapshot[table.name] = sorted(rows, key=lambda row: json.dumps(row, sort_keys=True, default=str))
    return snapshot


def fail_after_first_row(real: Any, calls: list[int]) -> Any:
    """A bulk insert that writes its first row for real, then fails as a crash or a broken connection would."""

    async def broken(conn: Any, rows: list[dict[str, Any]], *args: Any, **kwargs: Any) -> None:
        calls.append(len(rows))
        assert len(rows) > 1, "the failure must come after some rows were written"
        await real(conn, rows[:1], *args, **kwargs)
        raise RuntimeError("simulated failure after the first row")

    return broken


def assert_internal_error(response: httpx.Response) -> None:
    assert response.status_code == 200, response.text
    body = response.json()
    assert [error["extensions"]["code"] for error in body["errors"]] == ["INTERNAL_SERVER_ERROR"], body
    assert "simulated failure" not in response.text


@pytest.fixture
def flow(client: httpx.AsyncClient, store: StoreFixture) -> OrderFlow:
    return OrderFlow(client, store)


CHECKOUT_TABLES = (checkout, line_item, consignment, consignment_line_item, shipping_quote)
ORDER_TABLES = (orders, order_shipping_address, order_product, shipment, shipment_item, idempotency_key)


async def test_failure_while_adding_consignments_leaves_the_checkout_byte_identical(
    flow, client, store, engine, monkeypatch
):
    await flow.shipping()
    cart = await flow.cart(SHIRT=3, MUG=2, LAMP=1)
    await flow.ship(cart, US_CA, SHIRT=1)
    page = {"query": FLOW_CHECKOUT, "variables": {"id": cart.id}}
    headers = {"X-Auth-Token": store.storefront_token}
    before = (await client.post("/graphql", json=page, headers=headers)).content
    rows_before = await table_rows(engine, store.id, *CHECKOUT_TABLES)

    calls: list[int] = []
    monkeypatch.setattr(
        queries, "insert_consignment_items", fail_after_first_row(queries.insert_consignment_items, calls)
    )
    variables = {
        "input": {
            "checkoutId": cart.id,
            "consignments": [
                {"address": US_CA, "lineItems": cart.units(SHIRT=1, MUG=1)},
                {
                    "address": address("GB", None, "SW1A 1AA", city="London"),
                    "lineItems": cart.units(SHIRT=1, MUG=1, LAMP=1),
                },
            ],
        }
    }
    response = await client.post(
        "/graphql", json={"query": ADD_CONSIGNMENTS_DOC, "variables": variables}, headers=headers
    )
    assert_internal_error(response)
    assert calls == [5]
    monkeypatch.undo()

    assert (await client.post("/graphql", json=page, headers=headers)).content == before
    assert await table_rows(engine, store.id, *CHECKOUT_TABLES) == rows_before
    # The same request succeeds once nothing fails.
    response = await client.post(
        "/graphql", json={"query": ADD_CONSIGNMENTS_DOC, "variables": variables}, headers=headers
    )
    assert data(response.json())["addConsignments"]["errors"] == []
    assert len(data(response.json())["addConsignments"]["checkout"]["consignments"]) == 3


async def test_failure_while_placing_an_order_places_nothing(flow, client, store, engine, monkeypatch):
    await flow.shipping()
    cart = await flow.ready(
        lines={"SHIRT": 2, "MUG": 1, "EBOOK": 1},
        consignments=[
            (US_CA, {"SHIRT": 1, "MUG": 1}, "Flat Rate"),
            (address(city="Oakland"), {"SHIRT": 1}, "Per Item"),
        ],
    )
    headers = {"X-Auth-Token": store.storefront_token}
    page = {"query": FLOW_CHECKOUT, "variables": {"id": cart.id}}
    before = (await client.post("/graphql", json=page, headers=headers)).content
    rows_before = await table_rows(engine, store.id, *CHECKOUT_TABLES, *ORDER_TABLES)
    assert rows_before["orders"] == []

    calls: list[int] = []
    monkeypatch.setattr(queries, "insert_order_products", fail_after_first_row(queries.insert_order_products, calls))
    complete = {"query": COMPLETE, "variables": {"input": {"checkoutId": cart.id, "idempotencyKey": "order-1"}}}
    assert_internal_error(await client.post("/graphql", json=complete, headers=headers))
    assert calls == [4]  # SHIRT and MUG on the first address, SHIRT on the second, the e-book
    monkeypatch.undo()

    # No order, no shipping address, no product, no idempotency record; the checkout is as it was.
    assert await table_rows(engine, store.id, *CHECKOUT_TABLES, *ORDER_TABLES) == rows_before
    assert (await client.post("/graphql", json=page, headers=headers)).content == before
    assert (
        data(await gql(client, "{ orders(first: 10) { nodes { id } } }", token=store.server_token))["orders"]["nodes"]
        == []
    )

    # Retrying with the same idempotency key places exactly one order.
    order = data((await client.post("/graphql", json=complete, headers=headers)).json())["completeCheckout"]["order"]
    assert order is not None and len(order["products"]) == 4
    counts = await table_rows(engine, store.id, orders, order_product)
    assert (len(counts["orders"]), len(counts["order_product"])) == (1, 4)


async def test_failure_while_creating_a_shipment_ships_nothing(flow, client, store, engine, monkeypatch):
    await flow.shipping()
    order = await flow.place_order(lines={"SHIRT": 2, "MUG": 1, "LAMP": 1})
    page = {"query": ORDER, "variables": {"id": order["id"]}}
    headers = {"X-Auth-Token": store.server_token}
    before = (await client.post("/graphql", json=page, headers=headers)).content
    rows_before = await table_rows(engine, store.id, *ORDER_TABLES)

    calls: list[int] = []
    monkeypatch.setattr(queries, "insert_shipment_items", fail_after_first_row(queries.insert_shipment_items, calls))
    products = [product for product in order["products"] if product["shippingAddress"]]
    shipment_input = {
        "orderId": order["id"],
        "shippingAddressId": order["shippingAddresses"][0]["id"],
        "items": [{"orderProductId": product["id"], "quantity": product["quantity"]} for product in products],
        "trackingNumber": "1Z999",
    }
    response = await client.post(
        "/graphql", json={"query": CREATE_SHIPMENT_DOC, "variables": {"input": shipment_input}}, headers=headers
    )
    assert_internal_error(response)
    assert calls == [3]
    monkeypatch.undo()

    assert (await client.post("/graphql", json=page, headers=headers)).content == before
    assert await table_rows(engine, store.id, *ORDER_TABLES) == rows_before

    payload = await flow.create_shipment(shipment_input)
    assert payload["errors"] == [] and payload["order"]["status"] == "SHIPPED"


# --- carriers that time out or answer garbage ----------------------------------------------------------

CARRIER_TIMEOUT_S = 0.5


@pytest.fixture
def fake() -> Iterator[FakeCarrier]:
    with running_fake_carrier(slow_seconds=5.0) as carrier:
        carrier.set_services("acme", Service("GND", "Ground", Decimal("8.50"), 5))
        carrier.set_services("bolt", Service("STD", "Standard", Decimal("6.25"), 4))
        yield carrier


@pytest.fixture
async def carrier_client(database_url: str, engine: AsyncEngine, fake: FakeCarrier) -> AsyncIterator[httpx.AsyncClient]:
    registry = {
        "acme": {"url": fake.url("acme"), "name": "Acme Express"},
        "bolt": {"url": fake.url("bolt"), "name": "Bolt Freight"},
    }
    settings = Settings(
        database_url=database_url,
        host="127.0.0.1",
        port=0,
        environment="test",
        carriers_json=json.dumps(registry),
        carrier_timeout_s=CARRIER_TIMEOUT_S,
    )
    app = create_app(settings, engine=engine)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway.test") as client:
            yield client
    finally:
        await app.state.carriers.aclose()


async def test_carrier_timeout_or_garbage_leaves_the_other_options(carrier_client, store, fake):
    flow = OrderFlow(carrier_client, store)
    setup = await flow.shipping()
    for carrier_id in ("acme", "bolt"):
        payload = data(
            await gql(
                carrier_client,
                CONNECT,
                {"input": {"carrierId": carrier_id, "credentials": [{"key": "api_key", "value": "k"}]}},
                token=store.server_token,
            )
        )["connectCarrier"]
        assert payload["errors"] == []
        await flow.method(
            setup.zone_id,
            carrier_id.title(),
            "CARRIER",
            carrierId=carrier_id,
            services=["GND" if carrier_id == "acme" else "STD"],
        )

    cart = await flow.cart(SHIRT=1)

    async def options() -> tuple[list[str], list[tuple[str, str]]]:
        body = await gql(carrier_client, CHECKOUT_OPTIONS, {"id": cart.id}, token=store.storefront_token)
        checkout = data(body)["checkout"]
        offered = sorted(option["type"] for option in checkout["consignments"][0]["availableShippingOptions"])
        warnings = sorted((warning["code"], warning["carrierId"]) for warning in checkout["warnings"])
        return offered, warnings

    # Control: with both carriers answering, their options are offered next to the zone's own.
    consignment_id = await flow.ship(cart, US_CA, SHIRT=1)
    offered, warnings = await options()
    assert offered == ["shipping_acme", "shipping_bolt", "shipping_flatrate", "shipping_peritem"]
    assert warnings == []

    fake.set_mode("acme", "slow")  # answers after 5 s; the gateway waits 0.5 s
    fake.set_mode("bolt", "garbage")
    body = await gql(
        carrier_client,
        REFRESH,
        {"input": {"checkoutId": cart.id, "consignmentId": consignment_id}},
        token=store.storefront_token,
    )
    assert "errors" not in body, body["errors"]  # never a top-level error, whatever the carriers did
    assert data(body)["refreshShippingOptions"]["errors"] == []
    offered, warnings = await options()
    assert offered == ["shipping_flatrate", "shipping_peritem"]
    assert warnings == [("CARRIER_UNAVAILABLE", "acme"), ("CARRIER_UNAVAILABLE", "bolt")]

    # The checkout can still be completed with what is offered.
    await flow.select(cart, consignment_id, "Flat Rate")
    await flow.set_billing(cart)
    order = await flow.completed(cart.id)
    assert order["status"] == "AWAITING_FULFILLMENT"
