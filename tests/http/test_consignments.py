"""Consignments through the HTTP API: splitting line items, refusals with input paths, atomicity,
updates and deletes, optimistic versions, tenant isolation, and "a failed mutation changes nothing".

The checkout used throughout holds SHIRT x3, MUG x2 (physical) and EBOOK x1 (digital).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import pytest

from tests.factories import data, gql, make_store

pytestmark = pytest.mark.anyio

ADDRESS_FIELDS = """
fragment AddressFields on Address {
  firstName lastName email company address1 address2 city stateOrProvince stateOrProvinceCode
  countryCode postalCode phone customFields { fieldId fieldValue }
}
"""

# Everything a client can see of a checkout: used to prove failed mutations change nothing.
FULL_CHECKOUT_FIELDS = (
    """
fragment FullCheckoutFields on Checkout {
  id email currencyCode version createdAt updatedAt
  billingAddress { ...AddressFields }
  subtotal { value currencyCode }
  shippingCostTotal { value currencyCode }
  handlingCostTotal { value currencyCode }
  grandTotal { value currencyCode }
  lineItems {
    id sku name quantity requiresShipping unassignedQuantity
    listPrice { value currencyCode } extendedListPrice { value currencyCode }
  }
  consignments {
    id
    address { ...AddressFields }
    lineItemIds
    lineItems { quantity lineItem { id sku quantity unassignedQuantity } }
    availableShippingOptions { id description type cost { value currencyCode } transitTime imageUrl }
    selectedShippingOption { id }
    selectedPickupOption { pickupMethodId }
    shippingCost { value currencyCode }
    handlingCost { value currencyCode }
  }
}
"""
    + ADDRESS_FIELDS
)

# What the assignment rules are about: who holds how many units of what.
ASSIGNMENT_FIELDS = """
fragment AssignmentFields on Checkout {
  id version updatedAt
  lineItems { id sku quantity unassignedQuantity }
  consignments { id lineItemIds lineItems { quantity lineItem { id sku } } }
}
"""

CREATE = """
mutation($input: CreateCheckoutInput!) {
  createCheckout(input: $input) {
    checkout { id version lineItems { id sku } }
    errors { code field }
  }
}
"""

FULL_CHECKOUT = (
    """
query($id: ID!) { checkout(id: $id) { ...FullCheckoutFields } }
"""
    + FULL_CHECKOUT_FIELDS
)

ASSIGNMENTS = (
    """
query($id: ID!) { checkout(id: $id) { ...AssignmentFields } }
"""
    + ASSIGNMENT_FIELDS
)

CONSIGNMENT_DETAILS = (
    """
query($id: ID!) {
  checkout(id: $id) {
    consignments {
      id
      address { ...AddressFields }
      availableShippingOptions { id }
      selectedShippingOption { id }
      selectedPickupOption { pickupMethodId }
      shippingCost { value currencyCode }
      handlingCost { value currencyCode }
    }
    shippingCostTotal { value currencyCode }
    handlingCostTotal { value currencyCode }
    grandTotal { value currencyCode }
    subtotal { value currencyCode }
  }
}
"""
    + ADDRESS_FIELDS
)

ADD = (
    """
mutation($input: AddConsignmentsInput!) {
  addConsignments(input: $input) {
    checkout { ...AssignmentFields }
    errors { code message field }
  }
}
"""
    + ASSIGNMENT_FIELDS
)

UPDATE = (
    """
mutation($input: UpdateConsignmentInput!) {
  updateConsignment(input: $input) {
    checkout { ...AssignmentFields }
    errors { code message field }
  }
}
"""
    + ASSIGNMENT_FIELDS
)

DELETE = (
    """
mutation($input: DeleteConsignmentInput!) {
  deleteConsignment(input: $input) {
    checkout { ...AssignmentFields }
    errors { code message field }
  }
}
"""
    + ASSIGNMENT_FIELDS
)

SET_BILLING = """
mutation($input: SetCheckoutBillingAddressInput!) {
  setCheckoutBillingAddress(input: $input) { checkout { id } errors { code field } }
}
"""

ADD_FULL = (
    """
mutation($input: AddConsignmentsInput!) {
  addConsignments(input: $input) { checkout { ...FullCheckoutFields } errors { code message field } }
}
"""
    + FULL_CHECKOUT_FIELDS
)

UPDATE_FULL = (
    """
mutation($input: UpdateConsignmentInput!) {
  updateConsignment(input: $input) { checkout { ...FullCheckoutFields } errors { code message field } }
}
"""
    + FULL_CHECKOUT_FIELDS
)

DELETE_FULL = (
    """
mutation($input: DeleteConsignmentInput!) {
  deleteConsignment(input: $input) { checkout { ...FullCheckoutFields } errors { code message field } }
}
"""
    + FULL_CHECKOUT_FIELDS
)

SET_BILLING_FULL = (
    """
