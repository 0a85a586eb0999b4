"""Real-time carrier quotes through the HTTP API, against a real fake carrier on loopback.

The gateway is built with a carrier registry pointing at `tests/fake_carrier.py` (uvicorn in a background
thread), so every quote crosses a real TCP connection. Covered: connecting carriers (write-only
credentials), the Shipping Provider API request shape, configured services only, carriers that time out,
fail, are unreachable or answer garbage (their options dropped, a warning, never an error), two carriers
with one failing, and "reads never call a carrier".
"""

from __future__ import annotations

import json
import logging
import socket
from collections.abc import AsyncIterator, Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from gateway.app import create_app
from gateway.settings import Settings
from gateway.storage.models import store as store_table
from tests.factories import data, gql
from tests.fake_carrier import FakeCarrier, Service, running_fake_carrier
from tests.http.test_shipping_options import (
    CHECKOUT_FIELDS,
    ZONES,
    Cart,
    ShippingApi,
    errors_of,
    offered,
    option,
    problems_of,
    ship_to,
    totals,
)

pytestmark = pytest.mark.anyio

#: The gateway's carrier timeout in these tests; the fake's slow mode takes far longer (5 s).
TIMEOUT_S = 0.5
SECRET = "acme-s3cr3t-9f1c7"
CARRIER_NAMES = {"acme": "Acme Express", "bolt": "Bolt Freight", "ghost": "Ghost Parcels"}
FAILURE_MODES = ["slow", "error", "garbage", "wrong_shape", "malformed_quote", "negative_cost", "wrong_currency"]

CONNECTIONS = "query { carrierAccounts { carrierId name connected enabled } }"
CONNECT = """
mutation($input: ConnectCarrierInput!) {
  connectCarrier(input: $input) { carrierAccount { carrierId name connected enabled } errors { code message field } }
}
"""
DISCONNECT = """
mutation($input: DisconnectCarrierInput!) {
  disconnectCarrier(input: $input) {
    carrierAccount { carrierId name connected enabled }
    errors { code message field }
  }
}
"""
CHECKOUT_LIST = "query { checkouts(first: 20) { nodes { ...ShippingCheckout } } }" + CHECKOUT_FIELDS
INTROSPECT_OUTPUT_FIELDS = """
query { __schema { types { kind name fields { name } } } }
"""
ORIGIN = {
    "address1": "1 Warehouse Way",
    "address2": "Dock 4",
    "city": "Oakland",
    "state_or_province_code": "CA",
    "postal_code": "94607",
    "country_code": "US",
}


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def fake() -> Iterator[FakeCarrier]:
    with running_fake_carrier(slow_seconds=5.0) as carrier:
        carrier.set_services(
            "acme",
            Service("GND", "Ground", Decimal("8.50"), 5),
            Service("EXP", "Express", Decimal("24.00"), 2),
            Service("OVN", "Overnight", Decimal("49.99"), 1),
        )
        carrier.set_services("bolt", Service("STD", "Standard", Decimal("6.25"), 4))
        yield carrier


@pytest.fixture
async def carrier_client(database_url: str, engine: Any, fake: FakeCarrier) -> AsyncIterator[httpx.AsyncClient]:
    registry = {
        "acme": {"url": fake.url("acme"), "name": CARRIER_NAMES["acme"]},
        "bolt": {"url": fake.url("bolt"), "name": CARRIER_NAMES["bolt"]},
        "ghost": {"url": f"http://127.0.0.1:{closed_port()}/rates", "name": CARRIER_NAMES["ghost"]},
    }
    settings = Settings(
        database_url=database_url,
        host="127.0.0.1",
        port=0,
        environment="test",
        carriers_json=json.dumps(registry),
        carrier_timeout_s=TIMEOUT_S,
    )
    app = create_app(settings, engine=engine)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway.test") as client:
            yield client
    finally:
        await app.state.carriers.aclose()


@pytest.fixture
def capi(carrier_client: httpx.AsyncClient, store: Any) -> ShippingApi:
    return ShippingApi(carrier_client, store)


async def connect(api: ShippingApi, carrier_id: str, **credentials: str) -> dict[str, Any]:
    input = {"carrierId": carrier_id, "credentials": [{"key": k, "value": v} for k, v in credentials.items()]}
    return await api.server(CONNECT, "connectCarrier", input)


