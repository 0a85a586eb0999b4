"""Tenant isolation, proven by enumeration.

Two stores, A and B, get the same data through the HTTP API: shipping zone and methods, a pickup location,
an open checkout with a consignment and a selected option, a checkout ready to complete, an order (placed
with an idempotency key) with a shipment, an order without, and an order to collect in store. A is also
connected to a carrier.

Then, for EVERY root query and mutation field found by introspecting the running schema, store B's server
token and storefront token call it with A's ids, and the answer must be identical (request ids and the ids
themselves normalised) to the answer for random ids of the same shape that never existed: B can neither
read, change, nor even detect A's objects. Fields taking several ids are also called with only one of
them A's (the others B's own, valid ones), so a lookup that forgets the store filter on a child object
shows up too. List fields answered for B contain none of A's objects. A is read with A's token (and
straight from the database) before and after: nothing of A changed. Finally every probe runs with B's own
ids and B's server token and must work, so the refusals above are about ownership, not malformed input.

Argument values are built from the introspected input types; the registry `PROBES` only names which
arguments carry which kind of id and which optional inputs to send. A root field without an entry, or an
id-like argument (type ID, or named `id` / `...Id`) without an id kind, fails the test: a field added
later cannot escape this enumeration.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import re
import secrets
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import graphql
import httpx
import pytest
import sqlalchemy as sa
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    get_named_type,
    is_leaf_type,
    is_required_argument,
    is_required_input_field,
)
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.app import create_app
from gateway.settings import Settings
from gateway.storage import models
from tests.factories import StoreFixture, make_store
from tests.invariants import assert_invariants
from tests.order_flow import REFRESH, US_CA, OrderFlow

pytestmark = pytest.mark.anyio

#: Two registered carriers with the same display name: A connects to the first; the second is the
#: "never connected" counterpart (carrier ids are a global registry, not tenant data).
CARRIERS = {
    "acme": {"url": "http://127.0.0.1:9/rates", "name": "Parcel Carrier"},
    "zeta": {"url": "http://127.0.0.1:9/rates", "name": "Parcel Carrier"},
}
A_CARRIER, NEVER_CONNECTED_CARRIER = "acme", "zeta"
CARRIER_SECRET = "a-secret-account-number"

#: Nesting of the generated selection sets (root field = 1): deep enough for every object behind an id;
#: list fields go one level less (their cost is multiplied by the page size).
SELECTION_DEPTH = 5
LIST_SELECTION_DEPTH = 4
#: Page size of list fields (cost limit: the selection below is multiplied by it).
PAGE = 10


# --- the registry: which arguments carry which ids, and which optional inputs to send -------------------


@dataclass(frozen=True)
class Probe:
    """How to call one root field.

    slots:   argument path (dotted, list elements implicit) -> id kind (see `World.ids`)
    shapes:  sets of optional argument paths to send; one probe per shape (required ones always go)
    values:  fixed values for argument paths that the generic builder would get wrong
    listing: a list field; B's answer must hold none of A's objects
    """

    slots: dict[str, str] = field(default_factory=dict)
    shapes: tuple[frozenset[str], ...] = (frozenset(),)
    values: dict[str, Any] = field(default_factory=dict)
    listing: bool = False


def shapes(*paths: set[str]) -> tuple[frozenset[str], ...]:
    return tuple(frozenset(group) for group in paths)


LIST = Probe(listing=True, values={"first": PAGE})

#: Every root field, in the order the positive controls run with B's own ids (each must succeed there).
PROBES: dict[str, Probe] = {
    # queries
    "products": LIST,
    "checkouts": LIST,
    "orders": LIST,
    "shippingZones": Probe(listing=True),
    "pickupMethods": Probe(listing=True),
    "carrierAccounts": Probe(listing=True),
    "carrierConnections": Probe(listing=True),  # deprecated name of carrierAccounts
    "checkout": Probe(slots={"id": "checkout"}),
    "order": Probe(slots={"id": "order"}),
    # checkouts
    "createCheckout": Probe(),
    "setCheckoutBillingAddress": Probe(slots={"input.checkoutId": "checkout"}),
    "refreshShippingOptions": Probe(
        slots={"input.checkoutId": "checkout", "input.consignmentId": "consignment"},
        shapes=shapes(set(), {"input.consignmentId"}),
    ),
    "updateConsignment": Probe(
        slots={
            "input.checkoutId": "checkout",
            "input.consignmentId": "consignment",
            "input.shippingOptionId": "shipping_option",
            "input.lineItems.itemId": "line_item",
            "input.pickupOption.pickupMethodId": "pickup_method",
        },
        shapes=shapes({"input.shippingOptionId"}, {"input.address", "input.lineItems"}, {"input.pickupOption"}),
    ),
    "deleteConsignment": Probe(slots={"input.checkoutId": "checkout", "input.consignmentId": "consignment"}),
    "addConsignments": Probe(
        slots={
            "input.checkoutId": "checkout",
            "input.consignments.lineItems.itemId": "line_item",
            "input.consignments.pickupOption.pickupMethodId": "pickup_method",
        },
        shapes=shapes({"input.consignments.address"}, {"input.consignments.pickupOption"}),
    ),
    "completeCheckout": Probe(
        slots={"input.checkoutId": "ready_checkout", "input.idempotencyKey": "idempotency_key"},
        shapes=shapes(set(), {"input.idempotencyKey"}),
    ),
    # orders
    "createShipment": Probe(
        slots={
            "input.orderId": "order",
            "input.shippingAddressId": "shipping_address",
            "input.items.orderProductId": "order_product",
        }
    ),
    "updateShipment": Probe(slots={"input.shipmentId": "shipment"}, shapes=shapes({"input.trackingNumber"})),
    "deleteShipment": Probe(slots={"input.shipmentId": "shipment"}),
    "markPickedUp": Probe(slots={"input.orderId": "pickup_order", "input.pickupId": "pickup"}),
    "cancelOrder": Probe(slots={"input.orderId": "unshipped_order"}),
    # shipping configuration
    "createShippingZone": Probe(values={"input.type": "GLOBAL"}),
    "updateShippingZone": Probe(slots={"input.id": "zone"}, shapes=shapes({"input.name"})),
    "createShippingMethod": Probe(
        slots={"input.zoneId": "zone"}, values={"input.type": "PER_ORDER", "input.rate": "4.00"}
    ),
    "updateShippingMethod": Probe(slots={"input.id": "method"}, shapes=shapes({"input.name"})),
    "deleteShippingMethod": Probe(slots={"input.id": "method"}),
    "createPickupMethod": Probe(),
    "updatePickupMethod": Probe(slots={"input.id": "pickup_method"}, shapes=shapes({"input.locationName"})),
    "deletePickupMethod": Probe(slots={"input.id": "pickup_method"}),
    "deleteShippingZone": Probe(slots={"input.id": "zone"}),
    "connectCarrier": Probe(slots={"input.carrierId": "carrier"}, shapes=shapes({"input.credentials"})),
    "disconnectCarrier": Probe(slots={"input.carrierId": "carrier"}),
}

#: Plain values by input field name (anything else: "Probe value", 1, true, the first enum value...).
STRING_VALUES = {
    "email": "probe@example.com",
    "countryCode": "US",
    "stateOrProvinceCode": "CA",
    "postalCode": "94105",
    "sku": "SHIRT",
    "key": "account_number",
    "value": "12345",
    "trackingNumber": "1Z-PROBE",
}
SCALAR_VALUES = {"Int": 1, "Float": 1.0, "Boolean": True, "Decimal": "4.00", "DateTime": "2020-01-01T00:00:00Z"}

ID_LIKE = re.compile(r"^(id|.*Id)$")


class MissingProbe(AssertionError):
    pass


@dataclass(frozen=True)
class Slot:
    path: str
    kind: str


def _build_value(root: str, probe: Probe, shape: frozenset[str], type_: GraphQLInputType, path: str) -> Any:
    if path in probe.slots:
        return Slot(path, probe.slots[path])
    if path in probe.values:
        return probe.values[path]
    if isinstance(type_, GraphQLNonNull):
        return _build_value(root, probe, shape, type_.of_type, path)
    if isinstance(type_, GraphQLList):
        return [_build_value(root, probe, shape, type_.of_type, path)]
    name = path.rsplit(".", 1)[-1]
    if isinstance(type_, GraphQLInputObjectType):
        return {
            key: _build_value(root, probe, shape, input_field.type, f"{path}.{key}")
            for key, input_field in type_.fields.items()
            if is_required_input_field(input_field) or _wanted(probe, shape, f"{path}.{key}")
        }
    if ID_LIKE.match(name) or (isinstance(type_, GraphQLScalarType) and type_.name == "ID"):
        raise MissingProbe(
            f"{root}: argument {path} looks like an id but PROBES[{root!r}].slots names no id kind for it; "
            "add one so tenant isolation covers it"
        )
    if isinstance(type_, GraphQLEnumType):
        return next(iter(type_.values))
    if isinstance(type_, GraphQLScalarType):
        if type_.name == "String":
            return STRING_VALUES.get(name, "Probe value")
        if type_.name in SCALAR_VALUES:
            return SCALAR_VALUES[type_.name]
    raise MissingProbe(f"{root}: no value builder for {path} of type {type_}")


def _wanted(probe: Probe, shape: frozenset[str], path: str) -> bool:
    """Optional inputs go when the shape or the fixed values name them (or something inside them)."""
    named = itertools.chain(shape, probe.values, (slot for slot in probe.slots if _slot_in_shape(slot, shape)))
    return any(item == path or item.startswith(path + ".") for item in named)


def _slot_in_shape(slot: str, shape: frozenset[str]) -> bool:
    return any(slot == item or slot.startswith(item + ".") for item in shape)


@dataclass
class Operation:
    """One root field call with placeholders (`Slot`) where ids go."""

    root: str
    kind: str  # "query" | "mutation"
    probe: Probe
    shape: frozenset[str]
    document: str
    variables: dict[str, Any]

    def slots(self) -> list[Slot]:
        found: list[Slot] = []

        def walk(value: Any) -> None:
            if isinstance(value, Slot):
                if value not in found:
                    found.append(value)
            elif isinstance(value, dict):
                for item in value.values():
                    walk(item)
            elif isinstance(value, list):
                for item in value:
                    walk(item)

        walk(self.variables)
        return found

    def resolve(self, assignment: dict[str, Any]) -> dict[str, Any]:
        def walk(value: Any) -> Any:
            if isinstance(value, Slot):
                return assignment[value.path]
            if isinstance(value, dict):
                return {key: walk(item) for key, item in value.items()}
            if isinstance(value, list):
                return [walk(item) for item in value]
            return value

        return walk(self.variables)  # type: ignore[no-any-return]


def selection(schema: GraphQLSchema, type_name: str, depth: int, seen: frozenset[str], limit: int) -> str:
    """Every field reachable without required arguments, `__typename` on each object, no type twice on
    one path, at most `limit` levels. Connections: `nodes` and `pageInfo` (`edges` repeat the
    nodes and would only double the query's cost)."""
    object_type = schema.get_type(type_name)
    assert isinstance(object_type, GraphQLObjectType), type_name
    parts = ["__typename"]
    for name, object_field in object_type.fields.items():
        if any(is_required_argument(argument) for argument in object_field.args.values()):
            continue
        if name == "edges" and "nodes" in object_type.fields:
            continue
        target = get_named_type(object_field.type)
        if is_leaf_type(target):
            parts.append(name)
        elif depth < limit and target.name not in seen:
            parts.append(f"{name} {selection(schema, target.name, depth + 1, seen | {target.name}, limit)}")
    return "{ " + " ".join(parts) + " }"


def operations(schema: GraphQLSchema) -> list[Operation]:
    """One operation per root field and shape; raises `MissingProbe` for anything unregistered."""
    roots = [("query", schema.query_type), ("mutation", schema.mutation_type)]
    found = {name for _, root in roots if root is not None for name in root.fields}
    missing = sorted(found - set(PROBES))
    if missing:
        raise MissingProbe(f"root fields without a tenant-isolation probe in PROBES: {', '.join(missing)}")
    stale = sorted(set(PROBES) - found)
    assert not stale, f"PROBES names fields the schema no longer has: {stale}"
    result: list[Operation] = []
    order = {name: index for index, name in enumerate(PROBES)}
    for kind, root in roots:
        assert root is not None
        for name, root_field in sorted(root.fields.items(), key=lambda item: order[item[0]]):
            probe = PROBES[name]
            for shape in probe.shapes:
                variables: dict[str, Any] = {}
                declarations: list[str] = []
                arguments: list[str] = []
                for arg_name, argument in root_field.args.items():
                    if not (is_required_argument(argument) or _wanted(probe, shape, arg_name)):
                        continue
                    variables[arg_name] = _build_value(name, probe, shape, argument.type, arg_name)
                    declarations.append(f"${arg_name}: {argument.type}")
                    arguments.append(f"{arg_name}: ${arg_name}")
                target = get_named_type(root_field.type)
                limit = LIST_SELECTION_DEPTH if probe.listing else SELECTION_DEPTH
                body = (
                    ""
                    if is_leaf_type(target)
                    else " " + selection(schema, target.name, 2, frozenset({target.name}), limit)
                )
                head = f"({', '.join(declarations)})" if declarations else ""
                call = f"({', '.join(arguments)})" if arguments else ""
                document = f"{kind} Probe{head} {{ {name}{call}{body} }}"
                result.append(Operation(name, kind, probe, shape, document, variables))
    return result


# --- the two stores -------------------------------------------------------------------------------------

#: The kinds of ids a World holds (the values of `Probe.slots`).
KINDS = (
    "checkout ready_checkout line_item consignment shipping_option pickup_method order unshipped_order "
    "shipping_address order_product shipment zone method carrier idempotency_key pickup_order pickup"
).split()


@dataclass
class World:
    """One store's data; `ids[kind]` lists the ids of that kind, the primary (used by probes) first."""

    store: StoreFixture
    ids: dict[str, list[Any]]

    def primary(self, kind: str) -> Any:
        return self.ids[kind][0]

    async def requote(self, client: httpx.AsyncClient) -> None:
        """Re-quote the checkouts after shipping configuration changes (the probes made some in B)."""
        flow = OrderFlow(client, self.store)
        for checkout_id in (self.primary("checkout"), self.primary("ready_checkout")):
            if (await flow.checkout(checkout_id))["order"] is not None:
                continue  # completed by a probe (completeCheckout with B's own checkout): read-only now
            payload = await flow.storefront_mutation(REFRESH, "refreshShippingOptions", {"checkoutId": checkout_id})
            assert payload["errors"] == [], payload
            assert payload["checkout"]["problems"] == [] or checkout_id == self.primary("checkout"), payload

    async def reread_options(self, client: httpx.AsyncClient) -> None:
        """Option ids change with the shipping configuration: read the open checkout's current ones."""
        checkout = await OrderFlow(client, self.store).checkout(self.ids["checkout"][0])
        consignment = next(c for c in checkout["consignments"] if c["id"] == self.primary("consignment"))
        options = {o["description"]: o["id"] for o in consignment["availableShippingOptions"]}
        self.ids["shipping_option"] = [options["Per Item"], options["Flat Rate"]]


CONNECT_CARRIER = """
mutation($input: ConnectCarrierInput!) { connectCarrier(input: $input) { errors { code } } }
"""


async def build_world(client: httpx.AsyncClient, store: StoreFixture, *, carrier: str | None) -> World:
    flow = OrderFlow(client, store)
    setup = await flow.shipping()
    pickup = await flow.pickup_method()
    if carrier is not None:
        connected = await flow.server_mutation(
            CONNECT_CARRIER,
            "connectCarrier",
            {"carrierId": carrier, "credentials": [{"key": "account_number", "value": CARRIER_SECRET}]},
        )
        assert connected["errors"] == [], connected

    # An open checkout: SHIRT 1 + MUG 1 in a consignment with "Flat Rate" selected, SHIRT 2 unassigned.
    cart = await flow.cart(SHIRT=3, MUG=1)
    consignment_id = await flow.ship(cart, US_CA, SHIRT=1, MUG=1)
    await flow.select(cart, consignment_id, "Flat Rate")
    await flow.set_billing(cart)
    editing = await flow.checkout(cart.id)
    options = {o["description"]: o["id"] for o in editing["consignments"][0]["availableShippingOptions"]}

    ready = await flow.ready(lines={"SHIRT": 1})
    idempotency_key = str(uuid.uuid4())
    order = await flow.completed((await flow.ready(lines={"SHIRT": 2, "MUG": 1})).id, idempotency_key=idempotency_key)
    shipment = (await flow.shipped(order, 0, items={"SHIRT": 1}))["shipment"]
    unshipped = await flow.place_order(lines={"LAMP": 1})
    collect = await flow.cart(SOCKS=1)
    await flow.pickup(collect, pickup, SOCKS=1)
    await flow.set_billing(collect)
    pickup_order = await flow.completed(collect.id)
    products = {p["sku"]: p["id"] for p in order["products"]}

    checkouts = [cart.id, ready.id, order["checkoutId"], unshipped["checkoutId"]]
    return World(
        store=store,
        ids={
            "checkout": checkouts,
            "ready_checkout": [ready.id, cart.id, order["checkoutId"]],
            "line_item": [cart.items["SHIRT"], cart.items["MUG"]],
            "consignment": [consignment_id],
            "shipping_option": [options["Per Item"], options["Flat Rate"]],
            "pickup_method": [pickup],
            "order": [order["id"], unshipped["id"]],
            "unshipped_order": [unshipped["id"], order["id"]],
            "shipping_address": [order["shippingAddresses"][0]["id"]],
            "order_product": [products["MUG"], products["SHIRT"]],
            "shipment": [shipment["id"]],
            "zone": [setup.zone_id],
            "method": [setup.methods["Flat Rate"], setup.methods["Per Item"]],
            "carrier": [carrier or A_CARRIER],
            "idempotency_key": [idempotency_key],
            "pickup_order": [pickup_order["id"]],
            "pickup": [pickup_order["pickups"][0]["id"]],
        },
    )


_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_HEX = re.compile(r"^[0-9a-f]+$")


def never_existing_like(value: Any, kind: str) -> Any:
    """A random id of the same shape as `value` that no store has."""
    if kind == "carrier":
        return NEVER_CONNECTED_CARRIER
    if isinstance(value, int):
        return 900_000_000 + secrets.randbelow(90_000_000)
    text = str(value)
    if _UUID.match(text):
        return str(uuid.uuid4())
    if text.isdigit():
        return str(900_000_000 + secrets.randbelow(90_000_000))
    if _HEX.match(text):
        return secrets.token_hex(len(text) // 2)
    raise AssertionError(f"no random id shape for {kind} id {value!r}")


# --- calling and comparing ------------------------------------------------------------------------------


async def call(
    client: httpx.AsyncClient, operation: Operation, variables: dict[str, Any], token: str
) -> tuple[int, Any]:
    response = await client.post(
        "/graphql", json={"query": operation.document, "variables": variables}, headers={"X-Auth-Token": token}
    )
    try:
        return response.status_code, response.json()
    except ValueError:
        return response.status_code, response.text


def without_request_ids(answer: Any) -> Any:
    if isinstance(answer, dict):
        return {key: without_request_ids(value) for key, value in answer.items() if key != "requestId"}
    if isinstance(answer, list):
        return [without_request_ids(item) for item in answer]
    return answer


def first_difference(x: Any, y: Any, pairs: list[tuple[str, str]], path: str = "") -> str | None:
    """Where the answer for A's ids (`x`) differs from the answer for random ids (`y`), or None. A value
    equal to an id sent may differ by exactly that substitution (`pairs`: (A's id, random id)); messages
    may quote the ids."""
    if isinstance(x, dict) and isinstance(y, dict):
        if x.keys() != y.keys():
            return f"{path or '.'}: keys {sorted(x)} vs {sorted(y)}"
        for key in x:
            found = first_difference(x[key], y[key], pairs, f"{path}.{key}")
            if found:
                return found
        return None
    if isinstance(x, list) and isinstance(y, list):
        if len(x) != len(y):
            return f"{path}: {len(x)} vs {len(y)} entries"
        for index, (left, right) in enumerate(zip(x, y, strict=True)):
            found = first_difference(left, right, pairs, f"{path}[{index}]")
            if found:
                return found
        return None
    if x == y or (str(x), str(y)) in pairs:
        return None
    if isinstance(x, str) and isinstance(y, str) and path.endswith(".message"):
        for index, (mine, fake) in enumerate(pairs):
            x = _quoted(mine).sub(f"<id{index}>", x)
            y = _quoted(fake).sub(f"<id{index}>", y)
        if x == y:
            return None
    return f"{path}: {json.dumps(x)} vs {json.dumps(y)}"


def _quoted(value: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![0-9A-Za-z]){re.escape(value)}(?![0-9A-Za-z])")


def variants(operation: Operation, a: World, b: World) -> Iterator[tuple[str, dict[str, Any]]]:
    """(label, {slot path: A's id}) to try: every slot A's at once, then each slot alone being A's (each of
    A's ids of that kind) with the others B's own."""
    slots = operation.slots()
    seen: set[tuple[tuple[str, str], ...]] = set()

    def emit(label: str, foreign: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
        key = tuple(sorted((path, str(value)) for path, value in foreign.items()))
        if key not in seen:
            seen.add(key)
            yield label, foreign

    yield from emit("all ids A's" if slots else "no ids", {slot.path: a.primary(slot.kind) for slot in slots})
    for slot in slots:
        for value in a.ids[slot.kind]:
            yield from emit(f"only {slot.path} A's ({value})", {slot.path: value})


@dataclass
class Report:
    compared: int = 0
    uncompared: int = 0
    #: Root fields called with B's tokens.
    called: set[str] = dataclasses.field(default_factory=set)
    differences: list[str] = dataclasses.field(default_factory=list)


async def compare(
    client: httpx.AsyncClient, operation: Operation, a: World, b: World, token_kind: str, report: Report
) -> None:
    """Call the operation for each variant with A's ids and with random ids; record any difference. An
    operation without ids runs once (it cannot name A's objects; the snapshots show it changed none)."""
    token = getattr(b.store, f"{token_kind}_token")
    randoms: dict[str, Any] = {}
    report.called.add(operation.root)
    if not operation.slots():
        status, answer = await call(client, operation, operation.resolve({}), token)
        assert status == 200 and isinstance(answer, dict) and "data" in answer, (operation.root, status, answer)
        report.uncompared += 1
        return
    for label, foreign in variants(operation, a, b):
        own = {slot.path: b.primary(slot.kind) for slot in operation.slots() if slot.path not in foreign}
        fake = {}
        for path, value in foreign.items():
            kind = operation.probe.slots[path]
            fake[path] = randoms.setdefault(f"{kind}:{value}", never_existing_like(value, kind))
        status_a, answer_a = await call(client, operation, operation.resolve({**own, **foreign}), token)
        status_r, answer_r = await call(client, operation, operation.resolve({**own, **fake}), token)
        report.compared += 1
        pairs = [(str(foreign[path]), str(fake[path])) for path in foreign]
        difference = first_difference(
            [status_a, without_request_ids(answer_a)], [status_r, without_request_ids(answer_r)], pairs
        )
        if difference:
            report.differences.append(
                f"{operation.root} {sorted(operation.shape) or ''} with B's {token_kind} token, {label}: "
                f"{difference}\n--- answer for A's id ---\n{json.dumps(answer_a)[:3000]}\n"
                f"--- answer for a random id ---\n{json.dumps(answer_r)[:3000]}"
            )
        if token_kind == "storefront" and _forbidden(answer_a):
            return  # the storefront may not call this field at all: one comparison says it all


def _forbidden(answer: Any) -> bool:
    errors = answer.get("errors") if isinstance(answer, dict) else None
    return bool(errors) and all((e.get("extensions") or {}).get("code") == "FORBIDDEN" for e in errors)


def objects(answer: Any) -> set[tuple[str, str]]:
    """(typename, id) of every object with an id in an answer."""
    found: set[tuple[str, str]] = set()

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            if "__typename" in value and "id" in value:
                found.add((value["__typename"], str(value["id"])))
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(answer)
    return found


def _data(answer: Any, root: str) -> Any:
    assert isinstance(answer, dict) and not answer.get("errors"), answer
    return answer["data"][root]


def _has_next_page(value: Any) -> bool:
    if isinstance(value, dict):
        if (value.get("pageInfo") or {}).get("hasNextPage"):
            return True
        return any(_has_next_page(item) for item in value.values())
    if isinstance(value, list):
        return any(_has_next_page(item) for item in value)
    return False


# --- snapshots of A -------------------------------------------------------------------------------------


async def api_snapshot(client: httpx.AsyncClient, built: list[Operation], world: World) -> dict[str, Any]:
    """What A's tokens read: every list field, and every object behind each by-id query field (with the
    server token, and with the storefront token where it may read)."""
    snapshot: dict[str, Any] = {}
    for operation in built:
        if operation.kind != "query":
            continue
        if operation.probe.listing:
            status, answer = await call(client, operation, operation.resolve({}), world.store.server_token)
            assert status == 200, answer
            snapshot[operation.root] = _data(answer, operation.root)
            assert not _has_next_page(snapshot[operation.root]), f"{operation.root}: more than {PAGE} of A's objects"
            continue
        (slot,) = operation.slots()
        for value in world.ids[slot.kind]:
            for token_kind in ("server", "storefront"):
                token = getattr(world.store, f"{token_kind}_token")
                status, answer = await call(client, operation, operation.resolve({slot.path: value}), token)
                assert status == 200, answer
                if token_kind == "server":
                    assert _data(answer, operation.root) is not None, (operation.root, value)
                snapshot[f"{operation.root}({value}) {token_kind}"] = answer
    return snapshot


async def sql_snapshot(engine: AsyncEngine, store_id: int) -> dict[str, list[str]]:
    """Every row of the store, every column, straight from the database."""
    rows: dict[str, list[str]] = {}
    async with engine.connect() as conn:
        for table in models.metadata.sorted_tables:
            column = table.c.id if table.name == "store" else table.c.get("store_id")
            if column is None:
                continue
            result = await conn.execute(sa.select(table).where(column == store_id))
            rows[table.name] = sorted(repr(tuple(row)) for row in result)
    return rows


# --- fixtures -------------------------------------------------------------------------------------------


@pytest.fixture
def app(settings: Settings, engine: AsyncEngine) -> Any:
    """The gateway with two registered carriers (the default test app has none)."""
    return create_app(dataclasses.replace(settings, carriers_json=json.dumps(CARRIERS)), engine=engine)


async def introspect(client: httpx.AsyncClient, token: str) -> GraphQLSchema:
    response = await client.post(
        "/graphql", json={"query": graphql.get_introspection_query()}, headers={"X-Auth-Token": token}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert not body.get("errors"), body["errors"]
    return graphql.build_client_schema(body["data"])


# --- the tests ------------------------------------------------------------------------------------------


async def test_every_root_field_has_a_probe(client: httpx.AsyncClient, store: StoreFixture) -> None:
    """The running schema's root fields and PROBES match, and every id-like argument has an id kind."""
    schema = await introspect(client, store.server_token)
    built = operations(schema)
    roots = {operation.root for operation in built}
    assert roots == set(PROBES)
    for operation in built:
        unknown = {slot.kind for slot in operation.slots()} - set(KINDS)
        assert not unknown, f"{operation.root}: unknown id kinds {unknown}"
        graphql_errors = graphql.validate(schema, graphql.parse(operation.document))
        assert not graphql_errors, (operation.document, graphql_errors)


async def test_store_b_cannot_read_change_or_detect_store_a(client: httpx.AsyncClient, engine: AsyncEngine) -> None:
    """B's tokens, given A's ids in every root field, get exactly what random ids get; B's lists hold
    nothing of A's; A is unchanged; and the same probes work for B with B's own ids."""
    a = await build_world(client, await make_store(engine, slug="tenant-a"), carrier=A_CARRIER)
    b = await build_world(client, await make_store(engine, slug="tenant-b"), carrier=None)
    assert set(a.ids) == set(KINDS)
    schema = await introspect(client, b.store.server_token)
    built = operations(schema)
    listings = [operation for operation in built if operation.probe.listing]

    api_before = await api_snapshot(client, built, a)
    sql_before = await sql_snapshot(engine, a.store.id)
    a_objects = objects(api_before) | {
        (typename, str(value))
        for typename, kind in (("Checkout", "checkout"), ("Order", "order"), ("Shipment", "shipment"))
        for value in a.ids[kind]
    }
    assert len(a_objects) > 20, a_objects

    # 1. Lists answered for B hold none of A's objects, and nothing about A's carrier connection.
    for operation in listings:
        for token_kind in ("server", "storefront"):
            status, answer = await call(
                client, operation, operation.resolve({}), getattr(b.store, f"{token_kind}_token")
            )
            assert status == 200, answer
            if token_kind == "storefront" and _forbidden(answer):
                continue
            listed = _data(answer, operation.root)
            leaked = objects(listed) & a_objects
            assert not leaked, f"{operation.root} for B's {token_kind} token lists A's objects {sorted(leaked)}"
            assert not _has_next_page(listed)
            if operation.root in ("carrierAccounts", "carrierConnections"):
                by_id = {entry["carrierId"]: {**entry, "carrierId": "<id>"} for entry in listed}
                assert by_id[A_CARRIER] == by_id[NEVER_CONNECTED_CARRIER], by_id
            assert CARRIER_SECRET not in json.dumps(answer)

    # 2. Every root field, with A's ids, answers B exactly as for ids that never existed.
    report = Report()
    for operation in built:
        for token_kind in ("server", "storefront"):
            await compare(client, operation, a, b, token_kind, report)
    assert not report.differences, (
        f"{len(report.differences)} of {report.compared} probes let B tell A's ids from random ones:\n"
        + "\n".join(difference.split("\n")[0][:300] for difference in report.differences)
        + "\n\nthe first ones in full:\n"
        + "\n\n".join(report.differences[:5])
    )
    assert report.called == set(PROBES), set(PROBES) - report.called
    assert report.compared >= 2 * len({operation.root for operation in built if operation.slots()}), report

    # 3. Nothing of A changed, as A's token sees it and as the database holds it.
    assert await api_snapshot(client, built, a) == api_before
    assert await sql_snapshot(engine, a.store.id) == sql_before
    await assert_invariants(engine, "after store B's probes")

    # 4. Positive control: every probe works for B with B's own ids, so the refusals were about ownership.
    await b.requote(client)
    for operation in built:
        if "shipping_option" in {slot.kind for slot in operation.slots()}:
            await b.reread_options(client)
        own = {slot.path: b.primary(slot.kind) for slot in operation.slots()}
        # A used idempotency key only fits the input it was first used with: the control takes a fresh one.
        own.update({slot.path: str(uuid.uuid4()) for slot in operation.slots() if slot.kind == "idempotency_key"})
        status, answer = await call(client, operation, operation.resolve(own), b.store.server_token)
        label = f"{operation.root} {sorted(operation.shape)} with B's own ids"
        assert status == 200, (label, answer)
        result = _data(answer, operation.root)
        assert result is not None, label
        if operation.kind == "mutation":
            assert result.get("errors") == [], (label, result)
        elif operation.probe.listing:
            assert objects(result) or operation.root in ("carrierAccounts", "carrierConnections"), (label, result)
            assert not objects(result) & a_objects, label
    assert await sql_snapshot(engine, a.store.id) == sql_before
    await assert_invariants(engine, "after store B's own changes")
