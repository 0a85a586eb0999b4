"""Hostile input over HTTP: every refusal is a GraphQL JSON answer with a code, never a 500 or plain text.

Each case here is something an outsider can send without any token: malformed tokens, request bodies that
are not GraphQL requests (wrong JSON shapes, invalid UTF-8, absurd nesting, absurd numbers), requests
strawberry refuses before execution (unknown operation, missing query, unsupported content type, a mutation
over GET), crafted cursors, and ids and dates outside the database's ranges. Every answer must be a 4xx (or
a normal 200 GraphQL answer) whose body is `{"errors": [{"message", "extensions": {"code", "requestId"}}]}` (no
`data`: nothing was executed) with the same id in the X-Request-Id header, and none may write an ERROR log record or
a traceback.

The property-based tests at the end throw random bytes, random JSON values, random tokens and random
documents at the endpoint under the same requirement (bounded example counts, derandomized).
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

import anyio
import anyio.from_thread
import anyio.to_thread
import httpx
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from gateway.app import create_app
from gateway.settings import Settings
from tests.factories import data, gql
from tests.servers import running_servers

pytestmark = pytest.mark.anyio

PRODUCTS = "{ products(first: 2) { nodes { sku } } }"
JSON = {"Content-Type": "application/json"}


def cursor(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode()


def refusal(response: httpx.Response, code: str | set[str], status: int | set[int] = 400) -> dict[str, Any]:
    """The single-error GraphQL refusal in `response`, checked for status, shape, code and request id."""
    statuses = {status} if isinstance(status, int) else status
    codes = {code} if isinstance(code, str) else code
    assert response.status_code in statuses, (response.status_code, response.text)
    assert response.headers["content-type"].startswith("application/json"), response.headers
    assert response.headers.get("x-request-id"), response.headers
    body = response.json()
    assert isinstance(body, dict) and "data" not in body, body
    errors = body["errors"]
    assert errors and all(isinstance(error["message"], str) for error in errors), body
    assert {error["extensions"]["code"] for error in errors} <= codes, body
    assert all(error["extensions"]["requestId"] == response.headers["x-request-id"] for error in errors), body
    assert "Traceback" not in response.text and "RecursionError" not in response.text
    assert "recursion" not in response.text.lower()
    return errors[0]  # type: ignore[no-any-return]


@pytest.fixture
def no_error_logs(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Fails the test if anything was logged at ERROR or above, or with a traceback."""
    caplog.set_level(logging.WARNING)
    yield
    bad = [record for record in caplog.records if record.levelno >= logging.ERROR or record.exc_info]
    assert not bad, [(record.name, record.getMessage()) for record in bad]


# -- tokens ----------------------------------------------------------------------------------------------

MALFORMED_TOKENS = [
    "gwsf_²_x",  # a superscript two passes str.isdigit() but not int()
    "gwsk_²³_secret",
    "gwsf_٣_x",  # an Arabic-Indic three: int() reads it as 3
    "gwsf_99999999999_x",  # beyond int32: PostgreSQL refuses the parameter
    "gwsk_2147483648_x",
    "gwsf_999999999999999999_x",
    "gwsf_-1_x",
    "gwsf__x",
    "gwsf_1_",
    "gwsf_ 1_x",
]


@pytest.mark.parametrize("token", MALFORMED_TOKENS)
async def test_malformed_tokens_are_unauthenticated(client, store, no_error_logs, token):
    response = await client.post("/graphql", json={"query": PRODUCTS}, headers={"X-Auth-Token": header_bytes(token)})
    assert response.status_code == 200, response.text
    assert response.headers.get("x-request-id")
    body = response.json()
    assert body["data"] is None, body
    assert {error["extensions"]["code"] for error in body["errors"]} == {"UNAUTHENTICATED"}, body


def header_bytes(token: str) -> bytes:
    """The header as a client sends it: Latin-1 where it can be (what the server decodes), else UTF-8."""
    try:
        return token.encode("latin-1")
    except UnicodeEncodeError:
        return token.encode()


