"""Two real server processes, one database: concurrent completions make exactly one order, concurrent
shipments never ship more than was ordered, concurrent collections of a pickup record one.

Completion locks the checkout row, shipments lock the order row (`SELECT ... FOR UPDATE` on PostgreSQL,
`BEGIN IMMEDIATE` on SQLite), so the racing requests are serialised across processes. Runs on whichever
backend the suite uses; every request and server start is bounded by tests/servers.py timeouts, and the
servers are always stopped.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.storage.models import order_product, orders, shipment
from tests.factories import StoreFixture
from tests.order_flow import COMPLETE, CREATE_SHIPMENT, MARK_PICKED_UP, US_CA, OrderFlow
from tests.servers import GatewayServer, post_graphql, running_servers

pytestmark = pytest.mark.anyio

COMPLETIONS = 10
ORDERED = 5
SHIPMENT_REQUESTS = 20


@pytest.fixture
def servers(database_url: str, tmp_path: Path) -> Iterator[list[GatewayServer]]:
    with running_servers(database_url, tmp_path / "server-logs", count=2) as started:
        yield started


def server_logs(servers: list[GatewayServer]) -> str:
    return "\n".join(f"--- {server.name} ---\n{server.log()}" for server in servers)


def ok(status: int, body: Any, servers: list[GatewayServer]) -> dict[str, Any]:
    """A 200 response without top-level errors (no 5xx, no masked internal error)."""
    assert status == 200, f"{status}: {body}\n{server_logs(servers)}"
    assert isinstance(body, dict) and not body.get("errors"), f"{body}\n{server_logs(servers)}"
    return body["data"]  # type: ignore[no-any-return]


async def gather_bounded(*requests: Any, timeout: float = 300.0) -> list[Any]:
    """All requests at once; fail rather than hang if they do not finish in a (generous) time."""
    return await asyncio.wait_for(asyncio.gather(*requests), timeout=timeout)


async def db_count(engine: AsyncEngine, table: sa.Table, store_id: int) -> int:
    async with engine.connect() as conn:
        total = await conn.scalar(sa.select(sa.func.count()).select_from(table).where(table.c.store_id == store_id))
    return int(total or 0)


async def test_concurrent_completions_make_one_order(servers, store: StoreFixture, engine: AsyncEngine):
    first, second = servers
    async with first.client() as client_a, second.client() as client_b:
        flow = OrderFlow(client_a, store)
        await flow.shipping()
        cart = await flow.ready(lines={"SHIRT": 2, "MUG": 1, "EBOOK": 1})

        results = await gather_bounded(
            *(
                post_graphql(
                    (client_a, client_b)[index % 2],
                    COMPLETE,
                    {"input": {"checkoutId": cart.id}},
                    token=store.storefront_token,
                )
                for index in range(COMPLETIONS)
            )
        )

        order_ids = set()
        for status, body in results:
            payload = ok(status, body, servers)["completeCheckout"]
            assert payload["errors"] == [], payload["errors"]
            order_ids.add(payload["order"]["id"])
            assert payload["checkout"]["order"]["id"] == payload["order"]["id"]
        assert len(order_ids) == 1, order_ids

        (order_id,) = order_ids
        listed = (await OrderFlow(client_b, store).orders())["nodes"]
        assert [node["id"] for node in listed] == [order_id]
        order = await OrderFlow(client_b, store).order(order_id)
        assert order is not None
        assert len(order["shippingAddresses"]) == 1
        assert sorted((p["sku"], p["quantity"]) for p in order["products"]) == [("EBOOK", 1), ("MUG", 1), ("SHIRT", 2)]
    assert await db_count(engine, orders, store.id) == 1
    assert await db_count(engine, order_product, store.id) == 3


async def test_concurrent_completions_with_one_idempotency_key_make_one_order(
    servers, store: StoreFixture, engine: AsyncEngine
):
    first, second = servers
    async with first.client() as client_a, second.client() as client_b:
        flow = OrderFlow(client_a, store)
        await flow.shipping()
        cart = await flow.ready(lines={"LAMP": 1})
        input = {"checkoutId": cart.id, "idempotencyKey": "race-key"}

        results = await gather_bounded(
            *(
                post_graphql((client_a, client_b)[index % 2], COMPLETE, {"input": input}, token=store.storefront_token)
                for index in range(COMPLETIONS)
            )
        )

        order_ids = set()
        for status, body in results:
            payload = ok(status, body, servers)["completeCheckout"]
            assert payload["errors"] == [], payload["errors"]
            order_ids.add(payload["order"]["id"])
        assert len(order_ids) == 1, order_ids
    assert await db_count(engine, orders, store.id) == 1


async def test_concurrent_shipments_never_over_ship(servers, store: StoreFixture, engine: AsyncEngine):
    first, second = servers
    async with first.client() as client_a, second.client() as client_b:
        flow = OrderFlow(client_a, store)
        await flow.shipping()
        order = await flow.place_order(
            lines={"SHIRT": ORDERED}, consignments=[(US_CA, {"SHIRT": ORDERED}, "Flat Rate")]
        )
        (shirt,) = order["products"]
        input = {
            "orderId": order["id"],
            "shippingAddressId": order["shippingAddresses"][0]["id"],
            "items": [{"orderProductId": shirt["id"], "quantity": 1}],
        }

        results = await gather_bounded(
            *(
                post_graphql(
                    (client_a, client_b)[index % 2],
                    CREATE_SHIPMENT,
                    {"input": {**input, "trackingNumber": f"T{index}"}},
                    token=store.server_token,
                )
                for index in range(SHIPMENT_REQUESTS)
            )
        )

        successes = 0
        for status, body in results:
            payload = ok(status, body, servers)["createShipment"]
            if payload["errors"]:
                assert [(e["code"], e["field"]) for e in payload["errors"]] == [
                    ("OVER_SHIPPED", ["items", "0", "quantity"])
                ], payload["errors"]
                assert payload["shipment"] is None
            else:
                successes += 1
                assert payload["shipment"]["items"][0]["quantity"] == 1
            # Whatever a payload shows, it never shows more shipped than ordered.
            assert payload["order"]["itemsShipped"] <= ORDERED
        assert successes == ORDERED, successes

        final = await OrderFlow(client_b, store).order(order["id"])
        assert final is not None
        assert final["products"][0]["quantityShipped"] == ORDERED
        assert final["itemsShipped"] == ORDERED
        assert final["shippingAddresses"][0]["itemsShipped"] == ORDERED
        assert len(final["shipments"]) == ORDERED
        assert final["status"] == "SHIPPED"
        assert final["dateShipped"] is not None

    async with engine.connect() as conn:
        shipped = await conn.scalar(
            sa.select(order_product.c.quantity_shipped).where(order_product.c.id == int(shirt["id"]))
        )
    assert shipped == ORDERED
    assert await db_count(engine, shipment, store.id) == ORDERED


async def test_concurrent_pickups_and_last_shipment_record_one_collection(servers, store: StoreFixture):
    """markPickedUp calls racing each other and the order's last shipment: one collection, and the final
    status sees both (each recomputes it under the order lock)."""
    first, second = servers
    async with first.client() as client_a, second.client() as client_b:
        flow = OrderFlow(client_a, store)
        await flow.shipping()
        pickup_method_id = await flow.pickup_method()
        cart = await flow.cart(SHIRT=1, MUG=1)
        await flow.pickup(cart, pickup_method_id, SHIRT=1)
        await flow.select(cart, await flow.ship(cart, US_CA, MUG=1))
        await flow.set_billing(cart)
        order = await flow.completed(cart.id)
        mug = next(p for p in order["products"] if p["sku"] == "MUG")
        ship = {
            "orderId": order["id"],
            "shippingAddressId": order["shippingAddresses"][0]["id"],
            "items": [{"orderProductId": mug["id"], "quantity": 1}],
        }
        collect = {"orderId": order["id"], "pickupId": order["pickups"][0]["id"]}

        requests = [
            post_graphql((client_a, client_b)[index % 2], MARK_PICKED_UP, {"input": collect}, token=store.server_token)
            for index in range(COMPLETIONS)
        ]
        requests.insert(
            COMPLETIONS // 2, post_graphql(client_b, CREATE_SHIPMENT, {"input": ship}, token=store.server_token)
        )
        results = await gather_bounded(*requests)

        collected = 0
        for status, body in results:
            data = ok(status, body, servers)
            payload = data.get("markPickedUp") or data["createShipment"]
            if "markPickedUp" in data and payload["errors"]:
                assert [(e["code"], e["field"]) for e in payload["errors"]] == [("ALREADY_PICKED_UP", ["pickupId"])]
            elif "markPickedUp" in data:
                collected += 1
            else:
                assert payload["errors"] == [], payload["errors"]
        assert collected == 1

        final = await OrderFlow(client_b, store).order(order["id"])
        assert final is not None
        assert final["status"] == "SHIPPED"
        assert final["pickups"][0]["pickedUpAt"] is not None
        assert final["itemsShipped"] == 1 and final["dateShipped"] is not None


async def test_concurrent_shipments_with_one_idempotency_key_ship_once(
    servers, store: StoreFixture, engine: AsyncEngine
):
    first, second = servers
    async with first.client() as client_a, second.client() as client_b:
        flow = OrderFlow(client_a, store)
        await flow.shipping()
        order = await flow.place_order(
            lines={"SHIRT": ORDERED}, consignments=[(US_CA, {"SHIRT": ORDERED}, "Flat Rate")]
        )
        (shirt,) = order["products"]
        input = {
            "orderId": order["id"],
            "shippingAddressId": order["shippingAddresses"][0]["id"],
            "items": [{"orderProductId": shirt["id"], "quantity": 2}],
            "idempotencyKey": "ship-race",
        }

        results = await gather_bounded(
            *(
                post_graphql(
                    (client_a, client_b)[index % 2], CREATE_SHIPMENT, {"input": input}, token=store.server_token
                )
                for index in range(COMPLETIONS)
            )
        )

        shipment_ids = set()
        for status, body in results:
            payload = ok(status, body, servers)["createShipment"]
            assert payload["errors"] == [], payload["errors"]
            shipment_ids.add(payload["shipment"]["id"])
        assert len(shipment_ids) == 1, shipment_ids
        final = await OrderFlow(client_b, store).order(order["id"])
        assert final is not None
        assert final["products"][0]["quantityShipped"] == 2
    assert await db_count(engine, shipment, store.id) == 1


async def test_servers_share_one_database(servers, store: StoreFixture):
    """Sanity check of the set-up: what one process writes, the other reads."""
    first, second = servers
    async with first.client() as client_a, second.client() as client_b:
        flow = OrderFlow(client_a, store)
        await flow.shipping()
        order = await flow.place_order()
        assert await OrderFlow(client_b, store).order(order["id"]) == order
