"""Two real server processes, one database, many concurrent edits of one checkout: never over-assigned.

Each consignment edit locks the checkout inside its transaction (`SELECT ... FOR UPDATE` on PostgreSQL,
`BEGIN IMMEDIATE` on SQLite), so concurrent requests are serialised across processes and each one checks
the assignment against what the previous one committed. Runs on whichever backend the suite uses.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.storage.models import consignment_line_item
from tests.factories import StoreFixture
from tests.servers import GatewayServer, post_graphql, running_servers

LINE_QUANTITY = 10
REQUESTS = 40

CREATE_CHECKOUT = """
mutation($input: CreateCheckoutInput!) {
  createCheckout(input: $input) {
    checkout { id lineItems { id sku quantity } }
    errors { code message field }
  }
}
"""

CHECKOUT_STATE = """
fragment State on Checkout {
  id
  lineItems { id quantity unassignedQuantity }
  consignments { id lineItems { lineItem { id } quantity } }
}
"""

ADD_CONSIGNMENTS = (
    """
mutation($input: AddConsignmentsInput!) {
  addConsignments(input: $input) { checkout { ...State } errors { code message field } }
}
"""
    + CHECKOUT_STATE
)

UPDATE_CONSIGNMENT = (
    """
mutation($input: UpdateConsignmentInput!) {
  updateConsignment(input: $input) { checkout { ...State } errors { code message field } }
}
"""
    + CHECKOUT_STATE
)

READ_CHECKOUT = (
    """
query($id: ID!) { checkout(id: $id) { ...State } }
"""
    + CHECKOUT_STATE
)

ADDRESS = {"email": "racer@example.com", "countryCode": "US"}


@pytest.fixture
def servers(database_url: str, tmp_path: Path) -> Iterator[list[GatewayServer]]:
    with running_servers(database_url, tmp_path / "server-logs", count=2) as started:
        yield started


def server_logs(servers: list[GatewayServer]) -> str:
    return "\n".join(f"--- {server.name} ---\n{server.log()}" for server in servers)


def assigned(checkout: dict[str, Any], item_id: str) -> int:
    return sum(
        entry["quantity"]
        for consignment in checkout["consignments"]
        for entry in consignment["lineItems"]
        if entry["lineItem"]["id"] == item_id
    )


def ok(status: int, body: Any, servers: list[GatewayServer]) -> dict[str, Any]:
    """A 200 response without top-level errors (no 5xx, no masked internal error)."""
    assert status == 200, f"{status}: {body}\n{server_logs(servers)}"
    assert isinstance(body, dict) and not body.get("errors"), f"{body}\n{server_logs(servers)}"
    return body["data"]  # type: ignore[no-any-return]


async def create_checkout(client: httpx.AsyncClient, token: str, servers: list[GatewayServer]) -> tuple[str, str]:
    status, body = await post_graphql(
        client,
        CREATE_CHECKOUT,
        {"input": {"lineItems": [{"sku": "SHIRT", "quantity": LINE_QUANTITY}]}},
        token=token,
    )
    payload = ok(status, body, servers)["createCheckout"]
    assert payload["errors"] == []
    checkout = payload["checkout"]
    return checkout["id"], checkout["lineItems"][0]["id"]


async def db_assigned(engine: AsyncEngine, item_id: str) -> int:
    """What the database holds, independent of the API's own reading of it."""
    async with engine.connect() as conn:
        total = await conn.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(consignment_line_item.c.quantity), 0)).where(
                consignment_line_item.c.line_item_id == item_id
            )
        )
    return int(total or 0)


def check_state(checkout: dict[str, Any], item_id: str) -> int:
    """The invariant as a final, quiet read shows it; returns the assigned total."""
    total = assigned(checkout, item_id)
    assert 0 <= total <= LINE_QUANTITY, checkout
    (line,) = checkout["lineItems"]
    assert line["unassignedQuantity"] == LINE_QUANTITY - total, checkout
    return total


def check_payload(checkout: dict[str, Any], item_id: str) -> None:
    """What a mutation payload may show while other edits keep committing.

    The payload is read after the commit, one loader batch (and connection) at a time, so it can include
    later commits and is not one snapshot: consignments and `unassignedQuantity` come from different
    statements. Each statement still sees a committed, never over-assigned state.
    """
    assert 0 <= assigned(checkout, item_id) <= LINE_QUANTITY, checkout
    (line,) = checkout["lineItems"]
    assert 0 <= line["unassignedQuantity"] <= LINE_QUANTITY, checkout


