"""Authentication and permissions over HTTP: who may call what; a refused request executes nothing."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import anyio
import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.domain.tokens import TokenKind, create_token, parse, revoke_token
from gateway.storage import queries
from gateway.storage.db import write_transaction
from tests.factories import StoreFixture, data, gql, make_store

REPO = Path(__file__).resolve().parents[2]

CREATE_CHECKOUT = """
mutation($input: CreateCheckoutInput!) {
  createCheckout(input: $input) { checkout { id } errors { code message field } }
}
"""
CREATE_INPUT = {"input": {"email": "shopper@example.com", "lineItems": [{"sku": "SHIRT", "quantity": 2}]}}

CHECKOUT = """
query($id: ID!) { checkout(id: $id) { id email lineItems { sku quantity } } }
"""

CHECKOUT_IDS = """
{ checkouts(first: 100) { nodes { id } } }
"""

STOREFRONT_AND_SERVER_ONLY = """
query($id: ID!) {
  products(first: 1) { nodes { sku } }
  checkout(id: $id) { id }
  checkouts(first: 10) { nodes { id } }
}
"""

INTROSPECTION = "{ __schema { queryType { name } } }"


async def post(client: httpx.AsyncClient, query: str, variables: dict[str, Any] | None = None, **headers: str) -> Any:
    response = await client.post(
        "/graphql",
        json={"query": query, "variables": variables or {}},
        headers={key.replace("_", "-"): value for key, value in headers.items()},
    )
    assert response.status_code == 200, response.text
    return response.json()


def only_error(body: dict[str, Any], code: str) -> dict[str, Any]:
    """The single top-level error of a refused request, which executed nothing."""
    assert body.get("data") is None, body
    errors = body.get("errors") or []
    assert len(errors) >= 1, body
    assert {error["extensions"]["code"] for error in errors} == {code}, errors
    return errors[0]  # type: ignore[no-any-return]


async def checkout_ids(client: httpx.AsyncClient, store: StoreFixture) -> list[str]:
    body = await gql(client, CHECKOUT_IDS, token=store.server_token)
    return [node["id"] for node in data(body)["checkouts"]["nodes"]]


async def create_checkout(client: httpx.AsyncClient, token: str) -> str:
    payload = data(await gql(client, CREATE_CHECKOUT, CREATE_INPUT, token=token))["createCheckout"]
    assert payload["errors"] == []
    return payload["checkout"]["id"]  # type: ignore[no-any-return]


async def test_no_token_is_unauthenticated_and_executes_nothing(client, store):
    body = await post(client, CREATE_CHECKOUT, CREATE_INPUT)
    error = only_error(body, "UNAUTHENTICATED")
    assert "X-Auth-Token" in error["message"]
    assert await checkout_ids(client, store) == []


UNKNOWN_TOKEN_HEADERS = (
    {"X_Auth_Token": "gwsf_not-a-real-token"},
    {"Authorization": "Bearer gwsk_not-a-real-token"},
    {"X_Auth_Token": "   ", "Authorization": "Bearer    "},  # blank headers are no token at all
)


async def test_unknown_token_is_unauthenticated_and_executes_nothing(client, store):
    for headers in UNKNOWN_TOKEN_HEADERS:
        body = await post(client, CREATE_CHECKOUT, CREATE_INPUT, **headers)
        only_error(body, "UNAUTHENTICATED")
    assert await checkout_ids(client, store) == []


async def test_tampered_or_revoked_token_is_unauthenticated(client, store, engine):
    # A real token with one character changed is just an unknown token.
    tampered = store.storefront_token[:-1] + ("A" if store.storefront_token[-1] != "A" else "B")
    only_error(await post(client, CHECKOUT, {"id": "x"}, X_Auth_Token=tampered), "UNAUTHENTICATED")

    assert data(await gql(client, CHECKOUT, {"id": "x"}, token=store.storefront_token)) == {"checkout": None}
    _, token_id, _ = parse(store.storefront_token)
    async with write_transaction(engine) as conn:
        await revoke_token(conn, token_id)
    # A process trusts a checked token for at most GATEWAY_TOKEN_CACHE_TTL_S (2 s); the promise is 5 s.
    deadline = time.monotonic() + 5
    while True:
        body = await post(client, CHECKOUT, {"id": "x"}, X_Auth_Token=store.storefront_token)
        if body.get("errors") or time.monotonic() > deadline:
            break
        await anyio.sleep(0.2)
    only_error(body, "UNAUTHENTICATED")


async def test_bearer_token_works_like_x_auth_token(client, store):
    body = await post(client, CREATE_CHECKOUT, CREATE_INPUT, Authorization=f"Bearer {store.storefront_token}")
    payload = data(body)["createCheckout"]
    assert payload["errors"] == []
    checkout_id = payload["checkout"]["id"]

    by_bearer = await post(client, CHECKOUT, {"id": checkout_id}, Authorization=f"bearer {store.storefront_token}")
    by_header = await post(client, CHECKOUT, {"id": checkout_id}, X_Auth_Token=store.storefront_token)
    assert data(by_bearer) == data(by_header)
    assert data(by_header)["checkout"]["lineItems"] == [{"sku": "SHIRT", "quantity": 2}]
    assert await checkout_ids(client, store) == [checkout_id]


async def test_storefront_token_is_forbidden_on_server_only_field(client, store):
    body = await gql(client, CHECKOUT_IDS, token=store.storefront_token)
    error = only_error(body, "FORBIDDEN")
    assert "checkouts" in error["message"]


async def test_forbidden_field_next_to_allowed_ones_executes_nothing(client, store, monkeypatch):
    checkout_id = await create_checkout(client, store.storefront_token)
    executed: list[str] = []
    real_products_page = queries.products_page
    real_checkouts_by_ids = queries.checkouts_by_ids

    async def products_page(*args: Any, **kwargs: Any) -> Any:
        executed.append("products")
        return await real_products_page(*args, **kwargs)

    async def checkouts_by_ids(*args: Any, **kwargs: Any) -> Any:
        executed.append("checkout")
        return await real_checkouts_by_ids(*args, **kwargs)

    monkeypatch.setattr(queries, "products_page", products_page)
    monkeypatch.setattr(queries, "checkouts_by_ids", checkouts_by_ids)

    body = await gql(client, STOREFRONT_AND_SERVER_ONLY, {"id": checkout_id}, token=store.storefront_token)
    only_error(body, "FORBIDDEN")
    assert executed == []

    # The same document with a server token runs all three fields: the spies do see execution.
    body = await gql(client, STOREFRONT_AND_SERVER_ONLY, {"id": checkout_id}, token=store.server_token)
    assert data(body)["checkout"] == {"id": checkout_id}
    assert sorted(set(executed)) == ["checkout", "products"]


MIXED_MUTATION = """
mutation($input: CreateCheckoutInput!) {
  createCheckout(input: $input) { checkout { id } errors { code } }
  createShippingZone(input: {name: "Everywhere", type: GLOBAL}) { zone { id } errors { code } }
}
"""

SHIPPING_ZONES = "{ shippingZones { id } }"


async def test_allowed_mutation_next_to_forbidden_one_executes_nothing(client, store):
    body = await gql(client, MIXED_MUTATION, CREATE_INPUT, token=store.storefront_token)
    error = only_error(body, "FORBIDDEN")
    assert "createShippingZone" in error["message"]
    assert await checkout_ids(client, store) == []
    assert data(await gql(client, SHIPPING_ZONES, token=store.server_token))["shippingZones"] == []

    # The server token may do both, in one document.
    payload = data(await gql(client, MIXED_MUTATION, CREATE_INPUT, token=store.server_token))
    assert payload["createCheckout"]["errors"] == [] and payload["createShippingZone"]["errors"] == []
    assert await checkout_ids(client, store) == [payload["createCheckout"]["checkout"]["id"]]
    assert len(data(await gql(client, SHIPPING_ZONES, token=store.server_token))["shippingZones"]) == 1


async def test_mutation_refused_for_missing_scope_executes_nothing(client, store, engine):
    async with write_transaction(engine) as conn:
        read_only = await create_token(conn, store.slug, TokenKind.SERVER, scopes=("checkouts:read",))
    body = await gql(client, CREATE_CHECKOUT, CREATE_INPUT, token=read_only)
    error = only_error(body, "FORBIDDEN")
    assert "checkouts:write" in error["message"]
    assert await checkout_ids(client, store) == []


async def test_introspection_needs_no_token(client, store):
    body = await post(client, INTROSPECTION)
    assert body == {"data": {"__schema": {"queryType": {"name": "Query"}}}}
    body = await post(client, "{ __typename }")
    assert body == {"data": {"__typename": "Query"}}


async def test_server_token_without_scope_is_forbidden_and_names_the_scope(client, store, engine: AsyncEngine):
    checkout_id = await create_checkout(client, store.storefront_token)
    async with write_transaction(engine) as conn:
        limited = await create_token(conn, store.slug, TokenKind.SERVER, scopes=("orders:read",))
    body = await gql(client, CHECKOUT, {"id": checkout_id}, token=limited)
    error = only_error(body, "FORBIDDEN")
    assert "checkouts:read" in error["message"]
    assert "checkout" in error["message"]

    # A full server token may read it.
    assert data(await gql(client, CHECKOUT, {"id": checkout_id}, token=store.server_token))["checkout"]["id"] == (
        checkout_id
    )


async def test_checkout_of_another_store_is_not_found(client, store, engine):
    checkout_id = await create_checkout(client, store.storefront_token)
    other = await make_store(engine, slug="other")
    for token in (other.storefront_token, other.server_token):
        assert data(await gql(client, CHECKOUT, {"id": checkout_id}, token=token)) == {"checkout": None}
    assert data(await gql(client, CHECKOUT_IDS, token=other.server_token))["checkouts"]["nodes"] == []


def gateway_command() -> list[str]:
    """The installed `gateway` console script of the interpreter running the tests."""
    script = Path(sys.executable).with_name("gateway")
    return [str(script)] if script.exists() else [sys.executable, "-m", "gateway.cli"]


async def test_cli_token_create_prints_a_working_token_last(client, store, database_url):
    command = [*gateway_command(), "--database-url", database_url, "token", "create", "--kind", "storefront"]
    env = {key: value for key, value in os.environ.items() if key not in ("GATEWAY_DATABASE_URL", "DATABASE_URL")}

    def run() -> subprocess.CompletedProcess[str]:
        return subprocess.run(command, capture_output=True, text=True, cwd=REPO, env=env, timeout=60, check=False)

    result = await anyio.to_thread.run_sync(run)
    assert result.returncode == 0, result.stderr
    token = result.stdout.strip().splitlines()[-1].strip()
    assert token and " " not in token, result.stdout

    checkout_id = await create_checkout(client, token)
    body = await gql(client, CHECKOUT, {"id": checkout_id}, token=token)
    assert data(body)["checkout"]["id"] == checkout_id
    # It is a storefront token: server-only fields stay closed.
    only_error(await gql(client, CHECKOUT_IDS, token=token), "FORBIDDEN")