# -- request bodies --------------------------------------------------------------------------------------

NOT_A_REQUEST = [
    b'"x"',
    b"12",
    b"null",
    b"true",
    b"[null]",
    b'[["x"]]',
    b"[]",
    b'[{"query": "{ __typename }"}, 5]',
    b'{"query": 5}',
    b'{"query": ["{ __typename }"]}',
    b'{"query": "{ __typename }", "variables": "x"}',
    b'{"query": "{ __typename }", "variables": [1]}',
    b'{"query": "{ __typename }", "operationName": 3}',
    b'{"query": "{ __typename }", "extensions": 1}',
    b"{}",
    b'{"variables": {}}',
    b"{not json",
    b"",
    b'{"query": "{ __typename }"} trailing',
    b'{"query": "\xff\xfe{ __typename }"}',  # invalid UTF-8 inside a string
    b"\xff\xfe\x00{",
    b"\xef\xbb\xbf" + b'{"query": "{ __typename }", "variables": {"a": NaN}}',
    b"[" * 5000 + b"]" * 5000,
    b'{"query": "{ __typename }", "variables": {"a": ' + b"[" * 5000 + b"]" * 5000 + b"}}",
    b'{"query": "{ __typename }", "variables": {"n": ' + b"9" * 5000 + b"}}",
    b'{"query": "{ __typename }", "variables": {"n": 1' + b"0" * 400 + b".5e999999}}",
    b'{"query": "{ __typename }", "variables": {"v": ' + b'{"a": ' * 400 + b"1" + b"}" * 400 + b"}}",
]


@pytest.mark.parametrize("body", NOT_A_REQUEST, ids=lambda body: repr(body[:40]))
async def test_bodies_that_are_not_graphql_requests_are_bad_request(client, no_error_logs, body):
    response = await client.post("/graphql", content=body, headers=JSON)
    refusal(response, "BAD_REQUEST")


async def test_deep_json_is_refused_as_nested_too_deep(client, no_error_logs):
    deep = b'{"query": "{ __typename }", "variables": {"v": ' + b"[" * 100 + b"]" * 100 + b"}}"
    error = refusal(await client.post("/graphql", content=deep, headers=JSON), "BAD_REQUEST")
    assert "nested too deep" in error["message"]

    # The bound is 64 levels: the request object, `variables`, then 62 more; brackets in strings do not count.
    def request(levels: int, text: str = "") -> bytes:
        value = "[" * levels + json.dumps(text) + "]" * levels
        return b'{"query": "{ __typename }", "variables": {"v": ' + value.encode() + b"}}"

    for body in (request(62), request(20, "[{" * 500 + '"\\')):
        response = await client.post("/graphql", content=body, headers=JSON)
        assert response.status_code == 200 and response.json() == {"data": {"__typename": "Query"}}, response.text
    error = refusal(await client.post("/graphql", content=request(63), headers=JSON), "BAD_REQUEST")
    assert "nested too deep" in error["message"]


async def test_deep_variables_in_a_get_request_are_bad_request(client, no_error_logs):
    params = {"query": "{ __typename }", "variables": '{"v": ' + "[" * 5000 + "]" * 5000 + "}"}
    refusal(await client.get("/graphql", params=params), "BAD_REQUEST")
    params = {"query": "{ __typename }", "variables": '"x"'}
    refusal(await client.get("/graphql", params=params), "BAD_REQUEST")
    params = {"query": "{ __typename }", "variables": "{not json"}
    refusal(await client.get("/graphql", params=params), "BAD_REQUEST")