mutation($input: SetCheckoutBillingAddressInput!) {
  setCheckoutBillingAddress(input: $input) {
    checkout { ...FullCheckoutFields }
    errors { code message field }
  }
}
"""
    + FULL_CHECKOUT_FIELDS
)


def address(**fields: Any) -> dict[str, Any]:
    return {"email": "ship@example.com", "countryCode": "US", **fields}


def errors_of(payload: dict[str, Any]) -> list[tuple[str, list[str] | None]]:
    return sorted((error["code"], error["field"]) for error in payload["errors"])


class Shop:
    """One checkout (SHIRT x3, MUG x2, EBOOK x1) and the calls a storefront makes on it."""

    def __init__(self, client: Any, token: str, checkout: dict[str, Any]) -> None:
        self.client = client
        self.token = token
        self.id: str = checkout["id"]
        ids = {item["sku"]: item["id"] for item in checkout["lineItems"]}
        self.shirt: str = ids["SHIRT"]
        self.mug: str = ids["MUG"]
        self.ebook: str = ids["EBOOK"]

    async def call(self, document: str, name: str, input: dict[str, Any], token: str | None = None) -> dict[str, Any]:
        body = await gql(self.client, document, {"input": input}, token=token or self.token)
        return data(body)[name]

    async def add(self, *consignments: dict[str, Any], token: str | None = None, **extra: Any) -> dict[str, Any]:
        input = {"checkoutId": self.id, "consignments": list(consignments), **extra}
        return await self.call(ADD, "addConsignments", input, token)

    async def update(self, consignment_id: str, token: str | None = None, **fields: Any) -> dict[str, Any]:
        input = {"checkoutId": self.id, "consignmentId": consignment_id, **fields}
        return await self.call(UPDATE, "updateConsignment", input, token)

    async def delete(self, consignment_id: str, token: str | None = None, **extra: Any) -> dict[str, Any]:
        input = {"checkoutId": self.id, "consignmentId": consignment_id, **extra}
        return await self.call(DELETE, "deleteConsignment", input, token)

    async def assignments(self) -> dict[str, Any]:
        return data(await gql(self.client, ASSIGNMENTS, {"id": self.id}, token=self.token))["checkout"]

    async def details(self) -> dict[str, Any]:
        return data(await gql(self.client, CONSIGNMENT_DETAILS, {"id": self.id}, token=self.token))["checkout"]

    async def raw(self) -> bytes:
        """The full checkout exactly as the server sends it: the bytes of the HTTP response body."""
        response = await self.client.post(
            "/graphql",
            json={"query": FULL_CHECKOUT, "variables": {"id": self.id}},
            headers={"X-Auth-Token": self.token},
        )
        assert response.status_code == 200
        body = response.json()
        assert not body.get("errors"), body["errors"]
        assert body["data"]["checkout"] is not None
        return response.content

    async def added(self, *consignments: dict[str, Any]) -> list[str]:
        """Add consignments that must be valid; return all consignment ids in order."""
        payload = await self.add(*consignments)
        assert payload["errors"] == [], payload["errors"]
        return [consignment["id"] for consignment in payload["checkout"]["consignments"]]

    def units(self, *pairs: tuple[str, int]) -> list[dict[str, Any]]:
        return [{"itemId": item_id, "quantity": quantity} for item_id, quantity in pairs]


async def new_shop(client: Any, token: str) -> Shop:
    variables = {
        "input": {
            "email": "a@example.com",
            "lineItems": [
                {"sku": "SHIRT", "quantity": 3},
                {"sku": "MUG", "quantity": 2},
                {"sku": "EBOOK", "quantity": 1},
            ],
        }
    }
    payload = data(await gql(client, CREATE, variables, token=token))["createCheckout"]
    assert payload["errors"] == []
    return Shop(client, token, payload["checkout"])


@pytest.fixture
async def shop(client, store) -> Shop:
    return await new_shop(client, store.storefront_token)


def unassigned(checkout: dict[str, Any]) -> dict[str, int]:
    return {item["sku"]: item["unassignedQuantity"] for item in checkout["lineItems"]}


def contents(consignment: dict[str, Any]) -> list[tuple[str, int]]:
    return [(entry["lineItem"]["sku"], entry["quantity"]) for entry in consignment["lineItems"]]


# --- adding and splitting ----------------------------------------------------------------------------


async def test_line_item_split_across_consignments_by_quantity(shop):
    payload = await shop.add(
        {"address": address(city="Austin"), "lineItems": shop.units((shop.shirt, 1), (shop.mug, 2))},
        {"address": address(countryCode="CA"), "lineItems": shop.units((shop.shirt, 2))},
    )

    assert payload["errors"] == []
    checkout = payload["checkout"]
    assert [contents(consignment) for consignment in checkout["consignments"]] == [
        [("SHIRT", 1), ("MUG", 2)],
        [("SHIRT", 2)],
    ]
    assert [consignment["lineItemIds"] for consignment in checkout["consignments"]] == [
        [shop.shirt, shop.mug],
        [shop.shirt],
    ]
    assert unassigned(checkout) == {"SHIRT": 0, "MUG": 0, "EBOOK": 0}
    assert len({consignment["id"] for consignment in checkout["consignments"]}) == 2
    assert await shop.assignments() == checkout


async def test_unassigned_quantity_shows_the_rest(shop):
    payload = await shop.add({"address": address(), "lineItems": shop.units((shop.shirt, 1))})
    assert unassigned(payload["checkout"]) == {"SHIRT": 2, "MUG": 2, "EBOOK": 0}

    payload = await shop.add({"address": address(), "lineItems": shop.units((shop.shirt, 1), (shop.mug, 1))})
    assert unassigned(payload["checkout"]) == {"SHIRT": 1, "MUG": 1, "EBOOK": 0}
    assert [contents(consignment) for consignment in payload["checkout"]["consignments"]] == [
        [("SHIRT", 1)],
        [("SHIRT", 1), ("MUG", 1)],
    ]


async def test_consignment_address_needs_only_email_and_country_code(shop):
    await shop.added(
        {
            "address": {"email": "ship@example.com", "countryCode": "US"},
            "lineItems": shop.units((shop.mug, 1)),
        }
    )

    details = await shop.details()
    assert details["consignments"][0]["address"] == {
        "firstName": None,
        "lastName": None,
        "email": "ship@example.com",
        "company": None,
        "address1": None,
        "address2": None,
        "city": None,
        "stateOrProvince": None,
        "stateOrProvinceCode": None,
        "countryCode": "US",
        "postalCode": None,
        "phone": None,
        "customFields": [],
    }


async def test_new_consignment_has_no_shipping_options_and_zero_costs(shop):
    await shop.added({"address": address(), "lineItems": shop.units((shop.shirt, 3))})

    details = await shop.details()
    consignment = details["consignments"][0]
    zero = {"value": "0.00", "currencyCode": "USD"}
    assert consignment["availableShippingOptions"] == []
    assert consignment["selectedShippingOption"] is None
    assert consignment["selectedPickupOption"] is None
    assert consignment["shippingCost"] == zero
    assert consignment["handlingCost"] == zero
    assert details["shippingCostTotal"] == zero
    assert details["handlingCostTotal"] == zero
    assert details["grandTotal"] == details["subtotal"] == {"value": "84.96", "currencyCode": "USD"}


async def test_consignment_country_code_is_normalised_to_upper_case(shop):
    await shop.added(
        {"address": address(countryCode="us"), "lineItems": shop.units((shop.shirt, 1))},
        {"address": address(countryCode=" de "), "lineItems": shop.units((shop.shirt, 1))},
    )
    details = await shop.details()
    assert [consignment["address"]["countryCode"] for consignment in details["consignments"]] == ["US", "DE"]


async def test_consignments_can_be_added_until_nothing_is_left(shop):
    await shop.added({"address": address(), "lineItems": shop.units((shop.shirt, 1))})
    await shop.added({"address": address(), "lineItems": shop.units((shop.shirt, 1))})
    await shop.added({"address": address(), "lineItems": shop.units((shop.shirt, 1), (shop.mug, 2))})

    payload = await shop.add({"address": address(), "lineItems": shop.units((shop.shirt, 1))})
    assert errors_of(payload) == [("OVER_ASSIGNED", ["consignments", "0", "lineItems", "0", "quantity"])]
    checkout = await shop.assignments()
    assert unassigned(checkout) == {"SHIRT": 0, "MUG": 0, "EBOOK": 0}
    assert len(checkout["consignments"]) == 3


# --- refusals of addConsignments: typed errors at the offending input, nothing added ------------------


def _add_refusals() -> list[Any]:
    """(consignment at index 1, built from the shop's ids; expected problems). Index 0 is always valid."""
    return [
        pytest.param(
            lambda s: {"address": address(), "lineItems": [{"itemId": str(uuid.uuid4()), "quantity": 1}]},
            [("UNKNOWN_LINE_ITEM", ["consignments", "1", "lineItems", "0", "itemId"])],
            id="unknown-item",
        ),
        pytest.param(
            lambda s: {"address": address(), "lineItems": s.units((s.mug, 1), (s.shirt, 0))},
            [("INVALID_QUANTITY", ["consignments", "1", "lineItems", "1", "quantity"])],
            id="zero-quantity",
        ),
        pytest.param(
            lambda s: {"address": address(), "lineItems": s.units((s.shirt, -2))},
            [("INVALID_QUANTITY", ["consignments", "1", "lineItems", "0", "quantity"])],
            id="negative-quantity",
        ),
        pytest.param(
            lambda s: {"address": address(), "lineItems": s.units((s.shirt, 3))},
            [("OVER_ASSIGNED", ["consignments", "1", "lineItems", "0", "quantity"])],
            id="over-assigned-within-the-request",
        ),
        pytest.param(
            lambda s: {"address": address(), "lineItems": s.units((s.mug, 3))},
            [("OVER_ASSIGNED", ["consignments", "1", "lineItems", "0", "quantity"])],
            id="more-than-the-line-item-holds",
        ),
        pytest.param(
            lambda s: {"address": address(), "lineItems": s.units((s.mug, 1), (s.ebook, 1))},
            [("DIGITAL_ITEM", ["consignments", "1", "lineItems", "1", "itemId"])],
            id="digital-item",
        ),
        pytest.param(
            lambda s: {"address": address(), "lineItems": s.units((s.mug, 1), (s.mug, 1))},
            [("DUPLICATE_LINE_ITEM", ["consignments", "1", "lineItems", "1", "itemId"])],
            id="duplicate-item",
        ),
        pytest.param(
            lambda s: {"address": address(), "lineItems": []},
            [("REQUIRED", ["consignments", "1", "lineItems"])],
            id="no-items",
        ),
        pytest.param(
            lambda s: {"lineItems": s.units((s.mug, 1))},
            [("REQUIRED", ["consignments", "1", "address"])],
            id="no-address",
        ),
        pytest.param(
            lambda s: {"address": address(countryCode="XX"), "lineItems": s.units((s.mug, 1))},
            [("INVALID_COUNTRY_CODE", ["consignments", "1", "address", "countryCode"])],
            id="bad-country",
        ),
        pytest.param(
            lambda s: {"address": address(countryCode="usa"), "lineItems": s.units((s.mug, 1))},
            [("INVALID_COUNTRY_CODE", ["consignments", "1", "address", "countryCode"])],
            id="alpha-3-country",
        ),
        pytest.param(
            lambda s: {"address": address(email="ship-at-example.com"), "lineItems": s.units((s.mug, 1))},
            [("INVALID_EMAIL", ["consignments", "1", "address", "email"])],
            id="bad-email",
        ),
        pytest.param(
            lambda s: {"address": address(address1="x" * 256), "lineItems": s.units((s.mug, 1))},
            [("TOO_LONG", ["consignments", "1", "address", "address1"])],
            id="too-long",
        ),
        pytest.param(
            lambda s: {"pickupOption": {"pickupMethodId": 1}, "lineItems": s.units((s.mug, 1))},
            [("PICKUP_METHOD_NOT_FOUND", ["consignments", "1", "pickupOption", "pickupMethodId"])],
            id="unknown-pickup-method",
        ),
    ]


@pytest.mark.parametrize(("second", "expected"), _add_refusals())
async def test_invalid_consignment_refuses_the_whole_request(shop, second, expected):
    before = await shop.raw()
    first = {"address": address(), "lineItems": shop.units((shop.shirt, 1))}

    payload = await shop.add(first, second(shop))

    assert errors_of(payload) == sorted(expected)
    assert all(error["message"] for error in payload["errors"])
    assert payload["checkout"]["consignments"] == []
    assert unassigned(payload["checkout"]) == {"SHIRT": 3, "MUG": 2, "EBOOK": 0}
    assert await shop.raw() == before


async def test_over_assignment_counts_existing_consignments(shop):
    await shop.added({"address": address(), "lineItems": shop.units((shop.shirt, 2))})

    payload = await shop.add({"address": address(), "lineItems": shop.units((shop.mug, 2), (shop.shirt, 2))})

    assert errors_of(payload) == [("OVER_ASSIGNED", ["consignments", "0", "lineItems", "1", "quantity"])]
    assert unassigned(payload["checkout"]) == {"SHIRT": 1, "MUG": 2, "EBOOK": 0}
    assert len(payload["checkout"]["consignments"]) == 1

    payload = await shop.add({"address": address(), "lineItems": shop.units((shop.mug, 2), (shop.shirt, 1))})
    assert payload["errors"] == []
    assert unassigned(payload["checkout"]) == {"SHIRT": 0, "MUG": 0, "EBOOK": 0}


async def test_over_assignment_within_one_request_is_caught_at_the_consignment_that_overflows(shop):
    payload = await shop.add(
        {"address": address(), "lineItems": shop.units((shop.shirt, 2))},
        {"address": address(), "lineItems": shop.units((shop.mug, 1))},
        {"address": address(), "lineItems": shop.units((shop.mug, 1), (shop.shirt, 2))},
    )

    assert errors_of(payload) == [("OVER_ASSIGNED", ["consignments", "2", "lineItems", "1", "quantity"])]
    assert payload["checkout"]["consignments"] == []


async def test_all_problems_of_several_consignments_are_reported_together(shop, store):
    before = await shop.raw()

    payload = await shop.add(
        {"address": address(), "lineItems": shop.units((shop.shirt, 2), (shop.mug, 1))},
        {"address": address(email="nope", countryCode="QQ"), "lineItems": shop.units((shop.ebook, 1))},
        {
            "address": address(),
            "lineItems": [{"itemId": "no-such-item", "quantity": 1}, *shop.units((shop.shirt, 0))],
        },
        {"address": address(), "lineItems": shop.units((shop.shirt, 1), (shop.mug, 1))},
        {"address": address(), "lineItems": shop.units((shop.shirt, 1), (shop.mug, 1))},
    )

    assert errors_of(payload) == sorted(
        [
            ("INVALID_EMAIL", ["consignments", "1", "address", "email"]),
            ("INVALID_COUNTRY_CODE", ["consignments", "1", "address", "countryCode"]),
            ("DIGITAL_ITEM", ["consignments", "1", "lineItems", "0", "itemId"]),
            ("UNKNOWN_LINE_ITEM", ["consignments", "2", "lineItems", "0", "itemId"]),
            ("INVALID_QUANTITY", ["consignments", "2", "lineItems", "1", "quantity"]),
            # consignments 0 and 3 use SHIRT 3/3 and MUG 2/2; 4 asks for more of both.
            ("OVER_ASSIGNED", ["consignments", "4", "lineItems", "0", "quantity"]),
            ("OVER_ASSIGNED", ["consignments", "4", "lineItems", "1", "quantity"]),
        ]
    )
    assert payload["checkout"]["consignments"] == []
    assert await shop.raw() == before


async def test_empty_consignment_list_is_refused(shop):
    before = await shop.raw()
    payload = await shop.add()
    assert errors_of(payload) == [("REQUIRED", ["consignments"])]
    assert await shop.raw() == before


async def test_line_item_of_another_checkout_is_unknown(client, store, shop):
    other = await new_shop(client, store.storefront_token)

    payload = await shop.add({"address": address(), "lineItems": shop.units((other.shirt, 1))})

    assert errors_of(payload) == [("UNKNOWN_LINE_ITEM", ["consignments", "0", "lineItems", "0", "itemId"])]
    assert unassigned(await other.assignments())["SHIRT"] == 3


async def test_add_to_unknown_checkout_is_not_found(shop):
    shop.id = str(uuid.uuid4())
    payload = await shop.add({"address": address(), "lineItems": shop.units((shop.shirt, 1))})
    assert payload["checkout"] is None
    assert errors_of(payload) == [("NOT_FOUND", ["checkoutId"])]


# --- updateConsignment -------------------------------------------------------------------------------


async def test_update_needs_at_least_one_change(shop):
    [consignment] = await shop.added({"address": address(), "lineItems": shop.units((shop.shirt, 1))})
    before = await shop.raw()

    payload = await shop.update(consignment)

    assert [error["code"] for error in payload["errors"]] == ["NO_CHANGES"]
    assert await shop.raw() == before


@pytest.mark.parametrize(
    "others",
    [
        pytest.param(lambda s: {"address": address(countryCode="CA")}, id="with-address"),
        pytest.param(lambda s: {"lineItems": s.units((s.shirt, 2))}, id="with-line-items"),
        pytest.param(lambda s: {"pickupOption": {"pickupMethodId": 1}}, id="with-pickup-option"),
    ],
)
async def test_shipping_option_must_come_alone(shop, others):
    [consignment] = await shop.added({"address": address(), "lineItems": shop.units((shop.shirt, 1))})
    before = await shop.raw()

    payload = await shop.update(consignment, shippingOptionId="flat-rate", **others(shop))

    assert errors_of(payload) == [("SHIPPING_OPTION_NOT_ALONE", ["shippingOptionId"])]
    assert await shop.raw() == before


async def test_shipping_option_that_is_not_offered_is_refused(shop):
    # The test store has no shipping configuration, so no consignment is offered any option.
    [consignment] = await shop.added({"address": address(), "lineItems": shop.units((shop.shirt, 1))})
    before = await shop.raw()

    payload = await shop.update(consignment, shippingOptionId="anything")

    assert errors_of(payload) == [("SHIPPING_OPTION_NOT_AVAILABLE", ["shippingOptionId"])]
    assert await shop.raw() == before


async def test_line_items_replace_the_assignment(shop):
    [consignment] = await shop.added({"address": address(), "lineItems": shop.units((shop.shirt, 2), (shop.mug, 1))})

    payload = await shop.update(consignment, lineItems=shop.units((shop.mug, 2)))

    assert payload["errors"] == []
    [updated] = payload["checkout"]["consignments"]
    assert updated["id"] == consignment
    assert contents(updated) == [("MUG", 2)]
    assert updated["lineItemIds"] == [shop.mug]
    assert unassigned(payload["checkout"]) == {"SHIRT": 3, "MUG": 0, "EBOOK": 0}
    assert await shop.assignments() == payload["checkout"]


async def test_updating_items_keeps_the_address(shop):
    [consignment] = await shop.added(
        {"address": address(city="Austin", countryCode="us"), "lineItems": shop.units((shop.shirt, 1))}
    )

    payload = await shop.update(consignment, lineItems=shop.units((shop.shirt, 3)))

    assert payload["errors"] == []
    [details] = (await shop.details())["consignments"]
    assert (details["address"]["city"], details["address"]["countryCode"]) == ("Austin", "US")


async def test_over_assignment_check_excludes_the_consignments_own_items(shop):
    [consignment] = await shop.added({"address": address(), "lineItems": shop.units((shop.shirt, 3))})

    payload = await shop.update(consignment, lineItems=shop.units((shop.shirt, 3), (shop.mug, 2)))

    assert payload["errors"] == []
    assert contents(payload["checkout"]["consignments"][0]) == [("SHIRT", 3), ("MUG", 2)]
    assert unassigned(payload["checkout"]) == {"SHIRT": 0, "MUG": 0, "EBOOK": 0}


async def test_over_assignment_check_counts_the_other_consignments(shop):
    first, second = await shop.added(
        {"address": address(), "lineItems": shop.units((shop.shirt, 2))},
        {"address": address(), "lineItems": shop.units((shop.shirt, 1))},
    )
    before = await shop.raw()

    payload = await shop.update(first, lineItems=shop.units((shop.mug, 1), (shop.shirt, 3)))

    assert errors_of(payload) == [("OVER_ASSIGNED", ["lineItems", "1", "quantity"])]
    assert await shop.raw() == before

    payload = await shop.update(second, lineItems=shop.units((shop.shirt, 1), (shop.mug, 2)))
    assert payload["errors"] == []
    assert unassigned(payload["checkout"]) == {"SHIRT": 0, "MUG": 0, "EBOOK": 0}


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        pytest.param(
            lambda s: [{"itemId": "no-such-item", "quantity": 1}],
            [("UNKNOWN_LINE_ITEM", ["lineItems", "0", "itemId"])],
            id="unknown-item",
        ),
        pytest.param(
            lambda s: s.units((s.mug, 1), (s.shirt, 0)),
            [("INVALID_QUANTITY", ["lineItems", "1", "quantity"])],
            id="zero-quantity",
        ),
        pytest.param(
            lambda s: s.units((s.ebook, 1)),
            [("DIGITAL_ITEM", ["lineItems", "0", "itemId"])],
            id="digital-item",
        ),
        pytest.param(
            lambda s: s.units((s.shirt, 1), (s.shirt, 1)),
            [("DUPLICATE_LINE_ITEM", ["lineItems", "1", "itemId"])],
            id="duplicate-item",
        ),
        pytest.param(
            lambda s: s.units((s.shirt, 4)),
            [("OVER_ASSIGNED", ["lineItems", "0", "quantity"])],
            id="more-than-the-line-item-holds",
        ),
    ],
)
async def test_invalid_line_items_in_update_are_refused(shop, items, expected):
    [consignment] = await shop.added({"address": address(), "lineItems": shop.units((shop.shirt, 1))})
    before = await shop.raw()

    payload = await shop.update(consignment, lineItems=items(shop))

    assert errors_of(payload) == sorted(expected)
    assert await shop.raw() == before


