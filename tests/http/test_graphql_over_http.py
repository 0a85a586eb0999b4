"""GraphQL over HTTP (gateway/api/graphql_http.py): response media types, status codes and refusal codes.

- `Accept` picks `application/graphql-response+json` or `application/json` (absent: application/json); a client
  accepting neither gets 406 NOT_ACCEPTABLE.
- Under `application/graphql-response+json` a request that never reached execution (parse, validation, variable
  coercion, a query limit, access control) has no `data` and a 4xx/5xx status; once execution started it is 200.
  Under `application/json` those stay 200 with `data: null`, as existing clients expect.
- Every refusal is GraphQL JSON in the negotiated media type, without `data`, with a specific code and the
  request id in `extensions.requestId` and `X-Request-Id`.
- A document with several operations and no `operationName` is refused (it used to run the first), on the
  standard and the compiled (fast) path alike.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from gateway.api.fastpath import PlanCache

pytestmark = pytest.mark.anyio

GRAPHQL_RESPONSE = "application/graphql-response+json"
GR_JSON = {"Accept": GRAPHQL_RESPONSE}
APP_JSON = {"Accept": "application/json"}
PRODUCTS = "query Catalog { products(first: 2) { nodes { sku } } }"
TWO_QUERIES = (
    "query First { products(first: 1) { nodes { sku } } } query Second { products(first: 2) { nodes { id } } }"
)


def media_type(response: httpx.Response) -> str:
    return response.headers["content-type"].split(";")[0].strip()


def refusal(response: httpx.Response, status: int, code: str, media: str = "application/json") -> dict[str, Any]:
    """The one error of a refusal: status, media type, no `data`, the code, the request id in body and header."""
    assert response.status_code == status, (response.status_code, response.text)
    assert media_type(response) == media, response.headers
    if media == GRAPHQL_RESPONSE:
        assert response.headers["content-type"] == f"{GRAPHQL_RESPONSE}; charset=utf-8"
    body = response.json()
    assert "data" not in body, body
    (error,) = body["errors"]
    assert error["extensions"]["code"] == code, body
    assert error["extensions"]["requestId"] == response.headers["x-request-id"], (body, response.headers)
    assert isinstance(error["message"], str) and error["message"], body
    return error  # type: ignore[no-any-return]


# --- media types -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, "application/json"),
        ("", "application/json"),
        ("application/json", "application/json"),
        ("application/json; charset=utf-8", "application/json"),
        (GRAPHQL_RESPONSE, GRAPHQL_RESPONSE),
        # What the specification tells clients to send when unsure.
        (f"{GRAPHQL_RESPONSE}, application/json;q=0.9", GRAPHQL_RESPONSE),
        # Both named at the same quality: the specification's own type.
        (f"application/json, {GRAPHQL_RESPONSE}", GRAPHQL_RESPONSE),
        (f"{GRAPHQL_RESPONSE};q=0.5, application/json", "application/json"),
        ("*/*", "application/json"),
        ("application/*", "application/json"),
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "application/json"),
        (f"{GRAPHQL_RESPONSE}, */*", GRAPHQL_RESPONSE),
        ("application/json, */*", "application/json"),
        (f"{GRAPHQL_RESPONSE};q=0, */*", "application/json"),
        ("APPLICATION/GRAPHQL-RESPONSE+JSON", GRAPHQL_RESPONSE),
    ],
)
async def test_the_response_media_type_follows_accept(client, accept, expected):
    headers = {} if accept is None else {"Accept": accept}
    response = await client.post("/graphql", json={"query": "{ __typename }"}, headers=headers)
    assert response.status_code == 200, response.text
    assert media_type(response) == expected, response.headers
    assert response.json() == {"data": {"__typename": "Query"}}
    # GET answers the same way.
    response = await client.get("/graphql", params={"query": "{ __typename }"}, headers=headers)
    assert response.status_code == 200 and media_type(response) == expected, (response.headers, response.text)


@pytest.mark.parametrize(
    "accept", ["text/html", "application/xml", "application/json;q=0", "application/graphql+json", "image/*"]
)
async def test_accepting_neither_media_type_is_406(client, accept):
    response = await client.post("/graphql", json={"query": "{ __typename }"}, headers={"Accept": accept})
    refusal(response, 406, "NOT_ACCEPTABLE")
    response = await client.get("/graphql", params={"query": "{ __typename }"}, headers={"Accept": accept})
    refusal(response, 406, "NOT_ACCEPTABLE")


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        # Without a single well-formed media range the header is ignored, as if absent.
        (",", "application/json"),
        (" ; ;, ", "application/json"),
        ("application/json;q=abc", "application/json"),  # a malformed q drops the range
        ("application/json;q=2", "application/json"),
        ("*/*;q=nan", "application/json"),
        # A well-formed range that matches neither type.
        ("application/json/x, text/*", None),
        (f"{GRAPHQL_RESPONSE};q=0.001", GRAPHQL_RESPONSE),
        ("application/json;q=0.5;charset=utf-8, text/html;q=1", "application/json"),
        (", ".join(["text/html"] * 2000 + [f"{GRAPHQL_RESPONSE};q=0.1"]), GRAPHQL_RESPONSE),
    ],
)
async def test_odd_accept_headers_get_a_media_type_or_406(client, accept, expected):
    response = await client.post("/graphql", json={"query": "{ __typename }"}, headers={"Accept": accept})
    if expected is None:
        refusal(response, 406, "NOT_ACCEPTABLE")
    else:
        assert response.status_code == 200 and media_type(response) == expected, (response.headers, response.text)


# --- status codes ----------------------------------------------------------------------------------------

TOO_MANY_ALIASES = "{ " + " ".join(f"a{index}: __typename" for index in range(40)) + " }"
# graphql-core coerces variables when execution starts: a token is needed to get that far.
COERCION = "query Page($n: Int!) { products(first: $n) { nodes { sku } } }"


@pytest.mark.parametrize(
    ("query", "variables", "code"),
    [
        ("{", None, "GRAPHQL_VALIDATION_FAILED"),  # does not parse
        ("{ noSuchField }", None, "GRAPHQL_VALIDATION_FAILED"),
        ("query Unused($id: ID!) { __typename }", {"id": None}, "GRAPHQL_VALIDATION_FAILED"),
        (COERCION, {"n": "two"}, "GRAPHQL_VALIDATION_FAILED"),
        (COERCION, {}, "GRAPHQL_VALIDATION_FAILED"),
        (TOO_MANY_ALIASES, None, "TOO_MANY_ALIASES"),  # a query limit is a validation error
    ],
)
async def test_request_errors_are_400_without_data_under_graphql_response_json(client, store, query, variables, code):
    token = {"X-Auth-Token": store.storefront_token}
    request = {"query": query, "variables": variables}
    response = await client.post("/graphql", json=request, headers={**GR_JSON, **token})
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == f"{GRAPHQL_RESPONSE}; charset=utf-8"
    body = response.json()
    assert "data" not in body and body["errors"], body
    assert {error["extensions"]["code"] for error in body["errors"]} == {code}, body
    assert {error["extensions"]["requestId"] for error in body["errors"]} == {response.headers["x-request-id"]}

    # application/json (or no Accept at all): unchanged for existing clients, 200 with data null.
    for headers in (APP_JSON, {}):
        response = await client.post("/graphql", json=request, headers={**headers, **token})
        assert response.status_code == 200 and media_type(response) == "application/json", response.text
        body = response.json()
        assert body["data"] is None and {error["extensions"]["code"] for error in body["errors"]} == {code}, body


async def test_a_request_id_never_leaks_into_another_requests_answer(client):
    # Validation results are cached per document: the id added to one answer must not stick to the cached errors.
    request = {"query": "{ leakCheck }"}
    first = await client.post("/graphql", json=request, headers={**GR_JSON, "X-Request-Id": "first-1"})
    assert first.json()["errors"][0]["extensions"]["requestId"] == "first-1", first.text
    second = await client.post("/graphql", json=request, headers=APP_JSON)
    assert "first-1" not in second.text, second.text
    third = await client.post("/graphql", json=request, headers={**GR_JSON, "X-Request-Id": "third-3"})
    assert third.json()["errors"][0]["extensions"]["requestId"] == "third-3", third.text


async def test_executed_requests_are_200_with_data_even_with_field_errors(client, store):
    token = {"X-Auth-Token": store.storefront_token}
    response = await client.post("/graphql", json={"query": PRODUCTS}, headers={**GR_JSON, **token})
    assert response.status_code == 200 and media_type(response) == GRAPHQL_RESPONSE, response.text
    assert response.json()["data"]["products"]["nodes"]
    # `first` out of range is found by the resolver: execution started, so 200 with the data entry.
    query = "{ __typename products(first: 500) { nodes { sku } } }"
    response = await client.post("/graphql", json={"query": query}, headers={**GR_JSON, **token})
    assert response.status_code == 200, response.text
    body = response.json()
    assert "data" in body and body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", body
    assert body["errors"][0]["path"] == ["products"], body


async def test_access_refusals_are_401_and_403_under_graphql_response_json(client, store):
    response = await client.post("/graphql", json={"query": PRODUCTS}, headers=GR_JSON)
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"].startswith("Bearer"), response.headers
    body = response.json()
    assert "data" not in body and body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED", body
    assert body["errors"][0]["extensions"]["requestId"] == response.headers["x-request-id"], body

    orders = "{ orders(first: 1) { nodes { id } } }"
    headers = {**GR_JSON, "X-Auth-Token": store.storefront_token}
    response = await client.post("/graphql", json={"query": orders}, headers=headers)
    assert response.status_code == 403, response.text
    body = response.json()
    assert "data" not in body and {error["extensions"]["code"] for error in body["errors"]} == {"FORBIDDEN"}, body

    # application/json: the same refusals stay 200 with data null.
    response = await client.post("/graphql", json={"query": PRODUCTS})
    assert response.status_code == 200 and response.json()["data"] is None, response.text
    assert "www-authenticate" not in response.headers


async def test_a_batch_is_200_with_one_answer_per_operation(client, store):
    headers = {**GR_JSON, "X-Auth-Token": store.storefront_token}
    response = await client.post("/graphql", json=[{"query": PRODUCTS}, {"query": "{ nope }"}], headers=headers)
    assert response.status_code == 200 and media_type(response) == GRAPHQL_RESPONSE, response.text
    executed, invalid = response.json()
    assert executed["data"]["products"]["nodes"], executed
    assert "data" not in invalid and invalid["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


# --- refusals: codes, statuses, headers --------------------------------------------------------------------

MUTATION = 'mutation { deleteConsignment(input: {checkoutId: "x", consignmentId: "y"}) { errors { code } } }'


async def request_of(client: httpx.AsyncClient, case: str, headers: dict[str, str]) -> httpx.Response:
    post = {
        "unknown operationName": {"json": {"query": "query A { __typename }", "operationName": "B"}},
        "no operation": {"json": {"query": "fragment F on Query { __typename }"}},
        "several operations, no name": {"json": {"query": TWO_QUERIES}},
        "variables not an object": {"json": {"query": "{ __typename }", "variables": "x"}},
        "operationName not a string": {"json": {"query": "{ __typename }", "operationName": 1}},
        "no query": {"json": {"variables": {}}},
        "not JSON": {"content": b'{"query": ', "headers": {"Content-Type": "application/json"}},
        "empty body": {"content": b"", "headers": {"Content-Type": "application/json"}},
        "text/plain": {"content": b'{"query": "{ __typename }"}', "headers": {"Content-Type": "text/plain"}},
        "no content type": {"content": b'{"query": "{ __typename }"}', "headers": {"Content-Type": ""}},
        "batch too large": {"json": [{"query": "{ __typename }"}] * 11},
        "body too large": {"content": b" " * 1_048_577, "headers": {"Content-Type": "application/json"}},
    }
    get = {
        "mutation over GET": {"query": MUTATION},
        "several operations over GET, no name": {"query": "mutation M { __typename } query Q { __typename }"},
        "unknown operationName over GET": {"query": "query A { __typename }", "operationName": "B"},
        "variables over GET not JSON": {"query": "{ __typename }", "variables": "{x"},
    }
    if case in post:
        request = post[case]
        return await client.post(
            "/graphql",
            json=request.get("json"),
            content=request.get("content"),
            headers={**headers, **request.get("headers", {})},
        )
    if case in get:
        return await client.get("/graphql", params=get[case], headers=headers)
    return await client.request(case, "/graphql", headers=headers)


REFUSALS = [
    ("unknown operationName", 400, "OPERATION_NOT_FOUND"),
    ("unknown operationName over GET", 400, "OPERATION_NOT_FOUND"),
    ("no operation", 400, "OPERATION_NOT_FOUND"),
    ("several operations, no name", 400, "OPERATION_NAME_REQUIRED"),
    # Which operation would run decides whether GET may run it: ambiguity is refused before the method check.
    ("several operations over GET, no name", 400, "OPERATION_NAME_REQUIRED"),
    ("variables not an object", 400, "BAD_REQUEST"),
    ("variables over GET not JSON", 400, "BAD_REQUEST"),
    ("operationName not a string", 400, "BAD_REQUEST"),
    ("no query", 400, "BAD_REQUEST"),
    ("not JSON", 400, "BAD_REQUEST"),
    ("empty body", 400, "BAD_REQUEST"),
    ("text/plain", 415, "UNSUPPORTED_MEDIA_TYPE"),
    ("no content type", 415, "UNSUPPORTED_MEDIA_TYPE"),
    ("mutation over GET", 405, "METHOD_NOT_ALLOWED"),
    ("PUT", 405, "METHOD_NOT_ALLOWED"),
    ("DELETE", 405, "METHOD_NOT_ALLOWED"),
    ("PATCH", 405, "METHOD_NOT_ALLOWED"),
    ("batch too large", 400, "TOO_MANY_OPERATIONS"),
    ("body too large", 413, "REQUEST_TOO_LARGE"),
]


@pytest.mark.parametrize(("case", "status", "code"), REFUSALS, ids=[case for case, _, _ in REFUSALS])
@pytest.mark.parametrize("accept", [None, "application/json", GRAPHQL_RESPONSE])
async def test_refusals_have_their_own_code_status_and_request_id(client, store, case, status, code, accept):
    headers = {"X-Auth-Token": store.server_token, **({"Accept": accept} if accept else {})}
    response = await request_of(client, case, headers)
    refusal(response, status, code, GRAPHQL_RESPONSE if accept == GRAPHQL_RESPONSE else "application/json")
    if case == "mutation over GET":
        assert response.headers["allow"] == "POST"
    elif status == 405:
        assert response.headers["allow"] == "GET, POST"
    else:
        assert "allow" not in response.headers


async def test_a_refusal_carries_the_callers_request_id(client):
    response = await client.put("/graphql", headers={"X-Request-Id": "trace-42.a_b"})
    error = refusal(response, 405, "METHOD_NOT_ALLOWED")
    assert error["extensions"]["requestId"] == "trace-42.a_b"
    big = b" " * 1_048_577
    headers = {"X-Request-Id": "big-1", "Content-Type": "application/json"}
    error = refusal(await client.post("/graphql", content=big, headers=headers), 413, "REQUEST_TOO_LARGE")
    assert error["extensions"]["requestId"] == "big-1"


async def test_an_empty_operation_name_names_no_operation(client):
    # The specification: over GET, omit operationName or leave it empty to run the document's only operation.
    params = {"query": "query A { __typename }", "operationName": ""}
    response = await client.get("/graphql", params=params)
    assert response.status_code == 200 and response.json() == {"data": {"__typename": "Query"}}, response.text


# --- several operations -------------------------------------------------------------------------------------


def plans_of(app: Any) -> PlanCache:
    route = next(route for route in app.routes if getattr(route, "path", None) == "/graphql")
    plans = [getattr(extension, "plans", None) for extension in route.endpoint.schema.extensions]
    (cache,) = [plan for plan in plans if isinstance(plan, PlanCache)]
    return cache


async def test_several_operations_need_a_name_on_the_standard_and_the_fast_path(app, client, store):
    plans = plans_of(app)
    headers = {"X-Auth-Token": store.storefront_token}
    # Named, each runs: three times, so the fast path compiles the document and then answers it.
    for _ in range(3):
        for name, nodes in (("First", [{"sku": "SHIRT"}]), ("Second", 2)):
            request = {"query": TWO_QUERIES, "operationName": name}
            response = await client.post("/graphql", json=request, headers=headers)
            assert response.status_code == 200, response.text
            answer = response.json()["data"]["products"]["nodes"]
            assert answer == nodes if name == "First" else len(answer) == nodes, response.text
    assert plans.answered >= 4, plans.answered  # the second and third time of each name
    # Unnamed: refused every time (it used to run `First`), however often the document was seen.
    answered = plans.answered
    for operation_name in (None, None, ""):
        request = {"query": TWO_QUERIES, "operationName": operation_name}
        error = refusal(await client.post("/graphql", json=request, headers=headers), 400, "OPERATION_NAME_REQUIRED")
        assert "operationName" in error["message"]
    assert plans.answered == answered
    # A single operation needs no name.
    response = await client.post("/graphql", json={"query": PRODUCTS}, headers=headers)
    assert response.status_code == 200 and response.json()["data"]["products"]["nodes"], response.text


@pytest.mark.parametrize("accept", ["application/json", GRAPHQL_RESPONSE])
async def test_in_a_batch_an_unknown_or_ambiguous_operation_is_that_operations_answer(client, store, accept):
    headers = {"X-Auth-Token": store.storefront_token, "Accept": accept, "X-Request-Id": "batch-7"}
    batch = [
        {"query": PRODUCTS},
        {"query": TWO_QUERIES},
        {"query": "query A { __typename }", "operationName": "B"},
        {"query": TWO_QUERIES, "operationName": "Second"},
    ]
    response = await client.post("/graphql", json=batch, headers=headers)
    assert response.status_code == 200 and media_type(response) == accept, response.text
    executed, ambiguous, unknown, named = response.json()
    assert executed["data"]["products"]["nodes"] and named["data"]["products"]["nodes"], response.text
    for answer, code in ((ambiguous, "OPERATION_NAME_REQUIRED"), (unknown, "OPERATION_NOT_FOUND")):
        assert ("data" in answer) == (accept == "application/json") and answer.get("data") is None, answer
        assert answer["errors"][0]["extensions"] == {"code": code, "requestId": "batch-7"}, answer
