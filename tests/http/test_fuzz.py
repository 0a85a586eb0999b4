"""Property-based fuzzing of every root field through the real HTTP endpoint (hypothesis-graphql).

Operations are generated from `schema.graphql` (the file clients see, kept equal to the running schema by
tests/test_schema_file.py): valid GraphQL documents whose argument values are drawn from strategies that
mix real ids of a database already holding data (zones, methods, pickup locations, open, ready and
completed checkouts, orders with and without shipments, in this store and in another one) with
garbage, and realistic strings and numbers with hostile ones. Half of the documents are then "focused"
(`Focus`): their id arguments name one checkout or order and its own line items, consignments, options,
addresses, products and shipments, and well-known fields get plausible values, so that many mutations get
past the id lookups into the deeper rules, and some apply. Every mutation payload also selects `errors`,
so each answer says whether it applied. Each example is sent with the server or the storefront token.

After every example: no 5xx, no INTERNAL_SERVER_ERROR (nor SERVICE_UNAVAILABLE: the database is up),
every error carries a code, and, after every mutation that executed (and at the end of every property),
the stored data still satisfies every invariant of tests/invariants.py.

Examples are derandomized (fixed seed per property): CI runs the same documents every time. Bounded:
EXAMPLES_PER_MUTATION per mutation plus MIXED_EXAMPLES multi-field mutation documents and
QUERY_EXAMPLES query documents (FUZZ_SCALE=N multiplies them for a deeper run by hand). Shrinking is off
to keep a failing run bounded: the first failing document of each root field is reported as generated,
with the answer it got, and the other root fields are still fuzzed.

test_nul_characters_are_refused_not_crashing sends U+0000 in every string and id argument of every root
field (kept out of the main fuzz so that one known failure does not hide others).
"""

from __future__ import annotations

import functools
import itertools
import json
import os
import string
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import anyio
import anyio.from_thread
import anyio.to_thread
import graphql
import httpx
import pytest
import sqlalchemy as sa
from graphql import Visitor
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import mutations, nodes, queries
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.storage import models
from tests.factories import StoreFixture, make_store
from tests.invariants import assert_invariants
from tests.order_flow import GB_LONDON, US_CA, OrderFlow

pytestmark = pytest.mark.anyio

SCHEMA_SDL = (Path(__file__).resolve().parents[2] / "schema.graphql").read_text()
SCHEMA = graphql.build_schema(SCHEMA_SDL)
MUTATION_FIELDS = sorted(SCHEMA.mutation_type.fields) if SCHEMA.mutation_type else []
QUERY_FIELDS = sorted(SCHEMA.query_type.fields)

#: FUZZ_SCALE=N multiplies every example count, for a deeper run by hand; CI runs the default (1).
FUZZ_SCALE = max(1, int(os.environ.get("FUZZ_SCALE", "1")))
EXAMPLES_PER_MUTATION = 12 * FUZZ_SCALE
MIXED_EXAMPLES = 25 * FUZZ_SCALE
QUERY_EXAMPLES = 25 * FUZZ_SCALE
NUL_EXAMPLES = 5 * FUZZ_SCALE

FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES_PER_MUTATION,
    derandomize=True,
    database=None,
    deadline=None,
    phases=(Phase.explicit, Phase.generate),
    suppress_health_check=list(HealthCheck),
    print_blob=False,
)

#: Which token each example is sent with: the server token twice as often (most mutations are server-only,
#: and the storefront's FORBIDDEN answers are cheap to confirm).
TOKEN_KINDS = ("server", "storefront", "server")

#: Error codes that mean the server failed, not the request.
SERVER_FAILURES = {"INTERNAL_SERVER_ERROR", "SERVICE_UNAVAILABLE"}

# --- the data the fuzzer aims at ---------------------------------------------------------------------