async def connections(api: ShippingApi) -> list[dict[str, Any]]:
    return data(await gql(api.client, CONNECTIONS, token=api.store.server_token))["carrierAccounts"]  # type: ignore[no-any-return]


async def carrier_setup(api: ShippingApi, *, bolt: bool = False) -> dict[str, str]:
    """US zone: "Flat" 7.00 plus an Acme method offering GND and EXP (and Bolt's STD when asked)."""
    assert (await connect(api, "acme", api_key=SECRET, account="A-1"))["errors"] == []
    zone = await api.zone("US", "COUNTRY", [{"countryCode": "US"}])
    methods = {
        "flat": await api.method(zone, "Flat", "PER_ORDER", rate="7.00"),
        "acme": await api.method(zone, "Acme", "CARRIER", carrierId="acme", services=["GND", "EXP"]),
    }
    if bolt:
        assert (await connect(api, "bolt", token="bolt-token"))["errors"] == []
        methods["bolt"] = await api.method(zone, "Bolt", "CARRIER", carrierId="bolt", services=["STD"])
    methods["zone"] = zone
    return methods


ACME_OPTIONS = [
    ("Flat", "7.00", "0.00"),
    ("Acme Express Ground", "8.50", "0.00"),
    ("Acme Express Express", "24.00", "0.00"),
]


async def quoted(api: ShippingApi, **quantities: int) -> tuple[Cart, dict[str, Any], dict[str, Any]]:
    """A checkout with one US consignment holding `quantities`; returns (cart, checkout, consignment)."""
    cart = await api.cart(**quantities)
    body = await gql(
        api.client,
        "mutation($input: AddConsignmentsInput!) { addConsignments(input: $input) { "
        "checkout { ...ShippingCheckout } errors { code message field } } }" + CHECKOUT_FIELDS,
        {
            "input": {
                "checkoutId": cart.id,
                "consignments": [{"address": ship_to("US", "CA", "94105"), "lineItems": cart.units(**quantities)}],
            }
        },
        token=api.store.storefront_token,
    )
    assert "errors" not in body, body["errors"]  # never a top-level error, whatever the carrier did
    payload = body["data"]["addConsignments"]
    assert payload["errors"] == []
    return cart, payload["checkout"], payload["checkout"]["consignments"][0]


# --- connections -------------------------------------------------------------------------------------


async def test_carrier_connections_list_registered_carriers_and_connect(capi):
    assert await connections(capi) == [
        {"carrierId": "acme", "name": "Acme Express", "connected": False, "enabled": False},
        {"carrierId": "bolt", "name": "Bolt Freight", "connected": False, "enabled": False},
        {"carrierId": "ghost", "name": "Ghost Parcels", "connected": False, "enabled": False},
    ]

    payload = await connect(capi, "acme", api_key=SECRET)
    assert payload == {
        "carrierAccount": {"carrierId": "acme", "name": "Acme Express", "connected": True, "enabled": True},
        "errors": [],
    }
    assert [c["connected"] for c in await connections(capi)] == [True, False, False]

    # Reconnecting replaces the credentials; disconnecting forgets them.
    assert (await connect(capi, "acme", api_key="rotated"))["errors"] == []
    payload = await capi.server(DISCONNECT, "disconnectCarrier", {"carrierId": "acme"})
    assert payload["errors"] == []
    assert payload["carrierAccount"]["connected"] is False
    assert [c["connected"] for c in await connections(capi)] == [False, False, False]


async def test_unknown_carrier_cannot_be_connected_or_disconnected(capi):
    payload = await connect(capi, "nope", key="value")
    assert (errors_of(payload), payload["carrierAccount"]) == ([("UNKNOWN_CARRIER", ["carrierId"])], None)
    payload = await capi.server(DISCONNECT, "disconnectCarrier", {"carrierId": "bolt"})
    assert errors_of(payload) == [("NOT_FOUND", ["carrierId"])]
    assert all(not c["connected"] for c in await connections(capi))


