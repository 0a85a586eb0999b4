"""The express lane (gateway.api.express): repeated compiled queries answered without strawberry's view.

Everything a user can notice must be what the standard path gives: status, headers, body, refusals
(authentication, rights, NUL, bad variables), metrics and the request log line. Requests the lane does not
take (batches, `extensions`, GET, form bodies) and requests it cannot finish still get the standard answer.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.api.fastpath.admitted import ExpressEntries
from gateway.api.loaders import Loaders
from gateway.api.schema import express_entries
from gateway.app import create_app
from gateway.domain.tokens import TokenKind, create_token, parse, revoke_token
from gateway.settings import Settings
from gateway.storage.db import write_transaction
from tests.factories import StoreFixture
from tests.http.conftest import Lines
from tests.http.test_observability import metrics, value
from tests.order_flow import US_CA, OrderFlow

pytestmark = pytest.mark.anyio

CHECKOUT = """
query Page($id: ID!) {
  checkout(id: $id) {
    id version grandTotal { value currencyCode }
    lineItems { sku quantity listPrice { value } }
    consignments { id address { city } availableShippingOptions { description cost { value } } }
  }
}
"""
ORDERS = "query History($first: Int!) { orders(first: $first) { nodes { id status grandTotal { value } } } }"
REQUEST_ID = "express-lane-test"


class Lane:
    def __init__(self, client: httpx.AsyncClient, entries: ExpressEntries) -> None:
        self.client = client
        self.entries = entries

    async def post(self, body: Any, token: str | None, **headers: str) -> httpx.Response:
        sent = {"X-Request-Id": REQUEST_ID, **headers}
        if token is not None:
            sent["X-Auth-Token"] = token
        return await self.client.post(
            "/graphql", content=json.dumps(body), headers={"Content-Type": "application/json", **sent}
        )

    async def admitted(self, body: Any, token: str) -> httpx.Response:
        """Send until the lane answers (the first use is standard, the second compiled and admitted)."""
        for _ in range(3):
            answered = self.entries.answered
            response = await self.post(body, token)
            if self.entries.answered > answered:
                return response
        raise AssertionError("the express lane never answered")


@pytest.fixture
def lane_settings(settings: Settings) -> Settings:
    # Tokens stay checked for a while, as in production: the lane only serves tokens this process checked.
    return replace(settings, token_cache_ttl_s=30)


@pytest.fixture
async def lanes(lane_settings: Settings, engine: AsyncEngine) -> AsyncIterator[tuple[Lane, Lane]]:
    """The lane's app and one without the compiled read path (which therefore has no lane)."""
    fast_app = create_app(lane_settings, engine=engine)
    standard_app = create_app(replace(lane_settings, fast_path=False), engine=engine)
    route = next(route for route in standard_app.routes if getattr(route, "path", None) == "/graphql")
    assert express_entries(route.endpoint.schema) is None
    fast_route = next(route for route in fast_app.routes if getattr(route, "path", None) == "/graphql")
    entries = express_entries(fast_route.endpoint.schema)
    assert entries is not None
    async with (
        httpx.AsyncClient(transport=httpx.ASGITransport(app=fast_app), base_url="http://fast.test") as fast,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=standard_app), base_url="http://standard.test") as standard,
    ):
        yield Lane(fast, entries), Lane(standard, ExpressEntries())


@pytest.fixture
async def checkout_id(client: httpx.AsyncClient, store: StoreFixture) -> str:
    flow = OrderFlow(client, store)
    await flow.shipping()
    cart = await flow.cart(SHIRT=2, MUG=1)
    await flow.add(cart, {"address": US_CA, "lineItems": cart.units(SHIRT=2, MUG=1)})
    return cart.id


