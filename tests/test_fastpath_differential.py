"""The fast path answers every read exactly as graphql-core's standard execution does.

Two applications share one database: one with the compiled execution path (`GATEWAY_FAST_PATH`, the
default), one without. Every documented read operation and a few hundred generated valid queries go
to both over HTTP with the same token and request id; the response bodies must be byte-identical,
errors included (the fast path hands anything that errs to standard execution). Statement counts
must be the same on both paths and must not grow with the number of objects returned.
"""

from __future__ import annotations

import asyncio
import difflib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from typing import Any

import httpx
import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.api.fastpath import PlanCache
from gateway.api.fastpath.plan import Bail, build_plan
from gateway.api.fastpath.run import drive
from gateway.api.loaders import Loaders
from gateway.api.schema import build_schema
from gateway.app import create_app
from gateway.settings import Settings
from tests.factories import StoreFixture
from tests.fastpath_queries import QueryGenerator, World, bench_operations, documented_queries, variable_names
from tests.order_flow import (
    AE_DUBAI,
    CREATE_ZONE,
    GB_LONDON,
    UPDATE_PICKUP,
    US_CA,
    OrderFlow,
)

RANDOM_QUERIES = 300
REQUEST_ID = "fastpath-differential"


@dataclass
class Pair:
    fast: httpx.AsyncClient
    standard: httpx.AsyncClient
    plans: PlanCache
    store: StoreFixture
    #: The Accept header of every request (None: none, i.e. application/json).
    accept: str | None = None

    async def post(
        self,
        client: httpx.AsyncClient,
        query: str,
        variables: dict[str, Any] | None,
        token: str | None,
        extra: dict[str, Any] | None = None,
    ):
        headers = {"X-Request-Id": REQUEST_ID}
        if token:
            headers["X-Auth-Token"] = token
        if self.accept:
            headers["Accept"] = self.accept
        request = {"query": query, "variables": variables or {}, **(extra or {})}
        return await client.post("/graphql", json=request, headers=headers)

    async def compare(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        token: str | None,
        extra: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Send to both; require identical status, media type and body; return the status, the body and
        whether the fast path answered."""
        answered = self.plans.answered + self.plans.express.answered
        fast = await self.post(self.fast, query, variables, token, extra)
        answered_fast = self.plans.answered + self.plans.express.answered > answered
        standard = await self.post(self.standard, query, variables, token, extra)
        assert fast.status_code == standard.status_code, (query, variables, fast.text, standard.text)
        # Every header, in order: the express lane writes its own, and they must be the standard path's.
        assert fast.headers.raw == standard.headers.raw, (fast.headers, standard.headers)
        if fast.content != standard.content:
            diff = "\n".join(
                difflib.unified_diff(
                    json.dumps(standard.json(), indent=1).splitlines(),
                    json.dumps(fast.json(), indent=1).splitlines(),
                    "standard",
                    "fast",
                    lineterm="",
                )
            )
            pytest.fail(f"responses differ for\n{query}\nvariables {variables}\n{diff[:6000]}")
        return {"status": fast.status_code, "body": fast.json(), "fast": answered_fast}


def plans_of(app: Any) -> PlanCache:
    route = next(route for route in app.routes if getattr(route, "path", None) == "/graphql")
    for extension in route.endpoint.schema.extensions:
        plans = getattr(extension, "plans", None)
        if isinstance(plans, PlanCache):
            return plans
    raise AssertionError("the fast path is not installed")


@pytest.fixture
async def pair(settings: Settings, engine: AsyncEngine, store: StoreFixture) -> AsyncIterator[Pair]:
    # Tokens stay checked for a minute on both (as in production, for seconds), so the express lane
    # (gateway.api.express) answers the fast app's repeated documents, and both skip the same lookups.
    settings = replace(settings, request_log=False, token_cache_ttl_s=60)
    fast_app = create_app(replace(settings, fast_path=True), engine=engine)
    standard_app = create_app(replace(settings, fast_path=False), engine=engine)
    with pytest.raises(AssertionError):
        plans_of(standard_app)
    async with (
        httpx.AsyncClient(transport=httpx.ASGITransport(app=fast_app), base_url="http://fast.test") as fast,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=standard_app), base_url="http://standard.test") as standard,
    ):
        plans = plans_of(fast_app)
        assert plans.min_uses == 2  # production: a document is compiled when it comes back
        plans.min_uses = 1  # here: from its first use, so every comparison exercises the fast path
        yield Pair(fast, standard, plans, store)


# --- the data set -------------------------------------------------------------------------------------

INCOMPLETE = {"email": "partial@example.com", "countryCode": "US"}


async def build_world(pair: Pair) -> World:
    """Checkouts in every state (problems of each kind, pickup, several consignments, stale quotes) and
    orders in every status with shipments, over two zones with different method types."""
    flow = OrderFlow(pair.fast, pair.store)
    setup = await flow.shipping()
    zone = await flow.server_mutation(
        CREATE_ZONE,
        "createShippingZone",
        {
            "name": "United Kingdom",
            "type": "COUNTRY",
            "locations": [{"countryCode": "GB"}],
            "freeShipping": {"enabled": True, "minimumSubtotal": "100"},
            "handlingFee": {"type": "PERCENTAGE", "value": "5", "displaySeparately": False},
        },
    )
    assert zone["errors"] == [], zone["errors"]
    uk = zone["zone"]["id"]
    await flow.method(
        uk,
        "By weight",
        "WEIGHT",
        ranges=[
            {"lowerLimit": "0", "upperLimit": "1", "cost": "3.50"},
            {"lowerLimit": "1", "upperLimit": "20", "cost": "9"},
        ],
        defaultCost="25",
        defaultCostType="FIXED_AMOUNT",
        handlingFee={"type": "FIXED", "value": "1.25"},
    )
    await flow.method(
        uk,
        "By total",
        "TOTAL",
        ranges=[{"lowerLimit": "0", "upperLimit": "50", "cost": "4"}],
        defaultCost="10",
        defaultCostType="PERCENTAGE_OF_TOTAL",
    )
    pickup = await flow.pickup_method("Downtown Store")
    closed = await flow.pickup_method("Old Store")

    digital = await flow.cart(EBOOK=1, GIFTCARD=2)  # no billing address, nothing to ship
    partial = await flow.cart(SHIRT=3, MUG=2)
    await flow.ship(partial, US_CA, SHIRT=1)  # unassigned units, no option selected
    incomplete = await flow.cart(LAMP=1)
    await flow.ship(incomplete, INCOMPLETE, LAMP=1)
    await flow.set_billing(incomplete, {"email": "billing@example.com", "countryCode": "US"})
    pickup_cart = await flow.cart(CHAIR=1, SOCKS=4)
    await flow.pickup(pickup_cart, pickup, CHAIR=1)
    await flow.ship(pickup_cart, GB_LONDON, SOCKS=4)
    closed_cart = await flow.cart(MUG=1)
    await flow.pickup(closed_cart, closed, MUG=1)
    anonymous = await flow.cart(email=None, SOCKS=1)
    dubai = await flow.cart(SHIRT=1)
    await flow.ship(dubai, AE_DUBAI, SHIRT=1)
    ready = await flow.ready(
        lines={"SHIRT": 2, "MUG": 1, "EBOOK": 1},
        consignments=[(US_CA, {"SHIRT": 1}, "Flat Rate"), (GB_LONDON, {"SHIRT": 1, "MUG": 1}, "By weight")],
    )

    orders = []
    first = await flow.place_order()
    orders.append(first)
    split = await flow.place_order(
        lines={"SHIRT": 2, "MUG": 1, "LAMP": 1, "EBOOK": 1},
        consignments=[(US_CA, {"SHIRT": 1, "MUG": 1}, "Per Item"), (GB_LONDON, {"SHIRT": 1, "LAMP": 1}, "By total")],
    )
    orders.append(split)
    shipped = await flow.shipped(split, 0, items={"SHIRT": 1}, trackingNumber="1Z999", shippingProvider="UPS")
    await flow.shipped(
        shipped["order"],
        1,
        trackingNumber="X1",
        shippingProvider="CUSTOM",
        trackingLink="https://track.example.com/X1",
        comments="fragile",
        shippingMethod="Ground",
    )
    complete = await flow.place_order(lines={"CHAIR": 1})
    orders.append(complete)
    await flow.shipped(complete, 0, trackingNumber="RM1", shippingProvider="ROYAL_MAIL")
    cancelled = await flow.place_order(lines={"SOCKS": 3}, email="other@example.com")
    orders.append(cancelled)
    payload = await flow.cancel(cancelled["id"])
    assert payload["errors"] == [], payload["errors"]
    digital_order = await flow.place_order(lines={"EBOOK": 1, "MUG": 2})
    orders.append(digital_order)

    # Later changes: the Flat Rate quotes go stale, a pickup location closes.
    await flow.update_method(setup.methods["Flat Rate"], rate="6.00")
    await flow.server_mutation(UPDATE_PICKUP, "updatePickupMethod", {"id": closed, "enabled": False})

    world = World(
        checkout_ids=[
            cart.id for cart in (digital, partial, incomplete, pickup_cart, closed_cart, anonymous, dubai, ready)
        ],
        order_ids=[order["id"] for order in orders],
        emails=["shopper@example.com", "other@example.com"],
    )
    for field, cursors in (
        ("orders", world.order_cursors),
        ("checkouts", world.checkout_cursors),
        ("products", world.product_cursors),
    ):
        body = (await pair.compare(f"{{ {field}(first: 2) {{ edges {{ cursor }} }} }}", token=pair.store.server_token))[
            "body"
        ]
        cursors.extend(edge["cursor"] for edge in body["data"][field]["edges"])
    return world


def variable_sets(document: str, world: World) -> list[dict[str, Any]]:
    names = set(variable_names(document))
    if not names:
        return [{}]
    sets: list[dict[str, Any]] = []
    if "id" in names:
        ids = world.order_ids if "order(" in document else world.checkout_ids
        sets = [{"id": value} for value in [*ids, "404"]]
    else:
        sets = [{}]
    if "first" in names:
        sets = [{**variables, "first": first} for variables in sets for first in (50, 1)]
    return sets


# --- the tests ----------------------------------------------------------------------------------------


async def test_documented_queries_answer_identically(pair: Pair):
    world = await build_world(pair)
    documents = documented_queries()
    assert {"bench CHECKOUT_PAGE", "bench ORDER_HISTORY", "operations/CheckoutPage.graphql"} <= set(documents)
    assert any(name.startswith("README") for name in documents)
    compared = answered = 0
    for name, document in documents.items():
        for variables in variable_sets(document, world):
            for token in (pair.store.storefront_token, pair.store.server_token):
                result = await pair.compare(document, variables, token=token)
                compared += 1
                body = result["body"]
                if not body.get("errors"):
                    assert result["fast"], f"{name} {variables}: answered by standard execution, not the fast path"
                    answered += 1
    print(f"\n{len(documents)} documented queries, {compared} requests compared, {answered} answered by the fast path")
    assert answered >= len(documents)
    assert pair.plans.express.answered > 0  # repeated documents went through the express lane, answering the same


async def test_generated_queries_answer_identically(pair: Pair):
    world = await build_world(pair)
    schema = build_schema()._schema
    generator = QueryGenerator(schema, world)
    outcomes = {"fast": 0, "standard, no errors": 0, "errors": 0}
    for index in range(RANDOM_QUERIES):
        document, variables = generator.document()
        token = pair.store.storefront_token if index % 10 == 9 else pair.store.server_token
        result = await pair.compare(document, variables, token=token)
        if result["fast"]:
            outcomes["fast"] += 1
        elif result["body"].get("errors"):
            outcomes["errors"] += 1
        else:
            outcomes["standard, no errors"] += 1
    print(f"\n{RANDOM_QUERIES} generated queries: {outcomes}")
    # Most documents are covered; what is not (directives, errors) still answered identically above.
    assert outcomes["fast"] >= RANDOM_QUERIES // 2, outcomes


PAGE_INFO_QUERY = (
    "query($first: Int, $after: String) {{ {field}(first: $first, after: $after) {{ "
    "edges {{ cursor }} pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }} }} }}"
)
FILTERED_PAGE_INFO_QUERY = (
    "query($first: Int, $after: String, $filter: OrderFilter) { orders(first: $first, after: $after, filter: $filter) "
    "{ pageInfo { startCursor hasPreviousPage endCursor hasNextPage } } }"
)


async def test_page_info_answers_identically(pair: Pair):
    """Every PageInfo field, on first pages and pages after each cursor (also past the end, and with a
    filter the cursor's order does not match), from the fast path and identical to standard execution."""
    world = await build_world(pair)
    token = pair.store.server_token
    seen: set[tuple[bool, bool, bool]] = set()
    for field, cursors in (
        ("orders", world.order_cursors),
        ("checkouts", world.checkout_cursors),
        ("products", world.product_cursors),
    ):
        document = PAGE_INFO_QUERY.format(field=field)
        last = (await pair.compare(document, {"first": 100}, token=token))["body"]["data"][field]["edges"][-1]
        for after in [None, *cursors, last["cursor"]]:
            for first in (0, 1, 2, 100):
                result = await pair.compare(document, {"first": first, "after": after}, token=token)
                assert result["fast"], (field, first, after, result["body"])
                connection = result["body"]["data"][field]
                info, edges = connection["pageInfo"], connection["edges"]
                assert info["startCursor"] == (edges[0]["cursor"] if edges else None)
                assert info["hasPreviousPage"] is (after is not None)  # nothing is filtered or deleted here
                seen.add((info["hasPreviousPage"], info["hasNextPage"], info["startCursor"] is None))
    filtered: set[bool] = set()
    for status in ("CANCELLED", "AWAITING_FULFILLMENT"):
        for after in world.order_cursors:
            variables = {"first": 2, "after": after, "filter": {"status": status}}
            result = await pair.compare(FILTERED_PAGE_INFO_QUERY, variables, token=token)
            assert result["fast"], (variables, result["body"])
            filtered.add(result["body"]["data"]["orders"]["pageInfo"]["hasPreviousPage"])
    # The newest order is not cancelled: after its cursor no cancelled order precedes; after the next one's, one does.
    assert filtered == {False, True}
    # Both values of every field were compared, with and without edges.
    assert {previous for previous, _, _ in seen} == {False, True}
    assert {following for _, following, _ in seen} == {False, True}
    assert {no_edges for _, _, no_edges in seen} == {False, True}


async def test_refused_requests_answer_identically(pair: Pair):
    query = bench_operations.ORDER_HISTORY
    answered = pair.plans.answered
    for token in (None, "gwsk_not-a-token", pair.store.storefront_token):
        body = (await pair.compare(query, {"first": 5}, token=token))["body"]
        assert body["data"] is None and body["errors"][0]["extensions"]["code"] in ("UNAUTHENTICATED", "FORBIDDEN")
    assert pair.plans.answered == answered


async def test_graphql_response_json_answers_identically(pair: Pair):
    """Under application/graphql-response+json both paths give the same status codes, media type and bodies:
    200 once execution started, 4xx without `data` when it never did, and a refusal of an unnamed operation
    of a document with several (which the fast path must not answer either)."""
    await build_world(pair)
    pair.accept = "application/graphql-response+json"
    server = pair.store.server_token
    two = "query A { orders(first: 2) { nodes { id } } } query B { products(first: 2) { nodes { sku } } }"
    cases: list[tuple[str, dict[str, Any] | None, str | None, dict[str, Any] | None, int, bool]] = [
        # query, variables, token, extra request fields, status, answered by the fast path
        ("{ orders(first: 3) { nodes { id status } } }", None, server, None, 200, True),
        (two, None, server, {"operationName": "B"}, 200, True),
        ("{ orders(first: 101) { nodes { id } } }", None, server, None, 200, False),  # a field error
        ("{ orders(first: 3) { nodes { nope } } }", None, server, None, 400, False),
        ("query($n: Int!) { orders(first: $n) { nodes { id } } }", {"n": "x"}, server, None, 400, False),
        ("{ orders(first: 3) { nodes { id } } }", None, None, None, 401, False),
        (two, None, server, None, 400, False),  # OPERATION_NAME_REQUIRED
    ]
    for query, variables, token, extra, status, fast in cases:
        answer = await pair.compare(query, variables, token=token, extra=extra)
        assert answer["status"] == status, (query, answer)
        assert ("data" in answer["body"]) == (status == 200), (query, answer)
        assert answer["fast"] == fast, (query, answer)


async def test_errors_fall_back_to_standard_execution(pair: Pair, monkeypatch: pytest.MonkeyPatch):
    """A resolver error, a null in a non-null position and an argument error: the standard response."""
    await build_world(pair)
    token = pair.store.server_token
    fell_back = pair.plans.fell_back
    body = (await pair.compare("{ orders(first: 101) { nodes { id } } }", token=token))["body"]
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    body = (await pair.compare('{ orders(after: "garbage") { nodes { id } } }', token=token))["body"]
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"

    async def no_orders(conn: Any, store_id: int, keys: list[int]) -> list[Any]:
        return [None for _ in keys]

    monkeypatch.setattr(Loaders, "_orders", staticmethod(no_orders))
    query = "{ orders(first: 5) { nodes { id shipments { id order { id } } } } }"
    body = (await pair.compare(query, token=token))["body"]
    # graphql-core's "Cannot return null for non-nullable field Shipment.order", masked, with its path.
    assert body["errors"][0]["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert body["errors"][0]["path"][-1] == "order"
    monkeypatch.undo()

    async def broken(conn: Any, store_id: int, keys: list[int]) -> list[Any]:
        raise RuntimeError("the database caught fire")

    monkeypatch.setattr(Loaders, "_shipments_by_order", staticmethod(broken))
    body = (await pair.compare("{ orders(first: 5) { nodes { id shipments { id } } } }", token=token))["body"]
    assert body["errors"][0]["extensions"] == {"code": "INTERNAL_SERVER_ERROR", "requestId": REQUEST_ID}
    assert pair.plans.fell_back == fell_back + 4


async def test_a_document_is_compiled_when_it_comes_back(pair: Pair):
    pair.plans.min_uses = 2
    query, token = "query Again { products(first: 2) { nodes { sku price { value } } } }", pair.store.server_token
    first = await pair.compare(query, token=token)
    second = await pair.compare(query, token=token)
    third = await pair.compare(query, token=token)
    assert (first["fast"], second["fast"], third["fast"]) == (False, True, True)
    assert first["body"] == second["body"] == third["body"]


def test_planner_leaves_what_it_does_not_cover_to_standard_execution():
    from graphql import parse

    schema = build_schema()
    covered = [
        bench_operations.CHECKOUT_PAGE,
        bench_operations.ORDER_HISTORY,
        'query { __typename checkout(id: "x") { ... on Checkout { id } ...F } } fragment F on Checkout { email }',
    ]
    for document in covered:
        assert build_plan(schema, parse(document), None) is not None, document
    not_covered = [
        bench_operations.CREATE_SHIPMENT,
        "{ __schema { queryType { name } } }",
        '{ __type(name: "Order") { name } }',
        'query($x: Boolean!) { checkout(id: "x") { id @include(if: $x) } }',
        'query($x: Boolean!) { checkout(id: "x") { ... on Checkout @skip(if: $x) { id } } }',
        "query { orders { nodes { id } } } query Other { products { nodes { id } } }",
    ]
    for document in not_covered:
        assert build_plan(schema, parse(document), None) is None, document


# --- statement counts -----------------------------------------------------------------------------------


class Counter:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, *_: Any) -> None:
        self.count += 1


async def statements(
    pair: Pair, engine: AsyncEngine, client: httpx.AsyncClient, query: str, variables: dict[str, Any], token: str
) -> int:
    counter = Counter()
    event.listen(engine.sync_engine, "before_cursor_execute", counter)
    try:
        response = await pair.post(client, query, variables, token)
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", counter)
    assert response.status_code == 200 and not response.json().get("errors"), response.text
    return counter.count


async def test_statement_counts_match_and_do_not_grow(pair: Pair, engine: AsyncEngine):
    flow = OrderFlow(pair.fast, pair.store)
    await flow.shipping()
    small = await flow.cart(SHIRT=1)
    await flow.ship(small, US_CA, SHIRT=1)
    large = await flow.cart(SHIRT=20, MUG=3, LAMP=2, CHAIR=1, SOCKS=5, EBOOK=1)
    await flow.add(
        large, *({"address": {**US_CA, "city": f"City {n}"}, "lineItems": large.units(SHIRT=1)} for n in range(20))
    )
    for consignment_id in large.consignment_ids[:5]:
        await flow.select(large, consignment_id, "Per Item")
    orders = 20
    for index in range(orders):
        order = await flow.place_order(
            lines={"SHIRT": 2, "MUG": 1, "EBOOK": 1},
            consignments=[(US_CA, {"SHIRT": 1, "MUG": 1}, "Flat Rate"), (GB_LONDON, {"SHIRT": 1}, "Per Item")],
        )
        if index % 2:
            await flow.shipped(order, 0, trackingNumber=f"T{index}", shippingProvider="UPS")

    storefront, server = pair.store.storefront_token, pair.store.server_token
    for client in (pair.fast, pair.standard):  # both apps have checked both tokens: no lookup is counted
        for token in (storefront, server):
            await pair.post(client, "{ __typename }", None, token)
    counts: dict[str, dict[str, int]] = {}
    for path, client in (("fast", pair.fast), ("standard", pair.standard)):
        counts[path] = {
            "checkout, 1 consignment": await statements(
                pair, engine, client, bench_operations.CHECKOUT_PAGE, {"id": small.id}, storefront
            ),
            "checkout, 20 consignments": await statements(
                pair, engine, client, bench_operations.CHECKOUT_PAGE, {"id": large.id}, storefront
            ),
            "orders, first 1": await statements(
                pair, engine, client, bench_operations.ORDER_HISTORY, {"first": 1}, server
            ),
            f"orders, first 50 ({orders})": await statements(
                pair, engine, client, bench_operations.ORDER_HISTORY, {"first": 50}, server
            ),
        }
    print(f"\nSQL statements per request: {counts}")
    assert counts["fast"] == counts["standard"]
    fast = list(counts["fast"].values())
    assert fast[0] == fast[1] and fast[2] == fast[3], counts


# --- driving coroutines without tasks -------------------------------------------------------------------


async def test_drive_runs_coroutines_together_like_gather():
    loop = asyncio.get_running_loop()
    shared = loop.create_future()
    started: list[str] = []

    async def wait(name: str, then: Any = None) -> str:
        started.append(name)
        value = await shared
        if then is not None:
            await asyncio.sleep(0)
            value = await then
        return f"{name}:{value}"

    later = loop.create_future()
    loop.call_soon(shared.set_result, 1)
    loop.call_later(0.01, later.set_result, 2)

    async def immediate() -> str:
        return "now"

    results = await drive([wait("a"), wait("b"), immediate(), wait("c", later)])
    assert results == ["a:1", "b:1", "now", "c:2"]
    assert started == ["a", "b", "c"]


async def test_drive_finishes_the_others_then_bails_on_an_error():
    loop = asyncio.get_running_loop()
    gate = loop.create_future()
    finished: list[str] = []

    async def failing() -> None:
        raise ValueError("boom")

    async def slow() -> str:
        await gate
        finished.append("slow")
        return "done"

    loop.call_later(0.01, gate.set_result, None)
    with pytest.raises(Bail) as raised:
        await drive([failing(), slow()])
    assert isinstance(raised.value.__cause__, ValueError)
    assert finished == ["slow"]


async def test_drive_cancelled_cancels_the_suspended_coroutines():
    loop = asyncio.get_running_loop()
    never = loop.create_future()
    cleaned: list[str] = []

    async def stuck(name: str) -> None:
        try:
            await never
        finally:
            await asyncio.sleep(0)  # cleanup that awaits, like closing a connection
            cleaned.append(name)

    task = asyncio.ensure_future(drive([stuck("a"), stuck("b")]))
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    for _ in range(5):
        await asyncio.sleep(0)
    assert sorted(cleaned) == ["a", "b"]
