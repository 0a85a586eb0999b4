"""What operators see: one JSON log line per GraphQL request (ids, names, numbers, codes; never a token, an
address or a variable), Prometheus metrics at /metrics, and optional OpenTelemetry spans without per-field
hooks."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway import observability
from gateway.api.schema import build_schema
from gateway.app import create_app
from gateway.settings import Settings
from tests.conftest import StatementCounter
from tests.factories import StoreFixture, data, gql
from tests.http.conftest import Lines
from tests.servers import running_servers

CREATE_CHECKOUT = """
mutation CreateCart($input: CreateCheckoutInput!) {
  createCheckout(input: $input) { checkout { id lineItems { id sku } } errors { code field } }
}
"""
ADD_CONSIGNMENTS = """
mutation ShipIt($input: AddConsignmentsInput!) {
  addConsignments(input: $input) {
    checkout { id consignments { id address { city } } lineItems { unassignedQuantity } }
    errors { code field }
  }
}
"""
CHECKOUTS = "query BackOffice { checkouts(first: 10) { nodes { id lineItems { sku } } } }"
PRODUCTS = "query Catalog { products(first: 3) { nodes { sku } } }"
SECRET_CITY = "Xanaduville"
SECRET_STREET = "42 Hidden Lane"
SECRET_EMAIL = "hidden.shopper@example.com"


def address() -> dict[str, Any]:
    return {
        "email": SECRET_EMAIL,
        "firstName": "Ada",
        "address1": SECRET_STREET,
        "city": SECRET_CITY,
        "stateOrProvinceCode": "CA",
        "postalCode": "94105",
        "countryCode": "US",
    }


async def cart(client: httpx.AsyncClient, store: StoreFixture, **quantities: int) -> dict[str, Any]:
    body = await gql(
        client,
        CREATE_CHECKOUT,
        {"input": {"email": SECRET_EMAIL, "lineItems": [{"sku": s, "quantity": n} for s, n in quantities.items()]}},
        token=store.storefront_token,
    )
    return data(body)["createCheckout"]["checkout"]  # type: ignore[no-any-return]


def metrics(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    samples: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples: dict[Any, float], name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


async def test_one_log_line_per_request_with_ids_names_numbers_and_codes(
    client: httpx.AsyncClient, store: StoreFixture, request_log: Lines, sql_counter: StatementCounter
) -> None:
    checkout = await cart(client, store, SHIRT=2, MUG=1)
    items = {line["sku"]: line["id"] for line in checkout["lineItems"]}
    request_log.clear()
    sql_counter.reset()

    response = await client.post(
        "/graphql",
        json={
            "query": ADD_CONSIGNMENTS,
            "variables": {
                "input": {
                    "checkoutId": checkout["id"],
                    "consignments": [{"address": address(), "lineItems": [{"itemId": items["SHIRT"], "quantity": 2}]}],
                }
            },
        },
        headers={"X-Auth-Token": store.storefront_token, "X-Request-Id": "trace-me-123"},
    )
    assert response.status_code == 200 and not response.json().get("errors"), response.text
    (line,) = request_log.parsed()
    assert line["event"] == "graphql_request"
    assert line["request_id"] == "trace-me-123" == response.headers["X-Request-Id"]
    assert line["operation"] == "ShipIt" and line["operation_type"] == "mutation" and line["operations"] == 1
    assert line["status"] == 200 and line["method"] == "POST"
    assert 0 < line["duration_ms"] < 60_000
    assert line["sql_statements"] == sql_counter.count > 0  # this request's statements, token lookup included
    assert line["error_codes"] == [] and line["user_error_codes"] == []
    assert line["ts"].endswith("Z")

    raw = request_log.lines[0]
    secrets = (store.storefront_token, store.server_token, SECRET_CITY, SECRET_STREET, SECRET_EMAIL, checkout["id"])
    for secret in secrets:
        assert secret not in raw, f"{secret!r} leaked into the request log: {raw}"
    for word in ("variables", "query", "address", "token"):
        assert word not in raw.lower(), raw


async def test_log_lines_carry_error_codes(client: httpx.AsyncClient, store: StoreFixture, request_log: Lines) -> None:
    checkout = await cart(client, store, MUG=1)
    request_log.clear()

    # Refused input: UserError codes in the payload.
    units = [{"itemId": checkout["lineItems"][0]["id"], "quantity": 5}]
    over = {"checkoutId": checkout["id"], "consignments": [{"address": address(), "lineItems": units}]}
    body = await gql(client, ADD_CONSIGNMENTS, {"input": over}, token=store.storefront_token)
    assert data(body)["addConsignments"]["errors"]
    # No token: a top-level error.
    await gql(client, PRODUCTS, None, token=None)
    # A document that does not parse.
    await gql(client, "query Broken { products(first: 1) { nodes { sku }", None, token=store.storefront_token)
    # A body over the limit never reaches GraphQL.
    too_big = await client.post("/graphql", content=b"x" * 2_000_000, headers={"Content-Type": "application/json"})
    assert too_big.status_code == 413
    # A batch of two operations is one request, one line.
    batch = await client.post(
        "/graphql",
        json=[{"query": PRODUCTS}, {"query": "query Again { products(first: 1) { nodes { sku } } }"}],
        headers={"X-Auth-Token": store.storefront_token},
    )
    assert batch.status_code == 200, batch.text
    # The GraphiQL page is not a GraphQL request.
    page = await client.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200

    refused, unauthenticated, broken, large, batched = request_log.parsed()
    assert refused["user_error_codes"] == ["OVER_ASSIGNED"] and refused["error_codes"] == []
    assert unauthenticated["operation"] == "Catalog" and unauthenticated["error_codes"] == ["UNAUTHENTICATED"]
    assert broken["operation"] == "invalid" and broken["error_codes"] == ["GRAPHQL_VALIDATION_FAILED"]
    assert large["status"] == 413 and large["error_codes"] == ["REQUEST_TOO_LARGE"] and large["operations"] == 0
    assert batched["operations"] == 2 and sorted(batched["operation"].split(",")) == ["Again", "Catalog"]
    assert batched["error_codes"] == [] and batched["sql_statements"] >= 2


async def test_refusals_are_logged_with_their_status_code_and_request_id(
    client: httpx.AsyncClient, store: StoreFixture, request_log: Lines
) -> None:
    token = {"X-Auth-Token": store.storefront_token}
    two = "query A { __typename } query B { __typename }"
    gr_json = {"Accept": "application/graphql-response+json"}
    request_log.clear()
    await client.post("/graphql", json={"query": "query A { __typename }", "operationName": "Z"}, headers=token)
    await client.post("/graphql", json={"query": two}, headers={**token, "X-Request-Id": "ambiguous-1"})
    await client.put("/graphql", headers=token)
    await client.post("/graphql", content=b"{}", headers={"Content-Type": "text/plain"})
    await client.post("/graphql", json={"query": "{ __typename }"}, headers={"Accept": "text/html"})
    await client.post("/graphql", json={"query": "{ nope }"}, headers={**token, **gr_json})
    await client.post("/graphql", json={"query": PRODUCTS}, headers=gr_json)
    await client.post("/graphql", json=[{"query": PRODUCTS}, {"query": two}], headers=token)
    lines = request_log.parsed()
    assert [(line["status"], line["error_codes"]) for line in lines] == [
        (400, ["OPERATION_NOT_FOUND"]),
        (400, ["OPERATION_NAME_REQUIRED"]),
        (405, ["METHOD_NOT_ALLOWED"]),
        (415, ["UNSUPPORTED_MEDIA_TYPE"]),
        (406, ["NOT_ACCEPTABLE"]),
        (400, ["GRAPHQL_VALIDATION_FAILED"]),
        (401, ["UNAUTHENTICATED"]),
        (200, ["OPERATION_NAME_REQUIRED"]),
    ], lines
    assert lines[1]["request_id"] == "ambiguous-1"
    assert all(line["request_id"] and line["level"] == "info" for line in lines), lines
    # A refused request ran no operation; the batch ran one and had one refused.
    assert [line["operations"] for line in lines] == [0, 0, 0, 0, 0, 1, 1, 2], lines
    assert sorted(lines[-1]["operation"].split(",")) == ["Catalog", "invalid"], lines[-1]


async def test_metrics_count_operations_errors_batches_and_pool(
    client: httpx.AsyncClient, store: StoreFixture, engine: AsyncEngine
) -> None:
    before = metrics((await client.get("/metrics")).text)
    for _ in range(3):
        data(await gql(client, PRODUCTS, None, token=store.storefront_token))
    await gql(client, PRODUCTS, None, token="gwsf_0_not-a-real-token")
    for skus in ({"SHIRT": 1}, {"MUG": 2}, {"LAMP": 1, "SOCKS": 3}):
        await cart(client, store, **skus)
    carts = metrics((await client.get("/metrics")).text)
    listed = data(await gql(client, CHECKOUTS, None, token=store.server_token))["checkouts"]["nodes"]
    assert len(listed) == 3

    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    after = metrics(response.text)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    ok_query = {"operation": "Catalog", "operation_type": "query"}
    assert delta("gateway_graphql_operations_total", outcome="ok", **ok_query) == 3
    assert delta("gateway_graphql_operations_total", outcome="error", **ok_query) == 1
    assert delta("gateway_graphql_operation_duration_seconds_count", **ok_query) == 4
    assert delta("gateway_graphql_operation_duration_seconds_bucket", le="+Inf", **ok_query) == 4
    created = {"operation": "CreateCart", "operation_type": "mutation", "outcome": "ok"}
    assert delta("gateway_graphql_operations_total", **created) == 3
    assert delta("gateway_graphql_errors_total", code="UNAUTHENTICATED") == 1
    assert delta("gateway_graphql_http_responses_total", status="200") == 8
    assert delta("gateway_graphql_sql_statements_per_request_count") == 8
    # Listing three checkouts loads their line items in one batch of three keys.
    line_items = {"loader": "line_items_by_checkout_id"}
    assert (
        value(after, "gateway_dataloader_batch_size_count", **line_items)
        - value(carts, "gateway_dataloader_batch_size_count", **line_items)
        == 1
    )
    assert (
        value(after, "gateway_dataloader_batch_size_sum", **line_items)
        - value(carts, "gateway_dataloader_batch_size_sum", **line_items)
        == 3
    )
    backend = engine.dialect.name
    assert value(after, "gateway_db_pool_size", backend=backend) >= 1
    assert ("gateway_db_pool_checked_out", (("backend", backend),)) in after
    for secret in (store.storefront_token, store.server_token):
        assert secret not in response.text


async def test_operation_names_cannot_grow_the_metrics_without_bound(
    client: httpx.AsyncClient, store: StoreFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    labels = observability._OperationLabels(limit=2)
    monkeypatch.setattr(observability, "operation_label", labels)
    for name in ("One", "Two", "Three", "Four", "One"):
        query = f"query {name} {{ products(first: 1) {{ nodes {{ sku }} }} }}"
        data(await gql(client, query, None, token=store.storefront_token))
    assert labels.seen == {"One", "Two"}
    samples = metrics((await client.get("/metrics")).text)
    other = {"operation": "other", "operation_type": "query", "outcome": "ok"}
    assert value(samples, "gateway_graphql_operations_total", **other) >= 2
    # A name shaped like a token is never used as a label or logged.
    assert observability._safe_name("gwsf_1_abcdef") == "redacted"


async def test_metrics_and_log_can_be_switched_off(engine: AsyncEngine, database_url: str) -> None:
    settings = Settings(database_url=database_url, host="127.0.0.1", port=0, environment="test", metrics=False)
    app = create_app(settings, engine=engine)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway.test") as client:
        assert (await client.get("/metrics")).status_code == 404
    create_app(
        Settings(database_url=database_url, host="127.0.0.1", port=0, environment="test", request_log=False),
        engine=engine,
    )
    try:
        assert not observability.request_log.isEnabledFor(logging.INFO)
    finally:
        observability.configure_request_log(True)


async def test_real_server_writes_json_lines_and_serves_metrics(
    database_url: str, store: StoreFixture, tmp_path: Path
) -> None:
    with running_servers(database_url, tmp_path / "logs", count=1) as (server,):
        async with server.client() as client:
            for _ in range(2):
                response = await client.post(
                    "/graphql", json={"query": PRODUCTS}, headers={"X-Auth-Token": store.storefront_token}
                )
                assert response.status_code == 200
            text = (await client.get("/metrics")).text
        log = server.log()
    lines = [json.loads(line) for line in log.splitlines() if line.startswith('{"ts"')]
    assert [line["operation"] for line in lines] == ["Catalog", "Catalog"], log
    assert all(line["sql_statements"] >= 1 and line["request_id"] for line in lines)
    assert store.storefront_token not in log
    assert 'gateway_graphql_operations_total{operation="Catalog",operation_type="query",outcome="ok"} 2.0' in text


async def test_opentelemetry_spans_per_operation_without_per_field_hooks(
    engine: AsyncEngine, database_url: str, store: StoreFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from gateway import tracing

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    monkeypatch.setattr(tracing, "ensure_tracer_provider", lambda: provider)
    settings = Settings(database_url=database_url, host="127.0.0.1", port=0, environment="test", otel=True)
    app = create_app(settings, engine=engine)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway.test") as client:
        checkout = await cart(client, store, SHIRT=1)
        exporter.clear()
        body = await gql(client, CHECKOUTS, None, token=store.server_token)
        assert data(body)["checkouts"]["nodes"][0]["id"] == checkout["id"]

    spans = {span.name: span for span in exporter.get_finished_spans()}
    assert set(spans) == {"GraphQL Operation: BackOffice", "GraphQL Parsing", "GraphQL Validation"}, set(spans)
    operation = spans["GraphQL Operation: BackOffice"]
    assert operation.attributes is not None
    assert operation.attributes["graphql.operation.name"] == "BackOffice"
    assert operation.attributes["graphql.operation.type"] == "query"
    assert "query" not in operation.attributes  # never the document (it can hold addresses)
    assert spans["GraphQL Parsing"].parent is not None
    assert spans["GraphQL Parsing"].parent.span_id == operation.context.span_id
    # No resolver middleware: strawberry runs no per-field extension hook, tracing or not.
    extensions = build_schema(tracing=True).get_extensions()
    assert {type(extension) for extension in extensions} >= {tracing.GatewayTracing, observability.OperationObserver}
    assert [type(e).__name__ for e in extensions if e._implements_resolve()] == []


def test_tracing_is_off_without_the_sdk(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    assert observability.tracing_extensions(False) == []
    monkeypatch.setattr(observability, "opentelemetry_sdk_available", lambda: False)
    with caplog.at_level(logging.WARNING, logger="gateway.observability"):
        assert observability.tracing_extensions(True) == []
    assert "OpenTelemetry SDK is not installed" in caplog.text


METRICS_TOKEN = "metrics-secret-7f3a"


async def test_metrics_token_guards_metrics(engine: AsyncEngine, database_url: str, tmp_path: Path) -> None:
    settings = Settings(
        database_url=database_url, host="127.0.0.1", port=0, environment="test", metrics_token=METRICS_TOKEN
    )
    app = create_app(settings, engine=engine)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway.test") as client:
        for headers in (
            {},
            {"Authorization": "Bearer wrong"},
            {"Authorization": METRICS_TOKEN},
            {"X-Auth-Token": METRICS_TOKEN},
        ):
            refused = await client.get("/metrics", headers=headers)
            assert refused.status_code == 401, headers
            assert refused.headers["www-authenticate"].startswith("Bearer")
            body = refused.json()
            assert body["data"] is None and body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
            assert "gateway_" not in refused.text
        allowed = await client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
        assert allowed.status_code == 200 and "gateway_graphql_operations_total" in allowed.text

    # A real server takes the token from GATEWAY_METRICS_TOKEN.
    with running_servers(database_url, tmp_path / "logs", count=1, env={"GATEWAY_METRICS_TOKEN": METRICS_TOKEN}) as (
        server,
    ):
        async with server.client() as client:
            assert (await client.get("/metrics")).status_code == 401
            allowed = await client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
            assert allowed.status_code == 200 and "gateway_graphql_operations_total" in allowed.text


async def test_metrics_can_move_to_their_own_bind_address(database_url: str, tmp_path: Path) -> None:
    from tests.servers import free_port

    port = free_port()
    env = {"GATEWAY_METRICS_BIND": f"127.0.0.1:{port}"}
    with running_servers(database_url, tmp_path / "logs", count=1, env=env) as (server,):
        async with server.client() as client:
            assert (await client.get("/metrics")).status_code == 404  # not on the public port
        async with httpx.AsyncClient(timeout=10) as client:
            private = await client.get(f"http://127.0.0.1:{port}/metrics")
        assert private.status_code == 200 and "gateway_graphql_operations_total" in private.text