async def test_the_lane_answers_exactly_like_the_standard_path(
    lanes: tuple[Lane, Lane], store: StoreFixture, checkout_id: str
) -> None:
    fast, standard = lanes
    for accept in (None, "application/graphql-response+json", "application/json, */*;q=0.5"):
        body = {"query": CHECKOUT, "variables": {"id": checkout_id}, "operationName": "Page"}
        headers = {"Accept": accept} if accept else {}
        answered = fast.entries.answered
        for _ in range(3):
            lane = await fast.post(body, store.storefront_token, **headers)
        assert fast.entries.answered > answered
        reference = await standard.post(body, store.storefront_token, **headers)
        assert lane.status_code == reference.status_code == 200
        assert lane.headers.raw == reference.headers.raw
        assert lane.content == reference.content
        assert lane.json()["data"]["checkout"]["consignments"][0]["availableShippingOptions"]
    # operationName left out (one operation in the document) is its own admission, and answered the same.
    unnamed = {"query": CHECKOUT, "variables": {"id": checkout_id}}
    lane = await fast.admitted(unnamed, store.storefront_token)
    assert lane.content == (await standard.post(unnamed, store.storefront_token)).content


async def test_rights_and_tokens_are_checked_on_every_request(
    lanes: tuple[Lane, Lane], store: StoreFixture, engine: AsyncEngine, checkout_id: str
) -> None:
    fast, _ = lanes
    orders = {"query": ORDERS, "variables": {"first": 5}}
    await fast.admitted(orders, store.server_token)
    await fast.admitted({"query": "query Hello { __typename }"}, store.storefront_token)  # storefront token checked
    answered = fast.entries.answered
    refused = (await fast.post(orders, store.storefront_token)).json()
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert (await fast.post(orders, None)).json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    unknown = (await fast.post(orders, "gwsk_999_nope")).json()
    assert unknown["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    async with write_transaction(engine) as conn:
        narrow = await create_token(conn, store.slug, TokenKind.SERVER, scopes=("checkouts:read",))
    await fast.admitted({"query": CHECKOUT, "variables": {"id": checkout_id}}, narrow)
    forbidden = (await fast.post(orders, narrow)).json()
    assert forbidden["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert "orders:read" in forbidden["errors"][0]["message"]
    assert "data" not in forbidden or forbidden["data"] is None
    assert fast.entries.answered == answered + 1  # only the narrow token's own checkout page


async def test_a_revoked_token_is_refused_once_the_check_expires(
    lane_settings: Settings, engine: AsyncEngine, store: StoreFixture
) -> None:
    app = create_app(replace(lane_settings, token_cache_ttl_s=0.3), engine=engine)
    route = next(route for route in app.routes if getattr(route, "path", None) == "/graphql")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://fast.test") as client:
        lane = Lane(client, express_entries(route.endpoint.schema))  # type: ignore[arg-type]
        async with write_transaction(engine) as conn:
            token = await create_token(conn, store.slug, TokenKind.SERVER)
        orders = {"query": ORDERS, "variables": {"first": 2}}
        await lane.admitted(orders, token)
        parsed = parse(token)
        assert parsed is not None
        async with write_transaction(engine) as conn:
            await revoke_token(conn, parsed[1])
        await asyncio.sleep(0.4)
        refused = (await lane.post(orders, token)).json()
        assert refused["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_what_the_lane_does_not_take_gets_the_standard_answer(
    lanes: tuple[Lane, Lane], store: StoreFixture, checkout_id: str
) -> None:
    fast, standard = lanes
    body = {"query": CHECKOUT, "variables": {"id": checkout_id}}
    await fast.admitted(body, store.storefront_token)
    answered = fast.entries.answered
    token = store.storefront_token
    cases: list[tuple[Any, dict[str, str]]] = [
        ([body, body], {}),  # a batch
        ({**body, "extensions": {"persistedQuery": {"version": 1}}}, {}),
        ({**body, "variables": {"id": "bad\u0000id"}}, {}),  # NUL: BAD_USER_INPUT
        ({**body, "variables": {"id": ["not", "an", "id"]}}, {}),  # does not coerce
        ({**body, "variables": {}}, {}),  # a required variable missing
        ({**body, "operationName": "Nope"}, {}),  # OPERATION_NOT_FOUND
        (body, {"Accept": "text/html"}),  # NOT_ACCEPTABLE
        ({**body, "unexpected": 1}, {}),
    ]
    for sent, headers in cases:
        lane = await fast.post(sent, token, **headers)
        reference = await standard.post(sent, token, **headers)
        assert (lane.status_code, lane.headers.raw, lane.content) == (
            reference.status_code,
            reference.headers.raw,
            reference.content,
        ), sent
    assert fast.entries.answered == answered
    # An ID sent as a JSON number coerces (graphql-core's rule) on the lane as on the standard path.
    numeric = {**body, "variables": {"id": 5}}
    assert (await fast.post(numeric, token)).content == (await standard.post(numeric, token)).content
    assert fast.entries.answered == answered + 1
    codes = {
        (await fast.post({**body, "variables": {"id": "bad\u0000id"}}, token)).json()["errors"][0]["extensions"][
            "code"
        ],
        (await fast.post(body, token, Accept="text/html")).json()["errors"][0]["extensions"]["code"],
    }
    assert codes == {"BAD_USER_INPUT", "NOT_ACCEPTABLE"}
    # A GET of the same document is answered by the standard path, and the same.
    params = {"query": CHECKOUT, "variables": json.dumps({"id": checkout_id})}
    get = await fast.client.get("/graphql", params=params, headers={"X-Auth-Token": token, "X-Request-Id": REQUEST_ID})
    assert get.status_code == 200 and get.json() == (await fast.post(body, token)).json()


async def test_a_request_the_lane_cannot_finish_is_answered_by_the_standard_path(
    lanes: tuple[Lane, Lane], store: StoreFixture, checkout_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast, _ = lanes
    body = {"query": CHECKOUT, "variables": {"id": checkout_id}}
    await fast.admitted(body, store.storefront_token)

    async def broken(conn: Any, store_id: int, keys: list[str]) -> list[Any]:
        raise RuntimeError("the database caught fire")

    monkeypatch.setattr(Loaders, "_quotes", staticmethod(broken))
    answered = fast.entries.answered
    response = await fast.post(body, store.storefront_token)
    error = response.json()["errors"][0]
    assert error["extensions"] == {"code": "INTERNAL_SERVER_ERROR", "requestId": REQUEST_ID}
    assert error["path"][-1] == "availableShippingOptions"
    assert "fire" not in response.text
    assert fast.entries.answered == answered
    monkeypatch.undo()
    assert "errors" not in (await fast.post(body, store.storefront_token)).json()


async def test_lane_requests_are_counted_and_logged(
    lanes: tuple[Lane, Lane], store: StoreFixture, checkout_id: str, request_log: Lines
) -> None:
    fast, _ = lanes
    body = {"query": CHECKOUT, "variables": {"id": checkout_id}, "operationName": "Page"}
    await fast.admitted(body, store.storefront_token)
    before = metrics((await fast.client.get("/metrics")).text)
    request_log.clear()
    answered = fast.entries.answered
    for _ in range(3):
        await fast.post(body, store.storefront_token)
    assert fast.entries.answered == answered + 3
    after = metrics((await fast.client.get("/metrics")).text)
    page = {"operation": "Page", "operation_type": "query"}
    ok = value(after, "gateway_graphql_operations_total", outcome="ok", **page)
    assert ok - value(before, "gateway_graphql_operations_total", outcome="ok", **page) == 3
    latency = "gateway_graphql_operation_duration_seconds_count"
    assert value(after, latency, **page) - value(before, latency, **page) == 3
    lines = [line for line in request_log.parsed() if line.get("operation") == "Page"]
    assert len(lines) == 3
    for line in lines:
        assert line["status"] == 200 and line["operation_type"] == "query" and line["request_id"] == REQUEST_ID
        assert line["error_codes"] == [] and line["sql_statements"] > 0
