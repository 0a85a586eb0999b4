"""completeCheckout through HTTP: every refusal listed with its path and nothing written; what the order
holds (addresses, products, totals, snapshots); the checkout read-only afterwards; safe retries and
idempotency keys.

Shipping (tests/order_flow.py): one GLOBAL zone "Everywhere", "Flat Rate" 5.00 per consignment, "Per
Item" 1.50 per unit, a separately shown handling fee of 2.00 per consignment.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.domain.catalog import ProductInput
from tests.factories import StoreFixture, gql, make_store
from tests.order_flow import (
    ADD_CONSIGNMENTS,
    AE_DUBAI,
    BILLING,
    COMPLETE,
    CREATE_ZONE,
    DELETE_CONSIGNMENT,
    DELETE_PICKUP,
    GB_LONDON,
    REFRESH,
    SET_BILLING,
    UPDATE_CONSIGNMENT,
    UPDATE_PICKUP,
    US_CA,
    OrderFlow,
    address,
    errors_of,
    money,
    product,
)

pytestmark = pytest.mark.anyio


async def assert_nothing_written(flow: OrderFlow, checkout_id: str, before: dict[str, Any]) -> None:
    """The checkout is exactly as it was and no order exists."""
    after = await flow.checkout(checkout_id)
    assert after == before
    assert after["order"] is None
    assert (await flow.orders())["nodes"] == []


# --- refusals ----------------------------------------------------------------------------------------


async def test_refusal_lists_every_problem_with_paths_and_writes_nothing(flow: OrderFlow):
    cart = await flow.cart(LAMP=1, SHIRT=2, MUG=1, EBOOK=1)
    first = await flow.ship(cart, US_CA, SHIRT=2)
    await flow.select(cart, first)
    # The second consignment: a US address without postal code and state, no option selected.
    await flow.ship(cart, address("US", None, None), MUG=1)
    before = await flow.checkout(cart.id)
    assert [line["sku"] for line in before["lineItems"]] == ["LAMP", "SHIRT", "MUG", "EBOOK"]

    payload = await flow.complete(cart.id)

    assert payload["order"] is None
    assert errors_of(payload) == sorted(
        [
            ("MISSING_BILLING_ADDRESS", ["billingAddress"]),
            ("UNASSIGNED_ITEMS", ["lineItems", "0"]),
            ("INCOMPLETE_SHIPPING_ADDRESS", ["consignments", "1", "address", "postalCode"]),
            ("INCOMPLETE_SHIPPING_ADDRESS", ["consignments", "1", "address", "stateOrProvince"]),
            ("NO_SHIPPING_OPTION_SELECTED", ["consignments", "1", "selectedShippingOption"]),
        ]
    )
    assert all(error["message"] for error in payload["errors"])
    # The payload shows the unchanged checkout, and its problems say the same.
    assert payload["checkout"] == before
    assert {problem["code"] for problem in before["problems"]} == {code for code, _ in errors_of(payload)}
    await assert_nothing_written(flow, cart.id, before)


async def test_incomplete_billing_address_lists_each_missing_field(flow: OrderFlow):
    cart = await flow.ready(lines={"SHIRT": 1})
    # AE needs neither postal code nor state, so only the base fields are missing.
    await flow.set_billing(cart, {"email": "bill@example.com", "countryCode": "AE", "city": "Dubai"})
    before = await flow.checkout(cart.id)

    payload = await flow.complete(cart.id)

    assert payload["order"] is None
    assert errors_of(payload) == [
        ("INCOMPLETE_BILLING_ADDRESS", ["billingAddress", "address1"]),
        ("INCOMPLETE_BILLING_ADDRESS", ["billingAddress", "firstName"]),
        ("INCOMPLETE_BILLING_ADDRESS", ["billingAddress", "lastName"]),
    ]
    await assert_nothing_written(flow, cart.id, before)


async def test_billing_address_needs_only_the_base_fields(flow: OrderFlow):
    """The issue asks the billing address for firstName, lastName, address1, city, countryCode and email;
    postal code and state are asked of consignment addresses only."""
    cart = await flow.ready(lines={"SHIRT": 1})
    await flow.set_billing(cart, address("US", None, None, email="bill@example.com"))

    payload = await flow.complete(cart.id)

    assert payload["errors"] == []
    assert payload["order"]["billingAddress"]["postalCode"] is None


async def test_incomplete_shipping_address_lists_base_fields(flow: OrderFlow):
    cart = await flow.cart(SHIRT=1)
    consignment = await flow.ship(cart, {"email": "ship@example.com", "countryCode": "AE"}, SHIRT=1)
    await flow.select(cart, consignment)
    await flow.set_billing(cart)
    before = await flow.checkout(cart.id)

    payload = await flow.complete(cart.id)

    assert errors_of(payload) == [
        ("INCOMPLETE_SHIPPING_ADDRESS", ["consignments", "0", "address", name])
        for name in ("address1", "city", "firstName", "lastName")
    ]
    await assert_nothing_written(flow, cart.id, before)


@pytest.mark.parametrize(
    ("to", "missing"),
    [
        pytest.param(address("US", None, None), ["postalCode", "stateOrProvince"], id="US-needs-both"),
        pytest.param(address("US", "CA", None), ["postalCode"], id="US-needs-postal-code"),
        pytest.param(address("US", None, "94105"), ["stateOrProvince"], id="US-needs-state"),
        pytest.param(address("CA", None, None), ["postalCode", "stateOrProvince"], id="CA-needs-both"),
        pytest.param(address("AU", None, None), ["postalCode", "stateOrProvince"], id="AU-needs-both"),
        pytest.param(address("IN", None, None), ["postalCode", "stateOrProvince"], id="IN-needs-both"),
        pytest.param(address("BR", None, None), ["postalCode", "stateOrProvince"], id="BR-needs-both"),
        pytest.param(address("MX", None, None), ["postalCode", "stateOrProvince"], id="MX-needs-both"),
        pytest.param(address("GB", None, None), ["postalCode"], id="GB-needs-postal-code-only"),
        pytest.param(address("DE", None, None), ["postalCode"], id="DE-needs-postal-code-only"),
        pytest.param(address("FR", None, None), ["postalCode"], id="FR-needs-postal-code-only"),
        pytest.param(address("NL", None, None), ["postalCode"], id="NL-needs-postal-code-only"),
        pytest.param(address("JP", None, None), ["postalCode"], id="JP-needs-postal-code-only"),
    ],
)
async def test_country_rules_for_shipping_addresses(flow: OrderFlow, to: dict[str, Any], missing: list[str]):
    cart = await flow.cart(MUG=1)
    consignment = await flow.ship(cart, to, MUG=1)
    await flow.select(cart, consignment)
    await flow.set_billing(cart)
    before = await flow.checkout(cart.id)

    payload = await flow.complete(cart.id)

    assert errors_of(payload) == [
        ("INCOMPLETE_SHIPPING_ADDRESS", ["consignments", "0", "address", name]) for name in missing
    ]
    await assert_nothing_written(flow, cart.id, before)


@pytest.mark.parametrize(
    "to",
    [
        pytest.param(GB_LONDON, id="GB-without-state"),
        pytest.param(AE_DUBAI, id="AE-without-postal-code-or-state"),
        pytest.param(address("US", "NY", "10001"), id="US-complete"),
        pytest.param(address("us", None, "94105", stateOrProvinceCode="CA"), id="US-state-code-only"),
    ],
)
async def test_addresses_that_satisfy_their_country_rule_complete(flow: OrderFlow, to: dict[str, Any]):
    cart = await flow.ready(lines={"MUG": 1}, consignments=[(to, {"MUG": 1}, "Flat Rate")])
    order = await flow.completed(cart.id)
    assert order["shippingAddresses"][0]["address"]["countryCode"] == to["countryCode"].upper()


async def test_stale_quote_after_a_configuration_change_blocks_completion(flow: OrderFlow):
    cart = await flow.ready(lines={"SHIRT": 1, "MUG": 1})
    await flow.update_method(flow.setup.methods["Flat Rate"], rate="6.00")
    before = await flow.checkout(cart.id)

    payload = await flow.complete(cart.id)

    assert errors_of(payload) == [("SHIPPING_QUOTE_STALE", ["consignments", "0", "selectedShippingOption"])]
    await assert_nothing_written(flow, cart.id, before)

    # Re-quoting keeps the selection (same method) at its new price, and then the checkout completes.
    refreshed = await flow.storefront_mutation(REFRESH, "refreshShippingOptions", {"checkoutId": cart.id})
    assert refreshed["errors"] == []
    assert refreshed["checkout"]["problems"] == []
    order = await flow.completed(cart.id)
    assert money(order["shippingAddresses"][0]["shippingCost"]) == "6.00"
    assert money(order["shippingCostTotal"]) == "6.00"


async def test_unknown_checkout(flow: OrderFlow):
    payload = await flow.complete("no-such-checkout")
    assert errors_of(payload) == [("NOT_FOUND", ["checkoutId"])]
    assert payload["order"] is None and payload["checkout"] is None


async def test_checkout_of_another_store_is_not_found(flow: OrderFlow, engine: AsyncEngine):
    cart = await flow.ready()
    other = await make_store(engine, slug="other")
    payload = await flow.complete(cart.id, token=other.storefront_token)
    assert errors_of(payload) == [("NOT_FOUND", ["checkoutId"])]
    assert (await flow.checkout(cart.id))["order"] is None


# --- digital goods and pickup ------------------------------------------------------------------------


async def test_digital_only_checkout_needs_only_billing(flow: OrderFlow):
    cart = await flow.cart(EBOOK=1, GIFTCARD=2)
    before = await flow.checkout(cart.id)

    payload = await flow.complete(cart.id)
    assert errors_of(payload) == [("MISSING_BILLING_ADDRESS", ["billingAddress"])]
    await assert_nothing_written(flow, cart.id, before)

    await flow.set_billing(cart)
    order = await flow.completed(cart.id)

    # Nothing to ship or collect: the order is fulfilled when it is placed (BigCommerce's Completed, 10).
    assert order["status"] == "COMPLETED"
    assert (await flow.orders(status="COMPLETED"))["nodes"][0]["id"] == order["id"]
    assert (await flow.orders(status="AWAITING_FULFILLMENT"))["nodes"] == []
    assert order["shippingAddresses"] == []
    assert order["itemsTotal"] == 0 and order["itemsShipped"] == 0
    assert sorted((p["sku"], p["quantity"], p["shippingAddress"]) for p in order["products"]) == [
        ("EBOOK", 1, None),
        ("GIFTCARD", 2, None),
    ]
    assert (money(order["subtotal"]), money(order["shippingCostTotal"]), money(order["grandTotal"])) == (
        "59.99",
        "0.00",
        "59.99",
    )


async def test_pickup_consignment_completes_without_a_shipping_option(flow: OrderFlow):
    pickup_id = await flow.pickup_method("Downtown Store")
    cart = await flow.cart(SHIRT=1, MUG=2)
    await flow.pickup(cart, pickup_id, SHIRT=1)
    shipped = await flow.ship(cart, US_CA, MUG=2)
    await flow.select(cart, shipped)
    await flow.set_billing(cart)
    checkout = await flow.checkout(cart.id)
    assert checkout["problems"] == []
    assert checkout["consignments"][0]["selectedShippingOption"] is None

    order = await flow.completed(cart.id)

    # The pickup is not a shipping address (BigCommerce keeps pickups apart from shipping consignments).
    (delivery,) = order["shippingAddresses"]
    (pickup,) = order["pickups"]
    assert pickup["locationName"] == "Downtown Store" and pickup["pickedUpAt"] is None
    assert pickup["address"]["address1"] == "5 Market St" and pickup["address"]["city"] == "San Francisco"
    assert [(item["sku"], item["quantity"]) for item in pickup["items"]] == [("SHIRT", 1)]
    assert delivery["shippingMethod"] == "Flat Rate" and delivery["itemsTotal"] == 2
    assert product(order, "MUG", 0)["quantity"] == 2
    # Units to ship: the collected shirt is not one of them.
    assert order["itemsTotal"] == 2
    assert order["status"] == "AWAITING_FULFILLMENT"


# --- the order -----------------------------------------------------------------------------------------


async def test_order_is_a_faithful_copy_of_the_checkout(flow: OrderFlow):
    cart = await flow.ready(
        lines={"SHIRT": 3, "MUG": 1, "LAMP": 1, "EBOOK": 2},
        consignments=[
            (US_CA, {"SHIRT": 1, "MUG": 1}, "Flat Rate"),
            (GB_LONDON, {"SHIRT": 2, "LAMP": 1}, "Per Item"),
        ],
    )
    checkout = await flow.checkout(cart.id)

    payload = await flow.complete(cart.id)

    assert payload["errors"] == []
    order = payload["order"]
    assert order["status"] == "AWAITING_FULFILLMENT"
    assert order["email"] == "shopper@example.com"
    assert order["currencyCode"] == "USD"
    assert order["checkoutId"] == cart.id
    assert order["billingAddress"] == checkout["billingAddress"]
    assert order["billingAddress"]["address1"] == BILLING["address1"]
    for name in ("subtotal", "shippingCostTotal", "handlingCostTotal", "grandTotal"):
        assert order[name] == checkout[name], name
    # 3*19.99 + 7.50 + 45.00 + 2*9.99; Flat Rate 5.00 + Per Item 3*1.50; handling 2 x 2.00.
    assert (
        money(order["subtotal"]),
        money(order["shippingCostTotal"]),
        money(order["handlingCostTotal"]),
        money(order["grandTotal"]),
    ) == ("132.45", "9.50", "4.00", "145.95")
    assert order["itemsTotal"] == 5 and order["itemsShipped"] == 0
    assert order["dateShipped"] is None
    assert order["shipments"] == []

    assert len(order["shippingAddresses"]) == len(checkout["consignments"]) == 2
    for shipping_address, consignment in zip(order["shippingAddresses"], checkout["consignments"], strict=True):
        assert shipping_address["address"] == consignment["address"]
        assert shipping_address["shippingMethod"] == consignment["selectedShippingOption"]["description"]
        assert shipping_address["shippingCost"] == consignment["shippingCost"]
        assert shipping_address["handlingCost"] == consignment["handlingCost"]
        assert shipping_address["shippingZoneName"] == consignment["shippingZoneName"] == "Everywhere"
        assert shipping_address["itemsTotal"] == sum(entry["quantity"] for entry in consignment["lineItems"])
        assert shipping_address["itemsShipped"] == 0
        assert shipping_address["order"] == {"id": order["id"]}
        assert shipping_address["shipments"] == []
    us, gb = order["shippingAddresses"]
    assert (us["shippingMethod"], money(us["shippingCost"]), money(us["handlingCost"])) == ("Flat Rate", "5.00", "2.00")
    assert (gb["shippingMethod"], money(gb["shippingCost"]), money(gb["handlingCost"])) == ("Per Item", "4.50", "2.00")
    assert (us["itemsTotal"], gb["itemsTotal"]) == (2, 3)

    # One product per (line item, consignment) portion, digital ones without an address.
    portions = sorted(
        (p["sku"], p["quantity"], p["quantityShipped"], money(p["price"]), (p["shippingAddress"] or {}).get("id"))
        for p in order["products"]
    )
    assert portions == sorted(
        [
            ("SHIRT", 1, 0, "19.99", us["id"]),
            ("MUG", 1, 0, "7.50", us["id"]),
            ("SHIRT", 2, 0, "19.99", gb["id"]),
            ("LAMP", 1, 0, "45.00", gb["id"]),
            ("EBOOK", 2, 0, "9.99", None),
        ]
    )
    assert {p["name"] for p in order["products"]} == {"Shirt", "Mug", "Lamp", "E-book"}
    assert sorted(p["sku"] for p in us["products"]) == ["MUG", "SHIRT"]
    assert sorted(p["sku"] for p in gb["products"]) == ["LAMP", "SHIRT"]
    assert len({p["id"] for p in order["products"]}) == 5

    # The checkout in the payload points at its order; reading the order by id gives the same.
    assert payload["checkout"]["order"] == {"id": order["id"], "status": "AWAITING_FULFILLMENT"}
    assert await flow.order(order["id"]) == order


async def test_order_email_falls_back_to_the_billing_email(flow: OrderFlow):
    cart = await flow.ready(lines={"MUG": 1}, email=None)
    order = await flow.completed(cart.id)
    assert order["email"] == BILLING["email"]


async def test_order_is_a_snapshot(flow: OrderFlow, engine: AsyncEngine):
    cart = await flow.ready(lines={"SHIRT": 2, "MUG": 1})
    order = await flow.completed(cart.id)

    # Catalog price and name change, the method's rate, the zone's name and handling fee change.
    await make_store(
        engine,
        slug="default",
        catalog=(
            ProductInput("SHIRT", "Shirt (new)", Decimal("99.00"), Decimal("0.25")),
            ProductInput("MUG", "Mug (new)", Decimal("1.00"), Decimal("0.40")),
        ),
    )
    setup = flow.setup
    await flow.update_method(setup.methods["Flat Rate"], rate="50.00", name="Express")
    await flow.update_zone(
        setup.zone_id, name="Renamed", handlingFee={"type": "FIXED", "value": "9.00", "displaySeparately": True}
    )

    # The changes are real: a new checkout sees them.
    fresh = await flow.checkout((await flow.cart(SHIRT=1)).id)
    assert money(fresh["lineItems"][0]["listPrice"]) == "99.00"
    assert [zone["name"] for zone in (await flow.server("query { shippingZones { name } }"))["shippingZones"]] == [
        "Renamed"
    ]

    assert await flow.order(order["id"]) == order
    assert money(product(order, "SHIRT")["price"]) == "19.99"
    assert order["shippingAddresses"][0]["shippingMethod"] == "Flat Rate"
    assert order["shippingAddresses"][0]["shippingZoneName"] == "Everywhere"


# --- after completion ------------------------------------------------------------------------------------


async def test_completed_checkout_is_read_only(flow: OrderFlow):
    cart = await flow.ready(lines={"SHIRT": 2, "MUG": 1})
    order = await flow.completed(cart.id)
    before = await flow.checkout(cart.id)
    assert before["order"] == {"id": order["id"], "status": "AWAITING_FULFILLMENT"}
    consignment = before["consignments"][0]
    other_option = next(
        option for option in consignment["availableShippingOptions"] if option["description"] == "Per Item"
    )
    attempts = [
        (SET_BILLING, "setCheckoutBillingAddress", {"address": address("GB", None, "N1 9GU")}),
        (
            ADD_CONSIGNMENTS,
            "addConsignments",
            {"consignments": [{"address": US_CA, "lineItems": cart.units(SHIRT=1)}]},
        ),
        (
            UPDATE_CONSIGNMENT,
            "updateConsignment",
            {"consignmentId": consignment["id"], "shippingOptionId": other_option["id"]},
        ),
        (UPDATE_CONSIGNMENT, "updateConsignment", {"consignmentId": consignment["id"], "address": GB_LONDON}),
        (
            UPDATE_CONSIGNMENT,
            "updateConsignment",
            {"consignmentId": consignment["id"], "lineItems": cart.units(SHIRT=1)},
        ),
        (DELETE_CONSIGNMENT, "deleteConsignment", {"consignmentId": consignment["id"]}),
        (REFRESH, "refreshShippingOptions", {}),
        (REFRESH, "refreshShippingOptions", {"consignmentId": consignment["id"]}),
    ]
    for document, name, input in attempts:
        payload = await flow.storefront_mutation(document, name, {"checkoutId": cart.id, **input})
        assert errors_of(payload) == [("CHECKOUT_COMPLETED", ["checkoutId"])], (name, input, payload["errors"])
        assert await flow.checkout(cart.id) == before, (name, input)
    assert await flow.order(order["id"]) == order


async def test_a_completed_checkout_stays_free_of_problems_whatever_the_configuration_does(flow: OrderFlow):
    cart = await flow.ready(lines={"SHIRT": 2, "MUG": 1})
    await flow.completed(cart.id)
    before = await flow.checkout(cart.id)
    assert before["problems"] == []

    # Every kind of configuration change that makes an open checkout's quotes stale or unusable.
    await flow.update_zone(flow.setup.zone_id, name="Renamed after the order")
    await flow.update_method(flow.setup.methods["Flat Rate"], rate="9.00")
    other = await flow.server_mutation(
        CREATE_ZONE,
        "createShippingZone",
        {"name": "Another zone", "type": "COUNTRY", "locations": [{"countryCode": "FR"}]},
    )
    assert other["errors"] == []
    await flow.update_zone(flow.setup.zone_id, enabled=False)

    after = await flow.checkout(cart.id)
    assert after["problems"] == []
    assert after == before
    # And a checkout that is still open does see the change (the test would pass vacuously otherwise).
    await flow.update_zone(flow.setup.zone_id, enabled=True)
    open_cart = await flow.cart(SHIRT=1)
    consignment = await flow.ship(open_cart, US_CA, SHIRT=1)
    await flow.select(open_cart, consignment)
    await flow.update_method(flow.setup.methods["Flat Rate"], rate="9.50")
    assert "SHIPPING_QUOTE_STALE" in [p["code"] for p in (await flow.checkout(open_cart.id))["problems"]]
    assert (await flow.checkout(cart.id))["problems"] == []


async def test_completing_again_returns_the_same_order(flow: OrderFlow):
    cart = await flow.ready()
    first = await flow.completed(cart.id)
    checkout = await flow.checkout(cart.id)

    again = await flow.complete(cart.id)

    assert again["errors"] == []
    assert again["order"] == first
    assert await flow.checkout(cart.id) == checkout
    assert [node["id"] for node in (await flow.orders())["nodes"]] == [first["id"]]


async def test_checkout_order_is_readable_with_the_storefront_token(flow: OrderFlow):
    cart = await flow.ready()
    order = await flow.completed(cart.id)
    checkout = await flow.checkout(cart.id)
    assert checkout["order"] == {"id": order["id"], "status": "AWAITING_FULFILLMENT"}


async def test_idempotency_key_same_checkout_returns_the_same_order(flow: OrderFlow):
    cart = await flow.ready()
    first = await flow.completed(cart.id, idempotency_key="order-key-1")
    again = await flow.complete(cart.id, idempotency_key="order-key-1")
    assert again["errors"] == []
    assert again["order"]["id"] == first["id"]
    # A new key for the completed checkout is a plain retry: still the same order.
    other_key = await flow.complete(cart.id, idempotency_key="order-key-2")
    assert other_key["errors"] == [] and other_key["order"]["id"] == first["id"]
    assert [node["id"] for node in (await flow.orders())["nodes"]] == [first["id"]]


async def test_idempotency_key_reused_for_another_checkout_is_refused(flow: OrderFlow):
    first_cart = await flow.ready()
    second_cart = await flow.ready(lines={"LAMP": 1})
    first = await flow.completed(first_cart.id, idempotency_key="shared-key")
    before = await flow.checkout(second_cart.id)

    payload = await flow.complete(second_cart.id, idempotency_key="shared-key")

    assert errors_of(payload) == [("IDEMPOTENCY_KEY_REUSED", ["idempotencyKey"])]
    assert payload["order"] is None
    assert await flow.checkout(second_cart.id) == before
    assert [node["id"] for node in (await flow.orders())["nodes"]] == [first["id"]]
    # Without the key the second checkout completes normally.
    second = await flow.completed(second_cart.id)
    assert second["id"] != first["id"]


async def test_refused_completion_does_not_burn_the_idempotency_key(flow: OrderFlow):
    cart = await flow.cart(SHIRT=1)
    consignment = await flow.ship(cart, US_CA, SHIRT=1)
    await flow.select(cart, consignment)
    refused = await flow.complete(cart.id, idempotency_key="retry-me")
    assert errors_of(refused) == [("MISSING_BILLING_ADDRESS", ["billingAddress"])]

    await flow.set_billing(cart)
    order = await flow.completed(cart.id, idempotency_key="retry-me")
    assert order["checkoutId"] == cart.id


async def test_complete_requires_a_token(client: httpx.AsyncClient, flow: OrderFlow):
    cart = await flow.ready()
    body = await gql(
        client,
        COMPLETE,
        {"input": {"checkoutId": cart.id}},
        token=None,
    )
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert (await flow.checkout(cart.id))["order"] is None


async def test_consignment_outside_every_zone_is_refused(client: httpx.AsyncClient, store: StoreFixture):
    flow = OrderFlow(client, store)
    payload = await flow.server_mutation(
        CREATE_ZONE, "createShippingZone", {"name": "US only", "type": "COUNTRY", "locations": [{"countryCode": "US"}]}
    )
    assert payload["errors"] == []
    await flow.method(payload["zone"]["id"], "Flat Rate", "PER_ORDER", rate="5.00")
    cart = await flow.cart(MUG=1, SHIRT=1)
    home = await flow.ship(cart, US_CA, MUG=1)
    await flow.select(cart, home)
    await flow.ship(cart, GB_LONDON, SHIRT=1)
    await flow.set_billing(cart)
    before = await flow.checkout(cart.id)
    assert before["consignments"][1]["availableShippingOptions"] == []

    payload = await flow.complete(cart.id)

    assert errors_of(payload) == [
        ("NO_SHIPPING_OPTION_SELECTED", ["consignments", "1", "selectedShippingOption"]),
        ("NO_SHIPPING_ZONE", ["consignments", "1", "address"]),
    ]
    await assert_nothing_written(flow, cart.id, before)


async def test_idempotency_keys_are_scoped_to_the_store(
    client: httpx.AsyncClient, flow: OrderFlow, engine: AsyncEngine
):
    mine = await flow.completed((await flow.ready()).id, idempotency_key="per-store")
    other = OrderFlow(client, await make_store(engine, slug="other"))
    await other.shipping()
    theirs = await other.completed((await other.ready()).id, idempotency_key="per-store")
    assert theirs["id"] != mine["id"]
    assert [node["id"] for node in (await other.orders())["nodes"]] == [theirs["id"]]
    assert [node["id"] for node in (await flow.orders())["nodes"]] == [mine["id"]]


async def test_pickup_location_is_a_snapshot(flow: OrderFlow):
    pickup_id = await flow.pickup_method("Old Town")
    cart = await flow.cart(SHIRT=1)
    await flow.pickup(cart, pickup_id, SHIRT=1)
    await flow.set_billing(cart)
    order = await flow.completed(cart.id)

    payload = await flow.server_mutation(
        UPDATE_PICKUP,
        "updatePickupMethod",
        {
            "id": pickup_id,
            "locationName": "New Town",
            "address": {"countryCode": "GB", "city": "London", "address1": "2 Strand"},
            "instructions": "Ring the bell.",
        },
    )
    assert payload["errors"] == []

    assert await flow.order(order["id"]) == order
    assert order["shippingAddresses"] == []
    (pickup,) = order["pickups"]
    assert (pickup["locationName"], pickup["instructions"]) == ("Old Town", "Ask at the counter.")
    assert pickup["address"]["city"] == "San Francisco"


async def test_pickup_location_deleted_before_completion_is_a_refusal(flow: OrderFlow):
    """The consignment's pickup location is gone: completion must refuse with a problem on that
    consignment (not fail with an internal error), and write nothing."""
    pickup_id = await flow.pickup_method("Closing Soon")
    cart = await flow.cart(SHIRT=1)
    await flow.pickup(cart, pickup_id, SHIRT=1)
    await flow.set_billing(cart)
    payload = await flow.server_mutation(DELETE_PICKUP, "deletePickupMethod", {"id": str(pickup_id)})
    assert payload["errors"] == []
    before = await flow.checkout(cart.id)

    body = await gql(flow.client, COMPLETE, {"input": {"checkoutId": cart.id}}, token=flow.store.storefront_token)

    assert not body.get("errors"), body["errors"]
    refused = body["data"]["completeCheckout"]
    assert refused["order"] is None
    assert refused["errors"], refused
    assert all(error["field"][:2] == ["consignments", "0"] for error in refused["errors"]), refused["errors"]
    await assert_nothing_written(flow, cart.id, before)
