"""Production mode over HTTP: no introspection, no GraphiQL, no stack traces.

The app is built exactly as `GATEWAY_ENV=production` builds it (`Settings(environment="production")`), in
process for the cases that need a monkeypatched failure, and as a real uvicorn process (environment only)
for the ones that must hold for the deployed thing, server log included.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from graphql import get_introspection_query
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.app import create_app
from gateway.settings import Settings, load_settings
from gateway.storage import queries
from gateway.storage.models import consignment as consignment_table
from tests.factories import StoreFixture, data, gql
from tests.servers import GatewayServer, running_servers

pytestmark = pytest.mark.anyio

SECRET = "s3cret-detail: SELECT token_hash FROM api_token -- /srv/gateway/app.py line 42"
LEAKS = ("s3cret", "SELECT", "token_hash", "api_token", "Traceback", "RuntimeError", 'File "', ".py")

INTROSPECTION_SCHEMA = "{ __schema { queryType { name } } }"
INTROSPECTION_TYPE = '{ __type(name: "Checkout") { fields { name } } }'
HEALTHY = "{ products(first: 2) { nodes { sku } } }"
CREATE_CHECKOUT = """
mutation($input: CreateCheckoutInput!) {
  createCheckout(input: $input) { checkout { id lineItems { id } } errors { code } }
}
"""
ADD_CONSIGNMENT = """
mutation($input: AddConsignmentsInput!) {
  addConsignments(input: $input) { checkout { id consignments { id } } errors { code } }
}
"""
CHECKOUT = "query($id: ID!) { checkout(id: $id) { id email consignments { id } } }"
CHECKOUT_WARNINGS = "query($id: ID!) { checkout(id: $id) { id warnings { code message } } }"
HTML = {"Accept": "text/html,application/xhtml+xml"}

AppFactory = Callable[..., Any]


@pytest.fixture
def make_app(database_url: str, engine: AsyncEngine) -> AppFactory:
    """`make_app(**settings)`: the app as production builds it, with these settings on top."""

    def build(**overrides: Any) -> Any:
        values: dict[str, Any] = {"database_url": database_url, "host": "127.0.0.1", "port": 0}
        values.update(environment="production")
        values.update(overrides)
        return create_app(Settings(**values), engine=engine)

    return build


@asynccontextmanager
async def client_for(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    # An exception escaping the app becomes the 500 response a real server would send.
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as client:
        yield client


@pytest.fixture
async def production(make_app: AppFactory) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(make_app()) as client:
        yield client


async def post(client: httpx.AsyncClient, query: str, variables: Any = None, **headers: str) -> httpx.Response:
    return await client.post("/graphql", json={"query": query, "variables": variables or {}}, headers=headers)


async def create_checkout(client: httpx.AsyncClient, store: StoreFixture) -> tuple[str, str]:
    body = await gql(
        client, CREATE_CHECKOUT, {"input": {"lineItems": [{"sku": "MUG", "quantity": 2}]}}, token=store.storefront_token
    )
    checkout = data(body)["createCheckout"]["checkout"]
    return checkout["id"], checkout["lineItems"][0]["id"]


def refused_introspection(response: httpx.Response, field: str) -> None:
    assert response.status_code == 200, response.text
    body = response.json()
    assert body.get("data") is None, body
    assert {error["extensions"]["code"] for error in body["errors"]} == {"GRAPHQL_VALIDATION_FAILED"}, body
    assert any("introspection" in error["message"] and field in error["message"] for error in body["errors"])


def assert_masked(response: httpx.Response) -> str:
    """One INTERNAL_SERVER_ERROR with a request id (also in the header); nothing of the cause leaks."""
    text = response.text
    for leak in LEAKS:
        assert leak not in text, f"{leak!r} leaked to the client: {text}"
    assert response.headers.get("content-type", "").startswith("application/json"), (response.status_code, text)
    body = response.json()
    codes = [error.get("extensions", {}).get("code") for error in body.get("errors") or []]
    assert codes == ["INTERNAL_SERVER_ERROR"], body
    error = body["errors"][0]
    assert error["message"] == "Internal server error"
    request_id = error["extensions"]["requestId"]
    assert request_id and response.headers.get("X-Request-Id") == request_id, (response.headers, body)
    return request_id  # type: ignore[no-any-return]


def logged_with(caplog: Any, request_id: str) -> list[logging.LogRecord]:
    """Records that name `request_id` and carry the original exception (the client never sees it)."""
    return [
        record
        for record in caplog.records
        if request_id in record.getMessage()
        and record.levelno >= logging.ERROR
        and record.exc_info is not None
        and SECRET in str(record.exc_info[1])
    ]


# --- introspection and GraphiQL ------------------------------------------------------------------------


async def test_introspection_is_refused(production, store):
    for headers in ({}, {"X-Auth-Token": store.server_token}):
        refused_introspection(await post(production, INTROSPECTION_SCHEMA, **headers), "__schema")
        refused_introspection(await post(production, INTROSPECTION_TYPE, **headers), "__type")
        refused_introspection(await post(production, get_introspection_query(), **headers), "__schema")

    # Nothing else changes: __typename and ordinary queries still answer.
    body = (await post(production, "{ __typename }", **{"X-Auth-Token": store.server_token})).json()
    assert body == {"data": {"__typename": "Query"}}
    body = (await post(production, HEALTHY, **{"X-Auth-Token": store.server_token})).json()
    assert data(body)["products"]["nodes"] == [{"sku": "SHIRT"}, {"sku": "MUG"}]


async def test_validation_errors_do_not_suggest_field_names(production, store, make_app):
    response = await post(production, '{ checkout(id: "x") { emai } }', **{"X-Auth-Token": store.server_token})
    body = response.json()
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert "Did you mean" not in response.text and '"email"' not in response.text

    # Outside production the same mistake gets a suggestion: the difference is the mode, not the query.
    async with client_for(make_app(environment="development")) as development:
        response = await post(development, '{ checkout(id: "x") { emai } }', **{"X-Auth-Token": store.server_token})
    assert "Did you mean" in response.text


async def test_graphiql_is_not_served(production):
    response = await production.get("/graphql", headers=HTML)
    assert "text/html" not in response.headers.get("content-type", ""), response.headers
    assert "graphiql" not in response.text.lower()
    assert response.status_code == 404, response.status_code
    error = response.json()["errors"][0]
    assert error["extensions"] == {"code": "NOT_FOUND", "requestId": response.headers["x-request-id"]}, error


async def test_graphiql_is_served_outside_production(make_app):
    async with client_for(make_app(environment="development")) as development:
        response = await development.get("/graphql", headers=HTML)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "graphiql" in response.text.lower()


async def test_introspection_and_graphiql_can_be_turned_back_on(make_app, store):
    async with client_for(make_app(introspection=True)) as client:
        response = await post(client, get_introspection_query())
        body = response.json()
        assert "errors" not in body, body
        assert body["data"]["__schema"]["queryType"]["name"] == "Query"
        types = {item["name"] for item in body["data"]["__schema"]["types"]}
        assert {"Checkout", "Order", "ShippingZone"} <= types
        # Only introspection was asked for: GraphiQL stays off.
        assert "text/html" not in (await client.get("/graphql", headers=HTML)).headers.get("content-type", "")

    async with client_for(make_app(graphiql=True)) as client:
        response = await client.get("/graphql", headers=HTML)
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")


async def test_environment_variables_configure_production(monkeypatch, database_url, engine, store):
    """`load_settings()` reads GATEWAY_ENV and GATEWAY_INTROSPECTION the way a deployment sets them."""
    monkeypatch.setenv("GATEWAY_DATABASE_URL", database_url)
    monkeypatch.setenv("GATEWAY_ENV", "production")
    monkeypatch.delenv("GATEWAY_INTROSPECTION", raising=False)
    monkeypatch.delenv("GATEWAY_GRAPHIQL", raising=False)
    async with client_for(create_app(load_settings(), engine=engine)) as client:
        refused_introspection(await post(client, INTROSPECTION_SCHEMA), "__schema")
        assert "text/html" not in (await client.get("/graphql", headers=HTML)).headers.get("content-type", "")

    monkeypatch.setenv("GATEWAY_INTROSPECTION", "1")
    async with client_for(create_app(load_settings(), engine=engine)) as client:
        body = (await post(client, INTROSPECTION_SCHEMA)).json()
        assert body == {"data": {"__schema": {"queryType": {"name": "Query"}}}}


# --- unexpected errors ---------------------------------------------------------------------------------


async def raise_secret(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError(SECRET)


async def test_unexpected_error_in_a_read_is_masked_and_logged(production, store, monkeypatch, caplog):
    caplog.set_level(logging.INFO)
    checkout_id, _ = await create_checkout(production, store)
    monkeypatch.setattr(queries, "consignments_by_checkout_ids", raise_secret)

    response = await post(production, CHECKOUT, {"id": checkout_id}, **{"X-Auth-Token": store.storefront_token})
    assert response.status_code == 200
    request_id = assert_masked(response)
    assert logged_with(caplog, request_id), [record.getMessage() for record in caplog.records]

    monkeypatch.undo()
    body = await gql(production, CHECKOUT, {"id": checkout_id}, token=store.storefront_token)
    assert data(body)["checkout"]["consignments"] == []


async def test_unexpected_error_in_a_mutation_is_masked_and_logged(production, store, monkeypatch, caplog):
    caplog.set_level(logging.INFO)
    checkout_id, item_id = await create_checkout(production, store)
    monkeypatch.setattr(queries, "insert_consignment_items", raise_secret)

    variables = {
        "input": {
            "checkoutId": checkout_id,
            "consignments": [
                {
                    "address": {"email": "a@example.com", "countryCode": "US"},
                    "lineItems": [{"itemId": item_id, "quantity": 1}],
                }
            ],
        }
    }
    response = await post(
        production, ADD_CONSIGNMENT, variables, **{"X-Auth-Token": store.storefront_token, "X-Request-Id": "edge-42.a"}
    )
    assert assert_masked(response) == "edge-42.a"
    assert logged_with(caplog, "edge-42.a"), [record.getMessage() for record in caplog.records]


async def test_unexpected_error_while_authenticating_is_masked_and_logged(production, store, monkeypatch, caplog):
    """A failure before any resolver runs (here: the token lookup) gets the same treatment."""
    caplog.set_level(logging.INFO)
    monkeypatch.setattr(queries, "token_with_store", raise_secret)

    response = await post(production, HEALTHY, **{"X-Auth-Token": store.storefront_token})
    assert response.status_code in (200, 500), response.status_code
    request_id = assert_masked(response)
    assert logged_with(caplog, request_id), [record.getMessage() for record in caplog.records]

    monkeypatch.undo()
    body = await gql(production, HEALTHY, token=store.storefront_token)
    assert data(body)["products"]["nodes"]


# --- a real production process -------------------------------------------------------------------------


@pytest.fixture
def production_server(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[GatewayServer]:
    """A uvicorn process configured like a deployment: GATEWAY_ENV=production and nothing turned back on."""
    for name in ("GATEWAY_INTROSPECTION", "GATEWAY_GRAPHIQL"):
        monkeypatch.delenv(name, raising=False)  # the server inherits the test's environment
    env = {"GATEWAY_ENV": "production"}
    with running_servers(database_url, tmp_path / "server-logs", count=1, env=env) as (server,):
        yield server


async def test_production_process_masks_errors_and_logs_the_request_id(production_server, store, engine):
    """Against uvicorn with GATEWAY_ENV=production: a row the code cannot read (an unknown warning code
    stored in a consignment) makes a resolver fail; the client gets a masked error, the log the details."""
    async with production_server.client(timeout=30) as client:
        refused_introspection(await post(client, INTROSPECTION_SCHEMA), "__schema")
        assert "text/html" not in (await client.get("/graphql", headers=HTML)).headers.get("content-type", "")

        checkout_id, item_id = await create_checkout(client, store)
        body = await gql(
            client,
            ADD_CONSIGNMENT,
            {
                "input": {
                    "checkoutId": checkout_id,
                    "consignments": [
                        {
                            "address": {"email": "a@example.com", "countryCode": "US"},
                            "lineItems": [{"itemId": item_id, "quantity": 1}],
                        }
                    ],
                }
            },
            token=store.storefront_token,
        )
        assert data(body)["addConsignments"]["errors"] == []
        async with engine.begin() as conn:
            await conn.execute(
                sa.update(consignment_table)
                .where(consignment_table.c.checkout_id == checkout_id)
                .values(quote_warnings=[{"code": "NOT_A_WARNING_CODE", "message": SECRET}])
            )

        response = await post(
            client, CHECKOUT_WARNINGS, {"id": checkout_id}, **{"X-Auth-Token": store.storefront_token}
        )
        request_id = assert_masked(response)
        assert production_server.is_running()
        assert data((await post(client, HEALTHY, **{"X-Auth-Token": store.storefront_token})).json())

    log = production_server.log()
    lines = [line for line in log.splitlines() if request_id in line]
    assert lines, log[-3000:]
    assert "NOT_A_WARNING_CODE" in log, log[-3000:]  # the details went to the log, not to the client