ACCOUNT_FIELDS = "__typename carrierId name connected available enabled"
BOTH_LISTS = f"query {{ carrierAccounts {{ {ACCOUNT_FIELDS} }} carrierConnections {{ {ACCOUNT_FIELDS} }} }}"
CONNECT_BOTH = (
    "mutation($input: ConnectCarrierInput!) { connectCarrier(input: $input) { "
    f"carrierAccount {{ {ACCOUNT_FIELDS} }} carrierConnection {{ {ACCOUNT_FIELDS} }} errors {{ code field }} }} }}"
)
DISCONNECT_BOTH = (
    "mutation($input: DisconnectCarrierInput!) { disconnectCarrier(input: $input) { "
    f"carrierAccount {{ {ACCOUNT_FIELDS} }} carrierConnection {{ {ACCOUNT_FIELDS} }} errors {{ code field }} }} }}"
)
DEPRECATIONS = """
query {
  query: __type(name: "Query") {
    fields(includeDeprecated: true) {
      name type { ofType { ofType { ofType { name } } } } isDeprecated deprecationReason
    }
  }
  payload: __type(name: "CarrierConnectionPayload") {
    fields(includeDeprecated: true) { name type { name } isDeprecated deprecationReason }
  }
}
"""


def renamed(entry: dict[str, Any] | None) -> dict[str, Any] | None:
    """A deprecated CarrierConnection as the CarrierAccount it stands for."""
    if entry is None:
        return None
    assert entry["__typename"] == "CarrierConnection", entry
    return {**entry, "__typename": "CarrierAccount"}


async def test_deprecated_carrier_connection_names_answer_like_carrier_accounts(capi):
    """`carrierConnections` and `CarrierConnectionPayload.carrierConnection` still work, with the same values as
    their replacements `carrierAccounts` and `carrierAccount`, until they are removed."""
    before = data(await gql(capi.client, BOTH_LISTS, token=capi.store.server_token))
    assert [entry["carrierId"] for entry in before["carrierAccounts"]] == ["acme", "bolt", "ghost"]
    assert {entry["__typename"] for entry in before["carrierAccounts"]} == {"CarrierAccount"}
    assert [renamed(entry) for entry in before["carrierConnections"]] == before["carrierAccounts"]

    input = {"carrierId": "acme", "credentials": [{"key": "api_key", "value": SECRET}]}
    connected = await capi.server(CONNECT_BOTH, "connectCarrier", input)
    assert connected["errors"] == []
    assert connected["carrierAccount"] == {
        "__typename": "CarrierAccount",
        "carrierId": "acme",
        "name": "Acme Express",
        "connected": True,
        "available": True,
        "enabled": True,
    }
    assert renamed(connected["carrierConnection"]) == connected["carrierAccount"]
    after = data(await gql(capi.client, BOTH_LISTS, token=capi.store.server_token))
    assert [entry["connected"] for entry in after["carrierAccounts"]] == [True, False, False]
    assert [renamed(entry) for entry in after["carrierConnections"]] == after["carrierAccounts"]

    refused = await capi.server(CONNECT_BOTH, "connectCarrier", {"carrierId": "nope", "credentials": []})
    assert refused == {
        "carrierAccount": None,
        "carrierConnection": None,
        "errors": [{"code": "UNKNOWN_CARRIER", "field": ["carrierId"]}],
    }
    disconnected = await capi.server(DISCONNECT_BOTH, "disconnectCarrier", {"carrierId": "acme"})
    assert disconnected["errors"] == [] and disconnected["carrierAccount"]["connected"] is False
    assert renamed(disconnected["carrierConnection"]) == disconnected["carrierAccount"]


async def test_the_old_carrier_names_are_deprecated_towards_the_new_ones(capi):
    body = data(await gql(capi.client, DEPRECATIONS, token=capi.store.server_token))
    query = {field["name"]: field for field in body["query"]["fields"]}
    payload = {field["name"]: field for field in body["payload"]["fields"]}
    old_list, new_list = query["carrierConnections"], query["carrierAccounts"]
    assert (old_list["isDeprecated"], new_list["isDeprecated"]) == (True, False)
    assert old_list["deprecationReason"].startswith("Use carrierAccounts")
    assert "removed in the next release" in old_list["deprecationReason"]
    assert old_list["type"]["ofType"]["ofType"]["ofType"]["name"] == "CarrierConnection"  # its type is unchanged
    assert new_list["type"]["ofType"]["ofType"]["ofType"]["name"] == "CarrierAccount"
    old_field, new_field = payload["carrierConnection"], payload["carrierAccount"]
    assert (old_field["isDeprecated"], new_field["isDeprecated"]) == (True, False)
    assert old_field["deprecationReason"].startswith("Use carrierAccount")
    assert "removed in the next release" in old_field["deprecationReason"]
    assert (old_field["type"]["name"], new_field["type"]["name"]) == ("CarrierConnection", "CarrierAccount")