async def test_refusals_before_execution_are_graphql_json_with_a_code(client, store, no_error_logs):
    token = {"X-Auth-Token": store.server_token}
    # An operationName the document does not define.
    response = await client.post("/graphql", json={"query": "query A { __typename }", "operationName": "B"})
    refusal(response, "OPERATION_NOT_FOUND")
    # No query at all.
    refusal(await client.post("/graphql", json={"variables": {}}, headers=token), "BAD_REQUEST")
    accept_json = {**token, "Accept": "application/json"}
    refusal(await client.get("/graphql", headers=accept_json), "BAD_REQUEST")
    # Unsupported content types.
    for content_type in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", ""):
        response = await client.post(
            "/graphql", content=b'{"query": "{ __typename }"}', headers={"Content-Type": content_type}
        )
        refusal(response, "UNSUPPORTED_MEDIA_TYPE", 415)
    # A mutation over GET: the GraphQL-over-HTTP spec answers 405.
    params = {"query": 'mutation { completeCheckout(input: {checkoutId: "x"}) { errors { code } } }'}
    response = await client.get("/graphql", params=params, headers=token)
    refusal(response, "METHOD_NOT_ALLOWED", 405)
    assert response.headers["allow"] == "POST"
    # Methods other than GET and POST.
    for method in ("PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"):
        response = await client.request(method, "/graphql", headers=token)
        assert response.status_code == 405, (method, response.text)
        assert response.headers["allow"] == "GET, POST"
        if method != "HEAD":
            refusal(response, "METHOD_NOT_ALLOWED", 405)
    # A document that does not parse.
    response = await client.get("/graphql", params={"query": "{ products("}, headers=token)
    assert response.status_code < 500
    assert {error["extensions"]["code"] for error in response.json()["errors"]} <= {
        "GRAPHQL_PARSE_FAILED",
        "GRAPHQL_VALIDATION_FAILED",
    }


# -- cursors, ids and dates out of range ------------------------------------------------------------------

OUT_OF_RANGE_CURSORS = [
    ("products", cursor("product:" + "9" * 20)),
    ("products", cursor("product:-5")),
    ("products", cursor("product:²")),
    ("products", cursor("product:" + "9" * 5000)),
    ("checkouts", cursor("checkout:0001-01-01T00:00:00+05:00|x")),
    ("checkouts", cursor("checkout:9999-12-31T23:59:59-05:00|x")),
    ("checkouts", cursor("checkout:2026-01-01T00:00:00|x")),
    ("checkouts", cursor("checkout:2026-01-01T00:00:00+00:00|\x00")),
    ("checkouts", cursor("checkout:2026-01-01T00:00:00+00:00|" + "x" * 5000)),
    ("orders", cursor("order:2026-01-01T00:00:00+00:00|" + "9" * 20)),
    ("orders", cursor("order:2026-01-01T00:00:00+00:00|-1")),
    ("orders", cursor("order:0001-01-01T00:00:00+01:00|1")),
    ("orders", cursor("order:9999-12-31T23:00:00-10:00|1")),
    ("orders", cursor("order:2026-01-01T00:00:00+00:00|²")),
]


