"""Analysis is linear in the document: fragments that spread the next one twice cannot stall the process.

`query { ...F0 } fragment F0 on Query { ...F1 ...F1 } ... fragment Fn on Query { __typename }` (918 bytes at
n = 22) used to be walked 2^n times by the limit and permission walkers; now every named fragment is walked
once. The proof counts the selections the walker visits (`OperationWalker.on_walked`), never time: at most
once per selection of the document, so doubling the levels (15 -> 30) doubles the visits instead of
multiplying them by 2^15. The document is answered, with its limit refusal (default limits) or its data
(a deployment with a huge cost limit: then execution and the compiled read path run too), and `/health`
answers while a real server analyses it. A refused document never touches the database, not even to look
up its token.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from graphql import FieldNode, FragmentSpreadNode, InlineFragmentNode, parse, visit
from graphql.language import Visitor

from gateway.api.analysis import OperationAnalysis, OperationWalker
from gateway.app import create_app
from gateway.settings import Settings
from tests.factories import StoreFixture, gql
from tests.servers import GatewayServer, running_servers

pytestmark = pytest.mark.anyio

#: A cost limit no document reaches: the walk and execution then run to the end.
UNLIMITED_COST = 2**62


def doubling(
    levels: int, *, head: str = "query Doubling { ...F0 }", on: str = "Query", leaf: str = "__typename", body: str = ""
) -> str:
    """`levels` fragments, each spreading the next twice (after `body`), the last selecting `leaf`."""
    fragments = " ".join(f"fragment F{i} on {on} {{ {body} ...F{i + 1} ...F{i + 1} }}" for i in range(levels))
    return f"{head} {fragments} fragment F{levels} on {on} {{ {leaf} }}"


def nested_inline(levels: int) -> str:
    """Each fragment spreads the next twice, each time inside an inline fragment."""
    fragments = " ".join(
        f"fragment F{i} on Product {{ ... on Product {{ sku ...F{i + 1} }} ... {{ name ...F{i + 1} }} }}"
        for i in range(levels)
    )
    head = "query Inline { products(first: 1) { nodes { ...F0 } } }"
    return f"{head} {fragments} fragment F{levels} on Product {{ id }}"


PRODUCT_HEAD = "query Products { products(first: 1) { nodes { ...F0 } } }"
MANY_FIELDS = "id sku name weight requiresShipping price { value currencyCode }"

VARIANTS = {
    "query": lambda n: doubling(n),
    "object field": lambda n: doubling(n, head=PRODUCT_HEAD, on="Product", leaf="sku"),
    "many fields": lambda n: doubling(n, head=PRODUCT_HEAD, on="Product", leaf="sku", body=MANY_FIELDS),
    "inline fragments": nested_inline,
}


def selections(document: str) -> int:
    """Fields, inline fragments and fragment spreads written in the document."""
    count = 0

    class Counter(Visitor):
        def enter(self, node: Any, *_: Any) -> None:
            nonlocal count
            if isinstance(node, FieldNode | InlineFragmentNode | FragmentSpreadNode):
                count += 1

    visit(parse(document), Counter())
    return count


@pytest.fixture
def walks(monkeypatch: pytest.MonkeyPatch) -> list[OperationAnalysis]:
    """Every fresh analysis the walker makes during the test."""
    seen: list[OperationAnalysis] = []
    monkeypatch.setattr(OperationWalker, "on_walked", seen.append)
    return seen


@pytest.fixture
async def unlimited_client(database_url: str, engine: Any) -> Any:
    """The app of a deployment whose cost limit no document reaches."""
    settings = Settings(
        database_url=database_url,
        host="127.0.0.1",
        port=0,
        environment="test",
        token_cache_ttl_s=0,
        max_query_cost=UNLIMITED_COST,
    )
    app = create_app(settings, engine=engine)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway.test") as client:
        yield client


async def visits_for(client: httpx.AsyncClient, walks: list[OperationAnalysis], document: str, token: str | None):
    walks.clear()
    body = await gql(client, document, token=token)
    assert len(walks) == 1, walks  # one walk of the one operation, shared by limits and access control
    return body, walks[0].visits


async def test_doubling_fragments_are_refused_after_linear_visits(client, store, walks, sql_counter):
    for name, token in (("NoToken", None), ("Storefront", store.storefront_token)):
        visits = {}
        for levels in (15, 30):
            document = doubling(levels, head=f"query {name} {{ ...F0 }}")
            sql_counter.reset()
            body, visits[levels] = await visits_for(client, walks, document, token)
            assert body["data"] is None, body
            assert [error["extensions"]["code"] for error in body["errors"]] == ["QUERY_TOO_COMPLEX"], body
            assert visits[levels] <= selections(document)
            # Refused by analysis: the token was never looked up, nothing reached the database.
            assert sql_counter.count == 0, sql_counter.statements
        assert visits[30] <= 2 * visits[15] + 2, visits


@pytest.mark.parametrize("shape", list(VARIANTS))
async def test_doubling_fragments_are_answered_after_linear_visits(unlimited_client, store, walks, shape):
    """With a cost limit no document reaches, the whole walk, access control, execution and the compiled read
    path (the second time a document is seen) all run, and the answer is the normal one."""
    build = VARIANTS[shape]
    visits = {}
    for levels in (15, 30):
        document = build(levels)
        body, visits[levels] = await visits_for(unlimited_client, walks, document, store.storefront_token)
        assert "errors" not in body, body
        assert body["data"] == {"__typename": "Query"} or len(body["data"]["products"]["nodes"]) == 1, body
        # Each selection of the document is visited at most once, however often its fragment is spread.
        assert visits[levels] <= selections(document), (visits[levels], selections(document))
        again = await gql(unlimited_client, document, token=store.storefront_token)  # the compiled plan answers
        assert again == body
        assert len(walks) == 1  # the repeat was not walked again
    assert visits[30] <= 2 * visits[15] + 2, visits


async def test_batch_shares_one_analysis_per_document(client, store, walks):
    document = doubling(30)
    response = await client.post("/graphql", json=[{"query": document}] * 5)
    assert response.status_code == 200, response.text
    assert [result["errors"][0]["extensions"]["code"] for result in response.json()] == ["QUERY_TOO_COMPLEX"] * 5
    assert len(walks) == 1


@pytest.fixture
def unlimited_server(database_url: str, tmp_path: Path) -> Iterator[GatewayServer]:
    env = {"GATEWAY_MAX_QUERY_COST": str(UNLIMITED_COST)}
    with running_servers(database_url, tmp_path / "server-logs", count=1, env=env) as (started,):
        yield started


#: /health must answer while the documents are analysed; before the fix it waited minutes.
HEALTH_TIMEOUT_S = 10.0


async def test_health_answers_while_a_real_server_analyses_doubling_documents(unlimited_server, store: StoreFixture):
    documents = [doubling(30), doubling(30, head=PRODUCT_HEAD, on="Product", leaf="sku"), nested_inline(30)]
    results: dict[str, Any] = {}
    async with unlimited_server.client(timeout=60.0) as client:

        async def analyse(index: int, document: str) -> None:
            response = await client.post(
                "/graphql", json={"query": document}, headers={"X-Auth-Token": store.storefront_token}
            )
            results[f"doc{index}"] = response

        async def health() -> None:
            results["health"] = await client.get("/health", timeout=HEALTH_TIMEOUT_S)

        async with anyio.create_task_group() as group:
            for index, document in enumerate(documents):
                group.start_soon(analyse, index, document)
            group.start_soon(health)

    assert results["health"].status_code == 200
    for index in range(len(documents)):
        response = results[f"doc{index}"]
        assert response.status_code == 200, response.text
        assert "errors" not in response.json(), response.json()
    assert "Traceback" not in unlimited_server.log()


async def test_documents_that_fail_to_parse_or_validate_never_reach_the_database(client, store, sql_counter):
    """The token is looked up only after parsing and validation succeeded."""
    invalid = {"GRAPHQL_PARSE_FAILED", "GRAPHQL_VALIDATION_FAILED"}
    for document in (
        "{ products(first: 1) { nodes { sku }",
        "{ products(first: 1) { nodes { nope } } }",
        "fragment A on Query { ...B } fragment B on Query { ...A } { ...A }",
    ):
        for token in (store.storefront_token, "gwsf_1_not-a-real-secret"):
            sql_counter.reset()
            body = await gql(client, document, token=token)
            assert body["data"] is None, body
            assert {error["extensions"]["code"] for error in body["errors"]} <= invalid, body
            assert sql_counter.count == 0, (document, sql_counter.statements)
    # A valid document looks the token up (once) and is answered.
    sql_counter.reset()
    body = await gql(client, "{ products(first: 1) { nodes { sku } } }", token=store.storefront_token)
    assert body == {"data": {"products": {"nodes": [{"sku": "SHIRT"}]}}}
    assert sql_counter.count > 0
