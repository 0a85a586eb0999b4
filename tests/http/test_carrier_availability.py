"""Carrier connections say what this gateway process can really quote.

A store's connection outlives the operator's carrier registry (`GATEWAY_CARRIERS`): after a restart with
another registry, a carrier the store connected to may no longer be registered. `carrierAccounts` must
then list it as connected but not available (and not enabled), quoting must skip it with a warning that
says why, and carriers that are neither registered nor connected are never listed. `seed-demo` connects
the demo carrier only when the running settings register it.

Each "restart" is a second app built on the same database with another registry, as a redeploy would be.
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.app import create_app
from gateway.settings import Settings
from tests.factories import data, gql
from tests.fake_carrier import FakeCarrier, Service, running_fake_carrier
from tests.http.test_shipping_options import ZONES, ShippingApi, offered, ship_to
from tests.servers import seed_demo_store

pytestmark = pytest.mark.anyio

REPO = Path(__file__).resolve().parents[2]
FIELDS = "carrierId name connected available enabled"
CONNECTIONS = "query { carrierAccounts { " + FIELDS + " } }"
CONNECT = (
    "mutation($input: ConnectCarrierInput!) { connectCarrier(input: $input) { carrierAccount { "
    + FIELDS
    + " } errors { code message field } } }"
)
DISCONNECT = (
    "mutation($input: DisconnectCarrierInput!) { disconnectCarrier(input: $input) { carrierAccount { "
    + FIELDS
    + " } errors { code message field } } }"
)
WARNINGS = "query($id: ID!) { checkout(id: $id) { warnings { code message consignmentId carrierId } } }"


@pytest.fixture
def fake() -> Iterator[FakeCarrier]:
    with running_fake_carrier() as carrier:
        carrier.set_services("acme", Service("GND", "Ground", Decimal("8.50"), 5))
        carrier.set_services("bolt", Service("STD", "Standard", Decimal("6.25"), 4))
        yield carrier


def registry(fake: FakeCarrier, *carrier_ids: str) -> dict[str, dict[str, str]]:
    names = {"acme": "Acme Express", "bolt": "Bolt Freight"}
    return {carrier_id: {"url": fake.url(carrier_id), "name": names[carrier_id]} for carrier_id in carrier_ids}


@asynccontextmanager
async def gateway(database_url: str, engine: Any, carriers: dict[str, Any]) -> AsyncIterator[httpx.AsyncClient]:
    """One gateway process serving `engine`'s database with exactly `carriers` registered."""
    settings = Settings(
        database_url=database_url,
        host="127.0.0.1",
        port=0,
        environment="test",
        carriers_json=json.dumps(carriers),
        token_cache_ttl_s=0,
    )
    app = create_app(settings, engine=engine)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway.test") as client:
            yield client
    finally:
        await app.state.carriers.aclose()


async def connections(client: httpx.AsyncClient, token: str) -> list[dict[str, Any]]:
    return data(await gql(client, CONNECTIONS, token=token))["carrierAccounts"]  # type: ignore[no-any-return]


def listed(carrier_id: str, name: str, *, connected: bool, available: bool, enabled: bool) -> dict[str, Any]:
    return {
        "carrierId": carrier_id,
        "name": name,
        "connected": connected,
        "available": available,
        "enabled": enabled,
    }


