"""Input sizes everywhere: every string and list a mutation takes has a documented maximum, refused in the
payload with the field path, and every refusal's path uses the GraphQL (camelCase) input names."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from graphql import GraphQLInputObjectType, GraphQLList, GraphQLNonNull, GraphQLScalarType, get_named_type

from gateway.api.schema import schema
from tests.factories import StoreFixture, data, gql
from tests.http.test_shipping_options import CREATE_CHECKOUT, CREATE_METHOD, CREATE_ZONE, ERRORS, ShippingApi
from tests.http.test_shipping_pickup import CREATE_PICKUP, STORE_ADDRESS, UPDATE_PICKUP

pytestmark = pytest.mark.anyio

HUGE = "x" * 200_000
LONG = "x" * 256

CONNECT = "mutation($input: ConnectCarrierInput!) { connectCarrier(input: $input) { " + ERRORS + " } }"
ADD = "mutation($input: AddConsignmentsInput!) { addConsignments(input: $input) { checkout { id } " + ERRORS + " } }"
SET_BILLING = (
    "mutation($input: SetCheckoutBillingAddressInput!) { setCheckoutBillingAddress(input: $input) { "
    "checkout { id } " + ERRORS + " } }"
)
ADDRESS = {"email": "shopper@example.com", "countryCode": "US", "city": "Springfield"}


@pytest.fixture
def api(client: httpx.AsyncClient, store: StoreFixture) -> ShippingApi:
    return ShippingApi(client, store)


async def refusals(api: ShippingApi, document: str, name: str, input: dict[str, Any], *, server: bool = True):
    call = api.server if server else api.storefront
    payload = await call(document, name, input)
    return {(error["code"], tuple(error["field"] or ())) for error in payload["errors"]}


async def zone(api: ShippingApi) -> str:
    return await api.zone("World", "GLOBAL")


async def checkout(api: ShippingApi) -> tuple[str, str]:
    cart = await api.cart(SHIRT=1)
    return cart.id, cart.items["SHIRT"]


def method(zone_id: str, **fields: Any) -> dict[str, Any]:
    return {"zoneId": zone_id, "name": "Carrier", "type": "CARRIER", "carrierId": "demo", **fields}


async def test_carrier_services_are_bounded_in_number_and_length(api: ShippingApi) -> None:
    zone_id = await zone(api)
    many = await refusals(api, CREATE_METHOD, "createShippingMethod", method(zone_id, services=["x"] * 60_000))
    assert ("TOO_MANY", ("services",)) in many
    long = await refusals(api, CREATE_METHOD, "createShippingMethod", method(zone_id, services=["ok", HUGE]))
    assert ("TOO_LONG", ("services", "1")) in long
    carrier = await refusals(api, CREATE_METHOD, "createShippingMethod", method(zone_id, carrierId=HUGE))
    assert ("TOO_LONG", ("carrierId",)) in carrier
    assert await api.zones() == [] or all(zone["methods"] == [] for zone in await api.zones())


async def test_method_ranges_and_zone_locations_are_bounded(api: ShippingApi) -> None:
    zone_id = await zone(api)
    bracket = {"lowerLimit": "0", "upperLimit": "1", "cost": "1"}
    ranges = {"zoneId": zone_id, "name": "Weight", "type": "WEIGHT", "ranges": [bracket] * 1000}
    assert ("TOO_MANY", ("ranges",)) in await refusals(api, CREATE_METHOD, "createShippingMethod", ranges)
    locations = [{"countryCode": "US", "stateCode": HUGE}, {"countryCode": HUGE}]
    refused = await refusals(
        api, CREATE_ZONE, "createShippingZone", {"name": "States", "type": "STATE", "locations": locations}
    )
    assert ("TOO_LONG", ("locations", "0", "stateCode")) in refused
    assert ("TOO_LONG", ("locations", "1", "countryCode")) in refused


async def test_carrier_credentials_are_bounded(api: ShippingApi) -> None:
    credentials = [{"key": f"k{index}", "value": "v"} for index in range(1000)]
    many = await refusals(api, CONNECT, "connectCarrier", {"carrierId": "demo", "credentials": credentials})
    assert ("TOO_MANY", ("credentials",)) in many
    long = await refusals(
        api, CONNECT, "connectCarrier", {"carrierId": "demo", "credentials": [{"key": "account", "value": HUGE}]}
    )
    assert ("TOO_LONG", ("credentials", "0", "value")) in long


async def test_pickup_address_refusals_use_graphql_names(api: ShippingApi) -> None:
    address = {**STORE_ADDRESS, "postalCode": LONG, "stateOrProvinceCode": LONG}
    refused = await refusals(api, CREATE_PICKUP, "createPickupMethod", {"locationName": "Store", "address": address})
    assert ("TOO_LONG", ("address", "postalCode")) in refused
    assert ("TOO_LONG", ("address", "stateOrProvinceCode")) in refused
    created = await api.server(CREATE_PICKUP, "createPickupMethod", {"locationName": "Store", "address": STORE_ADDRESS})
    updated = await refusals(
        api, UPDATE_PICKUP, "updatePickupMethod", {"id": created["pickupMethod"]["id"], "address": address}
    )
    assert ("TOO_LONG", ("address", "postalCode")) in updated


async def test_checkout_inputs_are_bounded(api: ShippingApi) -> None:
    body = await gql(
        api.client,
        CREATE_CHECKOUT,
        {"input": {"lineItems": [{"sku": HUGE, "quantity": 1}]}},
        token=api.store.storefront_token,
    )
    errors = data(body)["createCheckout"]["errors"]
    assert {(e["code"], tuple(e["field"])) for e in errors} >= {("TOO_LONG", ("lineItems", "0", "sku"))}

    checkout_id, item_id = await checkout(api)
    consignment = {"address": ADDRESS, "lineItems": [{"itemId": item_id, "quantity": 1}] * 300}
    many = await refusals(
        api, ADD, "addConsignments", {"checkoutId": checkout_id, "consignments": [consignment]}, server=False
    )
    assert ("TOO_MANY", ("consignments", "0", "lineItems")) in many
    fields = [{"fieldId": "f", "fieldValue": "v"}] * 5_000
    billing = await refusals(
        api,
        SET_BILLING,
        "setCheckoutBillingAddress",
        {"checkoutId": checkout_id, "address": {**ADDRESS, "customFields": fields}},
        server=False,
    )
    assert billing == {("TOO_MANY", ("address", "customFields"))}


async def test_every_refusal_path_uses_graphql_input_names(api: ShippingApi) -> None:
    """A range of refused mutations: every `field` segment is a list index or a GraphQL input field name."""
    names = _input_names(schema._schema)
    zone_id = await zone(api)
    checkout_id, item_id = await checkout(api)
    bad_address = {key: LONG for key in STORE_ADDRESS} | {"countryCode": "ZZ"}
    cases = [
        (CREATE_PICKUP, "createPickupMethod", {"locationName": LONG, "address": bad_address, "instructions": HUGE}),
        (CREATE_METHOD, "createShippingMethod", method(zone_id, name="", services=[LONG])),
        (CREATE_METHOD, "createShippingMethod", {"zoneId": zone_id, "name": "W", "type": "WEIGHT", "rate": "-1"}),
        (CREATE_ZONE, "createShippingZone", {"name": LONG, "type": "ZIP", "locations": [{"countryCode": "US"}]}),
        (CONNECT, "connectCarrier", {"carrierId": LONG, "credentials": [{"key": LONG, "value": LONG}]}),
    ]
    storefront_cases = [
        (
            ADD,
            "addConsignments",
            {
                "checkoutId": checkout_id,
                "consignments": [
                    {
                        "address": {
                            **bad_address,
                            "email": "x",
                            "customFields": [{"fieldId": " ", "fieldValue": LONG}],
                        },
                        "lineItems": [{"itemId": item_id, "quantity": 0}, {"itemId": "nope", "quantity": 1}],
                    }
                ],
            },
        ),
        (
            SET_BILLING,
            "setCheckoutBillingAddress",
            {"checkoutId": checkout_id, "address": {**bad_address, "email": ""}},
        ),
    ]
    paths: list[tuple[str, ...]] = []
    for document, name, input in cases:
        paths += [path for _, path in await refusals(api, document, name, input)]
    for document, name, input in storefront_cases:
        paths += [path for _, path in await refusals(api, document, name, input, server=False)]
    assert len(paths) >= 20, paths
    bad = [path for path in paths if any(not (part.isdigit() or part in names) for part in path)]
    assert bad == [], f"paths with names that are not GraphQL input fields: {bad}"


def test_every_string_and_list_input_field_documents_its_maximum() -> None:
    undocumented = []
    for type_ in schema._schema.type_map.values():
        if not isinstance(type_, GraphQLInputObjectType) or type_.name.startswith("__"):
            continue
        for field_name, field in type_.fields.items():
            inner = field.type.of_type if isinstance(field.type, GraphQLNonNull) else field.type
            named = get_named_type(field.type)
            is_string = isinstance(named, GraphQLScalarType) and named.name == "String"
            if (is_string or isinstance(inner, GraphQLList)) and "at most" not in (field.description or "").lower():
                undocumented.append(f"{type_.name}.{field_name}")
    assert undocumented == []


def _input_names(schema: Any) -> set[str]:
    names: set[str] = set()
    for type_ in schema.type_map.values():
        if isinstance(type_, GraphQLInputObjectType):
            names.update(type_.fields)
    return names