async def test_concurrent_add_consignments_never_over_assign(servers, store: StoreFixture, engine):
    first, second = servers
    token = store.storefront_token
    async with first.client() as client_a, second.client() as client_b:
        clients = (client_a, client_b)
        checkout_id, item_id = await create_checkout(client_a, token, servers)

        rng = random.Random(20240611)
        requested = [rng.randint(1, 3) for _ in range(REQUESTS)]
        # More is asked for than exists, so some requests must be refused.
        assert sum(requested) > LINE_QUANTITY

        def add(quantity: int) -> dict[str, Any]:
            return {
                "input": {
                    "checkoutId": checkout_id,
                    "consignments": [{"address": ADDRESS, "lineItems": [{"itemId": item_id, "quantity": quantity}]}],
                }
            }

        results = await asyncio.gather(
            *(
                post_graphql(clients[index % 2], ADD_CONSIGNMENTS, add(quantity), token=token)
                for index, quantity in enumerate(requested)
            )
        )

        granted = 0
        successes = 0
        refusals = 0
        for quantity, (status, body) in zip(requested, results, strict=True):
            payload = ok(status, body, servers)["addConsignments"]
            if payload["errors"]:
                assert payload["errors"] == [
                    {
                        "code": "OVER_ASSIGNED",
                        "message": payload["errors"][0]["message"],
                        "field": ["consignments", "0", "lineItems", "0", "quantity"],
                    }
                ], payload
                refusals += 1
            else:
                successes += 1
                granted += quantity
            check_payload(payload["checkout"], item_id)

        assert successes >= 1 and refusals >= 1, (successes, refusals)

        status, body = await post_graphql(client_b, READ_CHECKOUT, {"id": checkout_id}, token=token)
        final = ok(status, body, servers)["checkout"]
        total = check_state(final, item_id)
        assert total == granted, f"assigned {total}, but successful requests asked for {granted}"
        assert len(final["consignments"]) == successes
        assert await db_assigned(engine, item_id) == granted


async def test_concurrent_update_consignment_never_over_assigns(servers, store: StoreFixture, engine):
    first, second = servers
    token = store.storefront_token
    async with first.client() as client_a, second.client() as client_b:
        clients = (client_a, client_b)
        checkout_id, item_id = await create_checkout(client_a, token, servers)

        status, body = await post_graphql(
            client_a,
            ADD_CONSIGNMENTS,
            {
                "input": {
                    "checkoutId": checkout_id,
                    "consignments": [
                        {"address": ADDRESS, "lineItems": [{"itemId": item_id, "quantity": 1}]},
                        {"address": ADDRESS, "lineItems": [{"itemId": item_id, "quantity": 1}]},
                    ],
                }
            },
            token=token,
        )
        payload = ok(status, body, servers)["addConsignments"]
        assert payload["errors"] == []
        consignment_ids = [consignment["id"] for consignment in payload["checkout"]["consignments"]]
        assert len(consignment_ids) == 2

        rng = random.Random(7)
        plan = [(index % 2, rng.randint(1, LINE_QUANTITY - 1)) for index in range(REQUESTS)]

        def update(target: int, quantity: int) -> dict[str, Any]:
            return {
                "input": {
                    "checkoutId": checkout_id,
                    "consignmentId": consignment_ids[target],
                    "lineItems": [{"itemId": item_id, "quantity": quantity}],
                }
            }

        results = await asyncio.gather(
            *(
                post_graphql(clients[index % 2], UPDATE_CONSIGNMENT, update(target, quantity), token=token)
                for index, (target, quantity) in enumerate(plan)
            )
        )

        granted: list[set[int]] = [{1}, {1}]  # what each consignment may end up holding
        successes = 0
        for (target, quantity), (status, body) in zip(plan, results, strict=True):
            payload = ok(status, body, servers)["updateConsignment"]
            if payload["errors"]:
                assert [error["code"] for error in payload["errors"]] == ["OVER_ASSIGNED"], payload
                assert payload["errors"][0]["field"] == ["lineItems", "0", "quantity"], payload
            else:
                successes += 1
                granted[target].add(quantity)
            check_payload(payload["checkout"], item_id)
        # The first request to take the lock always fits (the other consignment holds 1 unit).
        assert successes >= 1

        status, body = await post_graphql(client_b, READ_CHECKOUT, {"id": checkout_id}, token=token)
        final = ok(status, body, servers)["checkout"]
        total = check_state(final, item_id)
        assert [c["id"] for c in final["consignments"]] == consignment_ids
        for index, consignment in enumerate(final["consignments"]):
            # Each consignment holds what it started with or what one successful update gave it.
            held = assigned({"consignments": [consignment]}, item_id)
            assert held in granted[index], (held, granted[index])
        assert await db_assigned(engine, item_id) == total