async def test_credentials_are_write_only_never_returned_or_logged(capi, fake, caplog):
    # Everything at INFO and up, and the gateway's own loggers down to DEBUG. (Driver DEBUG logs such as
    # aiosqlite's echo statement parameters, credentials included: that level is not for production.)
    caplog.set_level(logging.INFO)
    caplog.set_level(logging.DEBUG, logger="gateway")
    body = await gql(capi.client, INTROSPECT_OUTPUT_FIELDS, token=capi.store.server_token)
    types = data(body)["__schema"]["types"]
    output_fields = {
        (t["name"], f["name"]) for t in types if t["kind"] in ("OBJECT", "INTERFACE") for f in t["fields"] or ()
    }
    leaky = {pair for pair in output_fields if any(w in pair[1].lower() for w in ("credential", "secret", "password"))}
    assert leaky == set()
    assert {f for t, f in output_fields if t == "CarrierConnection"} == {
        "carrierId",
        "name",
        "connected",
        "available",
        "enabled",
    }

    responses = []
    response = await capi.client.post(
        "/graphql",
        json={
            "query": CONNECT,
            "variables": {"input": {"carrierId": "acme", "credentials": [{"key": "api_key", "value": SECRET}]}},
        },
        headers={"X-Auth-Token": capi.store.server_token},
    )
    responses.append(response.text)
    zone = await capi.zone("US", "COUNTRY", [{"countryCode": "US"}])
    await capi.method(zone, "Acme", "CARRIER", carrierId="acme", services=["GND"])
    fake.set_mode("acme", "error")
    cart, _, _ = await quoted(capi, SHIRT=1)
    fake.set_mode("acme", "ok")
    await cart.refreshed()
    for document in (CONNECTIONS, ZONES, CHECKOUT_LIST):
        response = await capi.client.post(
            "/graphql", json={"query": document}, headers={"X-Auth-Token": capi.store.server_token}
        )
        assert response.status_code == 200
        responses.append(response.text)
    responses.append(json.dumps(await cart.read()))

    assert fake.requests("acme")[-1].body["connection_options"] == {"api_key": SECRET}  # it was really used
    assert all(SECRET not in text for text in responses)
    assert SECRET not in caplog.text
    assert all(SECRET not in record.getMessage() for record in caplog.records)


async def test_carrier_method_needs_a_connected_registered_carrier(capi):
    zone = await capi.zone("US", "COUNTRY", [{"countryCode": "US"}])
    for carrier_id in ("acme", "bolt", "unregistered"):
        payload = await capi.server(
            "mutation($input: CreateShippingMethodInput!) { createShippingMethod(input: $input) { method { id } "
            "errors { code message field } } }",
            "createShippingMethod",
            {"zoneId": zone, "name": "Live", "type": "CARRIER", "carrierId": carrier_id, "services": ["GND"]},
        )
        assert errors_of(payload) == [("CARRIER_NOT_CONNECTED", ["carrierId"])], carrier_id

    assert (await connect(capi, "acme", api_key=SECRET))["errors"] == []
    method_id = await capi.method(zone, "Live", "CARRIER", carrierId="acme", services=[" GND ", "EXP", "GND"])
    method = (await capi.zones())[0]["methods"][0]
    assert (method["id"], method["type"], method["carrierId"], method["services"]) == (
        method_id,
        "CARRIER",
        "acme",
        ["GND", "EXP"],
    )


@pytest.mark.parametrize(
    ("document", "variables"),
    [
        pytest.param(CONNECTIONS, {}, id="carrierAccounts"),
        pytest.param(CONNECT, {"input": {"carrierId": "acme", "credentials": []}}, id="connectCarrier"),
        pytest.param(DISCONNECT, {"input": {"carrierId": "acme"}}, id="disconnectCarrier"),
    ],
)
async def test_storefront_token_cannot_manage_carriers(capi, document, variables):
    body = await gql(capi.client, document, variables, token=capi.store.storefront_token)
    assert body["data"] is None
    assert [error["extensions"]["code"] for error in body["errors"]] == ["FORBIDDEN"]


# --- quoting -----------------------------------------------------------------------------------------