async def seed(client: httpx.AsyncClient, engine: AsyncEngine, store: StoreFixture) -> None:
    """Real data in two stores: every kind of object the mutations take ids of."""
    flow = OrderFlow(client, store)
    setup = await flow.shipping()
    await flow.method(
        setup.zone_id,
        "By Weight",
        "WEIGHT",
        ranges=[{"lowerLimit": "0", "upperLimit": "5", "cost": "4.00"}],
        defaultCost="12.00",
    )
    pickup_id = await flow.pickup_method()

    # An open checkout: one shipping consignment with a selected option, a pickup one, units unassigned.
    editing = await flow.cart(SHIRT=3, MUG=2, EBOOK=1)
    shipped_to = await flow.ship(editing, US_CA, SHIRT=1)
    await flow.select(editing, shipped_to, "Flat Rate")
    await flow.pickup(editing, pickup_id, MUG=1)
    await flow.set_billing(editing)

    # A checkout ready to complete, and orders: partially shipped (two addresses), unshipped, cancelled.
    await flow.ready(lines={"LAMP": 1, "SOCKS": 4})
    order = await flow.place_order(
        lines={"SHIRT": 3, "MUG": 1, "EBOOK": 1},
        consignments=[(US_CA, {"SHIRT": 2}, "Flat Rate"), (GB_LONDON, {"SHIRT": 1, "MUG": 1}, "Per Item")],
    )
    await flow.shipped(order, 0, items={"SHIRT": 1}, trackingNumber="1Z999", shippingProvider="UPS")
    await flow.place_order()
    # A mixed order: a mug shipped to US, a shirt to collect in store.
    mixed = await flow.cart(SHIRT=1, MUG=1)
    await flow.pickup(mixed, pickup_id, SHIRT=1)
    await flow.select(mixed, await flow.ship(mixed, US_CA, MUG=1), "Flat Rate")
    await flow.set_billing(mixed)
    await flow.completed(mixed.id)
    cancelled = await flow.place_order(lines={"CHAIR": 1})
    await flow.cancel(cancelled["id"])

    # Another tenant: its ids must behave like unknown ones.
    other = OrderFlow(client, await make_store(engine, slug="fuzz-other"))
    await other.shipping()
    other_order = await other.place_order(lines={"SHIRT": 2})
    await other.shipped(other_order, 0, items={"SHIRT": 1})
    await other.cart(MUG=1)


async def id_pool(engine: AsyncEngine) -> tuple[list[str], list[int]]:
    """Every stored id (as the strings clients send), and the integers among them and checkout versions.

    In creation order, never in id order: checkout, line item and consignment ids are random UUIDs, and a
    sorted pool would map the same drawn index to a different kind of object on every run.
    """
    c, li, co, q = models.checkout, models.line_item, models.consignment, models.shipping_quote
    by_creation = [
        sa.select(c.c.id).order_by(c.c.created_at),
        sa.select(li.c.id).join(c, c.c.id == li.c.checkout_id).order_by(c.c.created_at, li.c.position),
        sa.select(co.c.id).order_by(co.c.created_at, co.c.position),
        sa.select(q.c.id).join(co, co.c.id == q.c.consignment_id).order_by(q.c.created_at, co.c.position, q.c.position),
    ]
    integer_ids = [
        models.shipping_zone.c.id,
        models.shipping_method.c.id,
        models.pickup_method.c.id,
        models.orders.c.id,
        models.order_shipping_address.c.id,
        models.order_product.c.id,
        models.shipment.c.id,
        models.product.c.id,
    ]
    ids: dict[str, None] = {}
    integers: dict[int, None] = {}
    async with engine.connect() as conn:
        for statement in by_creation:
            ids.update((str(value), None) for (value,) in await conn.execute(statement))
        for column in integer_ids:
            for (value,) in await conn.execute(sa.select(column).order_by(column)):
                ids[str(value)] = None
                integers[int(value)] = None
        for (version,) in await conn.execute(sa.select(c.c.version).order_by(c.c.created_at)):
            integers[int(version)] = None
    return list(ids), list(integers)