DELETE_CONSIGNMENT = (
    """
mutation($input: DeleteConsignmentInput!) {
  deleteConsignment(input: $input) { checkout { ...State } errors { code message field } }
}
"""
    + CHECKOUT_STATE
)


async def test_concurrent_mixed_consignment_edits_keep_the_invariant(servers, store: StoreFixture, engine):
    """Adds, item changes and deletes of one checkout's consignments interleaved across both servers."""
    first, second = servers
    token = store.storefront_token
    async with first.client() as client_a, second.client() as client_b:
        clients = (client_a, client_b)
        checkout_id, item_id = await create_checkout(client_a, token, servers)
        one_unit = {"address": ADDRESS, "lineItems": [{"itemId": item_id, "quantity": 1}]}
        status, body = await post_graphql(
            client_a,
            ADD_CONSIGNMENTS,
            {"input": {"checkoutId": checkout_id, "consignments": [one_unit, one_unit, one_unit]}},
            token=token,
        )
        payload = ok(status, body, servers)["addConsignments"]
        assert payload["errors"] == []
        initial = [consignment["id"] for consignment in payload["checkout"]["consignments"]]

        rng = random.Random(99)
        operations: list[tuple[str, str, dict[str, Any]]] = []
        for _ in range(REQUESTS):
            kind = rng.choice(("add", "update", "update", "delete"))
            target = rng.choice(initial)
            quantity = rng.randint(1, 4)
            items = [{"itemId": item_id, "quantity": quantity}]
            if kind == "add":
                variables = {
                    "checkoutId": checkout_id,
                    "consignments": [{"address": ADDRESS, "lineItems": items}],
                }
                operations.append(("addConsignments", ADD_CONSIGNMENTS, {"input": variables}))
            elif kind == "update":
                variables = {"checkoutId": checkout_id, "consignmentId": target, "lineItems": items}
                operations.append(("updateConsignment", UPDATE_CONSIGNMENT, {"input": variables}))
            else:
                variables = {"checkoutId": checkout_id, "consignmentId": target}
                operations.append(("deleteConsignment", DELETE_CONSIGNMENT, {"input": variables}))

        results = await asyncio.gather(
            *(
                post_graphql(clients[index % 2], document, variables, token=token)
                for index, (_, document, variables) in enumerate(operations)
            )
        )

        added = 0
        deleted: set[str] = set()
        for (field, _, variables), (status, body) in zip(operations, results, strict=True):
            payload = ok(status, body, servers)[field]
            codes = {error["code"] for error in payload["errors"]}
            if field == "addConsignments":
                assert codes <= {"OVER_ASSIGNED"}, payload
                added += not codes
            elif field == "updateConsignment":
                # The consignment may have been deleted by a request that got the lock first.
                assert codes <= {"OVER_ASSIGNED", "NOT_FOUND"}, payload
            else:
                assert codes <= {"NOT_FOUND"}, payload
                if not codes:
                    consignment_id = variables["input"]["consignmentId"]
                    assert consignment_id not in deleted, "one consignment was deleted twice"
                    deleted.add(consignment_id)
            if payload["checkout"] is not None:
                check_payload(payload["checkout"], item_id)

        status, body = await post_graphql(client_b, READ_CHECKOUT, {"id": checkout_id}, token=token)
        final = ok(status, body, servers)["checkout"]
        total = check_state(final, item_id)
        ids = [consignment["id"] for consignment in final["consignments"]]
        assert len(ids) == len(initial) + added - len(deleted)
        assert not deleted & set(ids)
        assert await db_assigned(engine, item_id) == total