async def test_address_change_normalises_and_keeps_the_items(shop):
    [consignment] = await shop.added({"address": address(), "lineItems": shop.units((shop.shirt, 2))})

    payload = await shop.update(
        consignment, address={"email": " new@example.com ", "countryCode": "de", "city": "Berlin"}
    )

    assert payload["errors"] == []
    assert contents(payload["checkout"]["consignments"][0]) == [("SHIRT", 2)]
    [details] = (await shop.details())["consignments"]
    assert details["address"]["countryCode"] == "DE"
    assert details["address"]["email"] == "new@example.com"
    assert details["address"]["city"] == "Berlin"


async def test_address_change_replaces_the_whole_address(shop):
    [consignment] = await shop.added(
        {"address": address(city="Austin", postalCode="78701"), "lineItems": shop.units((shop.shirt, 2))}
    )

    await shop.update(consignment, address={"email": "new@example.com", "countryCode": "FR"})

    [details] = (await shop.details())["consignments"]
    assert (details["address"]["city"], details["address"]["postalCode"]) == (None, None)


@pytest.mark.parametrize(
    ("new_address", "expected"),
    [
        pytest.param(
            address(countryCode="XX"),
            [("INVALID_COUNTRY_CODE", ["address", "countryCode"])],
            id="bad-country",
        ),
        pytest.param(address(email="nope"), [("INVALID_EMAIL", ["address", "email"])], id="bad-email"),
        pytest.param(address(city="c" * 256), [("TOO_LONG", ["address", "city"])], id="too-long"),
    ],
)
async def test_invalid_address_in_update_is_refused(shop, new_address, expected):
    [consignment] = await shop.added({"address": address(), "lineItems": shop.units((shop.shirt, 1))})
    before = await shop.raw()

    payload = await shop.update(consignment, address=new_address)

    assert errors_of(payload) == expected
    assert await shop.raw() == before


