"""Scopes hold on every field that crosses into another area, not only on root fields.

A server token narrowed with `--scope checkouts:read` used to read every order's personal data through
`checkouts { nodes { order { ... } } }`. Every object type now belongs to a scope area
(`gateway.api.permissions.AREAS`); a field leading into another area needs that area's read scope, and the
operation is refused as a whole, before anything runs, with FORBIDDEN naming the scope and the field path.
Storefront tokens keep what the README grants them: their own checkout's order, with its shipments.

`test_no_path_reaches_a_field_of_another_area` enumerates the live schema: for every field whose type lies
in another area than its parent's, and every root field a token lacking that area's read scope may use
from which the field can be reached, a query reaching it (directly, through a named fragment and through an
inline fragment) is refused.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any

import pytest
from graphql import GraphQLField, GraphQLObjectType, get_named_type, is_non_null_type
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.api.permissions import AREAS, RESULT, SHARED, crossing_area, declared_access, read_scope
from gateway.api.schema import schema
from gateway.domain.tokens import SCOPES, TokenKind, create_token
from gateway.storage.db import write_transaction
from tests.factories import StoreFixture, data, gql
from tests.order_flow import OrderFlow

pytestmark = pytest.mark.anyio

LIVE = schema._schema
ROOTS = {root.name: kind for root, kind in ((LIVE.query_type, "query"), (LIVE.mutation_type, "mutation")) if root}

ISSUE_QUERY = """
{ checkouts(first: 100) { nodes { order { email status billingAddress { city } shipments { trackingNumber } } } } }
"""
STOREFRONT_ORDER = """
query($id: ID!) {
  checkout(id: $id) { id order { id email status billingAddress { city } shipments { trackingNumber } } }
}
"""


@dataclass(frozen=True)
class Crossing:
    """A field of `parent` whose type lies in `area`, another area than `parent`'s."""

    parent: str
    field: str
    area: str


def crossings() -> list[Crossing]:
    found = []
    for type_ in LIVE.type_map.values():
        if not isinstance(type_, GraphQLObjectType) or type_.name.startswith("__") or type_.name in ROOTS:
            continue
        for name, definition in type_.fields.items():
            area = crossing_area(type_, definition)
            if isinstance(area, str):
                found.append(Crossing(type_.name, name, area))
    return found


def object_fields(type_: GraphQLObjectType) -> list[tuple[str, GraphQLField, GraphQLObjectType]]:
    return [
        (name, definition, target)
        for name, definition in type_.fields.items()
        if isinstance(target := get_named_type(definition.type), GraphQLObjectType)
    ]


def path_to(start: GraphQLObjectType, goal: str) -> list[tuple[str, GraphQLField]] | None:
    """The shortest chain of object fields from `start` to the type named `goal` ([] when `start` is it)."""
    queue: deque[tuple[GraphQLObjectType, list[tuple[str, GraphQLField]]]] = deque([(start, [])])
    seen = {start.name}
    while queue:
        type_, path = queue.popleft()
        if type_.name == goal:
            return path
        for name, definition, target in object_fields(type_):
            if target.name not in seen:
                seen.add(target.name)
                queue.append((target, [*path, (name, definition)]))
    return None


def arguments(definition: GraphQLField, variables: dict[str, str]) -> str:
    """Required arguments as variables (access is refused before variables are coerced)."""
    required = [(name, arg) for name, arg in definition.args.items() if is_non_null_type(arg.type)]
    parts = []
    for name, arg in required:
        variable = f"v{len(variables)}"
        variables[variable] = str(arg.type)
        parts.append(f"{name}: ${variable}")
    return f"({', '.join(parts)})" if parts else ""


def queries_reaching(crossing: Crossing, root_name: str, root_field: str) -> list[tuple[str, str]] | None:
    """(document, expected path) reaching `crossing` from one root field, written three ways."""
    root_type = LIVE.get_type(root_name)
    assert isinstance(root_type, GraphQLObjectType)
    definition = root_type.fields[root_field]
    start = get_named_type(definition.type)
    if not isinstance(start, GraphQLObjectType):
        return None
    chain = path_to(start, crossing.parent)
    if chain is None:
        return None
    variables: dict[str, str] = {}
    steps = [f"{root_field}{arguments(definition, variables)}"]
    steps += [f"{name}{arguments(field, variables)}" for name, field in chain]
    target = LIVE.get_type(crossing.parent)
    assert isinstance(target, GraphQLObjectType)
    leaf = f"{crossing.field}{arguments(target.fields[crossing.field], variables)} {{ __typename }}"
    header = ROOTS[root_name] + (
        "(" + ", ".join(f"${name}: {type_}" for name, type_ in variables.items()) + ")" if variables else ""
    )
    expected = ".".join([root_field, *(name for name, _ in chain), crossing.field])

    def nest(inner: str) -> str:
        for step in reversed(steps):
            inner = f"{step} {{ {inner} }}"
        return f"{header} {{ {inner} }}"

    return [
        (nest(leaf), expected),
        (nest("...Reach") + f" fragment Reach on {crossing.parent} {{ {leaf} }}", expected),
        (nest(f"... on {crossing.parent} {{ {leaf} }}"), expected),
    ]