@pytest.mark.parametrize(("field", "after"), OUT_OF_RANGE_CURSORS)
async def test_crafted_cursors_are_bad_user_input(client, store, no_error_logs, field, after):
    token = store.storefront_token if field == "products" else store.server_token
    query = f"query($after: String) {{ {field}(first: 2, after: $after) {{ nodes {{ __typename }} }} }}"
    response = await client.post(
        "/graphql", json={"query": query, "variables": {"after": after}}, headers={"X-Auth-Token": token}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["data"] is None, body
    assert {error["extensions"]["code"] for error in body["errors"]} == {"BAD_USER_INPUT"}, body


@pytest.mark.parametrize(
    "moment",
    ["0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00", "9999-12-31T23:59:59"],
)
@pytest.mark.parametrize("bound", ["createdAfter", "createdBefore"])
async def test_extreme_dates_in_filters_are_refused_or_match_nothing(client, store, no_error_logs, moment, bound):
    query = "query($f: OrderFilter) { orders(first: 2, filter: $f) { nodes { id } } }"
    response = await client.post(
        "/graphql",
        json={"query": query, "variables": {"f": {bound: moment}}},
        headers={"X-Auth-Token": store.server_token},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    if body.get("errors"):
        assert body["data"] is None, body
        assert {error["extensions"]["code"] for error in body["errors"]} == {"BAD_USER_INPUT"}, body
    else:
        assert body["data"]["orders"]["nodes"] == []
    # The same as a literal in the document.
    literal = f'{{ orders(first: 2, filter: {{{bound}: "{moment}"}}) {{ nodes {{ id }} }} }}'
    body = await gql(client, literal, token=store.server_token)
    if body.get("errors"):
        assert {error["extensions"]["code"] for error in body["errors"]} == {"BAD_USER_INPUT"}, body
    else:
        assert body["data"]["orders"]["nodes"] == []


ID_FIELDS = [
    'order(id: "{id}") {{ id }}',
    'checkout(id: "{id}") {{ id }}',
]


@pytest.mark.parametrize("value", ["9" * 20, "-1", "-" + "9" * 20, "0", "²", "1e3", "9" * 5000, " 7 "])
async def test_ids_outside_the_database_range_are_not_found(client, store, no_error_logs, value):
    for field in ID_FIELDS:
        body = await gql(client, "{ " + field.format(id=value) + " }", token=store.server_token)
        assert "errors" not in body, body
        assert list(data(body).values()) == [None]
    # Mutations with integer-backed ids answer NOT_FOUND in the payload.
    mutation = 'mutation { cancelOrder(input: {orderId: "' + value + '"}) { errors { code } } }'
    body = await gql(client, mutation, token=store.server_token)
    assert "errors" not in body, body
    assert [error["code"] for error in data(body)["cancelOrder"]["errors"]] == ["NOT_FOUND"]


# -- production hides the schema ------------------------------------------------------------------------

#: (document, variables, the schema name a suggestion would reveal)
SUGGESTION_BAITS = [
    ('{ checkout(id: "x") { emai } }', None, "email"),
    ("{ orders(frist: 2) { nodes { id } } }", None, "first"),
    ("{ orders(filter: {status: SHIPED}) { nodes { id } } }", None, "SHIPPED"),
    ("query($f: OrderFilter) { orders(filter: $f) { nodes { id } } }", {"f": {"status": "SHIPED"}}, "SHIPPED"),
    ("query($f: OrderFiltr) { orders(filter: $f) { nodes { id } } }", {"f": {}}, "OrderFilter"),
    ("query($f: OrderFilter) { orders(filter: $f) { nodes { id } } }", {"f": {"statuss": "SHIPPED"}}, "status"),
    ('mutation { cancelOrder(input: {orderId: "1", ordrId: "1"}) { errors { code } } }', None, "orderId"),
    ("{ ... on Quer { __typename } }", None, "Query"),
]


def _app(database_url: str, engine: Any, environment: str) -> Any:
    return create_app(
        Settings(database_url=database_url, host="127.0.0.1", port=0, environment=environment), engine=engine
    )


@pytest.mark.parametrize(("document", "variables", "hidden"), SUGGESTION_BAITS, ids=lambda value: str(value)[:30])
async def test_production_never_suggests_schema_names(database_url, engine, store, document, variables, hidden):
    payload = {"query": document, "variables": variables or {}}
    headers = {"X-Auth-Token": store.server_token}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=_app(database_url, engine, "development")), base_url="http://gateway.test"
    ) as development:
        text = (await development.post("/graphql", json=payload, headers=headers)).text
    assert "Did you mean" in text and f"'{hidden}'" in text, text  # the bait works outside production
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=_app(database_url, engine, "production")), base_url="http://gateway.test"
    ) as production:
        response = await production.post("/graphql", json=payload, headers=headers)
    assert response.status_code < 500, response.text
    assert "Did you mean" not in response.text and f"'{hidden}'" not in response.text, response.text
    assert all(error["extensions"]["code"] for error in response.json()["errors"])


# -- a real server: the log stays clean -----------------------------------------------------------------