async def test_address_and_item_problems_of_one_update_are_reported_together(shop):
    [consignment] = await shop.added({"address": address(), "lineItems": shop.units((shop.shirt, 1))})

    payload = await shop.update(consignment, address=address(countryCode="ZZ"), lineItems=shop.units((shop.mug, 5)))

    assert errors_of(payload) == sorted(
        [
            ("INVALID_COUNTRY_CODE", ["address", "countryCode"]),
            ("OVER_ASSIGNED", ["lineItems", "0", "quantity"]),
        ]
    )


async def test_update_of_unknown_consignment_is_not_found(client, store, shop):
    other = await new_shop(client, store.storefront_token)
    [foreign] = await other.added({"address": address(), "lineItems": other.units((other.shirt, 1))})
    await shop.added({"address": address(), "lineItems": shop.units((shop.shirt, 1))})
    before = await shop.raw()

    for consignment in (str(uuid.uuid4()), foreign):
        payload = await shop.update(consignment, lineItems=shop.units((shop.shirt, 2)))
        assert errors_of(payload) == [("NOT_FOUND", ["consignmentId"])]
        assert payload["checkout"] is not None

    assert await shop.raw() == before
    assert contents((await other.assignments())["consignments"][0]) == [("SHIRT", 1)]


async def test_update_in_unknown_checkout_is_not_found(shop):
    [consignment] = await shop.added({"address": address(), "lineItems": shop.units((shop.shirt, 1))})
    real = shop.id
    shop.id = str(uuid.uuid4())

    payload = await shop.update(consignment, lineItems=shop.units((shop.shirt, 2)))

    assert payload["checkout"] is None
    assert errors_of(payload) == [("NOT_FOUND", ["checkoutId"])]
    shop.id = real
    assert contents((await shop.assignments())["consignments"][0]) == [("SHIRT", 1)]