async def narrowed_token(engine: AsyncEngine, store: StoreFixture, *scopes: str) -> str:
    async with write_transaction(engine) as conn:
        return await create_token(conn, store.slug, TokenKind.SERVER, scopes=scopes)


def forbidden(body: dict[str, Any]) -> list[str]:
    assert body.get("data") is None, body
    errors = body.get("errors") or []
    assert errors and {error["extensions"]["code"] for error in errors} == {"FORBIDDEN"}, body
    return [error["message"] for error in errors]


async def test_checkouts_scope_does_not_read_orders_through_checkouts(client, store, engine):
    flow = OrderFlow(client, store)
    await flow.shipping()
    order = await flow.place_order()

    checkouts_only = await narrowed_token(engine, store, "checkouts:read")
    messages = forbidden(await gql(client, ISSUE_QUERY, token=checkouts_only))
    assert messages == ["checkouts.nodes.order needs the orders:read scope, which this token lacks"]

    # With orders:read too, the same query reads the order.
    both = await narrowed_token(engine, store, "checkouts:read", "orders:read")
    nodes = data(await gql(client, ISSUE_QUERY, token=both))["checkouts"]["nodes"]
    assert [node["order"]["email"] for node in nodes] == [order["email"]]

    # The storefront still reads its own checkout's order and tracking (README "Authentication").
    mine = data(await gql(client, STOREFRONT_ORDER, {"id": order["checkoutId"]}, token=store.storefront_token))
    assert mine["checkout"]["order"]["id"] == order["id"]
    assert mine["checkout"]["order"]["shipments"] == []


async def test_no_path_reaches_a_field_of_another_area(client, store, engine):
    found = crossings()
    assert {(crossing.parent, crossing.field) for crossing in found} >= {("Checkout", "order")}
    tokens = {}
    checked = 0
    for crossing in found:
        scope = read_scope(crossing.area)
        # Every scope but the area's own (its write scope would include reading it).
        area_scopes = {scope, scope.replace(":read", ":write")}
        if scope not in tokens:
            tokens[scope] = await narrowed_token(
                engine, store, *(other for other in SCOPES if other not in area_scopes)
            )
        for root_name in ROOTS:
            root_type = LIVE.get_type(root_name)
            assert isinstance(root_type, GraphQLObjectType)
            for root_field, definition in root_type.fields.items():
                rule = declared_access(definition)
                if rule is None or rule.scope in area_scopes:  # a root field the token may not use at all
                    continue
                for document, path in queries_reaching(crossing, root_name, root_field) or ():
                    body = await gql(client, document, token=tokens[scope])
                    messages = forbidden(body)
                    assert f"{path} needs the {scope} scope, which this token lacks" in messages, (document, messages)
                    checked += 1
    assert checked >= 3  # at least Checkout.order from `checkout`, written three ways


def test_every_object_type_has_a_scope_area():
    """A new type must be given an area: until it is, no one can reach it (see the next test)."""
    types = {
        name
        for name, type_ in LIVE.type_map.items()
        if isinstance(type_, GraphQLObjectType) and not name.startswith("__") and name not in ROOTS
    }
    assert types - AREAS.keys() == set(), "give these types an area in gateway.api.permissions.AREAS"
    assert AREAS.keys() - types == set(), "these names in AREAS are not types of the schema"
    assert set(AREAS.values()) <= {SHARED, RESULT, *(scope.split(":")[0] for scope in SCOPES)}


async def test_a_type_without_an_area_is_not_available(client, store, monkeypatch):
    monkeypatch.delitem(AREAS, "LineItem")
    body = await gql(client, "{ checkouts(first: 1) { nodes { id lineItems { sku } } } }", token=store.server_token)
    assert forbidden(body) == ["checkouts.nodes.lineItems is not available"]


CREATE_ZONE_READING_IT = 'mutation { createShippingZone(input: {name: "Z", type: GLOBAL}) { zone { id name } } }'
ORDERS_LIST = "{ orders(first: 1) { nodes { id } } }"


async def test_a_write_scope_reads_what_it_writes_but_nothing_else(client, store, engine):
    token = await narrowed_token(engine, store, "shipping:write")
    body = await gql(client, CREATE_ZONE_READING_IT, token=token)
    assert body.get("errors") is None, body
    assert body["data"]["createShippingZone"]["zone"]["name"] == "Z"
    messages = forbidden(await gql(client, ORDERS_LIST, token=token))
    assert any("orders:read" in message for message in messages), messages