async def test_rate_request_follows_the_shipping_provider_api(capi, fake, engine, store):
    async with engine.begin() as conn:
        await conn.execute(sa.update(store_table).where(store_table.c.id == store.id).values(origin_address=ORIGIN))
    await carrier_setup(capi)
    cart = await capi.cart(SHIRT=3, MUG=2, EBOOK=1)
    await cart.added(
        {
            "address": ship_to("US", "CA", "94105", address1="500 Market St", address2="Floor 3", city="San Francisco"),
            "lineItems": cart.units(SHIRT=2, MUG=1),
        },
        {"address": ship_to("US", "NY", "10001"), "lineItems": cart.units(SHIRT=1)},
    )

    requests = fake.requests("acme")
    assert len(requests) == 2  # one per consignment
    request = next(r for r in requests if r.body["base_options"]["destination"]["zip"] == "94105")
    assert request.path == "/rates/acme"
    assert request.headers["content-type"] == "application/json"
    body = request.body
    assert set(body) >= {"base_options", "connection_options"}
    assert body["connection_options"] == {"api_key": SECRET, "account": "A-1"}
    base = body["base_options"]
    assert base["origin"] == {
        "street_1": "1 Warehouse Way",
        "street_2": "Dock 4",
        "zip": "94607",
        "city": "Oakland",
        "state_iso2": "CA",
        "country_iso2": "US",
        "address_type": "RESIDENTIAL",
    }
    assert base["destination"] == {
        "street_1": "500 Market St",
        "street_2": "Floor 3",
        "zip": "94105",
        "city": "San Francisco",
        "state_iso2": "CA",
        "country_iso2": "US",
        "address_type": "RESIDENTIAL",
    }
    assert base["store_id"] == str(store.id)
    # Only this consignment's items and quantities; never the e-book or the other consignment's shirt.
    items = [
        (i["sku"], i["name"], i["quantity"], i["weight"], i["discounted_price"], i["declared_value"])
        for i in base["items"]
    ]
    assert items == [
        (
            "SHIRT",
            "Shirt",
            2,
            {"units": "kg", "value": 0.25},
            {"currency": "USD", "amount": 19.99},
            {"currency": "USD", "amount": 19.99},
        ),
        (
            "MUG",
            "Mug",
            1,
            {"units": "kg", "value": 0.4},
            {"currency": "USD", "amount": 7.5},
            {"currency": "USD", "amount": 7.5},
        ),
    ]
    other = next(r for r in requests if r.body["base_options"]["destination"]["zip"] == "10001")
    assert [(i["sku"], i["quantity"]) for i in other.body["base_options"]["items"]] == [("SHIRT", 1)]


async def test_only_configured_services_are_offered_with_cost_and_transit_time(capi):
    await carrier_setup(capi)
    cart, checkout, consignment = await quoted(capi, SHIRT=1)

    assert offered(consignment) == ACME_OPTIONS
    ground = option(consignment, "Acme Express Ground")
    express = option(consignment, "Acme Express Express")
    assert (ground["type"], ground["transitTime"]) == ("shipping_acme", "5 business days")
    assert (express["type"], express["transitTime"]) == ("shipping_acme", "2 business days")
    assert option(consignment, "Flat")["transitTime"] is None
    assert checkout["warnings"] == []

    checkout = await cart.selected(consignment["id"], express["id"])
    assert checkout["consignments"][0]["selectedShippingOption"]["description"] == "Acme Express Express"
    assert totals(checkout) == ("19.99", "24.00", "0.00", "43.99")
    assert problems_of(checkout) == []


async def test_handling_fees_apply_to_carrier_quotes(capi):
    assert (await connect(capi, "acme", api_key=SECRET))["errors"] == []
    zone = await capi.zone(
        "US",
        "COUNTRY",
        [{"countryCode": "US"}],
        handlingFee={"type": "FIXED", "value": "1.00", "displaySeparately": True},
    )
    await capi.method(
        zone, "Acme", "CARRIER", carrierId="acme", services=["GND"], handlingFee={"type": "PERCENTAGE", "value": "10"}
    )
    _, _, consignment = await quoted(capi, SHIRT=1)
    assert offered(consignment) == [("Acme Express Ground", "8.50", "1.85")]  # 1.00 + 10 % of 8.50 (0.85)