# --- deleteConsignment -------------------------------------------------------------------------------


async def test_delete_frees_the_items(shop):
    first, second = await shop.added(
        {"address": address(), "lineItems": shop.units((shop.shirt, 2), (shop.mug, 1))},
        {"address": address(), "lineItems": shop.units((shop.shirt, 1))},
    )

    payload = await shop.delete(first)

    assert payload["errors"] == []
    assert [consignment["id"] for consignment in payload["checkout"]["consignments"]] == [second]
    assert unassigned(payload["checkout"]) == {"SHIRT": 2, "MUG": 2, "EBOOK": 0}

    # The freed units can go into a new consignment.
    payload = await shop.add({"address": address(), "lineItems": shop.units((shop.shirt, 2), (shop.mug, 2))})
    assert payload["errors"] == []
    assert unassigned(payload["checkout"]) == {"SHIRT": 0, "MUG": 0, "EBOOK": 0}


async def test_deleting_the_last_consignment_leaves_none(shop):
    [consignment] = await shop.added({"address": address(), "lineItems": shop.units((shop.shirt, 3), (shop.mug, 2))})

    payload = await shop.delete(consignment)

    assert payload["errors"] == []
    assert payload["checkout"]["consignments"] == []
    assert unassigned(payload["checkout"]) == {"SHIRT": 3, "MUG": 2, "EBOOK": 0}
    assert (await shop.assignments())["consignments"] == []