@dataclass(frozen=True)
class Related:
    """Ids that belong together, so a generated mutation can name a checkout *and* one of its own line
    items, consignments and options, or an order *and* one of its own addresses, products and shipments."""

    checkouts: list[dict[str, list[str]]]
    orders: list[dict[str, list[str]]]
    zones: list[str]
    methods: list[str]
    pickups: list[int]


async def related_ids(engine: AsyncEngine) -> Related:
    c, li, co, q = models.checkout, models.line_item, models.consignment, models.shipping_quote
    o, a, p, sh = models.orders, models.order_shipping_address, models.order_product, models.shipment
    async with engine.connect() as conn:

        async def column(statement: Any) -> list[Any]:
            return [row[0] for row in await conn.execute(statement)]

        checkouts = []
        for checkout_id in await column(sa.select(c.c.id).order_by(c.c.created_at)):
            consignments = await column(
                sa.select(co.c.id).where(co.c.checkout_id == checkout_id).order_by(co.c.position)
            )
            checkouts.append(
                {
                    "checkoutId": [checkout_id],
                    "itemId": await column(
                        sa.select(li.c.id).where(li.c.checkout_id == checkout_id).order_by(li.c.position)
                    ),
                    "consignmentId": consignments,
                    "shippingOptionId": await column(
                        sa.select(q.c.id)
                        .join(co, co.c.id == q.c.consignment_id)
                        .where(q.c.checkout_id == checkout_id)
                        .order_by(co.c.position, q.c.position)
                    ),
                }
            )
        orders = []
        for order_id in await column(sa.select(o.c.id).order_by(o.c.id)):
            orders.append(
                {
                    "orderId": [str(order_id)],
                    "shippingAddressId": [
                        str(value) for value in await column(sa.select(a.c.id).where(a.c.order_id == order_id))
                    ],
                    "pickupId": [
                        str(value)
                        for value in await column(
                            sa.select(a.c.id).where(a.c.order_id == order_id, a.c.pickup_method_id.is_not(None))
                        )
                    ],
                    "orderProductId": [
                        str(value) for value in await column(sa.select(p.c.id).where(p.c.order_id == order_id))
                    ],
                    "shipmentId": [
                        str(value) for value in await column(sa.select(sh.c.id).where(sh.c.order_id == order_id))
                    ],
                }
            )
        zones = [
            str(value)
            for value in await column(sa.select(models.shipping_zone.c.id).order_by(models.shipping_zone.c.id))
        ]
        methods = [
            str(value)
            for value in await column(sa.select(models.shipping_method.c.id).order_by(models.shipping_method.c.id))
        ]
        pickups = await column(sa.select(models.pickup_method.c.id).order_by(models.pickup_method.c.id))
    return Related(checkouts=checkouts, orders=orders, zones=zones, methods=methods, pickups=pickups)


#: Plausible values by input field name, for the focused half of the documents (the other half keeps
#: the hostile values drawn by the strategies).
PLAUSIBLE: dict[str, list[Any]] = {
    "email": ["shopper@example.com", "other@example.com"],
    "countryCode": ["US", "GB", "US"],
    "stateOrProvinceCode": ["CA"],
    "postalCode": ["94105", "SW1A 1AA"],
    "sku": ["SHIRT", "MUG", "LAMP", "EBOOK", "SOCKS"],
    "quantity": [1, 1, 2, 3],
    "version": [],  # leave the drawn version: usually a conflict, sometimes the current one
    "rate": ["5.00", "0", "1.25"],
    "value": ["2.00", "5"],
    "carrierId": ["demo"],
    "trackingLink": ["https://track.example.com/1Z999"],
}