@pytest.mark.parametrize("environment", ["test", "production"])
async def test_hostile_requests_leave_no_traceback_in_the_server_log(database_url, tmp_path, store, environment):
    """Against uvicorn: every case above is refused with a code and the server log holds no error or traceback;
    with GATEWAY_ENV=production no answer suggests a schema name."""
    env = {"GATEWAY_REQUEST_LOG": "0", "GATEWAY_ENV": environment}
    with running_servers(database_url, tmp_path, count=1, env=env) as (server,):
        async with server.client() as client:
            for document, variables, hidden in SUGGESTION_BAITS:
                payload = {"query": document, "variables": variables or {}}
                response = await client.post("/graphql", json=payload, headers={"X-Auth-Token": store.server_token})
                assert response.status_code == 200 and response.json()["errors"], response.text
                suggested = "Did you mean" in response.text and f"'{hidden}'" in response.text
                assert suggested is (environment != "production"), response.text
            for token in MALFORMED_TOKENS:
                headers = {"X-Auth-Token": header_bytes(token)}
                response = await client.post("/graphql", json={"query": PRODUCTS}, headers=headers)
                assert response.status_code == 200 and response.json()["errors"], response.text
            for body in NOT_A_REQUEST:
                refusal(await client.post("/graphql", content=body, headers=JSON), "BAD_REQUEST")
            for field, after in OUT_OF_RANGE_CURSORS:
                query = f'{{ {field}(after: "{after}") {{ nodes {{ __typename }} }} }}'
                response = await client.post(
                    "/graphql", json={"query": query}, headers={"X-Auth-Token": store.server_token}
                )
                assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", response.text
        log = server.log()
    assert "Traceback" not in log and "ERROR" not in log, log[-4000:]


# -- property-based: random bytes, JSON, tokens and documents ------------------------------------------

PROPERTY_SETTINGS = settings(
    derandomize=True,
    database=None,
    deadline=None,
    phases=(Phase.explicit, Phase.generate),
    suppress_health_check=list(HealthCheck),
    print_blob=False,
)

CONTENT_TYPES = st.sampled_from(
    [
        "application/json",
        "application/json; charset=utf-8",
        "application/graphql-response+json",
        "application/graphql",
        "text/plain",
        "multipart/form-data",
        "application/x-www-form-urlencoded",
        "",
        "application/json; charset=latin-1",
    ]
)
DIGITS = st.text(alphabet=st.characters(categories=["Nd", "No"]), min_size=0, max_size=25)
UNICODE = st.text(alphabet=st.characters(blacklist_categories=["Cc", "Cs"]), max_size=40)
TOKENS = st.one_of(
    st.none(),
    st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=80),
    UNICODE,
    st.builds(
        lambda prefix, digits, secret: f"{prefix}_{digits}_{secret}",
        st.sampled_from(["gwsf", "gwsk", "gw", "GWSF"]),
        st.one_of(DIGITS, UNICODE, st.integers(min_value=-(2**70), max_value=2**70).map(str)),
        st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=50),
    ),
)


def json_values(max_leaves: int = 30) -> st.SearchStrategy[Any]:
    leaves = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(10**30), max_value=10**30),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(max_size=30),
        st.sampled_from(["{ __typename }", "query A { __typename }", PRODUCTS, "mutation { x }", "{"]),
    )
    return st.recursive(
        leaves,
        lambda children: st.one_of(
            st.lists(children, max_size=4), st.dictionaries(st.text(max_size=12), children, max_size=4)
        ),
        max_leaves=max_leaves,
    )


def _nested(depth: int, leaf: str) -> str:
    return "[" * depth + leaf + "]" * depth


REQUEST_KEYS = st.sampled_from(["query", "variables", "operationName", "extensions", "documentId"])
REQUEST_OBJECTS = st.dictionaries(REQUEST_KEYS, json_values(), max_size=4)
BODIES = st.one_of(
    st.binary(max_size=200),
    json_values().map(lambda value: json.dumps(value).encode()),
    REQUEST_OBJECTS.map(lambda value: json.dumps(value).encode()),
    st.lists(REQUEST_OBJECTS, max_size=3).map(lambda value: json.dumps(value).encode()),
    st.builds(
        lambda depth, digits: (
            '{"query": "{ __typename }", "variables": {"v": ' + _nested(depth, "9" * digits) + "}}"
        ).encode(),
        st.integers(min_value=0, max_value=3000),
        st.integers(min_value=1, max_value=6000),
    ),
)
DOCUMENTS = st.one_of(
    st.text(max_size=100),
    st.sampled_from([PRODUCTS, "{ __typename }", "{ orders(first: 1) { nodes { id } } }", "subscription { x }"]),
    st.builds(lambda n: "{ " * n + "}" * n, st.integers(min_value=0, max_value=3000)),
)