async def test_delete_of_unknown_consignment_is_not_found(client, store, shop):
    [consignment] = await shop.added({"address": address(), "lineItems": shop.units((shop.shirt, 1))})
    other = await new_shop(client, store.storefront_token)
    [foreign] = await other.added({"address": address(), "lineItems": other.units((other.mug, 1))})
    before = await shop.raw()

    for unknown in (str(uuid.uuid4()), foreign):
        payload = await shop.delete(unknown)
        assert errors_of(payload) == [("NOT_FOUND", ["consignmentId"])]
    assert await shop.raw() == before
    assert len((await other.assignments())["consignments"]) == 1

    assert (await shop.delete(consignment))["errors"] == []
    payload = await shop.delete(consignment)
    assert errors_of(payload) == [("NOT_FOUND", ["consignmentId"])]


async def test_delete_in_unknown_checkout_is_not_found(shop):
    [consignment] = await shop.added({"address": address(), "lineItems": shop.units((shop.shirt, 1))})
    real = shop.id
    shop.id = str(uuid.uuid4())

    payload = await shop.delete(consignment)

    assert payload["checkout"] is None
    assert errors_of(payload) == [("NOT_FOUND", ["checkoutId"])]
    shop.id = real
    assert len((await shop.assignments())["consignments"]) == 1


# --- every failed mutation leaves the checkout exactly as it was -------------------------------------