class Focus(Visitor):
    """Rewrites a generated document towards what a real client sends: id arguments become ids of one
    checkout and one order and their own children, other known fields get plausible values (chosen by
    `picks`); the shape of the document stays as generated."""

    def __init__(self, related: Related, picks: list[int]) -> None:
        super().__init__()
        self.picks = itertools.cycle(picks)
        configuration = [*related.zones, *related.methods, *related.pickups]
        self.ids: dict[str, list[Any]] = {
            "zoneId": related.zones,
            "pickupMethodId": related.pickups,
            "id": configuration,
        }
        if related.checkouts:
            self.ids.update(related.checkouts[next(self.picks) % len(related.checkouts)])
        if related.orders:
            self.ids.update(related.orders[next(self.picks) % len(related.orders)])
        # An order without shipments still gets shipment ids (of other orders) to update or delete.
        self.ids["shipmentId"] = self.ids.get("shipmentId") or [
            shipment for order in related.orders for shipment in order["shipmentId"]
        ]
        self.root_ids = [*self.ids.get("checkoutId", []), *self.ids.get("orderId", [])]

    def _pick(self, choices: list[Any], current: graphql.ValueNode) -> graphql.ValueNode | None:
        if not choices or not isinstance(current, (graphql.StringValueNode, graphql.IntValueNode)):
            return None
        value = choices[next(self.picks) % len(choices)]
        if isinstance(current, graphql.IntValueNode):
            return nodes.Int(value) if isinstance(value, int) else None
        return nodes.String(str(value))

    def enter_object_field(self, node: graphql.ObjectFieldNode, *_: Any) -> graphql.ObjectFieldNode | None:
        name = node.name.value
        replacement = self._pick(self.ids.get(name) or PLAUSIBLE.get(name, []), node.value)
        return None if replacement is None else graphql.ObjectFieldNode(name=node.name, value=replacement)

    def enter_argument(self, node: graphql.ArgumentNode, *_: Any) -> graphql.ArgumentNode | None:
        replacement = self._pick(self.root_ids, node.value) if node.name.value == "id" else None
        return None if replacement is None else graphql.ArgumentNode(name=node.name, value=replacement)


ERRORS_SELECTION = graphql.parse("{ errors { code field } }").definitions[0].selection_set.selections[0]  # type: ignore[attr-defined]


def with_errors(document: graphql.DocumentNode) -> graphql.DocumentNode:
    """Every mutation payload also selects `errors { code field }`, so each answer says whether the
    mutation was applied (the counts of applied and refused mutations guard the fuzzer's reach)."""
    definitions = []
    for definition in document.definitions:
        if isinstance(definition, graphql.OperationDefinitionNode) and definition.operation.value == "mutation":
            fields = []
            for field in definition.selection_set.selections:
                if isinstance(field, graphql.FieldNode) and field.selection_set is not None:
                    children = field.selection_set.selections
                    if not any(getattr(child, "name", None) and child.name.value == "errors" for child in children):
                        payload = replace(field.selection_set, selections=(*children, ERRORS_SELECTION))
                        field = replace(field, selection_set=payload)
                fields.append(field)
            definition = replace(definition, selection_set=replace(definition.selection_set, selections=tuple(fields)))
        definitions.append(definition)
    return replace(document, definitions=tuple(definitions))


def focused(related: Related, drawn: tuple[graphql.DocumentNode, bool, list[int]]) -> str:
    document, focus, picks = drawn
    if focus:
        document = graphql.visit(document, Focus(related, picks))
    return graphql.print_ast(with_errors(document))


def documents_for(related: Related, strategy: st.SearchStrategy[graphql.DocumentNode]) -> st.SearchStrategy[str]:
    """Generated documents; half of them with their id arguments focused on related objects."""
    drawn = st.tuples(strategy, st.booleans(), st.lists(st.integers(0, 2**16), min_size=8, max_size=8))
    return drawn.map(functools.partial(focused, related))


# --- value strategies --------------------------------------------------------------------------------