@pytest.mark.parametrize("mode", FAILURE_MODES)
async def test_failing_carrier_drops_only_its_own_options_with_a_warning(capi, fake, mode):
    await carrier_setup(capi)
    fake.set_mode("acme", mode)

    cart, checkout, consignment = await quoted(capi, SHIRT=1)

    assert offered(consignment) == [("Flat", "7.00", "0.00")]
    assert [(w["code"], w["consignmentId"], w["carrierId"]) for w in checkout["warnings"]] == [
        ("CARRIER_UNAVAILABLE", consignment["id"], "acme")
    ]
    assert checkout["warnings"][0]["message"]
    assert problems_of(checkout) == ["NO_SHIPPING_OPTION_SELECTED"]
    assert fake.request_count("acme") == 1
    assert await cart.read() == checkout

    # The flat rate can still be chosen.
    checkout = await cart.selected(consignment["id"], option(consignment, "Flat")["id"])
    assert totals(checkout) == ("19.99", "7.00", "0.00", "26.99")

    # Once the carrier recovers, a refresh brings its options back and the warning goes.
    fake.set_mode("acme", "ok")
    checkout = await cart.refreshed()
    assert offered(checkout["consignments"][0]) == ACME_OPTIONS
    assert checkout["consignments"][0]["selectedShippingOption"]["description"] == "Flat"
    assert checkout["warnings"] == []


async def test_unreachable_carrier_is_a_warning(capi):
    assert (await connect(capi, "ghost", key="k"))["errors"] == []
    zone = await capi.zone("US", "COUNTRY", [{"countryCode": "US"}])
    await capi.method(zone, "Flat", "PER_ORDER", rate="7.00")
    await capi.method(zone, "Ghost", "CARRIER", carrierId="ghost", services=["ANY"])

    _, checkout, consignment = await quoted(capi, MUG=1)

    assert offered(consignment) == [("Flat", "7.00", "0.00")]
    assert [(w["code"], w["carrierId"]) for w in checkout["warnings"]] == [("CARRIER_UNAVAILABLE", "ghost")]


@pytest.mark.parametrize("mode", ["slow", "error", "garbage"])
async def test_two_carriers_one_failing_keeps_the_others_options(capi, fake, mode):
    await carrier_setup(capi, bolt=True)
    fake.set_mode("acme", mode)

    _, checkout, consignment = await quoted(capi, SHIRT=1)

    assert offered(consignment) == [("Bolt Freight Standard", "6.25", "0.00"), ("Flat", "7.00", "0.00")]
    assert option(consignment, "Bolt Freight Standard")["transitTime"] == "4 business days"
    assert [(w["code"], w["carrierId"]) for w in checkout["warnings"]] == [("CARRIER_UNAVAILABLE", "acme")]
    assert (fake.request_count("acme"), fake.request_count("bolt")) == (1, 1)


async def test_both_carriers_answering(capi):
    await carrier_setup(capi, bolt=True)
    _, checkout, consignment = await quoted(capi, SHIRT=1)
    assert offered(consignment) == [("Bolt Freight Standard", "6.25", "0.00"), *ACME_OPTIONS]
    assert checkout["warnings"] == []


async def test_reads_never_call_the_carrier_refresh_does(capi, fake):
    await carrier_setup(capi)
    cart, checkout, consignment = await quoted(capi, SHIRT=2)
    assert fake.request_count("acme") == 1

    for _ in range(3):
        assert await cart.read() == checkout
    body = await gql(capi.client, CHECKOUT_LIST, token=capi.store.server_token)
    assert data(body)["checkouts"]["nodes"] == [checkout]
    assert fake.request_count("acme") == 1

    # Selecting an option uses the stored quotes.
    checkout = await cart.selected(consignment["id"], option(consignment, "Acme Express Ground")["id"])
    assert fake.request_count("acme") == 1

    checkout = await cart.refreshed(consignment["id"])
    assert fake.request_count("acme") == 2
    checkout = await cart.refreshed()
    assert fake.request_count("acme") == 3

    # Address and item changes re-quote too.
    payload = await cart.update(consignment["id"], lineItems=cart.units(SHIRT=1))
    assert payload["errors"] == []
    assert fake.request_count("acme") == 4
    assert payload["checkout"]["consignments"][0]["selectedShippingOption"]["description"] == "Acme Express Ground"