async def _prepared(shop: Shop) -> str:
    """A checkout with some history (billing address, two consignments, a delete, an update)."""
    await shop.call(
        SET_BILLING,
        "setCheckoutBillingAddress",
        {
            "checkoutId": shop.id,
            "address": {"email": "bill@example.com", "countryCode": "gb", "city": "Leeds"},
        },
    )
    first, second = await shop.added(
        {"address": address(city="Austin"), "lineItems": shop.units((shop.shirt, 1), (shop.mug, 1))},
        {"address": address(countryCode="ca"), "lineItems": shop.units((shop.shirt, 1))},
    )
    assert (await shop.delete(second))["errors"] == []
    assert (await shop.update(first, lineItems=shop.units((shop.shirt, 2), (shop.mug, 1))))["errors"] == []
    return first


FAILED_MUTATIONS = [
    pytest.param(
        SET_BILLING_FULL,
        "setCheckoutBillingAddress",
        lambda s, c: {"address": {"email": "bad", "countryCode": "US"}},
        "INVALID_EMAIL",
        id="billing-invalid",
    ),
    pytest.param(
        SET_BILLING_FULL,
        "setCheckoutBillingAddress",
        lambda s, c: {"address": {"email": "a@example.com", "countryCode": "US"}, "version": 1},
        "VERSION_CONFLICT",
        id="billing-stale-version",
    ),
    pytest.param(
        ADD_FULL,
        "addConsignments",
        lambda s, c: {"consignments": [{"address": address(), "lineItems": s.units((s.shirt, 2))}]},
        "OVER_ASSIGNED",
        id="add-over-assigned",
    ),
    pytest.param(
        ADD_FULL,
        "addConsignments",
        lambda s, c: {
            "consignments": [
                {"address": address(), "lineItems": s.units((s.shirt, 1))},
                {"address": address(countryCode="XX"), "lineItems": s.units((s.mug, 1))},
            ]
        },
        "INVALID_COUNTRY_CODE",
        id="add-one-of-two-invalid",
    ),
    pytest.param(
        ADD_FULL,
        "addConsignments",
        lambda s, c: {"consignments": [{"address": address(), "lineItems": s.units((s.ebook, 1))}]},
        "DIGITAL_ITEM",
        id="add-digital",
    ),
    pytest.param(
        ADD_FULL,
        "addConsignments",
        lambda s, c: {
            "consignments": [{"address": address(), "lineItems": s.units((s.mug, 1))}],
            "version": 1,
        },
        "VERSION_CONFLICT",
        id="add-stale-version",
    ),
    pytest.param(
        UPDATE_FULL,
        "updateConsignment",
        lambda s, c: {"consignmentId": c},
        "NO_CHANGES",
        id="update-no-changes",
    ),
    pytest.param(
        UPDATE_FULL,
        "updateConsignment",
        lambda s, c: {"consignmentId": c, "shippingOptionId": "x", "address": address()},
        "SHIPPING_OPTION_NOT_ALONE",
        id="update-option-not-alone",
    ),
    pytest.param(
        UPDATE_FULL,
        "updateConsignment",
        lambda s, c: {"consignmentId": c, "shippingOptionId": "x"},
        "SHIPPING_OPTION_NOT_AVAILABLE",
        id="update-option-not-available",
    ),
    pytest.param(
        UPDATE_FULL,
        "updateConsignment",
        lambda s, c: {"consignmentId": c, "lineItems": s.units((s.shirt, 4))},
        "OVER_ASSIGNED",
        id="update-over-assigned",
    ),
    pytest.param(
        UPDATE_FULL,
        "updateConsignment",
        lambda s, c: {
            "consignmentId": c,
            "address": address(email="nope"),
            "lineItems": s.units((s.shirt, 1)),
        },
        "INVALID_EMAIL",
        id="update-bad-address-with-valid-items",
    ),
    pytest.param(
        UPDATE_FULL,
        "updateConsignment",
        lambda s, c: {"consignmentId": c, "pickupOption": {"pickupMethodId": 7}},
        "PICKUP_METHOD_NOT_FOUND",
        id="update-unknown-pickup",
    ),
    pytest.param(
        UPDATE_FULL,
        "updateConsignment",
        lambda s, c: {"consignmentId": str(uuid.uuid4()), "lineItems": s.units((s.shirt, 1))},
        "NOT_FOUND",
        id="update-unknown-consignment",
    ),
    pytest.param(
        UPDATE_FULL,
        "updateConsignment",
        lambda s, c: {"consignmentId": c, "lineItems": s.units((s.shirt, 1)), "version": 2},
        "VERSION_CONFLICT",
        id="update-stale-version",
    ),
    pytest.param(
        DELETE_FULL,
        "deleteConsignment",
        lambda s, c: {"consignmentId": str(uuid.uuid4())},
        "NOT_FOUND",
        id="delete-unknown-consignment",
    ),
    pytest.param(
        DELETE_FULL,
        "deleteConsignment",
        lambda s, c: {"consignmentId": c, "version": 3},
        "VERSION_CONFLICT",
        id="delete-stale-version",
    ),
]


@pytest.mark.parametrize(("document", "name", "make_input", "code"), FAILED_MUTATIONS)
async def test_failed_mutation_leaves_the_checkout_byte_for_byte_unchanged(shop, document, name, make_input, code):
    consignment = await _prepared(shop)
    before = await shop.raw()
    before_checkout = data(await gql(shop.client, FULL_CHECKOUT, {"id": shop.id}, token=shop.token))["checkout"]

    payload = await shop.call(document, name, {"checkoutId": shop.id, **make_input(shop, consignment)})

    assert code in [error["code"] for error in payload["errors"]]
    # The payload shows the checkout as it is, which is as it was.
    assert payload["checkout"] == before_checkout
    assert await shop.raw() == before