USEFUL_STRINGS = [
    "SHIRT", "MUG", "LAMP", "EBOOK", "GIFTCARD", "shirt", "US", "us", "GB", "CA", "AE", "XX", "ZZZ", "94105",
    "SW1A 1AA", "9410*", "Everywhere", "Flat Rate", "demo", "shopper@example.com", "not-an-email", "a@b",
    "https://track.example.com/1Z999", "ftp://example.com", "javascript:alert(1)", "1Z999", "", " ", "\t",
    "x" * 51, "x" * 256, "y" * 1001, "\u00e9\u00e8\u4e2d\U0001f600", "'; DROP TABLE orders; --", "%", "_",
    "\\", "null", "0", "-1", "NaN", "2020-01-01T00:00:00+00:00", "account_number",
]  # fmt: skip

DECIMAL_STRINGS = [
    "0", "0.00", "1", "1.5", "5.00", "19.99", "-1", "-0.01", "0.001", "0.00001", "100", "1e3", "1E-2",
    "99999999999999.9999", "100000000000000", "1e30", "-1e30", "NaN", "sNaN", "Infinity", "-Infinity", "abc",
    "", " 1 ", "1,5", "0x10",
]  # fmt: skip

DATETIME_STRINGS = [
    "2020-01-01T00:00:00+00:00", "2020-01-01T00:00:00", "2999-12-31T23:59:59Z", "0001-01-01T00:00:00+00:00",
    "9999-12-31T23:59:59.999999+14:00", "2020-02-30T00:00:00Z", "yesterday", "", "2020-01-01",
]  # fmt: skip


#: Any character but NUL (which PostgreSQL cannot store; test_nul_characters_are_refused covers it) and lone
#: surrogates (which JSON cannot carry).
TEXT = st.characters(min_codepoint=1, exclude_categories=["Cs"])


def scalar_strategies(ids: list[str], integers: list[int]) -> dict[str, st.SearchStrategy[graphql.ValueNode]]:
    id_values = st.one_of(
        st.sampled_from(ids),
        st.sampled_from(ids),  # real ids twice as often as anything else
        st.integers(min_value=-(2**70), max_value=2**70).map(str),
        st.uuids().map(str),
        st.text(alphabet=string.hexdigits.lower(), min_size=32, max_size=32),
        st.text(TEXT, max_size=40),
    )
    return {
        "ID": id_values.map(nodes.String),
        "String": st.one_of(st.sampled_from(USEFUL_STRINGS), st.sampled_from(ids), st.text(TEXT, max_size=80)).map(
            nodes.String
        ),
        "Int": st.one_of(
            st.integers(min_value=-2, max_value=12),
            st.sampled_from(integers),
            st.integers(min_value=-(2**31), max_value=2**31 - 1),
        ).map(nodes.Int),
        "Decimal": st.one_of(
            st.sampled_from(DECIMAL_STRINGS).map(nodes.String),
            st.decimals(allow_nan=False, allow_infinity=False, places=2, min_value=-1000, max_value=10**6).map(
                lambda value: nodes.String(str(value))
            ),
            st.integers(min_value=-5, max_value=10**20).map(nodes.Int),
            st.floats(allow_nan=False, allow_infinity=False).map(nodes.Float),
        ),
        "DateTime": st.one_of(
            st.sampled_from(DATETIME_STRINGS),
            st.datetimes().map(lambda value: value.isoformat()),
        ).map(nodes.String),
    }


def ast_mutations(schema: graphql.GraphQLSchema, **kwargs: Any) -> st.SearchStrategy[graphql.DocumentNode]:
    return mutations(schema, print_ast=_as_is, **kwargs)


def ast_queries(schema: graphql.GraphQLSchema, **kwargs: Any) -> st.SearchStrategy[graphql.DocumentNode]:
    return queries(schema, print_ast=_as_is, **kwargs)


def _as_is(document: graphql.DocumentNode) -> graphql.DocumentNode:
    return document


