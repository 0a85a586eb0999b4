"""Consignment assignment rules, called directly on the domain functions inside one write transaction.

The checkout used throughout holds SHIRT x3, MUG x2 (physical) and EBOOK x1 (digital).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from gateway.domain import checkout as checkouts
from gateway.domain import consignments
from gateway.domain.errors import Conflict, DomainError, ErrorCode, InvalidInput, NotFound
from gateway.domain.inputs import (
    AddConsignmentsInput,
    AddressInput,
    ConsignmentInput,
    CreateCheckoutInput,
    DeleteConsignmentInput,
    ItemQuantity,
    SkuQuantity,
    UpdateConsignmentInput,
)
from gateway.domain.limits import MAX_CONSIGNMENTS_PER_CHECKOUT
from gateway.storage import queries
from gateway.storage.db import write_transaction
from tests.factories import make_store

pytestmark = pytest.mark.anyio

HOME = AddressInput(email="ship@example.com", country_code="us", city=" Austin ")


@dataclass
class Cart:
    engine: AsyncEngine
    store_id: int
    id: str
    shirt: str
    mug: str
    ebook: str

    async def run(self, action: Callable[[AsyncConnection], Awaitable[Any]]) -> Any:
        async with write_transaction(self.engine) as conn:
            return await action(conn)

    async def add(
        self, *items: ConsignmentInput, version: int | None = None, store_id: int | None = None
    ) -> str:
        data = AddConsignmentsInput(checkout_id=self.id, consignments=items, version=version)
        return await self.run(
            lambda conn: consignments.add_consignments(conn, store_id or self.store_id, data)
        )

    async def update(self, consignment_id: str, store_id: int | None = None, **changes: Any) -> str:
        data = UpdateConsignmentInput(checkout_id=self.id, consignment_id=consignment_id, **changes)
        return await self.run(
            lambda conn: consignments.update_consignment(conn, store_id or self.store_id, data)
        )

    async def delete(
        self, consignment_id: str, version: int | None = None, store_id: int | None = None
    ) -> str:
        data = DeleteConsignmentInput(checkout_id=self.id, consignment_id=consignment_id, version=version)
        return await self.run(
            lambda conn: consignments.delete_consignment(conn, store_id or self.store_id, data)
        )

    async def state(self) -> dict[str, Any]:
        """Everything the rules touch, as plain data: compare it before and after a refusal."""

        async def read(conn: AsyncConnection) -> dict[str, Any]:
            [row] = await queries.checkouts_by_ids(conn, self.store_id, [self.id])
            rows = await queries.consignments_by_checkout_ids(conn, self.store_id, [self.id])
            items = await queries.consignment_items_by_consignment_ids(
                conn, self.store_id, [r.id for r in rows]
            )
            return {
                "checkout": dict(row._mapping),
                "consignments": [dict(r._mapping) for r in rows],
                "items": [
                    (item.consignment_id, item.line_item_id, item.quantity, item.position) for item in items
                ],
            }

        return await self.run(read)

    async def consignment_ids(self) -> list[str]:
        return [row["id"] for row in (await self.state())["consignments"]]

    async def contents(self) -> list[list[tuple[str, int]]]:
        """Per consignment, in order: (line item id, quantity) pairs in order."""
        state = await self.state()
        return [
            [(line_item, quantity) for owner, line_item, quantity, _ in state["items"] if owner == row["id"]]
            for row in state["consignments"]
        ]

    async def assigned(self) -> dict[str, int]:
        async def read(conn: AsyncConnection) -> dict[str, int]:
            items = await queries.consignment_items_by_checkout_ids(conn, self.store_id, [self.id])
            return consignments.assigned_quantities(items)

        totals = await self.run(read)
        return {
            "SHIRT": totals.get(self.shirt, 0),
            "MUG": totals.get(self.mug, 0),
            "EBOOK": totals.get(self.ebook, 0),
        }


def ship(*pairs: tuple[str, int], address: AddressInput | None = HOME) -> ConsignmentInput:
    return ConsignmentInput(
        line_items=tuple(ItemQuantity(item_id=item, quantity=quantity) for item, quantity in pairs),
        address=address,
    )


def problems_of(error: DomainError) -> list[tuple[ErrorCode, tuple[str, ...] | None]]:
    return sorted((problem.code, problem.field) for problem in error.problems)


async def new_cart(engine: AsyncEngine, store_id: int) -> Cart:
    async with write_transaction(engine) as conn:
        store = await queries.store_by_id(conn, store_id)
        lines = (SkuQuantity("SHIRT", 3), SkuQuantity("MUG", 2), SkuQuantity("EBOOK", 1))
        checkout_id = await checkouts.create_checkout(conn, store, CreateCheckoutInput(line_items=lines))
        rows = await queries.line_items_by_checkout_ids(conn, store_id, [checkout_id])
    ids = {row.sku: row.id for row in rows}
    return Cart(engine, store_id, checkout_id, ids["SHIRT"], ids["MUG"], ids["EBOOK"])


@pytest.fixture
async def cart(engine, store) -> Cart:
    return await new_cart(engine, store.id)


# --- splitting ---------------------------------------------------------------------------------------


async def test_line_item_is_split_across_consignments_by_quantity(cart):
    await cart.add(ship((cart.shirt, 1), (cart.mug, 2)), ship((cart.shirt, 2)))

    assert await cart.contents() == [[(cart.shirt, 1), (cart.mug, 2)], [(cart.shirt, 2)]]
    assert await cart.assigned() == {"SHIRT": 3, "MUG": 2, "EBOOK": 0}


async def test_consignment_address_is_stored_normalised(cart):
    await cart.add(ship((cart.shirt, 1)))
    [row] = (await cart.state())["consignments"]
    assert row["address"]["country_code"] == "US"
    assert row["address"]["city"] == "Austin"
    assert row["address"]["email"] == "ship@example.com"
    assert row["selected_shipping_option_id"] is None
    assert row["shipping_cost"] == row["handling_cost"] == Decimal(0)


async def test_successful_edit_bumps_version_and_updated_at(cart):
    before = (await cart.state())["checkout"]
    await cart.add(ship((cart.shirt, 1)), version=before["version"])
    after = (await cart.state())["checkout"]
    assert after["version"] == before["version"] + 1
    assert after["updated_at"] > before["updated_at"]
    assert after["created_at"] == before["created_at"]


# --- refusals of add_consignments --------------------------------------------------------------------


ADD_REFUSALS = [
    pytest.param(
        lambda c: ship(("no-such-item", 1)),
        [(ErrorCode.UNKNOWN_LINE_ITEM, ("consignments", "1", "lineItems", "0", "itemId"))],
        id="unknown-item",
    ),
    pytest.param(
        lambda c: ship((c.mug, 1), (c.shirt, 0)),
        [(ErrorCode.INVALID_QUANTITY, ("consignments", "1", "lineItems", "1", "quantity"))],
        id="zero-quantity",
    ),
    pytest.param(
        lambda c: ship((c.shirt, -1)),
        [(ErrorCode.INVALID_QUANTITY, ("consignments", "1", "lineItems", "0", "quantity"))],
        id="negative-quantity",
    ),
    pytest.param(
        lambda c: ship((c.shirt, 3)),
        [(ErrorCode.OVER_ASSIGNED, ("consignments", "1", "lineItems", "0", "quantity"))],
        id="over-assigned-within-the-request",
    ),
    pytest.param(
        lambda c: ship((c.ebook, 1)),
        [(ErrorCode.DIGITAL_ITEM, ("consignments", "1", "lineItems", "0", "itemId"))],
        id="digital-item",
    ),
    pytest.param(
        lambda c: ship((c.mug, 1), (c.mug, 1)),
        [(ErrorCode.DUPLICATE_LINE_ITEM, ("consignments", "1", "lineItems", "1", "itemId"))],
        id="duplicate-item",
    ),
    pytest.param(
        lambda c: ship(),
        [(ErrorCode.REQUIRED, ("consignments", "1", "lineItems"))],
        id="no-items",
    ),
    pytest.param(
        lambda c: ship((c.mug, 1), address=None),
        [(ErrorCode.REQUIRED, ("consignments", "1", "address"))],
        id="no-address",
    ),
    pytest.param(
        lambda c: ship((c.mug, 1), address=AddressInput(email="x@example.com", country_code="XX")),
        [(ErrorCode.INVALID_COUNTRY_CODE, ("consignments", "1", "address", "countryCode"))],
        id="bad-country",
    ),
    pytest.param(
        lambda c: ConsignmentInput(line_items=(ItemQuantity(c.mug, 1),), pickup_method_id=3),
        [(ErrorCode.PICKUP_METHOD_NOT_FOUND, ("consignments", "1", "pickupOption", "pickupMethodId"))],
        id="unknown-pickup-method",
    ),
]


@pytest.mark.parametrize(("second", "expected"), ADD_REFUSALS)
async def test_one_invalid_consignment_refuses_all_and_writes_nothing(cart, second, expected):
    before = await cart.state()

    with pytest.raises(InvalidInput) as refused:
        await cart.add(ship((cart.shirt, 1)), second(cart))

    assert problems_of(refused.value) == sorted(expected)
    assert await cart.state() == before


async def test_over_assignment_counts_existing_consignments(cart):
    await cart.add(ship((cart.shirt, 2)))
    before = await cart.state()

    with pytest.raises(InvalidInput) as refused:
        await cart.add(ship((cart.mug, 1), (cart.shirt, 2)))

    assert problems_of(refused.value) == [
        (ErrorCode.OVER_ASSIGNED, ("consignments", "0", "lineItems", "1", "quantity"))
    ]
    assert "1 of 3" in refused.value.problems[0].message
    assert await cart.state() == before

    await cart.add(ship((cart.mug, 1), (cart.shirt, 1)))
    assert await cart.assigned() == {"SHIRT": 3, "MUG": 1, "EBOOK": 0}


async def test_every_problem_of_the_request_is_reported(cart):
    before = await cart.state()

    with pytest.raises(InvalidInput) as refused:
        await cart.add(
            ship((cart.shirt, 2), (cart.mug, 2)),
            ship((cart.ebook, 1), address=AddressInput(email="bad", country_code="ZZ")),
            ship(("nope", 1), (cart.shirt, 0)),
            ship((cart.shirt, 2), (cart.mug, 1)),
        )

    assert problems_of(refused.value) == sorted(
        [
            (ErrorCode.INVALID_EMAIL, ("consignments", "1", "address", "email")),
            (ErrorCode.INVALID_COUNTRY_CODE, ("consignments", "1", "address", "countryCode")),
            (ErrorCode.DIGITAL_ITEM, ("consignments", "1", "lineItems", "0", "itemId")),
            (ErrorCode.UNKNOWN_LINE_ITEM, ("consignments", "2", "lineItems", "0", "itemId")),
            (ErrorCode.INVALID_QUANTITY, ("consignments", "2", "lineItems", "1", "quantity")),
            (ErrorCode.OVER_ASSIGNED, ("consignments", "3", "lineItems", "0", "quantity")),
            (ErrorCode.OVER_ASSIGNED, ("consignments", "3", "lineItems", "1", "quantity")),
        ]
    )
    assert await cart.state() == before


async def test_empty_request_is_refused(cart):
    with pytest.raises(InvalidInput) as refused:
        await cart.add()
    assert problems_of(refused.value) == [(ErrorCode.REQUIRED, ("consignments",))]


async def test_a_checkout_holds_at_most_50_consignments(engine, store):
    async with write_transaction(engine) as conn:
        store_row = await queries.store_by_id(conn, store.id)
        lines = (SkuQuantity("SOCKS", 60),)
        checkout_id = await checkouts.create_checkout(conn, store_row, CreateCheckoutInput(line_items=lines))
        [socks] = await queries.line_items_by_checkout_ids(conn, store.id, [checkout_id])
    cart = Cart(engine, store.id, checkout_id, socks.id, socks.id, socks.id)

    await cart.add(*[ship((socks.id, 1)) for _ in range(MAX_CONSIGNMENTS_PER_CHECKOUT - 1)])
    before = await cart.state()

    with pytest.raises(InvalidInput) as refused:
        await cart.add(ship((socks.id, 1)), ship((socks.id, 1)))
    assert problems_of(refused.value) == [(ErrorCode.TOO_MANY, ("consignments",))]
    assert await cart.state() == before

    await cart.add(ship((socks.id, 1)))
    assert len(await cart.consignment_ids()) == MAX_CONSIGNMENTS_PER_CHECKOUT


# --- update_consignment ------------------------------------------------------------------------------


async def test_update_needs_at_least_one_change(cart):
    await cart.add(ship((cart.shirt, 1)))
    [consignment] = await cart.consignment_ids()
    before = await cart.state()

    with pytest.raises(InvalidInput) as refused:
        await cart.update(consignment)

    assert [problem.code for problem in refused.value.problems] == [ErrorCode.NO_CHANGES]
    assert await cart.state() == before


@pytest.mark.parametrize(
    "others",
    [
        pytest.param({"address": HOME}, id="with-address"),
        pytest.param({"line_items": ()}, id="with-line-items"),
        pytest.param({"pickup_method_id": 1}, id="with-pickup"),
    ],
)
async def test_shipping_option_must_come_alone(cart, others):
    await cart.add(ship((cart.shirt, 1)))
    [consignment] = await cart.consignment_ids()
    before = await cart.state()

    with pytest.raises(InvalidInput) as refused:
        await cart.update(consignment, shipping_option_id="flat", **others)

    assert problems_of(refused.value) == [(ErrorCode.SHIPPING_OPTION_NOT_ALONE, ("shippingOptionId",))]
    assert await cart.state() == before


async def test_shipping_option_not_offered_is_refused(cart):
    await cart.add(ship((cart.shirt, 1)))
    [consignment] = await cart.consignment_ids()
    before = await cart.state()

    with pytest.raises(InvalidInput) as refused:
        await cart.update(consignment, shipping_option_id="flat")

    assert problems_of(refused.value) == [(ErrorCode.SHIPPING_OPTION_NOT_AVAILABLE, ("shippingOptionId",))]
    assert await cart.state() == before


async def test_line_items_replace_the_assignment(cart):
    await cart.add(ship((cart.shirt, 2), (cart.mug, 1)))
    [consignment] = await cart.consignment_ids()

    await cart.update(consignment, line_items=(ItemQuantity(cart.mug, 2),))

    assert await cart.contents() == [[(cart.mug, 2)]]
    assert await cart.assigned() == {"SHIRT": 0, "MUG": 2, "EBOOK": 0}


async def test_over_assignment_check_excludes_the_consignments_own_items(cart):
    await cart.add(ship((cart.shirt, 3)))
    [consignment] = await cart.consignment_ids()

    await cart.update(consignment, line_items=(ItemQuantity(cart.shirt, 3), ItemQuantity(cart.mug, 2)))

    assert await cart.contents() == [[(cart.shirt, 3), (cart.mug, 2)]]


async def test_over_assignment_check_counts_other_consignments(cart):
    await cart.add(ship((cart.shirt, 2)), ship((cart.shirt, 1)))
    first, _ = await cart.consignment_ids()
    before = await cart.state()

    with pytest.raises(InvalidInput) as refused:
        await cart.update(first, line_items=(ItemQuantity(cart.shirt, 3),))

    assert problems_of(refused.value) == [(ErrorCode.OVER_ASSIGNED, ("lineItems", "0", "quantity"))]
    assert await cart.state() == before


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        pytest.param(
            lambda c: (("nope", 1),),
            (ErrorCode.UNKNOWN_LINE_ITEM, ("lineItems", "0", "itemId")),
            id="unknown",
        ),
        pytest.param(
            lambda c: ((c.shirt, 0),), (ErrorCode.INVALID_QUANTITY, ("lineItems", "0", "quantity")), id="zero"
        ),
        pytest.param(
            lambda c: ((c.ebook, 1),), (ErrorCode.DIGITAL_ITEM, ("lineItems", "0", "itemId")), id="digital"
        ),
        pytest.param(
            lambda c: ((c.mug, 1), (c.mug, 1)),
            (ErrorCode.DUPLICATE_LINE_ITEM, ("lineItems", "1", "itemId")),
            id="dup",
        ),
        pytest.param(lambda c: (), (ErrorCode.REQUIRED, ("lineItems",)), id="empty"),
    ],
)
async def test_invalid_items_in_update_are_refused(cart, items, expected):
    await cart.add(ship((cart.shirt, 1)))
    [consignment] = await cart.consignment_ids()
    before = await cart.state()

    with pytest.raises(InvalidInput) as refused:
        await cart.update(consignment, line_items=tuple(ItemQuantity(i, q) for i, q in items(cart)))

    assert problems_of(refused.value) == [expected]
    assert await cart.state() == before


async def test_address_change_is_normalised_and_keeps_items(cart):
    await cart.add(ship((cart.shirt, 2)))
    [consignment] = await cart.consignment_ids()

    await cart.update(consignment, address=AddressInput(email=" new@example.com", country_code="fr"))

    [row] = (await cart.state())["consignments"]
    assert (row["address"]["email"], row["address"]["country_code"], row["address"]["city"]) == (
        "new@example.com",
        "FR",
        None,
    )
    assert await cart.contents() == [[(cart.shirt, 2)]]


async def test_invalid_address_change_is_refused(cart):
    await cart.add(ship((cart.shirt, 2)))
    [consignment] = await cart.consignment_ids()
    before = await cart.state()

    with pytest.raises(InvalidInput) as refused:
        await cart.update(consignment, address=AddressInput(email="a@example.com", country_code="QQ"))

    assert problems_of(refused.value) == [(ErrorCode.INVALID_COUNTRY_CODE, ("address", "countryCode"))]
    assert await cart.state() == before


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(
            lambda c: {"address": AddressInput(email="a@example.com", country_code="CA")}, id="address"
        ),
        pytest.param(lambda c: {"line_items": (ItemQuantity(c.shirt, 1),)}, id="line-items"),
    ],
)
async def test_address_or_items_change_clears_the_selected_option(cart, change):
    await cart.add(ship((cart.shirt, 2)))
    [consignment] = await cart.consignment_ids()

    async def select(conn: AsyncConnection) -> None:
        # A selected, priced option whose method this store (no shipping configuration) does not offer.
        await queries.update_consignment(
            conn,
            consignment,
            {
                "selected_shipping_option_id": "flat",
                "shipping_cost": Decimal("5.00"),
                "handling_cost": Decimal("1.00"),
            },
        )

    await cart.run(select)

    await cart.update(consignment, **change(cart))

    [row] = (await cart.state())["consignments"]
    assert row["selected_shipping_option_id"] is None
    assert row["shipping_cost"] == row["handling_cost"] == Decimal(0)


async def test_update_of_unknown_consignment_is_not_found(engine, store, cart):
    other = await new_cart(engine, store.id)
    await other.add(ship((other.shirt, 1)))
    [foreign] = await other.consignment_ids()
    await cart.add(ship((cart.shirt, 1)))
    before = await cart.state()

    for consignment in ("no-such-consignment", foreign):
        with pytest.raises(NotFound) as refused:
            await cart.update(consignment, line_items=(ItemQuantity(cart.shirt, 2),))
        assert problems_of(refused.value) == [(ErrorCode.NOT_FOUND, ("consignmentId",))]

    assert await cart.state() == before


async def test_update_in_unknown_checkout_is_not_found(cart):
    await cart.add(ship((cart.shirt, 1)))
    [consignment] = await cart.consignment_ids()
    cart_id = cart.id
    cart.id = "no-such-checkout"

    with pytest.raises(NotFound) as refused:
        await cart.update(consignment, line_items=(ItemQuantity(cart.shirt, 2),))

    assert problems_of(refused.value) == [(ErrorCode.NOT_FOUND, ("checkoutId",))]
    cart.id = cart_id
    assert await cart.contents() == [[(cart.shirt, 1)]]


# --- delete_consignment ------------------------------------------------------------------------------


async def test_delete_frees_the_items(cart):
    await cart.add(ship((cart.shirt, 2), (cart.mug, 1)), ship((cart.shirt, 1)))
    first, second = await cart.consignment_ids()

    await cart.delete(first)

    assert await cart.consignment_ids() == [second]
    assert await cart.assigned() == {"SHIRT": 1, "MUG": 0, "EBOOK": 0}
    await cart.add(ship((cart.shirt, 2), (cart.mug, 2)))
    assert await cart.assigned() == {"SHIRT": 3, "MUG": 2, "EBOOK": 0}


async def test_deleting_the_last_consignment_leaves_none(cart):
    await cart.add(ship((cart.shirt, 3)))
    [consignment] = await cart.consignment_ids()

    await cart.delete(consignment)

    state = await cart.state()
    assert state["consignments"] == []
    assert state["items"] == []


async def test_delete_of_unknown_consignment_is_not_found(cart):
    await cart.add(ship((cart.shirt, 3)))
    [consignment] = await cart.consignment_ids()
    await cart.delete(consignment)
    before = await cart.state()

    with pytest.raises(NotFound) as refused:
        await cart.delete(consignment)

    assert problems_of(refused.value) == [(ErrorCode.NOT_FOUND, ("consignmentId",))]
    assert await cart.state() == before


# --- versions and tenants ----------------------------------------------------------------------------


async def test_stale_version_is_a_conflict_for_every_edit(cart):
    await cart.add(ship((cart.shirt, 1)))
    [consignment] = await cart.consignment_ids()
    before = await cart.state()
    assert before["checkout"]["version"] == 2

    attempts = [
        lambda: cart.add(ship((cart.mug, 1)), version=1),
        lambda: cart.update(consignment, line_items=(ItemQuantity(cart.shirt, 2),), version=1),
        lambda: cart.update(consignment, address=HOME, version=3),
        lambda: cart.delete(consignment, version=1),
    ]
    for attempt in attempts:
        with pytest.raises(Conflict) as refused:
            await attempt()
        assert problems_of(refused.value) == [(ErrorCode.VERSION_CONFLICT, ("version",))]

    assert await cart.state() == before
    await cart.delete(consignment, version=2)
    assert (await cart.state())["checkout"]["version"] == 3


async def test_checkout_of_another_store_is_not_found(engine, store, cart):
    other = await make_store(engine, slug="other")
    await cart.add(ship((cart.shirt, 1)))
    [consignment] = await cart.consignment_ids()
    before = await cart.state()

    attempts = [
        lambda: cart.add(ship((cart.mug, 1)), store_id=other.id),
        lambda: cart.update(consignment, line_items=(ItemQuantity(cart.shirt, 3),), store_id=other.id),
        lambda: cart.delete(consignment, store_id=other.id),
    ]
    for attempt in attempts:
        with pytest.raises(NotFound) as refused:
            await attempt()
        assert problems_of(refused.value) == [(ErrorCode.NOT_FOUND, ("checkoutId",))]

    assert await cart.state() == before