# --- optimistic versions -----------------------------------------------------------------------------


async def test_every_successful_edit_increments_the_version(shop):
    versions = [(await shop.assignments())["version"]]
    updated_at = [(await shop.assignments())["updatedAt"]]

    payload = await shop.add({"address": address(), "lineItems": shop.units((shop.shirt, 1))}, version=1)
    versions.append(payload["checkout"]["version"])
    updated_at.append(payload["checkout"]["updatedAt"])
    consignment = payload["checkout"]["consignments"][0]["id"]

    payload = await shop.update(consignment, lineItems=shop.units((shop.shirt, 2)), version=2)
    versions.append(payload["checkout"]["version"])
    updated_at.append(payload["checkout"]["updatedAt"])

    payload = await shop.update(consignment, address=address(countryCode="MX"), version=3)
    versions.append(payload["checkout"]["version"])
    updated_at.append(payload["checkout"]["updatedAt"])

    payload = await shop.delete(consignment, version=4)
    assert payload["errors"] == []
    versions.append(payload["checkout"]["version"])
    updated_at.append(payload["checkout"]["updatedAt"])

    assert versions == [1, 2, 3, 4, 5]
    times = [datetime.fromisoformat(value) for value in updated_at]
    assert times == sorted(times) and len(set(times)) == len(times)


async def test_edits_without_a_version_are_not_checked(shop):
    await shop.added({"address": address(), "lineItems": shop.units((shop.shirt, 1))})
    payload = await shop.add({"address": address(), "lineItems": shop.units((shop.shirt, 1))})
    assert payload["errors"] == []
    assert payload["checkout"]["version"] == 3


@pytest.mark.parametrize("stale", [1, 3, 0, -1])
async def test_wrong_version_is_a_conflict_for_every_mutation(shop, stale):
    [consignment] = await shop.added({"address": address(), "lineItems": shop.units((shop.shirt, 1))})
    assert (await shop.assignments())["version"] == 2
    before = await shop.raw()

    add = await shop.add({"address": address(), "lineItems": shop.units((shop.mug, 1))}, version=stale)
    update = await shop.update(consignment, lineItems=shop.units((shop.shirt, 2)), version=stale)
    address_update = await shop.update(consignment, address=address(countryCode="FR"), version=stale)
    delete = await shop.delete(consignment, version=stale)

    for payload in (add, update, address_update, delete):
        assert errors_of(payload) == [("VERSION_CONFLICT", ["version"])]
        assert payload["checkout"]["version"] == 2
    assert await shop.raw() == before


async def test_the_loser_of_two_edits_from_the_same_version_gets_a_conflict(shop):
    seen = (await shop.assignments())["version"]

    winner = await shop.add({"address": address(), "lineItems": shop.units((shop.shirt, 2))}, version=seen)
    loser = await shop.add({"address": address(), "lineItems": shop.units((shop.shirt, 1))}, version=seen)

    assert winner["errors"] == []
    assert errors_of(loser) == [("VERSION_CONFLICT", ["version"])]
    assert [contents(consignment) for consignment in loser["checkout"]["consignments"]] == [[("SHIRT", 2)]]


# --- tenants -----------------------------------------------------------------------------------------


async def test_checkout_of_another_store_is_not_found(client, engine, store, shop):
    other = await make_store(engine, slug="other")
    [consignment] = await shop.added({"address": address(), "lineItems": shop.units((shop.shirt, 1))})
    before = await shop.raw()

    for token in (other.storefront_token, other.server_token):
        body = await gql(client, FULL_CHECKOUT, {"id": shop.id}, token=token)
        assert data(body) == {"checkout": None}

        add = await shop.add({"address": address(), "lineItems": shop.units((shop.mug, 1))}, token=token)
        update = await shop.update(consignment, lineItems=shop.units((shop.shirt, 3)), token=token)
        delete = await shop.delete(consignment, token=token)
        billing = await shop.call(
            SET_BILLING,
            "setCheckoutBillingAddress",
            {"checkoutId": shop.id, "address": {"email": "x@example.com", "countryCode": "US"}},
            token,
        )
        for payload in (add, update, delete, billing):
            assert payload["checkout"] is None
            assert errors_of(payload) == [("NOT_FOUND", ["checkoutId"])]

    assert await shop.raw() == before


async def test_a_checkout_of_another_store_cannot_borrow_line_items(client, engine, store, shop):
    other = await make_store(engine, slug="other")
    theirs = await new_shop(client, other.storefront_token)

    payload = await theirs.add({"address": address(), "lineItems": theirs.units((shop.shirt, 1))})

    assert errors_of(payload) == [("UNKNOWN_LINE_ITEM", ["consignments", "0", "lineItems", "0", "itemId"])]
    assert unassigned(await shop.assignments())["SHIRT"] == 3


async def test_consignment_mutations_need_a_token(client, shop):
    [consignment] = await shop.added({"address": address(), "lineItems": shop.units((shop.shirt, 1))})
    before = await shop.raw()

    for document, input in (
        (
            ADD,
            {
                "checkoutId": shop.id,
                "consignments": [{"address": address(), "lineItems": shop.units((shop.mug, 1))}],
            },
        ),
        (
            UPDATE,
            {"checkoutId": shop.id, "consignmentId": consignment, "lineItems": shop.units((shop.shirt, 3))},
        ),
        (DELETE, {"checkoutId": shop.id, "consignmentId": consignment}),
    ):
        body = await gql(client, document, {"input": input}, token=None)
        assert body["data"] is None
        assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"

    assert await shop.raw() == before