# --- running examples --------------------------------------------------------------------------------


class Target:
    """Sends one document with one token and checks the answer and the database afterwards."""

    def __init__(self, client: httpx.AsyncClient, engine: AsyncEngine, tokens: dict[str, str]) -> None:
        self.client = client
        self.engine = engine
        self.tokens = tokens
        self.sent = 0
        self.real_ids: set[str] = set()
        self.with_real_ids = 0
        #: Top-level error codes seen ("OK" for answers without errors), and payload UserError codes.
        self.top_level: dict[str, int] = {}
        self.user_errors: dict[str, int] = {}
        #: Mutations applied (their payload's `errors` empty).
        self.applied = 0
        self.failures: list[str] = []

    async def send(self, document: str, token_kind: str) -> None:
        self.sent += 1
        self.with_real_ids += any(value in document for value in self.real_ids)
        response = await self.client.post(
            "/graphql",
            json={"query": document},
            headers={"X-Auth-Token": self.tokens[token_kind], "X-Request-Id": f"fuzz-{self.sent}"},
        )
        assert response.status_code < 500, f"HTTP {response.status_code} for\n{document}\n{response.text}"
        body = response.json()
        errors = body.get("errors") or []
        codes = [(error.get("extensions") or {}).get("code") for error in errors]
        failed = SERVER_FAILURES.intersection(codes)
        assert not failed, f"{sorted(failed)} ({token_kind} token) for\n{document}\n{json.dumps(body)[:2000]}"
        assert all(codes), f"an error without extensions.code for\n{document}\n{json.dumps(errors)[:2000]}"
        for code in codes or ["OK"]:
            self.top_level[code] = self.top_level.get(code, 0) + 1
        for payload in (body.get("data") or {}).values():
            user_errors = payload.get("errors") if isinstance(payload, dict) else None
            if user_errors == [] and document.lstrip().startswith("mutation"):
                self.applied += 1
            for error in user_errors or []:
                if isinstance(error, dict) and error.get("code"):
                    self.user_errors[error["code"]] = self.user_errors.get(error["code"], 0) + 1
        # Only an executed mutation can change data: skip the (costly) check after refused or read-only ones;
        # every phase ends with a check anyway.
        executed = body.get("data") is not None
        if executed and document.lstrip().startswith("mutation"):
            await assert_invariants(self.engine, f"after ({token_kind} token)\n{document}\n")


def run_property(
    target: Target, label: str, documents: st.SearchStrategy[str], max_examples: int, token_kinds: tuple[str, ...]
) -> Callable[[], None]:
    """A hypothesis property over `documents` x token kinds, run in a worker thread that calls back into
    the test's event loop for every example (so the app, its engine pool and the client stay on it).

    The first failing example is recorded with its document and answer, and the rest of the property is
    skipped. Hypothesis never sees the failure: its report of a failing example pretty-prints the whole
    GraphQL syntax tree, which takes minutes for a large document.
    """
    failed = False

    @settings(FUZZ_SETTINGS, max_examples=max_examples)
    @given(document=documents, token_kind=st.sampled_from(token_kinds))
    def property_(document: str, token_kind: str) -> None:
        nonlocal failed
        if failed:
            return
        try:
            anyio.from_thread.run(target.send, document, token_kind)
        except Exception as error:  # any failure, recorded for the report at the end
            failed = True
            message = str(error).split("\nassert ")[0]  # the document and the answer, without pytest's repr
            target.failures.append(f"--- {label}: {type(error).__name__}: {message[:3000]}")

    return property_


async def fuzz(
    target: Target,
    label: str,
    documents: st.SearchStrategy[str],
    max_examples: int,
    token_kinds: tuple[str, ...] = TOKEN_KINDS,
) -> None:
    """Run one property, then check the invariants. Failures are recorded under `label` and the next
    property still runs, so one run reports every root field that fails."""
    await anyio.to_thread.run_sync(run_property(target, label, documents, max_examples, token_kinds))
    try:
        await assert_invariants(target.engine, f"after fuzzing {label}")
    except AssertionError as error:
        target.failures.append(f"--- {label}: {error}")


