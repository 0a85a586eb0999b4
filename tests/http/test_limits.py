"""Abuse limits over HTTP: every limit answers with its own `extensions.code`, and the server keeps serving.

Query limits (gateway/api/limits.py, strawberry's MaxTokensLimiter, the batching config): depth, aliases,
cost multiplied by `first`, document size in tokens, page size, request body size (declared or streamed),
operations per batch. Input bounds (gateway/domain/limits.py): string lengths, custom fields per address,
consignments and line items per checkout, items per shipment, each through the mutation that takes them.
The defaults must let every documented operation through (README's example session, the full checkout
page, the full order history at `first: 100`, GraphiQL's own introspection query).

After every refusal `assert_still_serving` proves the process is healthy: a normal query answers.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from graphql import Lexer, OperationDefinitionNode, Source, TokenKind, get_introspection_query, parse
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.app import create_app
from gateway.domain.catalog import ProductInput
from gateway.domain.limits import (
    MAX_CONSIGNMENTS_PER_CHECKOUT,
    MAX_CUSTOM_FIELDS_PER_ADDRESS,
    MAX_LINE_ITEMS_PER_CHECKOUT,
    MAX_STRING_LENGTH,
)
from gateway.settings import Settings
from tests.factories import CATALOG, StoreFixture, data, gql, make_store
from tests.order_flow import US_CA, Cart, OrderFlow, address
from tests.servers import GatewayServer, running_servers

pytestmark = pytest.mark.anyio

#: The defaults a deployment gets (gateway/settings.py): the tests probe each limit at its configured value.
DEFAULTS = Settings(database_url="sqlite://", host="127.0.0.1", port=0, environment="test")
MAX_DEPTH = DEFAULTS.max_query_depth
MAX_ALIASES = DEFAULTS.max_query_aliases
MAX_COST = DEFAULTS.max_query_cost
MAX_TOKENS = DEFAULTS.max_query_tokens
MAX_BATCH_OPERATIONS = DEFAULTS.max_batch_operations
#: Numbers issue 5 states, pinned.
MAX_BODY_BYTES = 1_048_576
MAX_PAGE_SIZE = 100
MAX_ITEMS_PER_SHIPMENT = 250

ERRORS = "errors { code message field }"
ADDRESS_FIELDS = (
    "firstName lastName email company address1 address2 city stateOrProvince stateOrProvinceCode countryCode "
    "postalCode phone customFields { fieldId fieldValue }"
)
MONEY = "{ value currencyCode }"

HEALTHY = "{ products(first: 3) { nodes { sku } } }"

# --- documents: the full pages a storefront and a back office use ---------------------------------------

FULL_CHECKOUT = f"""
fragment FullCheckout on Checkout {{
  id email currencyCode version createdAt updatedAt
  billingAddress {{ {ADDRESS_FIELDS} }}
  lineItems {{
    id sku name quantity requiresShipping unassignedQuantity listPrice {MONEY} extendedListPrice {MONEY}
  }}
  consignments {{
    id shippingZoneName lineItemIds
    address {{ {ADDRESS_FIELDS} }}
    lineItems {{ quantity lineItem {{ id sku name quantity }} }}
    availableShippingOptions {{ id description type transitTime imageUrl cost {MONEY} handlingCost {MONEY} }}
    selectedShippingOption {{ id description type transitTime imageUrl cost {MONEY} handlingCost {MONEY} }}
    selectedPickupOption {{ pickupMethodId }}
    shippingCost {MONEY}
    handlingCost {MONEY}
  }}
  problems {{ code message consignmentId lineItemId fields }}
  warnings {{ code message consignmentId carrierId }}
  subtotal {MONEY} shippingCostTotal {MONEY} handlingCostTotal {MONEY} grandTotal {MONEY}
  order {{ id status }}
}}
"""
CHECKOUT_PAGE = "query CheckoutPage($id: ID!) { checkout(id: $id) { ...FullCheckout } }" + FULL_CHECKOUT

#: Everything about an order, each object once (children point back by id only).
FULL_ORDER = f"""
fragment FullOrder on Order {{
  id status email currencyCode checkoutId createdAt dateShipped itemsTotal itemsShipped
  billingAddress {{ {ADDRESS_FIELDS} }}
  subtotal {MONEY} shippingCostTotal {MONEY} handlingCostTotal {MONEY} grandTotal {MONEY}
  shippingAddresses {{
    id shippingMethod shippingZoneName itemsTotal itemsShipped
    address {{ {ADDRESS_FIELDS} }}
    shippingCost {MONEY} handlingCost {MONEY}
    products {{ id }}
    shipments {{ id }}
  }}
  products {{ id sku name quantity quantityShipped price {MONEY} shippingAddress {{ id }} }}
  shipments {{
    id trackingNumber shippingProvider trackingCarrier trackingLink shippingMethod comments createdAt
    shippingAddress {{ id }}
    items {{ quantity orderProduct {{ id sku }} }}
  }}
}}
"""
ORDER_HISTORY = (
    "query OrderHistory($after: String, $filter: OrderFilter) { "
    "orders(first: 100, after: $after, filter: $filter) { nodes { ...FullOrder } pageInfo { hasNextPage endCursor } } }"
    + FULL_ORDER
)

# docs/checkout-walkthrough.md (the README's example session before it became gateway/demo_flow.graphql),
# verbatim apart from whitespace.
README_PRODUCTS = """
query Products {
  products(first: 20) {
    nodes { id sku name price { value currencyCode } weight requiresShipping }
    pageInfo { hasNextPage endCursor }
  }
}
"""
README_CREATE_CHECKOUT = """
mutation CreateCheckout($input: CreateCheckoutInput!) {
  createCheckout(input: $input) {
    checkout {
      id
      version
      subtotal { value currencyCode }
      lineItems { id sku quantity requiresShipping listPrice { value } extendedListPrice { value } unassignedQuantity }
    }
    errors { code message field }
  }
}
"""
README_SET_BILLING = """
mutation SetBillingAddress($input: SetCheckoutBillingAddressInput!) {
  setCheckoutBillingAddress(input: $input) {
    checkout {
      id
      version
      billingAddress { firstName lastName email address1 city postalCode countryCode }
    }
    errors { code message field }
  }
}
"""
README_ADD_CONSIGNMENTS = """
mutation AddConsignments($input: AddConsignmentsInput!) {
  addConsignments(input: $input) {
    checkout {
      id
      version
      lineItems { id sku quantity unassignedQuantity }
      consignments {
        id
        address { firstName city countryCode }
        lineItems { quantity lineItem { sku } }
        availableShippingOptions { id description cost { value } }
      }
    }
    errors { code message field }
  }
}
"""
README_UPDATE_CONSIGNMENT = """
mutation UpdateConsignment($input: UpdateConsignmentInput!) {
  updateConsignment(input: $input) {
    checkout {
      id
      version
      consignments { id address { company city postalCode countryCode } lineItems { quantity lineItem { sku } } }
    }
    errors { code message field }
  }
}
"""
README_DELETE_CONSIGNMENT = """
mutation DeleteConsignment($input: DeleteConsignmentInput!) {
  deleteConsignment(input: $input) {
    checkout {
      id
      version
      lineItems { sku unassignedQuantity }
      consignments { id }
    }
    errors { code message field }
  }
}
"""
README_CHECKOUT = """
query Checkout($id: ID!) {
  checkout(id: $id) {
    id
    email
    currencyCode
    version
    createdAt
    updatedAt
    billingAddress { firstName lastName email address1 city postalCode countryCode }
    lineItems {
      id sku name quantity requiresShipping unassignedQuantity
      listPrice { value currencyCode }
      extendedListPrice { value currencyCode }
    }
    consignments {
      id
      address { firstName lastName company address1 city postalCode countryCode }
      lineItemIds
      lineItems { quantity lineItem { id sku } }
      availableShippingOptions { id description type cost { value currencyCode } }
      selectedShippingOption { id description }
      shippingCost { value currencyCode }
      handlingCost { value currencyCode }
    }
    subtotal { value currencyCode }
    shippingCostTotal { value currencyCode }
    handlingCostTotal { value currencyCode }
    grandTotal { value currencyCode }
  }
}
"""
README_CHECKOUTS = "{ checkouts(first: 10) { nodes { id email grandTotal { value } } } }"
REPO = Path(__file__).resolve().parents[2]
#: Where documented operations live: the README and the long-form docs it links to.
DOCUMENTS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
LIMIT_CODES = {
    "QUERY_TOO_DEEP",
    "TOO_MANY_ALIASES",
    "QUERY_TOO_COMPLEX",
    "QUERY_TOO_LARGE",
    "TOO_MANY_OPERATIONS",
    "REQUEST_TOO_LARGE",
    "BAD_USER_INPUT",
}

# --- documents for the input bounds -------------------------------------------------------------------

CREATE_CHECKOUT = (
    "mutation($input: CreateCheckoutInput!) { createCheckout(input: $input) { "
    "checkout { id lineItems { id sku } } " + ERRORS + " } }"
)
SET_BILLING = (
    "mutation($input: SetCheckoutBillingAddressInput!) { setCheckoutBillingAddress(input: $input) { "
    "checkout { id version billingAddress { " + ADDRESS_FIELDS + " } } " + ERRORS + " } }"
)
ADD_CONSIGNMENTS = (
    "mutation($input: AddConsignmentsInput!) { addConsignments(input: $input) { "
    "checkout { id version consignments { id } } " + ERRORS + " } }"
)
CHECKOUTS_COUNT = "{ checkouts(first: 100) { nodes { id } } }"
ORDER_STATE = "query($id: ID!) { order(id: $id) { id itemsShipped shipments { id } products { id quantityShipped } } }"
CREATE_SHIPMENT = (
    "mutation($input: CreateShipmentInput!) { createShipment(input: $input) { shipment { id } " + ERRORS + " } }"
)


# --- helpers -------------------------------------------------------------------------------------------


async def post(
    client: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    token: str,
    operation_name: str | None = None,
) -> Any:
    request: dict[str, Any] = {"query": query, "variables": variables or {}}
    if operation_name is not None:
        request["operationName"] = operation_name
    response = await client.post("/graphql", json=request, headers={"X-Auth-Token": token})
    assert response.status_code == 200, response.text
    return response.json()


async def assert_still_serving(client: httpx.AsyncClient, store: StoreFixture) -> None:
    """The process still answers normally: /health, and an ordinary query with its data."""
    assert (await client.get("/health")).status_code == 200
    body = await gql(client, HEALTHY, token=store.server_token)
    assert [node["sku"] for node in data(body)["products"]["nodes"]] == ["SHIRT", "MUG", "LAMP"]


async def refused(
    client: httpx.AsyncClient,
    store: StoreFixture,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    code: str,
) -> dict[str, Any]:
    """The request is refused as a whole with exactly `code`, nothing executed; the server keeps serving."""
    body = await post(client, query, variables, token=store.server_token)
    assert body.get("data") is None, body
    errors = body.get("errors") or []
    assert errors, body
    assert {error.get("extensions", {}).get("code") for error in errors} == {code}, errors
    await assert_still_serving(client, store)
    return errors[0]  # type: ignore[no-any-return]


def nested_order_query(depth: int) -> str:
    """`{ order { shipments { order { shipments ... { id } } } } }` with exactly `depth` selection sets."""
    names = [("shipments", "order")[level % 2] for level in range(depth - 2)]
    selection = "id"
    for name in reversed(names):
        selection = f"{name} {{ {selection} }}"
    return '{ order(id: "1") { ' + selection + " } }"


def deep_through_fragments(depth: int) -> str:
    """The same nesting as `nested_order_query`, spread over one fragment per two levels (`depth` even)."""
    count = (depth - 2) // 2
    fragments = [
        f"fragment L{index} on Order {{ shipments {{ order {{ ...L{index + 1} }} }} }}" for index in range(count)
    ]
    fragments.append(f"fragment L{count} on Order {{ id }}")
    return '{ order(id: "1") { ...L0 } } ' + " ".join(fragments)


def aliased_typenames(count: int) -> str:
    return "{ " + " ".join(f"a{index}: __typename" for index in range(count)) + " }"


def checkouts_page(first: int | str) -> str:
    """A page of full checkouts, each in `nodes` and in `edges`, as a back office list might ask."""
    return (
        f"{{ checkouts(first: {first}) {{ nodes {{ ...FullCheckout }} edges {{ cursor node {{ ...FullCheckout }} }} "
        "pageInfo { hasNextPage } } }" + FULL_CHECKOUT
    )


def padded_body(size: int) -> bytes:
    """A valid GraphQL request of exactly `size` bytes (the padding is an unused variable)."""
    template = {"query": HEALTHY, "variables": {"padding": ""}}
    overhead = len(json.dumps(template).encode())
    template["variables"] = {"padding": "x" * (size - overhead)}
    body = json.dumps(template).encode()
    assert len(body) == size
    return body


async def chunks(body: bytes, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    for start in range(0, len(body), size):
        yield body[start : start + size]


def sync_chunks(body: bytes, size: int = 64 * 1024) -> Iterator[bytes]:
    for start in range(0, len(body), size):
        yield body[start : start + size]


@pytest.fixture
def flow(client: httpx.AsyncClient, store: StoreFixture) -> OrderFlow:
    return OrderFlow(client, store)


@pytest.fixture
async def lenient_client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    """Like `client`, but an exception escaping the app becomes the 500 a real server would send."""
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as client:
        yield client


# --- depth, aliases, cost, tokens ----------------------------------------------------------------------


async def test_query_depth_limit(client, store):
    at_limit = await post(client, nested_order_query(MAX_DEPTH), token=store.server_token)
    assert at_limit == {"data": {"order": None}}

    error = await refused(client, store, nested_order_query(MAX_DEPTH + 1), code="QUERY_TOO_DEEP")
    assert f"{MAX_DEPTH + 1} levels deep" in error["message"] and str(MAX_DEPTH) in error["message"]
    # Fragments do not hide depth.
    too_deep = MAX_DEPTH + 1 + (MAX_DEPTH + 1) % 2  # the fragments add two levels each
    error = await refused(client, store, deep_through_fragments(too_deep), code="QUERY_TOO_DEEP")
    # Analysis stops at the first level over the limit.
    assert f"at least {MAX_DEPTH + 1} levels deep" in error["message"], too_deep


async def test_alias_limit(client, store):
    at_limit = await post(client, aliased_typenames(MAX_ALIASES), token=store.server_token)
    assert len(data(at_limit)) == MAX_ALIASES

    error = await refused(client, store, aliased_typenames(MAX_ALIASES + 1), code="TOO_MANY_ALIASES")
    assert f"{MAX_ALIASES + 1} aliases" in error["message"]


async def test_cost_multiplies_by_first(client, store):
    # The same selection is cheap for a few checkouts and too expensive for pages of 100.
    assert data(await post(client, checkouts_page(2), token=store.server_token))["checkouts"]["nodes"] == []
    error = await refused(client, store, checkouts_page(100), code="QUERY_TOO_COMPLEX")
    assert f"limit is {MAX_COST}" in error["message"]
    cost = int(re.search(r" costs at least (\d+);", error["message"]).group(1))  # type: ignore[union-attr]
    assert cost > MAX_COST

    # A `first` from a variable is priced at the largest page, whatever the variable says.
    query = "query($n: Int) " + checkouts_page("$n")
    error = await refused(client, store, query, {"n": 1}, code="QUERY_TOO_COMPLEX")
    assert f" costs at least {cost};" in error["message"]

    # Aliases cannot split one expensive query into cheap ones: each page alone passes, all of them do not.
    page = "checkouts(first: 10) { nodes { ...FullCheckout } }"
    assert data(await post(client, "{ a0: " + page + " }" + FULL_CHECKOUT, token=store.server_token))
    many = "{ " + " ".join(f"a{index}: {page}" for index in range(MAX_ALIASES)) + " }" + FULL_CHECKOUT
    await refused(client, store, many, code="QUERY_TOO_COMPLEX")


def token_count(document: str) -> int:
    """Tokens as the parser counts them (punctuators, names, values; no commas, comments or <EOF>)."""
    lexer = Lexer(Source(document))
    count = 0
    while lexer.advance().kind is not TokenKind.EOF:
        count += 1
    return count


def many_lines_document(lines: int) -> str:
    """createCheckout with `lines` literal line items: 8 tokens each, and no wide selection sets."""
    items = " ".join('{sku: "SHIRT", quantity: 1}' for _ in range(lines))
    return "mutation { createCheckout(input: {lineItems: [" + items + "]}) { checkout { id } errors { code field } } }"


async def test_token_limit(client, store):
    lines = max(n for n in range(700) if token_count(many_lines_document(n)) <= MAX_TOKENS)
    at_limit, over_limit = many_lines_document(lines), many_lines_document(lines + 1)
    assert token_count(at_limit) <= MAX_TOKENS < token_count(over_limit)

    # Just under the limit the document is parsed and executed (and refused by the line item bound).
    payload = data(await post(client, at_limit, token=store.storefront_token))["createCheckout"]
    assert payload == {"checkout": None, "errors": [{"code": "TOO_MANY", "field": ["lineItems"]}]}

    error = await refused(client, store, over_limit, code="QUERY_TOO_LARGE")
    assert str(MAX_TOKENS) in error["message"]
    # A document far over the limit is cut off just the same.
    await refused(client, store, many_lines_document(20 * lines), code="QUERY_TOO_LARGE")


@pytest.mark.parametrize("connection", ["products", "checkouts", "orders"])
async def test_page_size_is_at_most_100(client, store, connection):
    ok = await post(
        client, f"{{ {connection}(first: {MAX_PAGE_SIZE}) {{ nodes {{ id }} }} }}", token=store.server_token
    )
    assert "errors" not in ok, ok

    for query, variables in (
        (f"{{ {connection}(first: {MAX_PAGE_SIZE + 1}) {{ nodes {{ id }} }} }}", None),
        (f"query($n: Int) {{ {connection}(first: $n) {{ nodes {{ id }} }} }}", {"n": MAX_PAGE_SIZE + 1}),
        (f"{{ {connection}(first: -1) {{ nodes {{ id }} }} }}", None),
    ):
        error = await refused(client, store, query, variables, code="BAD_USER_INPUT")
        assert str(MAX_PAGE_SIZE) in error["message"]


# --- body size -----------------------------------------------------------------------------------------


def assert_too_large(response: httpx.Response) -> None:
    assert response.status_code == 413, (response.status_code, response.text)
    body = response.json()
    assert "data" not in body, body  # nothing was executed
    assert [error["extensions"]["code"] for error in body["errors"]] == ["REQUEST_TOO_LARGE"]
    assert body["errors"][0]["extensions"]["requestId"] == response.headers["x-request-id"], response.headers
    assert str(MAX_BODY_BYTES) in body["errors"][0]["message"]


async def test_body_limit_with_content_length(lenient_client, store):
    headers = {"X-Auth-Token": store.server_token, "Content-Type": "application/json"}
    at_limit = await lenient_client.post("/graphql", content=padded_body(MAX_BODY_BYTES), headers=headers)
    assert at_limit.status_code == 200, at_limit.text
    assert data(at_limit.json())["products"]["nodes"]

    request = lenient_client.build_request("POST", "/graphql", content=padded_body(MAX_BODY_BYTES + 1), headers=headers)
    assert request.headers["content-length"] == str(MAX_BODY_BYTES + 1)
    assert_too_large(await lenient_client.send(request))
    await assert_still_serving(lenient_client, store)


async def test_body_limit_without_content_length(lenient_client, store):
    headers = {"X-Auth-Token": store.server_token, "Content-Type": "application/json"}
    # A streamed body declares no length: the limit must count what arrives.
    small = lenient_client.build_request("POST", "/graphql", content=chunks(padded_body(4096)), headers=headers)
    assert "content-length" not in small.headers
    response = await lenient_client.send(small)
    assert response.status_code == 200, response.text

    large = lenient_client.build_request(
        "POST", "/graphql", content=chunks(padded_body(MAX_BODY_BYTES + 1)), headers=headers
    )
    assert "content-length" not in large.headers
    assert_too_large(await lenient_client.send(large))
    await assert_still_serving(lenient_client, store)


@pytest.fixture
def server(database_url: str, tmp_path: Path) -> Iterator[GatewayServer]:
    with running_servers(database_url, tmp_path / "server-logs", count=1) as (started,):
        yield started


async def test_body_limit_on_a_real_server(server, store):
    """Through uvicorn: a declared length over the limit, and a chunked body that grows over it."""
    headers = {"X-Auth-Token": store.server_token, "Content-Type": "application/json"}
    for content in (padded_body(MAX_BODY_BYTES + 1), sync_chunks(padded_body(2 * MAX_BODY_BYTES))):
        # A fresh connection each time: the server may close one whose body it did not read.
        with httpx.Client(base_url=server.base_url, timeout=30) as http:
            request = http.build_request("POST", "/graphql", content=content, headers=headers)
            response = http.send(request)
        assert_too_large(response)
        assert server.is_running()
    async with server.client() as client:
        await assert_still_serving(client, store)
    assert "Traceback" not in server.log(), server.log()


# --- batches -------------------------------------------------------------------------------------------


async def test_batch_operation_limit(client, store):
    headers = {"X-Auth-Token": store.server_token}
    batch = [{"query": HEALTHY}] * MAX_BATCH_OPERATIONS
    response = await client.post("/graphql", json=batch, headers=headers)
    assert response.status_code == 200, response.text
    results = response.json()
    assert len(results) == MAX_BATCH_OPERATIONS
    assert all(result == results[0] and "errors" not in result for result in results), results

    response = await client.post("/graphql", json=[{"query": HEALTHY}] * (MAX_BATCH_OPERATIONS + 1), headers=headers)
    assert response.status_code in (200, 400), response.text
    assert response.headers["content-type"].startswith("application/json"), (
        response.headers["content-type"],
        response.text,
    )
    body = response.json()
    assert body.get("data") is None, body
    assert [error["extensions"]["code"] for error in body["errors"]] == ["TOO_MANY_OPERATIONS"], body
    await assert_still_serving(client, store)


# --- the defaults let every documented operation through -----------------------------------------------


async def test_readme_example_session_passes_the_limits(flow, client, store):
    await flow.shipping()
    storefront = store.storefront_token

    products = data(await post(client, README_PRODUCTS, token=storefront))["products"]
    assert len(products["nodes"]) == len(CATALOG)

    created = data(
        await post(
            client,
            README_CREATE_CHECKOUT,
            {
                "input": {
                    "email": "ada@example.com",
                    "lineItems": [
                        {"sku": "MUG", "quantity": 3},
                        {"sku": "SHIRT", "quantity": 1},
                        {"sku": "EBOOK", "quantity": 1},
                    ],
                }
            },
            token=storefront,
        )
    )["createCheckout"]
    assert created["errors"] == []
    checkout_id = created["checkout"]["id"]
    items = {line["sku"]: line["id"] for line in created["checkout"]["lineItems"]}

    billing = data(
        await post(
            client,
            README_SET_BILLING,
            {"input": {"checkoutId": checkout_id, "address": address("GB", None, "SW1Y 4JH", city="London")}},
            token=storefront,
        )
    )["setCheckoutBillingAddress"]
    assert billing["errors"] == []

    added = data(
        await post(
            client,
            README_ADD_CONSIGNMENTS,
            {
                "input": {
                    "checkoutId": checkout_id,
                    "consignments": [
                        {
                            "address": US_CA,
                            "lineItems": [
                                {"itemId": items["MUG"], "quantity": 2},
                                {"itemId": items["SHIRT"], "quantity": 1},
                            ],
                        },
                        {
                            "address": address(company="Analytical Engines Ltd"),
                            "lineItems": [{"itemId": items["MUG"], "quantity": 1}],
                        },
                    ],
                }
            },
            token=storefront,
        )
    )["addConsignments"]
    assert added["errors"] == []
    first, second = (consignment["id"] for consignment in added["checkout"]["consignments"])
    assert added["checkout"]["consignments"][0]["availableShippingOptions"]

    updated = data(
        await post(
            client,
            README_UPDATE_CONSIGNMENT,
            {"input": {"checkoutId": checkout_id, "consignmentId": second, "address": address(city="Cambridge")}},
            token=storefront,
        )
    )["updateConsignment"]
    assert updated["errors"] == []

    deleted = data(
        await post(
            client,
            README_DELETE_CONSIGNMENT,
            {"input": {"checkoutId": checkout_id, "consignmentId": second}},
            token=storefront,
        )
    )["deleteConsignment"]
    assert deleted["errors"] == [] and [c["id"] for c in deleted["checkout"]["consignments"]] == [first]

    checkout = data(await post(client, README_CHECKOUT, {"id": checkout_id}, token=storefront))["checkout"]
    assert checkout["id"] == checkout_id
    listed = data(await post(client, README_CHECKOUTS, token=store.server_token))["checkouts"]["nodes"]
    assert [node["id"] for node in listed] == [checkout_id]


async def test_every_graphql_example_in_the_readme_passes_the_limits(client, store):
    """Every ```graphql block of README.md and docs/*.md, placeholders filled with a dummy id, is not refused by a
    limit (it may find nothing, or miss its variables: the limits are checked before either matters). A block
    of several operations (the README's example session) is sent once per operation, as GraphiQL sends it."""
    blocks = [block for path in DOCUMENTS for block in re.findall(r"```graphql\n(.*?)```", path.read_text(), re.S)]
    assert len(blocks) >= 9, "README examples moved?"
    for block in blocks:
        document = re.sub(r'"<[^">]*>"', '"1"', block)
        names = [
            definition.name.value
            for definition in parse(document).definitions
            if isinstance(definition, OperationDefinitionNode) and definition.name is not None
        ]
        for name in names if len(names) > 1 else [None]:
            body = await post(client, document, token=store.server_token, operation_name=name)
            errors = body.get("errors") or []
            codes = {error["extensions"]["code"] for error in errors}
            assert not codes & LIMIT_CODES, (block, name, errors)
            invalid = [e["message"] for e in errors if e["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"]
            assert all("to be provided" in message for message in invalid), (block, name, invalid)


async def test_full_checkout_page_passes_the_limits(flow, client, store):
    await flow.shipping()
    cart = await flow.ready(lines={"SHIRT": 2, "MUG": 1, "EBOOK": 1})
    for token in (store.storefront_token, store.server_token):
        checkout = data(await post(client, CHECKOUT_PAGE, {"id": cart.id}, token=token))["checkout"]
        assert checkout["id"] == cart.id
        assert checkout["problems"] == []
        assert checkout["consignments"][0]["selectedShippingOption"]["description"] == "Flat Rate"


async def test_full_order_history_at_first_100_passes_the_limits(flow, client, store):
    await flow.shipping()
    order = await flow.place_order(lines={"SHIRT": 2, "MUG": 1, "EBOOK": 1})
    await flow.shipped(order, items={"SHIRT": 1})

    body = await post(client, ORDER_HISTORY, {"filter": None}, token=store.server_token)
    assert "errors" not in body, body.get("errors")
    orders = body["data"]["orders"]
    assert [node["id"] for node in orders["nodes"]] == [order["id"]]
    history = orders["nodes"][0]
    assert history["status"] == "PARTIALLY_SHIPPED"
    assert len(history["shipments"]) == 1 and history["shipments"][0]["items"][0]["quantity"] == 1


async def test_graphiql_introspection_passes_the_limits(client, store):
    body = await post(client, get_introspection_query(descriptions=True), token=store.server_token)
    assert "errors" not in body, body.get("errors")
    assert body["data"]["__schema"]["queryType"]["name"] == "Query"


# --- input bounds --------------------------------------------------------------------------------------


def errors_of(payload: dict[str, Any]) -> list[tuple[str, list[str] | None]]:
    return sorted((error["code"], error["field"]) for error in payload["errors"])


async def set_billing(client: httpx.AsyncClient, store: StoreFixture, checkout_id: str, **fields: Any) -> Any:
    body = await gql(
        client,
        SET_BILLING,
        {"input": {"checkoutId": checkout_id, "address": address(**fields)}},
        token=store.storefront_token,
    )
    return data(body)["setCheckoutBillingAddress"]


async def test_address_fields_are_at_most_255_characters(flow, client, store):
    cart = await flow.cart(SHIRT=1)
    before = await flow.checkout(cart.id)

    payload = await set_billing(client, store, cart.id, address1="x" * (MAX_STRING_LENGTH + 1))
    assert errors_of(payload) == [("TOO_LONG", ["address", "address1"])]
    assert payload["checkout"]["version"] == before["version"]
    assert payload["checkout"]["billingAddress"] is None
    await assert_still_serving(client, store)

    # Every string field, and a custom field's value, has the same bound.
    too_long = "y" * (MAX_STRING_LENGTH + 1)
    payload = await set_billing(
        client,
        store,
        cart.id,
        city=too_long,
        company=too_long,
        customFields=[{"fieldId": "gift_note", "fieldValue": too_long}],
    )
    assert errors_of(payload) == [
        ("TOO_LONG", ["address", "city"]),
        ("TOO_LONG", ["address", "company"]),
        ("TOO_LONG", ["address", "customFields", "0", "fieldValue"]),
    ]

    # Exactly 255 characters (not bytes) are accepted and read back unchanged.
    longest = "é" * MAX_STRING_LENGTH
    payload = await set_billing(client, store, cart.id, address1=longest)
    assert payload["errors"] == []
    assert payload["checkout"]["billingAddress"]["address1"] == longest

    # The same bound on a consignment's address, with the path into the consignment.
    body = await gql(
        client,
        ADD_CONSIGNMENTS,
        {
            "input": {
                "checkoutId": cart.id,
                "consignments": [
                    {"address": address(city="z" * (MAX_STRING_LENGTH + 1)), "lineItems": cart.units(SHIRT=1)}
                ],
            }
        },
        token=store.storefront_token,
    )
    payload = data(body)["addConsignments"]
    assert errors_of(payload) == [("TOO_LONG", ["consignments", "0", "address", "city"])]
    assert payload["checkout"]["consignments"] == []


async def test_at_most_50_custom_fields_per_address(flow, client, store):
    cart = await flow.cart(SHIRT=1)

    def fields(count: int) -> list[dict[str, str]]:
        return [{"fieldId": f"field_{index}", "fieldValue": str(index)} for index in range(count)]

    payload = await set_billing(client, store, cart.id, customFields=fields(MAX_CUSTOM_FIELDS_PER_ADDRESS + 1))
    assert errors_of(payload) == [("TOO_MANY", ["address", "customFields"])]
    assert payload["checkout"]["billingAddress"] is None
    await assert_still_serving(client, store)

    payload = await set_billing(client, store, cart.id, customFields=fields(MAX_CUSTOM_FIELDS_PER_ADDRESS))
    assert payload["errors"] == []
    assert len(payload["checkout"]["billingAddress"]["customFields"]) == MAX_CUSTOM_FIELDS_PER_ADDRESS


async def add_consignments(client: httpx.AsyncClient, store: StoreFixture, cart: Cart, count: int) -> Any:
    consignments = [{"address": US_CA, "lineItems": cart.units(SHIRT=1)} for _ in range(count)]
    body = await gql(
        client,
        ADD_CONSIGNMENTS,
        {"input": {"checkoutId": cart.id, "consignments": consignments}},
        token=store.storefront_token,
    )
    return data(body)["addConsignments"]


async def test_at_most_50_consignments_per_checkout(flow, client, store):
    cart = await flow.cart(SHIRT=MAX_CONSIGNMENTS_PER_CHECKOUT + 5)

    # One request with 51: refused, nothing added.
    payload = await add_consignments(client, store, cart, MAX_CONSIGNMENTS_PER_CHECKOUT + 1)
    assert errors_of(payload) == [("TOO_MANY", ["consignments"])]
    assert payload["checkout"]["consignments"] == []
    await assert_still_serving(client, store)

    # 50 in two requests fill the checkout; the 51st is refused.
    assert (await add_consignments(client, store, cart, 30))["errors"] == []
    payload = await add_consignments(client, store, cart, MAX_CONSIGNMENTS_PER_CHECKOUT - 30)
    assert payload["errors"] == []
    assert len(payload["checkout"]["consignments"]) == MAX_CONSIGNMENTS_PER_CHECKOUT
    version = payload["checkout"]["version"]

    payload = await add_consignments(client, store, cart, 1)
    assert errors_of(payload) == [("TOO_MANY", ["consignments"])]
    assert len(payload["checkout"]["consignments"]) == MAX_CONSIGNMENTS_PER_CHECKOUT
    assert payload["checkout"]["version"] == version
    await assert_still_serving(client, store)


@pytest.fixture
async def bulk_store(engine: AsyncEngine) -> StoreFixture:
    """A store whose catalog has more SKUs than a checkout may hold line items."""
    bulk = tuple(
        ProductInput(f"BULK-{index:03d}", f"Bulk item {index}", Decimal("1.00"), Decimal("0.10"))
        for index in range(MAX_LINE_ITEMS_PER_CHECKOUT + 1)
    )
    return await make_store(engine, slug="bulk", catalog=CATALOG + bulk)


async def test_at_most_250_line_items_per_checkout(client, bulk_store):
    def lines(count: int) -> list[dict[str, Any]]:
        return [{"sku": f"BULK-{index:03d}", "quantity": 1} for index in range(count)]

    async def create(line_items: list[dict[str, Any]]) -> Any:
        body = await gql(
            client, CREATE_CHECKOUT, {"input": {"lineItems": line_items}}, token=bulk_store.storefront_token
        )
        return data(body)["createCheckout"]

    payload = await create(lines(MAX_LINE_ITEMS_PER_CHECKOUT + 1))
    assert errors_of(payload) == [("TOO_MANY", ["lineItems"])]
    assert payload["checkout"] is None
    listed = data(await gql(client, CHECKOUTS_COUNT, token=bulk_store.server_token))["checkouts"]["nodes"]
    assert listed == []
    await assert_still_serving(client, bulk_store)

    payload = await create(lines(MAX_LINE_ITEMS_PER_CHECKOUT))
    assert payload["errors"] == []
    assert len(payload["checkout"]["lineItems"]) == MAX_LINE_ITEMS_PER_CHECKOUT


async def test_at_most_250_items_per_shipment(flow, client, store):
    await flow.shipping()
    order = await flow.place_order(lines={"SHIRT": 2, "MUG": 1})
    shipping_address = order["shippingAddresses"][0]["id"]
    shirt = next(product["id"] for product in order["products"] if product["sku"] == "SHIRT")

    body = await gql(
        client,
        CREATE_SHIPMENT,
        {
            "input": {
                "orderId": order["id"],
                "shippingAddressId": shipping_address,
                "items": [{"orderProductId": shirt, "quantity": 1}] * (MAX_ITEMS_PER_SHIPMENT + 1),
            }
        },
        token=store.server_token,
    )
    payload = data(body)["createShipment"]
    assert payload["shipment"] is None
    assert ("TOO_MANY", ["items"]) in errors_of(payload), payload["errors"][:3]
    state = data(await gql(client, ORDER_STATE, {"id": order["id"]}, token=store.server_token))["order"]
    assert state["itemsShipped"] == 0 and state["shipments"] == []
    assert {product["quantityShipped"] for product in state["products"]} == {0}
    await assert_still_serving(client, store)


async def test_limits_are_configurable(database_url, engine, store):
    """The settings are the only source of the numbers: lower them and the same documents are refused."""
    settings = Settings(
        database_url=database_url,
        host="127.0.0.1",
        port=0,
        environment="test",
        max_query_depth=3,
        max_query_aliases=1,
        max_query_cost=10,
        max_query_tokens=50,
        max_batch_operations=2,
        max_body_bytes=2048,
    )
    app = create_app(settings, engine=engine)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway.test") as client:
        tight = "{ products(first: 1) { nodes { sku } } }"
        assert data(await post(client, tight, token=store.server_token)) == {"products": {"nodes": [{"sku": "SHIRT"}]}}
        for query, code in (
            (nested_order_query(4), "QUERY_TOO_DEEP"),
            (aliased_typenames(2), "TOO_MANY_ALIASES"),
            ("{ products(first: 11) { nodes { sku } } }", "QUERY_TOO_COMPLEX"),
        ):
            body = await post(client, query, token=store.server_token)
            assert [error["extensions"]["code"] for error in body["errors"]] == [code], body
        response = await client.post(
            "/graphql",
            content=padded_body(2049),
            headers={"X-Auth-Token": store.server_token, "Content-Type": "application/json"},
        )
        assert response.status_code == 413, response.text
        assert response.json()["errors"][0]["extensions"]["code"] == "REQUEST_TOO_LARGE"
        assert "2048" in response.json()["errors"][0]["message"]
        assert (await post(client, tight, token=store.server_token))["data"]["products"]["nodes"]


# --- one cost budget per request -----------------------------------------------------------------------

PRODUCT_FIELDS = "id sku name weight requiresShipping price { value currencyCode }"
#: Six aliased pages of 100 products with every product field: 5,406 each, so three fit in the budget.
WIDE_PRODUCTS = (
    "query WideProducts { "
    + " ".join(f"p{index}: products(first: 100) {{ nodes {{ {PRODUCT_FIELDS} }} }}" for index in range(6))
    + " }"
)


async def test_a_batch_shares_one_cost_budget(client, store):
    """A JSON-array batch cannot multiply the cost limit: its operations draw on one budget, in order, and
    each operation that would take the sum over the limit is refused (QUERY_TOO_COMPLEX), running nothing."""
    single = await post(client, WIDE_PRODUCTS, token=store.storefront_token)
    assert len(data(single)["p0"]["nodes"]) == len(CATALOG)

    headers = {"X-Auth-Token": store.storefront_token}
    response = await client.post("/graphql", json=[{"query": WIDE_PRODUCTS}] * MAX_BATCH_OPERATIONS, headers=headers)
    assert response.status_code == 200, response.text
    results = response.json()
    answered = [result for result in results if result.get("data")]
    refused_ = [result for result in results if not result.get("data")]
    cost = 6 * (1 + 100 * (1 + 1 + 1 + 1 + 1 + 1 + 1 + 2))
    assert len(answered) == MAX_COST // cost == 3, [result.get("errors") for result in results]
    assert all(result == single for result in answered)
    assert results[: len(answered)] == answered  # the first operations are the ones admitted
    for result in refused_:
        assert result["data"] is None
        assert [error["extensions"]["code"] for error in result["errors"]] == ["QUERY_TOO_COMPLEX"], result
        assert f"the limit is {MAX_COST} per request" in result["errors"][0]["message"]
    await assert_still_serving(client, store)

    # The budget is per request: the next request has all of it again.
    again = await client.post("/graphql", json=[{"query": WIDE_PRODUCTS}] * 3, headers=headers)
    assert all(result.get("data") for result in again.json()), again.json()