async def test_refresh_takes_the_carriers_new_price_and_keeps_the_selection(capi, fake):
    await carrier_setup(capi)
    cart, _, consignment = await quoted(capi, SHIRT=1)
    ground = option(consignment, "Acme Express Ground")
    await cart.selected(consignment["id"], ground["id"])

    fake.set_services(
        "acme", Service("GND", "Ground", Decimal("9.10"), 4), Service("EXP", "Express", Decimal("24.00"), 2)
    )
    checkout = await cart.refreshed()

    refreshed = checkout["consignments"][0]
    assert option(refreshed, "Acme Express Ground")["transitTime"] == "4 business days"
    assert refreshed["selectedShippingOption"]["description"] == "Acme Express Ground"
    assert refreshed["selectedShippingOption"]["cost"] == {"value": "9.10"}
    assert totals(checkout) == ("19.99", "9.10", "0.00", "29.09")


async def test_selected_carrier_option_is_cleared_when_the_carrier_fails_on_refresh(capi, fake):
    await carrier_setup(capi)
    cart, _, consignment = await quoted(capi, SHIRT=1)
    await cart.selected(consignment["id"], option(consignment, "Acme Express Express")["id"])

    fake.set_mode("acme", "error")
    checkout = await cart.refreshed()

    refreshed = checkout["consignments"][0]
    assert offered(refreshed) == [("Flat", "7.00", "0.00")]
    assert refreshed["selectedShippingOption"] is None
    assert totals(checkout) == ("19.99", "0.00", "0.00", "19.99")
    assert [(w["code"], w["carrierId"]) for w in checkout["warnings"]] == [("CARRIER_UNAVAILABLE", "acme")]


async def test_disconnected_carrier_is_not_called_and_warns(capi, fake):
    await carrier_setup(capi)
    cart, _, consignment = await quoted(capi, SHIRT=1)
    assert fake.request_count("acme") == 1

    payload = await capi.server(DISCONNECT, "disconnectCarrier", {"carrierId": "acme"})
    assert payload["errors"] == []
    assert problems_of(await cart.read(), consignment["id"]) == ["NO_SHIPPING_OPTION_SELECTED", "SHIPPING_QUOTE_STALE"]

    checkout = await cart.refreshed()
    assert offered(checkout["consignments"][0]) == [("Flat", "7.00", "0.00")]
    assert [(w["code"], w["carrierId"]) for w in checkout["warnings"]] == [("CARRIER_NOT_CONNECTED", "acme")]
    assert fake.request_count("acme") == 1


async def test_carrier_method_can_still_be_disabled_or_renamed_after_disconnecting(capi):
    """Disconnecting leaves the CARRIER methods in place; the merchant must still be able to switch them
    off or rename them without reconnecting (only choosing a carrier needs a connected one)."""
    methods = await carrier_setup(capi)
    payload = await capi.server(DISCONNECT, "disconnectCarrier", {"carrierId": "acme"})
    assert payload["errors"] == []

    method = await capi.update_method(methods["acme"], enabled=False)
    assert (method["enabled"], method["carrierId"], method["services"]) == (False, "acme", ["GND", "EXP"])
    method = await capi.update_method(methods["acme"], name="Acme (paused)")
    assert method["name"] == "Acme (paused)"


# --- staleness ---------------------------------------------------------------------------------------


async def test_the_carrier_connection_of_an_offered_carrier_method_is_a_pricing_input(capi: ShippingApi):
    await carrier_setup(capi)
    cart, checkout, consignment = await quoted(capi, SHIRT=1)
    cid = consignment["id"]
    assert problems_of(await cart.read(), cid) == ["NO_SHIPPING_OPTION_SELECTED"]

    # Bolt is used by no method of the zone: connecting it changes nothing for this checkout.
    assert (await connect(capi, "bolt", token="t"))["errors"] == []
    assert problems_of(await cart.read(), cid) == ["NO_SHIPPING_OPTION_SELECTED"]

    # Acme's credentials rotated: its prices may differ, so the quote is stale.
    assert (await connect(capi, "acme", api_key="rotated"))["errors"] == []
    assert problems_of(await cart.read(), cid) == ["NO_SHIPPING_OPTION_SELECTED", "SHIPPING_QUOTE_STALE"]
    assert problems_of(await cart.refreshed(), cid) == ["NO_SHIPPING_OPTION_SELECTED"]

    # Acme disconnected: stale again.
    assert (await capi.server(DISCONNECT, "disconnectCarrier", {"carrierId": "acme"}))["errors"] == []
    assert problems_of(await cart.read(), cid) == ["NO_SHIPPING_OPTION_SELECTED", "SHIPPING_QUOTE_STALE"]
