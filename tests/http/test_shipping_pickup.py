"""Store pickup through the HTTP API: pickup locations (server-managed, storefront-readable when
enabled), pickup consignments (no address, no options, no cost, no quote problems), exclusivity with a
shipping address and option, one pickup consignment per checkout, unknown or disabled locations.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.factories import StoreFixture, data, gql, make_store
from tests.http.test_shipping_options import (
    ShippingApi,
    errors_of,
    offered,
    option,
    problems_of,
    ship_to,
    totals,
)

pytestmark = pytest.mark.anyio


@pytest.fixture
def api(client: httpx.AsyncClient, store: StoreFixture) -> ShippingApi:
    return ShippingApi(client, store)


PICKUP_FIELDS = """
fragment PickupFields on PickupMethod {
  id locationName instructions enabled
  address { countryCode address1 address2 city stateOrProvince stateOrProvinceCode postalCode phone email }
}
"""
PICKUP_METHODS = "query { pickupMethods { ...PickupFields } }" + PICKUP_FIELDS
CREATE_PICKUP = (
    "mutation($input: CreatePickupMethodInput!) { createPickupMethod(input: $input) { pickupMethod { ...PickupFields } "
    "errors { code message field } } }" + PICKUP_FIELDS
)
UPDATE_PICKUP = (
    "mutation($input: UpdatePickupMethodInput!) { updatePickupMethod(input: $input) { pickupMethod { ...PickupFields } "
    "errors { code message field } } }" + PICKUP_FIELDS
)
DELETE_PICKUP = (
    "mutation($input: DeleteByIdInput!) { deletePickupMethod(input: $input) { deletedId "
    "errors { code message field } } }"
)

STORE_ADDRESS = {
    "countryCode": "us",
    "address1": " 500 Market St ",
    "city": "San Francisco",
    "stateOrProvince": "California",
    "stateOrProvinceCode": "CA",
    "postalCode": "94105",
    "phone": "+1 415 555 0100",
}


async def create_pickup(api: ShippingApi, name: str = "Downtown store", **extra: Any) -> dict[str, Any]:
    return await api.server(
        CREATE_PICKUP, "createPickupMethod", {"locationName": name, "address": STORE_ADDRESS, **extra}
    )


async def pickup_id(api: ShippingApi, name: str = "Downtown store", **extra: Any) -> int:
    payload = await create_pickup(api, name, **extra)
    assert payload["errors"] == [], payload["errors"]
    return payload["pickupMethod"]["id"]  # type: ignore[no-any-return]


async def pickup_methods(api: ShippingApi, token: str) -> list[dict[str, Any]]:
    return data(await gql(api.client, PICKUP_METHODS, token=token))["pickupMethods"]  # type: ignore[no-any-return]


async def shipping_zone(api: ShippingApi) -> None:
    zone = await api.zone("World", "GLOBAL")
    await api.method(zone, "Flat", "PER_ORDER", rate="6.00")


# --- pickup locations --------------------------------------------------------------------------------


async def test_create_pickup_method_and_read_it_back(api, store):
    payload = await create_pickup(api, instructions=" Bring your order number. ")
    assert payload["errors"] == []
    created = payload["pickupMethod"]
    assert created == {
        "id": created["id"],
        "locationName": "Downtown store",
        "instructions": "Bring your order number.",
        "enabled": True,
        "address": {
            "countryCode": "US",
            "address1": "500 Market St",
            "address2": None,
            "city": "San Francisco",
            "stateOrProvince": "California",
            "stateOrProvinceCode": "CA",
            "postalCode": "94105",
            "phone": "+1 415 555 0100",
            "email": None,
        },
    }
    assert await pickup_methods(api, store.server_token) == [created]
    assert await pickup_methods(api, store.storefront_token) == [created]


async def test_storefront_sees_only_enabled_pickup_methods(api, store):
    open_id = await pickup_id(api, "Open store")
    closed_id = await pickup_id(api, "Closed store", enabled=False)
    later_closed = await pickup_id(api, "Closing soon")
    payload = await api.server(UPDATE_PICKUP, "updatePickupMethod", {"id": later_closed, "enabled": False})
    assert payload["errors"] == []
    assert payload["pickupMethod"]["enabled"] is False

    assert [m["id"] for m in await pickup_methods(api, store.server_token)] == [open_id, closed_id, later_closed]
    assert [m["id"] for m in await pickup_methods(api, store.storefront_token)] == [open_id]


@pytest.mark.parametrize(
    ("input", "expected"),
    [
        pytest.param({"locationName": "  "}, [("INVALID_INPUT", ["locationName"])], id="blank-name"),
        pytest.param(
            {"address": {**STORE_ADDRESS, "countryCode": "XX"}},
            [("INVALID_COUNTRY_CODE", ["address", "countryCode"])],
            id="bad-country",
        ),
        pytest.param({"instructions": "x" * 1001}, [("TOO_LONG", ["instructions"])], id="long-instructions"),
    ],
)
async def test_pickup_method_refusals(api, store, input, expected):
    payload = await api.server(
        CREATE_PICKUP, "createPickupMethod", {"locationName": "Store", "address": STORE_ADDRESS, **input}
    )
    assert errors_of(payload) == expected
    assert payload["pickupMethod"] is None
    assert await pickup_methods(api, store.server_token) == []


async def test_update_and_delete_pickup_method_and_not_found(api, store):
    method_id = await pickup_id(api)
    payload = await api.server(
        UPDATE_PICKUP,
        "updatePickupMethod",
        {"id": method_id, "locationName": "Uptown store", "instructions": "Ring twice"},
    )
    assert payload["errors"] == []
    assert (payload["pickupMethod"]["locationName"], payload["pickupMethod"]["instructions"]) == (
        "Uptown store",
        "Ring twice",
    )
    assert payload["pickupMethod"]["address"]["city"] == "San Francisco"

    payload = await api.server(DELETE_PICKUP, "deletePickupMethod", {"id": str(method_id)})
    assert payload == {"deletedId": str(method_id), "errors": []}
    assert await pickup_methods(api, store.server_token) == []

    payload = await api.server(DELETE_PICKUP, "deletePickupMethod", {"id": str(method_id)})
    assert errors_of(payload) == [("NOT_FOUND", ["id"])]
    payload = await api.server(UPDATE_PICKUP, "updatePickupMethod", {"id": method_id, "locationName": "Gone"})
    assert (errors_of(payload), payload["pickupMethod"]) == ([("NOT_FOUND", ["id"])], None)


@pytest.mark.parametrize(
    ("document", "variables"),
    [
        pytest.param(CREATE_PICKUP, {"input": {"locationName": "S", "address": {"countryCode": "US"}}}, id="create"),
        pytest.param(UPDATE_PICKUP, {"input": {"id": 1, "locationName": "S"}}, id="update"),
        pytest.param(DELETE_PICKUP, {"input": {"id": "1"}}, id="delete"),
    ],
)
async def test_storefront_token_cannot_manage_pickup_methods(api, client, store, document, variables):
    body = await gql(client, document, variables, token=store.storefront_token)
    assert body["data"] is None
    assert [error["extensions"]["code"] for error in body["errors"]] == ["FORBIDDEN"]


# --- pickup consignments -----------------------------------------------------------------------------


async def test_pickup_consignment_needs_no_address_has_no_options_and_costs_nothing(api):
    await shipping_zone(api)
    method_id = await pickup_id(api)
    cart = await api.cart(SHIRT=2, MUG=1)

    checkout = await cart.added(
        {"pickupOption": {"pickupMethodId": method_id}, "lineItems": cart.units(SHIRT=2)},
        {"address": ship_to("US", "CA", "94105"), "lineItems": cart.units(MUG=1)},
    )
    pickup, shipped = checkout["consignments"]

    assert pickup["address"] is None
    assert pickup["selectedPickupOption"] == {"pickupMethodId": method_id}
    assert pickup["availableShippingOptions"] == []
    assert pickup["selectedShippingOption"] is None
    assert pickup["shippingZoneName"] is None
    assert (pickup["shippingCost"]["value"], pickup["handlingCost"]["value"]) == ("0.00", "0.00")
    assert problems_of(checkout, pickup["id"]) == []
    assert offered(shipped) == [("Flat", "6.00", "0.00")]

    checkout = await cart.selected(shipped["id"], option(shipped, "Flat")["id"])
    assert problems_of(checkout) == []
    assert totals(checkout) == ("47.48", "6.00", "0.00", "53.48")


async def test_pickup_consignment_is_never_stale(api):
    method_id = await pickup_id(api)
    cart = await api.cart(SHIRT=1)
    checkout = await cart.added({"pickupOption": {"pickupMethodId": method_id}, "lineItems": cart.units(SHIRT=1)})
    consignment_id = checkout["consignments"][0]["id"]

    await shipping_zone(api)  # a configuration change after the consignment was made

    checkout = await cart.read()
    assert problems_of(checkout, consignment_id) == []
    checkout = await cart.refreshed()
    assert checkout["consignments"][0]["availableShippingOptions"] == []
    assert problems_of(checkout, consignment_id) == []


async def test_address_and_pickup_option_together_conflict(api):
    await shipping_zone(api)
    method_id = await pickup_id(api)
    cart = await api.cart(SHIRT=2)

    payload = await cart.add(
        {"address": ship_to("US", "CA", "94105"), "lineItems": cart.units(SHIRT=1)},
        {
            "address": ship_to("US", "CA", "94105"),
            "pickupOption": {"pickupMethodId": method_id},
            "lineItems": cart.units(SHIRT=1),
        },
    )
    assert errors_of(payload) == [("CONFLICTING_FIELDS", ["consignments", "1", "pickupOption"])]
    assert (await cart.read())["consignments"] == []

    consignment = await cart.ship(ship_to("US", "CA", "94105"), SHIRT=1)
    payload = await cart.update(
        consignment["id"], address=ship_to("US", "NY", "10001"), pickupOption={"pickupMethodId": method_id}
    )
    assert errors_of(payload) == [("CONFLICTING_FIELDS", ["pickupOption"])]


async def test_pickup_and_shipping_option_exclude_each_other(api):
    await shipping_zone(api)
    method_id = await pickup_id(api)
    cart = await api.cart(SHIRT=1)
    consignment = await cart.ship(ship_to("US", "CA", "94105"), SHIRT=1)
    flat = option(consignment, "Flat")["id"]

    payload = await cart.update(consignment["id"], shippingOptionId=flat, pickupOption={"pickupMethodId": method_id})
    assert errors_of(payload) == [("SHIPPING_OPTION_NOT_ALONE", ["shippingOptionId"])]

    checkout = await cart.selected(consignment["id"], flat)
    assert totals(checkout) == ("19.99", "6.00", "0.00", "25.99")

    # Switching to pickup drops the address, the options, the selection and the costs.
    payload = await cart.update(consignment["id"], pickupOption={"pickupMethodId": method_id})
    assert payload["errors"] == []
    checkout = payload["checkout"]
    switched = checkout["consignments"][0]
    assert switched["address"] is None
    assert switched["selectedPickupOption"] == {"pickupMethodId": method_id}
    assert switched["availableShippingOptions"] == []
    assert switched["selectedShippingOption"] is None
    assert (switched["shippingCost"]["value"], switched["handlingCost"]["value"]) == ("0.00", "0.00")
    assert totals(checkout) == ("19.99", "0.00", "0.00", "19.99")
    assert problems_of(checkout) == []

    # A shipping option cannot be selected on a pickup consignment, not even the old one.
    payload = await cart.select(consignment["id"], flat)
    assert errors_of(payload) == [("SHIPPING_OPTION_NOT_AVAILABLE", ["shippingOptionId"])]

    # And back to shipping: quoted again, nothing selected.
    payload = await cart.update(consignment["id"], address=ship_to("US", "CA", "94105"))
    assert payload["errors"] == []
    back = payload["checkout"]["consignments"][0]
    assert back["selectedPickupOption"] is None
    assert offered(back) == [("Flat", "6.00", "0.00")]
    assert back["selectedShippingOption"] is None
    assert problems_of(payload["checkout"], back["id"]) == ["NO_SHIPPING_OPTION_SELECTED"]


async def test_at_most_one_pickup_consignment_per_checkout(api):
    await shipping_zone(api)
    first = await pickup_id(api, "First store")
    second = await pickup_id(api, "Second store")
    cart = await api.cart(SHIRT=4)

    payload = await cart.add(
        {"pickupOption": {"pickupMethodId": first}, "lineItems": cart.units(SHIRT=1)},
        {"pickupOption": {"pickupMethodId": second}, "lineItems": cart.units(SHIRT=1)},
    )
    assert errors_of(payload) == [("PICKUP_LIMIT", ["consignments", "1", "pickupOption"])]
    assert (await cart.read())["consignments"] == []

    checkout = await cart.added(
        {"pickupOption": {"pickupMethodId": first}, "lineItems": cart.units(SHIRT=1)},
        {"address": ship_to("US", "CA", "94105"), "lineItems": cart.units(SHIRT=1)},
    )
    pickup, shipped = checkout["consignments"]

    payload = await cart.add({"pickupOption": {"pickupMethodId": second}, "lineItems": cart.units(SHIRT=1)})
    assert errors_of(payload) == [("PICKUP_LIMIT", ["consignments", "0", "pickupOption"])]

    payload = await cart.update(shipped["id"], pickupOption={"pickupMethodId": second})
    assert errors_of(payload) == [("PICKUP_LIMIT", ["pickupOption"])]

    # The pickup consignment itself may change location.
    payload = await cart.update(pickup["id"], pickupOption={"pickupMethodId": second})
    assert payload["errors"] == []
    assert payload["checkout"]["consignments"][0]["selectedPickupOption"] == {"pickupMethodId": second}
    assert len(payload["checkout"]["consignments"]) == 2


async def test_unknown_or_disabled_pickup_method_is_not_found(api):
    enabled = await pickup_id(api)
    disabled = await pickup_id(api, "Closed", enabled=False)
    cart = await api.cart(SHIRT=2)

    for bad in (disabled, enabled + 1000):
        payload = await cart.add({"pickupOption": {"pickupMethodId": bad}, "lineItems": cart.units(SHIRT=1)})
        assert errors_of(payload) == [
            ("PICKUP_METHOD_NOT_FOUND", ["consignments", "0", "pickupOption", "pickupMethodId"])
        ]

    await shipping_zone(api)
    consignment = await cart.ship(ship_to("US", "CA", "94105"), SHIRT=1)
    for bad in (disabled, enabled + 1000):
        payload = await cart.update(consignment["id"], pickupOption={"pickupMethodId": bad})
        assert errors_of(payload) == [("PICKUP_METHOD_NOT_FOUND", ["pickupOption", "pickupMethodId"])]
    assert (await cart.read())["consignments"][0]["selectedPickupOption"] is None


async def test_pickup_method_of_another_store_is_not_found(api, engine, client):
    other = ShippingApi(client, await make_store(engine, slug="other"))
    foreign = await pickup_id(other)
    cart = await api.cart(SHIRT=1)
    payload = await cart.add({"pickupOption": {"pickupMethodId": foreign}, "lineItems": cart.units(SHIRT=1)})
    assert errors_of(payload) == [("PICKUP_METHOD_NOT_FOUND", ["consignments", "0", "pickupOption", "pickupMethodId"])]
    assert await pickup_methods(api, api.store.server_token) == []