def check_answer(response: httpx.Response) -> None:
    assert response.status_code < 500, (response.status_code, response.text[:500])
    assert response.headers.get("x-request-id"), response.headers
    assert response.headers["content-type"].startswith("application/json"), (response.headers, response.text[:200])
    body = response.json()
    answers = body if isinstance(body, list) else [body]
    assert answers, body
    for answer in answers:
        # A GraphQL response: `data` once execution started; a refusal (4xx) has none.
        assert isinstance(answer, dict) and ("data" in answer) == (response.status_code < 400), body
        for error in answer.get("errors") or ():
            assert isinstance(error["message"], str) and error["extensions"]["code"], body
        if answer.get("errors") is None:
            assert isinstance(answer["data"], dict), body
        if response.status_code >= 400:
            assert answer["errors"], body
            assert answer["errors"][0]["extensions"]["requestId"] == response.headers["x-request-id"], body
    assert "Traceback" not in response.text


def run_property(test: Callable[..., None], strategy: st.SearchStrategy[Any], examples: int) -> Callable[[], None]:
    @settings(PROPERTY_SETTINGS, max_examples=examples)
    @given(strategy)
    def prop(example: Any) -> None:
        test(example)

    return prop


async def test_random_requests_always_get_a_graphql_json_answer(client, store, caplog):
    """Random bytes and JSON as POST bodies, random tokens and documents over POST and GET."""
    caplog.set_level(logging.WARNING)
    posts: list[tuple[bytes, str, str | None]] = []

    async def post(body: bytes, content_type: str, token: str | None) -> None:
        headers: dict[str, Any] = {"Content-Type": content_type}
        if token is not None:
            headers["X-Auth-Token"] = header_bytes(token)
        check_answer(await client.post("/graphql", content=body, headers=headers))

    async def get(document: str, token: str | None, variables: str | None) -> None:
        headers = {"X-Auth-Token": header_bytes(token)} if token is not None else {}
        params = {"query": document} if variables is None else {"query": document, "variables": variables}
        check_answer(await client.get("/graphql", params=params, headers=headers))

    def send_post(example: tuple[bytes, str, str | None]) -> None:
        posts.append(example)
        anyio.from_thread.run(post, *example)

    def send_get(example: tuple[str, str | None, str | None]) -> None:
        anyio.from_thread.run(get, *example)

    def send_document(example: tuple[str, str | None, Any]) -> None:
        document, token, variables = example
        body = json.dumps({"query": document, "variables": variables}).encode()
        anyio.from_thread.run(post, body, "application/json", token)

    # Header values may hold any character but controls (which no HTTP client sends).
    safe_tokens = TOKENS.filter(lambda token: token is None or all(ord(c) >= 0x20 and c != "\x7f" for c in token))
    await anyio.to_thread.run_sync(run_property(send_post, st.tuples(BODIES, CONTENT_TYPES, safe_tokens), 90))
    variables_text = st.one_of(st.none(), json_values().map(json.dumps), st.text(max_size=30))
    await anyio.to_thread.run_sync(run_property(send_get, st.tuples(DOCUMENTS, safe_tokens, variables_text), 40))
    documents = st.tuples(DOCUMENTS, st.one_of(safe_tokens, st.just(store.storefront_token)), json_values())
    await anyio.to_thread.run_sync(run_property(send_document, documents, 70))
    assert posts  # the property really ran
    bad = [record for record in caplog.records if record.levelno >= logging.ERROR or record.exc_info]
    assert not bad, [(record.name, record.getMessage()) for record in bad]
