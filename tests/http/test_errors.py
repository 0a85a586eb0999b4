"""Errors over HTTP: bugs are masked and traceable by request id; malformed documents get a code."""

from __future__ import annotations

import logging
from typing import Any

import httpx

from gateway.domain import consignments
from gateway.storage import queries
from tests.factories import data, gql

SECRET = "secret SQL detail: SELECT token_hash FROM api_token WHERE 1=1"

CREATE_CHECKOUT = """
mutation($input: CreateCheckoutInput!) {
  createCheckout(input: $input) { checkout { id lineItems { id } } errors { code message field } }
}
"""

ADD_CONSIGNMENTS = """
mutation($input: AddConsignmentsInput!) {
  addConsignments(input: $input) { checkout { id consignments { id } } errors { code message field } }
}
"""

CHECKOUT = """
query($id: ID!) { checkout(id: $id) { id consignments { id } } }
"""


async def post(client: httpx.AsyncClient, query: str, variables: dict[str, Any], token: str) -> httpx.Response:
    return await client.post("/graphql", json={"query": query, "variables": variables}, headers={"X-Auth-Token": token})


def assert_masked(response: httpx.Response, caplog: Any) -> str:
    """The response reports one masked internal error whose request id is in the header and the log."""
    assert response.status_code == 200, response.text
    text = response.text
    for leak in ("secret", "SQL", "SELECT", "api_token", "Traceback", "RuntimeError", 'File "'):
        assert leak not in text, f"{leak!r} leaked to the client: {text}"
    body = response.json()
    errors = body["errors"]
    assert len(errors) == 1, errors
    error = errors[0]
    assert error["extensions"]["code"] == "INTERNAL_SERVER_ERROR", error
    request_id = error["extensions"]["requestId"]
    assert request_id, error
    assert response.headers["X-Request-Id"] == request_id

    records = [record for record in caplog.records if record.name == "gateway.errors"]
    logged = [record for record in records if request_id in record.getMessage()]
    assert logged, [record.getMessage() for record in records]
    # The server log keeps what the client must not see.
    record = logged[0]
    assert record.levelno >= logging.ERROR
    assert record.exc_info is not None and SECRET in str(record.exc_info[1])
    return request_id  # type: ignore[no-any-return]


async def _checkout_with_item(client: httpx.AsyncClient, token: str) -> tuple[str, str]:
    body = await gql(client, CREATE_CHECKOUT, {"input": {"lineItems": [{"sku": "MUG", "quantity": 2}]}}, token=token)
    checkout = data(body)["createCheckout"]["checkout"]
    return checkout["id"], checkout["lineItems"][0]["id"]


async def test_unexpected_exception_in_mutation_is_masked(client, store, monkeypatch, caplog):
    caplog.set_level(logging.ERROR, logger="gateway.errors")
    checkout_id, item_id = await _checkout_with_item(client, store.storefront_token)

    async def broken(*args: Any, **kwargs: Any) -> str:
        raise RuntimeError(SECRET)

    monkeypatch.setattr(consignments, "add_consignments", broken)
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
    response = await post(client, ADD_CONSIGNMENTS, variables, store.storefront_token)
    assert_masked(response, caplog)
    assert response.json()["data"] is None  # addConsignments is non-null: the error nulls the whole result

    monkeypatch.undo()
    body = await gql(client, CHECKOUT, {"id": checkout_id}, token=store.storefront_token)
    assert data(body)["checkout"]["consignments"] == []


async def test_unexpected_exception_in_storage_read_is_masked(client, store, monkeypatch, caplog):
    caplog.set_level(logging.ERROR, logger="gateway.errors")
    checkout_id, _ = await _checkout_with_item(client, store.storefront_token)

    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(SECRET)

    monkeypatch.setattr(queries, "consignments_by_checkout_ids", broken)
    response = await post(client, CHECKOUT, {"id": checkout_id}, store.storefront_token)
    assert_masked(response, caplog)
    assert response.json()["errors"][0]["path"] == ["checkout", "consignments"]


async def test_client_request_id_is_echoed_and_used(client, store, monkeypatch, caplog):
    caplog.set_level(logging.ERROR, logger="gateway.errors")
    checkout_id, _ = await _checkout_with_item(client, store.storefront_token)

    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(SECRET)

    monkeypatch.setattr(queries, "checkouts_by_ids", broken)
    response = await client.post(
        "/graphql",
        json={"query": CHECKOUT, "variables": {"id": checkout_id}},
        headers={"X-Auth-Token": store.storefront_token, "X-Request-Id": "edge-1234.abc"},
    )
    assert assert_masked(response, caplog) == "edge-1234.abc"

    # A request id that could smuggle anything into logs or headers is replaced by a fresh one.
    response = await client.post(
        "/graphql",
        json={"query": CHECKOUT, "variables": {"id": checkout_id}},
        headers={"X-Auth-Token": store.storefront_token, "X-Request-Id": "x" * 65},
    )
    request_id = assert_masked(response, caplog)
    assert request_id != "x" * 65


async def test_every_response_carries_a_request_id(client, store):
    first = await post(client, "{ __typename }", {}, store.storefront_token)
    second = await post(client, "{ __typename }", {}, store.storefront_token)
    assert first.headers["X-Request-Id"] and second.headers["X-Request-Id"]
    assert first.headers["X-Request-Id"] != second.headers["X-Request-Id"]


def validation_error(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code in (200, 400), response.text
    body = response.json()
    assert body.get("data") is None, body
    errors = body["errors"]
    assert errors, body
    assert {error["extensions"]["code"] for error in errors} == {"GRAPHQL_VALIDATION_FAILED"}, errors
    return errors[0]  # type: ignore[no-any-return]


async def test_syntax_error_is_graphql_validation_failed(client, store):
    response = await post(client, '{ checkout(id: "x" { id }', {}, store.storefront_token)
    error = validation_error(response)
    assert "Syntax Error" in error["message"]


async def test_unknown_field_is_graphql_validation_failed(client, store):
    response = await post(client, '{ checkout(id: "x") { id noSuchField } }', {}, store.storefront_token)
    error = validation_error(response)
    assert "noSuchField" in error["message"]