async def quote_us(api: ShippingApi) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A checkout with one SHIRT shipped to California: (its consignment, the checkout's warnings)."""
    cart = await api.cart(SHIRT=1)
    consignment = await cart.ship(ship_to("US", "CA", "94105"), SHIRT=1)
    body = await gql(api.client, WARNINGS, {"id": cart.id}, token=api.store.storefront_token)
    return consignment, data(body)["checkout"]["warnings"]


async def test_connection_whose_carrier_is_no_longer_registered_is_unavailable_and_never_quoted(
    database_url, engine, store, fake
):
    async with gateway(database_url, engine, registry(fake, "acme", "bolt")) as client:
        api = ShippingApi(client, store)
        payload = await api.server(CONNECT, "connectCarrier", {"carrierId": "acme", "credentials": []})
        assert payload == {
            "carrierAccount": listed("acme", "Acme Express", connected=True, available=True, enabled=True),
            "errors": [],
        }
        zone = await api.zone("US", "COUNTRY", [{"countryCode": "US"}])
        await api.method(zone, "Flat", "PER_ORDER", rate="7.00")
        await api.method(zone, "Acme", "CARRIER", carrierId="acme", services=["GND"])
        consignment, warnings = await quote_us(api)
        assert offered(consignment) == [("Flat", "7.00", "0.00"), ("Acme Express Ground", "8.50", "0.00")]
        assert warnings == []
    assert fake.request_count("acme") == 1

    # Restarted without acme: the stored connection is still there, but nothing here can quote it.
    async with gateway(database_url, engine, registry(fake, "bolt")) as client:
        api = ShippingApi(client, store)
        assert await connections(client, store.server_token) == [
            listed("acme", "acme", connected=True, available=False, enabled=False),
            listed("bolt", "Bolt Freight", connected=False, available=True, enabled=False),
        ]
        consignment, warnings = await quote_us(api)
        assert offered(consignment) == [("Flat", "7.00", "0.00")]
        assert [(w["code"], w["carrierId"], w["consignmentId"]) for w in warnings] == [
            ("CARRIER_NOT_CONNECTED", "acme", consignment["id"])
        ]
        assert "not available on this gateway" in warnings[0]["message"], warnings[0]["message"]
        # Reconnecting needs the carrier registered.
        payload = await api.server(CONNECT, "connectCarrier", {"carrierId": "acme", "credentials": []})
        assert payload["carrierAccount"] is None
        assert [e["code"] for e in payload["errors"]] == ["UNKNOWN_CARRIER"]
    assert fake.request_count("acme") == 1  # never called while unregistered

    # Registered again: the same connection is quoted again, without reconnecting.
    async with gateway(database_url, engine, registry(fake, "acme", "bolt")) as client:
        api = ShippingApi(client, store)
        assert (await connections(client, store.server_token))[0] == listed(
            "acme", "Acme Express", connected=True, available=True, enabled=True
        )
        consignment, warnings = await quote_us(api)
        assert offered(consignment) == [("Flat", "7.00", "0.00"), ("Acme Express Ground", "8.50", "0.00")]
        assert warnings == []
    assert fake.request_count("acme") == 2


async def test_listing_never_shows_an_unregistered_carrier_without_a_connection(database_url, engine, store, fake):
    async with gateway(database_url, engine, {}) as client:
        assert await connections(client, store.server_token) == []
    async with gateway(database_url, engine, registry(fake, "acme", "bolt")) as client:
        api = ShippingApi(client, store)
        assert (await api.server(CONNECT, "connectCarrier", {"carrierId": "acme", "credentials": []}))["errors"] == []

    async with gateway(database_url, engine, registry(fake, "bolt")) as client:
        api = ShippingApi(client, store)
        # The merchant can still forget the stale credentials; the payload says what is left.
        payload = await api.server(DISCONNECT, "disconnectCarrier", {"carrierId": "acme"})
        assert payload == {
            "carrierAccount": listed("acme", "acme", connected=False, available=False, enabled=False),
            "errors": [],
        }
        assert await connections(client, store.server_token) == [
            listed("bolt", "Bolt Freight", connected=False, available=True, enabled=False)
        ]
        payload = await api.server(DISCONNECT, "disconnectCarrier", {"carrierId": "ghost"})
        assert payload["carrierAccount"] is None
        assert [e["code"] for e in payload["errors"]] == ["NOT_FOUND"]
        assert await connections(client, store.server_token) == [
            listed("bolt", "Bolt Freight", connected=False, available=True, enabled=False)
        ]


def seed_demo(database_url: str, tmp_path: Path, env: dict[str, str]) -> dict[str, str]:
    """`gateway seed-demo` in its own process, with the carrier settings in `env`; returns its tokens."""
    base = {k: v for k, v in os.environ.items() if k not in ("GATEWAY_CARRIERS", "GATEWAY_ENV")}
    return seed_demo_store(database_url, tmp_path / "demo-tokens", env={**base, **env})


def methods_by_zone(zones: list[dict[str, Any]]) -> dict[str, list[tuple[str, str, str | None]]]:
    return {z["name"]: [(m["name"], m["type"], m["carrierId"]) for m in z["methods"]] for z in zones}


async def test_seed_demo_without_the_demo_carrier_registered_connects_no_demo_carrier(
    database_url, engine, tmp_path, fake
):
    carriers = registry(fake, "acme")
    tokens = seed_demo(database_url, tmp_path, {"GATEWAY_CARRIERS": json.dumps(carriers)})

    async with gateway(database_url, engine, carriers) as client:
        assert await connections(client, tokens["SERVER_TOKEN"]) == [
            listed("acme", "Acme Express", connected=False, available=True, enabled=False)
        ]
        zones = methods_by_zone(data(await gql(client, ZONES, token=tokens["SERVER_TOKEN"]))["shippingZones"])
    # The rest of the demo shipping setup is still there, just without a carrier method.
    assert zones["US West Coast"] == [("Standard (by weight)", "WEIGHT", None), ("Per item", "PER_ITEM", None)]
    assert all(kind != "CARRIER" for methods in zones.values() for _, kind, _ in methods)
    assert len(zones) == 6


async def test_seed_demo_with_default_settings_connects_the_demo_carrier(database_url, engine, tmp_path):
    # Default settings (development, no GATEWAY_CARRIERS) register the built-in demo carrier.
    tokens = seed_demo(database_url, tmp_path, {})

    demo = {"demo": {"url": "http://127.0.0.1:9/_demo/carrier/rates", "name": "Demo Parcel"}}
    async with gateway(database_url, engine, demo) as client:
        assert await connections(client, tokens["SERVER_TOKEN"]) == [
            listed("demo", "Demo Parcel", connected=True, available=True, enabled=True)
        ]
        zones = methods_by_zone(data(await gql(client, ZONES, token=tokens["SERVER_TOKEN"]))["shippingZones"])
    assert ("Demo Parcel", "CARRIER", "demo") in zones["US West Coast"]