def assert_no_failures(target: Target) -> None:
    labels = [failure.split(":")[0].removeprefix("--- ") for failure in target.failures]
    assert not target.failures, f"{len(labels)} fuzzed root fields failed ({', '.join(labels)}):\n" + "\n".join(
        target.failures
    )


@pytest.fixture
async def target(client: httpx.AsyncClient, engine: AsyncEngine, store: StoreFixture) -> Target:
    return Target(client, engine, {"server": store.server_token, "storefront": store.storefront_token})


async def test_every_root_field_survives_fuzzing(target: Target, store: StoreFixture) -> None:
    """Every mutation alone, then multi-mutation documents, then queries, against real data; no server
    failure, and the invariants hold after each example."""
    await seed(target.client, target.engine, store)
    await assert_invariants(target.engine, "after seeding")
    assert MUTATION_FIELDS, "schema.graphql has no mutations"

    async def documents(kind: Callable[..., Any], **fields: Any) -> st.SearchStrategy[str]:
        """Documents over the ids stored right now (earlier examples may have created objects)."""
        ids, integers = await id_pool(target.engine)
        target.real_ids = {f'"{value}"' for value in ids}
        scalars = scalar_strategies(ids, integers)
        return documents_for(await related_ids(target.engine), kind(SCHEMA, custom_scalars=scalars, **fields))

    for name in MUTATION_FIELDS:
        await fuzz(target, name, await documents(ast_mutations, fields=[name]), EXAMPLES_PER_MUTATION)
    # Several mutations in one document run one after another; they must leave consistent data too.
    await fuzz(target, "mixed mutations", await documents(ast_mutations), MIXED_EXAMPLES)
    await fuzz(target, "queries", await documents(ast_queries), QUERY_EXAMPLES)

    print(
        f"\nfuzzed {target.sent} documents, {target.with_real_ids} with stored ids, "
        f"{target.applied} mutations applied; top-level answers: {target.top_level}; "
        f"mutation refusals: {target.user_errors}"
    )
    assert_no_failures(target)
    assert target.sent >= len(MUTATION_FIELDS) * EXAMPLES_PER_MUTATION // 2, target.sent
    # Guard against a fuzzer that only ever misses: stored ids must be in a good share of the documents, a
    # good share of the documents must get past validation and access control, and mutations must apply.
    assert target.with_real_ids >= target.sent // 4, (target.with_real_ids, target.sent)
    assert target.top_level.get("OK", 0) >= target.sent // 4, target.top_level
    assert target.applied >= len(MUTATION_FIELDS) // 2, target.applied


async def test_nul_characters_are_refused_not_crashing(target: Target) -> None:
    """U+0000 in any string or id argument of any root field: a clean refusal or a miss, never a server
    failure (PostgreSQL cannot store NUL in text, so it must never reach a query). Server token only: it
    may call every field."""
    with_nul = st.text(TEXT, max_size=12).map(lambda text: text[:3] + "\x00" + text[3:])
    scalars = {
        **scalar_strategies(["00000000-0000-4000-8000-000000000000"], [1]),
        "ID": with_nul.map(nodes.String),
        "String": with_nul.map(nodes.String),
    }
    for name in MUTATION_FIELDS:
        documents = mutations(SCHEMA, fields=[name], custom_scalars=scalars, allow_null=False)
        await fuzz(target, name, documents, NUL_EXAMPLES, token_kinds=("server",))
    for name in QUERY_FIELDS:
        documents = queries(SCHEMA, fields=[name], custom_scalars=scalars, allow_null=False)
        await fuzz(target, name, documents, NUL_EXAMPLES, token_kinds=("server",))
    assert_no_failures(target)
