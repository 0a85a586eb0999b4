"""Shipping configuration through the HTTP API (server tokens): zone shapes per type, amounts, ranges,
settings that do not apply, carrier methods, update/delete, NOT_FOUND, error paths, and who may call it.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
import pytest

from tests.factories import StoreFixture, gql, make_store
from tests.http.test_shipping_options import (
    CREATE_METHOD,
    CREATE_ZONE,
    DELETE_METHOD,
    DELETE_ZONE,
    UPDATE_METHOD,
    UPDATE_ZONE,
    ZONES,
    ShippingApi,
    errors_of,
    fee,
    ranges,
)

pytestmark = pytest.mark.anyio


@pytest.fixture
def api(client: httpx.AsyncClient, store: StoreFixture) -> ShippingApi:
    return ShippingApi(client, store)


async def create_zone(api: ShippingApi, **input: Any) -> dict[str, Any]:
    return await api.server(CREATE_ZONE, "createShippingZone", input)


async def create_method(api: ShippingApi, zone_id: str, **input: Any) -> dict[str, Any]:
    return await api.server(CREATE_METHOD, "createShippingMethod", {"zoneId": zone_id, **input})


# --- zones: valid shapes -----------------------------------------------------------------------------


async def test_zone_of_every_type_is_created_normalised_and_listed(api):
    payloads = [
        await create_zone(api, name="Germany", type="COUNTRY", locations=[{"countryCode": "de"}]),
        await create_zone(
            api,
            name="West coast",
            type="STATE",
            locations=[{"countryCode": "US", "stateCode": "ca"}, {"countryCode": "us", "stateCode": "OR"}],
        ),
        await create_zone(api, name=" London ", type="ZIP", locations=[{"countryCode": "GB", "zip": " sw1a* "}]),
        await create_zone(
            api,
            name="Rest of world",
            type="GLOBAL",
            enabled=False,
            freeShipping={"enabled": True, "minimumSubtotal": "75.50"},
            handlingFee=fee("PERCENTAGE", "5", separately=True),
        ),
    ]
    assert [p["errors"] for p in payloads] == [[], [], [], []]
    zones = [p["zone"] for p in payloads]
    assert [(z["name"], z["type"], z["enabled"], z["locations"]) for z in zones] == [
        ("Germany", "COUNTRY", True, [{"countryCode": "DE", "stateCode": None, "zip": None}]),
        (
            "West coast",
            "STATE",
            True,
            [
                {"countryCode": "US", "stateCode": "CA", "zip": None},
                {"countryCode": "US", "stateCode": "OR", "zip": None},
            ],
        ),
        ("London", "ZIP", True, [{"countryCode": "GB", "stateCode": None, "zip": "SW1A*"}]),
        ("Rest of world", "GLOBAL", False, []),
    ]
    assert zones[0]["freeShipping"] == {"enabled": False, "minimumSubtotal": None}
    assert zones[0]["handlingFee"] is None
    assert zones[0]["methods"] == []
    assert zones[3]["freeShipping"] == {"enabled": True, "minimumSubtotal": {"value": "75.50", "currencyCode": "USD"}}
    handling = zones[3]["handlingFee"]
    assert (handling["type"], Decimal(handling["value"]), handling["displaySeparately"]) == (
        "PERCENTAGE",
        Decimal("5"),
        True,
    )
    assert len({z["id"] for z in zones}) == 4
    assert await api.zones() == zones


# --- zones: refused shapes, all problems reported together, nothing created -----------------------------


ZONE_REFUSALS = [
    pytest.param(
        {"type": "STATE", "locations": [{"countryCode": "US"}]},
        [("REQUIRED", ["locations", "0", "stateCode"])],
        id="state-needs-state-code",
    ),
    pytest.param({"type": "STATE", "locations": []}, [("REQUIRED", ["locations"])], id="state-needs-a-location"),
    pytest.param(
        {"type": "STATE", "locations": [{"countryCode": "US", "stateCode": "CA", "zip": "94105"}]},
        [("INVALID_INPUT", ["locations", "0", "zip"])],
        id="state-rejects-zip",
    ),
    pytest.param(
        {"type": "ZIP", "locations": [{"countryCode": "US"}]},
        [("REQUIRED", ["locations", "0", "zip"])],
        id="zip-needs-zip",
    ),
    pytest.param(
        {"type": "ZIP", "locations": [{"countryCode": "US", "zip": "941*", "stateCode": "CA"}]},
        [("INVALID_INPUT", ["locations", "0", "stateCode"])],
        id="zip-rejects-state-code",
    ),
    pytest.param(
        {"type": "ZIP", "locations": [{"countryCode": "US", "zip": "94#05"}]},
        [("INVALID_INPUT", ["locations", "0", "zip"])],
        id="zip-pattern-characters",
    ),
    pytest.param(
        {"type": "ZIP", "locations": [{"countryCode": "US", "zip": "1" * 21}]},
        [("INVALID_INPUT", ["locations", "0", "zip"])],
        id="zip-pattern-length",
    ),
    pytest.param({"type": "ZIP", "locations": []}, [("REQUIRED", ["locations"])], id="zip-needs-a-location"),
    pytest.param(
        {"type": "GLOBAL", "locations": [{"countryCode": "US"}]},
        [("INVALID_INPUT", ["locations"])],
        id="global-takes-no-locations",
    ),
    pytest.param(
        {"type": "COUNTRY", "locations": [{"countryCode": "US", "zip": "94105", "stateCode": "CA"}]},
        [("INVALID_INPUT", ["locations", "0", "stateCode"]), ("INVALID_INPUT", ["locations", "0", "zip"])],
        id="country-rejects-zip-and-state",
    ),
    pytest.param({"type": "COUNTRY", "locations": []}, [("REQUIRED", ["locations"])], id="country-needs-a-location"),
    pytest.param(
        {"type": "COUNTRY", "locations": [{"countryCode": "DE"}, {"countryCode": "XX"}, {"countryCode": "USA"}]},
        [
            ("INVALID_COUNTRY_CODE", ["locations", "1", "countryCode"]),
            ("INVALID_COUNTRY_CODE", ["locations", "2", "countryCode"]),
        ],
        id="bad-country-codes",
    ),
    pytest.param(
        {"type": "COUNTRY", "locations": [{"countryCode": "  "}]},
        [("REQUIRED", ["locations", "0", "countryCode"])],
        id="blank-country-code",
    ),
    pytest.param(
        {"type": "STATE", "locations": [{"countryCode": "ZZ", "stateCode": "CA"}]},
        [("INVALID_COUNTRY_CODE", ["locations", "0", "countryCode"])],
        id="state-zone-bad-country",
    ),
    pytest.param(
        {"type": "GLOBAL", "freeShipping": {"enabled": True, "minimumSubtotal": "-0.01"}},
        [("INVALID_AMOUNT", ["freeShipping", "minimumSubtotal"])],
        id="negative-free-shipping-minimum",
    ),
    pytest.param(
        {"type": "GLOBAL", "handlingFee": {"type": "FIXED", "value": "-1"}},
        [("INVALID_AMOUNT", ["handlingFee", "value"])],
        id="negative-handling-fee",
    ),
    pytest.param(
        {"type": "GLOBAL", "handlingFee": {"type": "FIXED", "value": "1.00001"}},
        [("INVALID_AMOUNT", ["handlingFee", "value"])],
        id="too-many-decimals",
    ),
    pytest.param(
        {"type": "GLOBAL", "handlingFee": {"type": "PERCENTAGE", "value": "1000.01"}},
        [("INVALID_AMOUNT", ["handlingFee", "value"])],
        id="percentage-too-large",
    ),
    pytest.param({"type": "GLOBAL", "name": "   "}, [("INVALID_INPUT", ["name"])], id="blank-name"),
    pytest.param({"type": "GLOBAL", "name": "x" * 256}, [("INVALID_INPUT", ["name"])], id="name-too-long"),
    pytest.param(
        {
            "type": "STATE",
            "name": "",
            "locations": [{"countryCode": "QQ"}],
            "handlingFee": {"type": "FIXED", "value": "-2"},
        },
        [
            ("INVALID_AMOUNT", ["handlingFee", "value"]),
            ("INVALID_COUNTRY_CODE", ["locations", "0", "countryCode"]),
            ("INVALID_INPUT", ["name"]),
            ("REQUIRED", ["locations", "0", "stateCode"]),
        ],
        id="all-problems-together",
    ),
]


@pytest.mark.parametrize(("input", "expected"), ZONE_REFUSALS)
async def test_zone_shape_refusals(api, input, expected):
    payload = await create_zone(api, **{"name": "Zone", **input})
    assert errors_of(payload) == expected
    assert payload["zone"] is None
    assert all(error["message"] for error in payload["errors"])
    assert await api.zones() == []


# --- zones: update and delete ------------------------------------------------------------------------


async def test_update_zone_changes_only_what_is_sent(api):
    zone_id = await api.zone(
        "US",
        "COUNTRY",
        [{"countryCode": "US"}],
        freeShipping={"enabled": True, "minimumSubtotal": "50"},
        handlingFee=fee("FIXED", "2.50"),
    )
    zone = await api.update_zone(zone_id, name="United States", enabled=False)
    assert (zone["name"], zone["enabled"], zone["type"]) == ("United States", False, "COUNTRY")
    assert zone["locations"] == [{"countryCode": "US", "stateCode": None, "zip": None}]
    assert zone["freeShipping"] == {"enabled": True, "minimumSubtotal": {"value": "50.00", "currencyCode": "USD"}}
    assert (zone["handlingFee"]["type"], Decimal(zone["handlingFee"]["value"])) == ("FIXED", Decimal("2.50"))

    zone = await api.update_zone(zone_id, type="STATE", locations=[{"countryCode": "US", "stateCode": "NY"}])
    assert (zone["type"], zone["locations"]) == ("STATE", [{"countryCode": "US", "stateCode": "NY", "zip": None}])

    zone = await api.update_zone(zone_id, handlingFee=None)
    assert zone["handlingFee"] is None
    assert zone["name"] == "United States"
    assert await api.zones() == [zone]


async def test_update_zone_free_shipping_replaces_the_minimum(api):
    """`freeShipping` "replaces free shipping": sending it without a minimum means free at any subtotal."""
    zone_id = await api.zone(
        "US", "COUNTRY", [{"countryCode": "US"}], freeShipping={"enabled": True, "minimumSubtotal": "50"}
    )

    zone = await api.update_zone(zone_id, freeShipping={"enabled": True, "minimumSubtotal": None})

    assert zone["freeShipping"] == {"enabled": True, "minimumSubtotal": None}


async def test_update_zone_type_must_fit_the_existing_locations(api):
    zone_id = await api.zone("US", "COUNTRY", [{"countryCode": "US"}])
    payload = await api.server(UPDATE_ZONE, "updateShippingZone", {"id": zone_id, "type": "STATE"})
    assert errors_of(payload) == [("REQUIRED", ["locations", "0", "stateCode"])]
    payload = await api.server(UPDATE_ZONE, "updateShippingZone", {"id": zone_id, "type": "GLOBAL"})
    assert errors_of(payload) == [("INVALID_INPUT", ["locations"])]
    payload = await api.server(
        UPDATE_ZONE, "updateShippingZone", {"id": zone_id, "locations": [{"countryCode": "US", "zip": "9*"}]}
    )
    assert errors_of(payload) == [("INVALID_INPUT", ["locations", "0", "zip"])]
    zones = await api.zones()
    assert [(z["type"], z["locations"]) for z in zones] == [
        ("COUNTRY", [{"countryCode": "US", "stateCode": None, "zip": None}])
    ]


async def test_update_zone_refusals_carry_paths(api):
    zone_id = await api.zone("US", "COUNTRY", [{"countryCode": "US"}])
    payload = await api.server(
        UPDATE_ZONE,
        "updateShippingZone",
        {
            "id": zone_id,
            "name": "",
            "handlingFee": {"type": "PERCENTAGE", "value": "-5"},
            "locations": [{"countryCode": "U"}],
        },
    )
    assert errors_of(payload) == [
        ("INVALID_AMOUNT", ["handlingFee", "value"]),
        ("INVALID_COUNTRY_CODE", ["locations", "0", "countryCode"]),
        ("INVALID_INPUT", ["name"]),
    ]
    assert payload["zone"] is None


async def test_delete_zone_removes_it_and_its_methods(api):
    keep = await api.zone("Keep", "GLOBAL")
    doomed = await api.zone("Doomed", "COUNTRY", [{"countryCode": "FR"}])
    method_id = await api.method(doomed, "Flat", "PER_ORDER", rate="3.00")

    payload = await api.server(DELETE_ZONE, "deleteShippingZone", {"id": doomed})
    assert payload == {"deletedId": doomed, "errors": []}
    assert [z["id"] for z in await api.zones()] == [keep]

    payload = await api.server(DELETE_ZONE, "deleteShippingZone", {"id": doomed})
    assert errors_of(payload) == [("NOT_FOUND", ["id"])]
    assert payload["deletedId"] is None
    payload = await api.server(UPDATE_METHOD, "updateShippingMethod", {"id": method_id, "rate": "4.00"})
    assert errors_of(payload) == [("NOT_FOUND", ["id"])]


@pytest.mark.parametrize("zone_id", ["999999", "not-a-number", "-1"])
async def test_unknown_zone_is_not_found(api, zone_id):
    payload = await api.server(UPDATE_ZONE, "updateShippingZone", {"id": zone_id, "name": "X"})
    assert (errors_of(payload), payload["zone"]) == ([("NOT_FOUND", ["id"])], None)
    payload = await api.server(DELETE_ZONE, "deleteShippingZone", {"id": zone_id})
    assert errors_of(payload) == [("NOT_FOUND", ["id"])]
    payload = await create_method(api, zone_id, name="Flat", type="PER_ORDER", rate="1.00")
    assert (errors_of(payload), payload["method"]) == ([("NOT_FOUND", ["zoneId"])], None)


async def test_zones_of_another_store_are_invisible(api, engine, client):
    other = await make_store(engine, slug="other")
    other_api = ShippingApi(client, other)
    foreign = await other_api.zone("Theirs", "GLOBAL")
    await api.zone("Ours", "GLOBAL")

    assert [z["name"] for z in await api.zones()] == ["Ours"]
    payload = await api.server(UPDATE_ZONE, "updateShippingZone", {"id": foreign, "name": "Stolen"})
    assert errors_of(payload) == [("NOT_FOUND", ["id"])]
    payload = await api.server(DELETE_ZONE, "deleteShippingZone", {"id": foreign})
    assert errors_of(payload) == [("NOT_FOUND", ["id"])]
    payload = await create_method(api, foreign, name="Flat", type="PER_ORDER", rate="1.00")
    assert errors_of(payload) == [("NOT_FOUND", ["zoneId"])]
    assert [z["name"] for z in await other_api.zones()] == ["Theirs"]


# --- methods -----------------------------------------------------------------------------------------


async def test_methods_of_every_table_type_are_created_and_read_back(api):
    zone_id = await api.zone("World", "GLOBAL")
    created = [
        await create_method(api, zone_id, name="Flat", type="PER_ORDER", rate="7.95", handlingFee=fee("FIXED", "1.25")),
        await create_method(api, zone_id, name="Per item", type="PER_ITEM", rate="1.10", enabled=False),
        await create_method(
            api,
            zone_id,
            name="Weight",
            type="WEIGHT",
            ranges=ranges(("2", "5", "9.00"), ("0", "1.99", "4.00")),
            defaultCost="20.00",
        ),
        await create_method(
            api, zone_id, name="Total", type="TOTAL", defaultCost="10", defaultCostType="PERCENTAGE_OF_TOTAL"
        ),
        await create_method(api, zone_id, name="Free", type="FREE_SHIPPING"),
    ]
    assert [p["errors"] for p in created] == [[]] * 5
    methods = [p["method"] for p in created]
    assert [
        (m["name"], m["type"], m["enabled"], m["rate"], m["ranges"], m["defaultCost"], m["defaultCostType"])
        for m in methods
    ] == [
        ("Flat", "PER_ORDER", True, "7.95", [], None, None),
        ("Per item", "PER_ITEM", False, "1.10", [], None, None),
        (
            "Weight",
            "WEIGHT",
            True,
            None,
            [
                {"lowerLimit": "0", "upperLimit": "1.99", "cost": "4.00"},
                {"lowerLimit": "2", "upperLimit": "5", "cost": "9.00"},
            ],
            "20.00",
            "FIXED_AMOUNT",
        ),
        ("Total", "TOTAL", True, None, [], "10", "PERCENTAGE_OF_TOTAL"),
        ("Free", "FREE_SHIPPING", True, None, [], None, None),
    ]
    assert all(m["zoneId"] == zone_id and m["carrierId"] is None and m["services"] == [] for m in methods)
    assert (methods[0]["handlingFee"]["type"], Decimal(methods[0]["handlingFee"]["value"])) == (
        "FIXED",
        Decimal("1.25"),
    )
    assert all(m["handlingFee"] is None for m in methods[1:])
    assert (await api.zones())[0]["methods"] == methods


METHOD_REFUSALS = [
    pytest.param({"type": "PER_ORDER"}, [("REQUIRED", ["rate"])], id="per-order-needs-rate"),
    pytest.param({"type": "PER_ITEM"}, [("REQUIRED", ["rate"])], id="per-item-needs-rate"),
    pytest.param({"type": "PER_ORDER", "rate": "-0.01"}, [("INVALID_AMOUNT", ["rate"])], id="negative-rate"),
    pytest.param({"type": "PER_ITEM", "rate": "0.12345"}, [("INVALID_AMOUNT", ["rate"])], id="rate-decimals"),
    pytest.param({"type": "WEIGHT"}, [("REQUIRED", ["ranges"])], id="weight-needs-ranges-or-default"),
    pytest.param({"type": "TOTAL", "ranges": []}, [("REQUIRED", ["ranges"])], id="total-needs-ranges-or-default"),
    pytest.param(
        {"type": "WEIGHT", "ranges": ranges(("0", "1", "2.00"), ("5", "4.99", "3.00"))},
        [("INVALID_RANGE", ["ranges", "1", "lowerLimit"])],
        id="lower-above-upper",
    ),
    pytest.param(
        {"type": "TOTAL", "ranges": ranges(("-1", "10", "2.00"), ("10", "20", "-3.00"))},
        [("INVALID_AMOUNT", ["ranges", "0", "lowerLimit"]), ("INVALID_AMOUNT", ["ranges", "1", "cost"])],
        id="negative-range-values",
    ),
    pytest.param({"type": "TOTAL", "defaultCost": "-5"}, [("INVALID_AMOUNT", ["defaultCost"])], id="negative-default"),
    pytest.param(
        {"type": "TOTAL", "defaultCost": "1000.5", "defaultCostType": "PERCENTAGE_OF_TOTAL"},
        [("INVALID_AMOUNT", ["defaultCost"])],
        id="default-percentage-too-large",
    ),
    pytest.param(
        {"type": "WEIGHT", "defaultCost": "5", "rate": "1.00"}, [("INVALID_INPUT", ["rate"])], id="rate-on-weight"
    ),
    pytest.param(
        {"type": "PER_ORDER", "rate": "1", "ranges": ranges(("0", "1", "1"))},
        [("INVALID_INPUT", ["ranges"])],
        id="ranges-on-per-order",
    ),
    pytest.param(
        {"type": "PER_ITEM", "rate": "1", "defaultCost": "3"},
        [("INVALID_INPUT", ["defaultCost"])],
        id="default-on-per-item",
    ),
    pytest.param(
        {"type": "FREE_SHIPPING", "rate": "1", "defaultCost": "2"},
        [("INVALID_INPUT", ["defaultCost"]), ("INVALID_INPUT", ["rate"])],
        id="settings-on-free-shipping",
    ),
    pytest.param(
        {"type": "PER_ORDER", "rate": "1", "carrierId": "acme", "services": ["GND"]},
        [("INVALID_INPUT", ["carrierId"]), ("INVALID_INPUT", ["services"])],
        id="carrier-settings-on-per-order",
    ),
    pytest.param(
        {"type": "CARRIER", "carrierId": "acme", "services": ["GND"]},
        [("CARRIER_NOT_CONNECTED", ["carrierId"])],
        id="carrier-not-connected",
    ),
    pytest.param(
        {"type": "CARRIER"},
        [("REQUIRED", ["carrierId"]), ("REQUIRED", ["services"])],
        id="carrier-needs-id-and-services",
    ),
    pytest.param(
        {"type": "CARRIER", "carrierId": "acme", "services": [" ", ""], "rate": "2"},
        [("CARRIER_NOT_CONNECTED", ["carrierId"]), ("INVALID_INPUT", ["rate"]), ("REQUIRED", ["services"])],
        id="carrier-blank-services-and-rate",
    ),
    pytest.param(
        {"type": "PER_ORDER", "rate": "1", "handlingFee": {"type": "FIXED", "value": "-0.5"}},
        [("INVALID_AMOUNT", ["handlingFee", "value"])],
        id="negative-method-handling-fee",
    ),
    pytest.param({"type": "PER_ORDER", "rate": "1", "name": " "}, [("INVALID_INPUT", ["name"])], id="blank-name"),
]


@pytest.mark.parametrize(("input", "expected"), METHOD_REFUSALS)
async def test_method_refusals(api, input, expected):
    zone_id = await api.zone("World", "GLOBAL")
    payload = await create_method(api, zone_id, **{"name": "Method", **input})
    assert errors_of(payload) == expected
    assert payload["method"] is None
    assert (await api.zones())[0]["methods"] == []


async def test_update_method_changes_settings_and_type(api):
    zone_id = await api.zone("World", "GLOBAL")
    method_id = await api.method(zone_id, "Flat", "PER_ORDER", rate="5.00", handlingFee=fee("FIXED", "1.00"))

    method = await api.update_method(method_id, rate="6.50", name="Flat rate")
    assert (method["name"], method["type"], method["rate"]) == ("Flat rate", "PER_ORDER", "6.50")
    assert method["handlingFee"] is not None

    method = await api.update_method(method_id, handlingFee=None, enabled=False)
    assert (method["handlingFee"], method["enabled"], method["rate"]) == (None, False, "6.50")

    payload = await api.server(UPDATE_METHOD, "updateShippingMethod", {"id": method_id, "type": "WEIGHT"})
    assert errors_of(payload) == [("REQUIRED", ["ranges"])]

    method = await api.update_method(method_id, type="WEIGHT", ranges=ranges(("0", "10", "4.00")))
    assert (method["type"], method["rate"], method["ranges"]) == (
        "WEIGHT",
        None,
        [{"lowerLimit": "0", "upperLimit": "10", "cost": "4.00"}],
    )
    payload = await api.server(
        UPDATE_METHOD, "updateShippingMethod", {"id": method_id, "ranges": ranges(("3", "2", "1.00"))}
    )
    assert errors_of(payload) == [("INVALID_RANGE", ["ranges", "0", "lowerLimit"])]
    payload = await api.server(UPDATE_METHOD, "updateShippingMethod", {"id": method_id, "rate": "1.00"})
    assert errors_of(payload) == [("INVALID_INPUT", ["rate"])]
    payload = await api.server(
        UPDATE_METHOD,
        "updateShippingMethod",
        {"id": method_id, "type": "CARRIER", "carrierId": "acme", "services": ["X"]},
    )
    assert errors_of(payload) == [("CARRIER_NOT_CONNECTED", ["carrierId"])]
    assert (await api.zones())[0]["methods"] == [method]


async def test_delete_method_and_not_found(api):
    zone_id = await api.zone("World", "GLOBAL")
    first = await api.method(zone_id, "Flat", "PER_ORDER", rate="5.00")
    second = await api.method(zone_id, "Free", "FREE_SHIPPING")

    payload = await api.server(DELETE_METHOD, "deleteShippingMethod", {"id": first})
    assert payload == {"deletedId": first, "errors": []}
    assert [m["id"] for m in (await api.zones())[0]["methods"]] == [second]

    for missing in (first, "12345", "abc"):
        payload = await api.server(DELETE_METHOD, "deleteShippingMethod", {"id": missing})
        assert (errors_of(payload), payload["deletedId"]) == ([("NOT_FOUND", ["id"])], None)
        payload = await api.server(UPDATE_METHOD, "updateShippingMethod", {"id": missing, "rate": "1.00"})
        assert (errors_of(payload), payload["method"]) == ([("NOT_FOUND", ["id"])], None)


# --- who may configure -------------------------------------------------------------------------------


STOREFRONT_FORBIDDEN = [
    pytest.param(ZONES, {}, id="shippingZones"),
    pytest.param(CREATE_ZONE, {"input": {"name": "Z", "type": "GLOBAL"}}, id="createShippingZone"),
    pytest.param(UPDATE_ZONE, {"input": {"id": "1", "name": "Z"}}, id="updateShippingZone"),
    pytest.param(DELETE_ZONE, {"input": {"id": "1"}}, id="deleteShippingZone"),
    pytest.param(
        CREATE_METHOD, {"input": {"zoneId": "1", "name": "M", "type": "FREE_SHIPPING"}}, id="createShippingMethod"
    ),
    pytest.param(UPDATE_METHOD, {"input": {"id": "1", "name": "M"}}, id="updateShippingMethod"),
    pytest.param(DELETE_METHOD, {"input": {"id": "1"}}, id="deleteShippingMethod"),
]


@pytest.mark.parametrize(("document", "variables"), STOREFRONT_FORBIDDEN)
async def test_storefront_token_cannot_read_or_change_configuration(api, client, store, document, variables):
    await api.zone("World", "GLOBAL")
    body = await gql(client, document, variables, token=store.storefront_token)
    assert body["data"] is None
    assert [error["extensions"]["code"] for error in body["errors"]] == ["FORBIDDEN"]
    assert [z["name"] for z in await api.zones()] == ["World"]


@pytest.mark.parametrize(("document", "variables"), STOREFRONT_FORBIDDEN)
async def test_configuration_needs_a_token(client, document, variables):
    body = await gql(client, document, variables, token=None)
    assert body["data"] is None
    assert [error["extensions"]["code"] for error in body["errors"]] == ["UNAUTHENTICATED"]
