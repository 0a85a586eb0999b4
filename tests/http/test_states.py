"""States by ISO 3166-2 code or name: zones and addresses resolve them, store the short code, refuse unknown ones."""

from __future__ import annotations

import httpx
import pytest

from tests.factories import StoreFixture
from tests.http.test_shipping_options import (
    CREATE_ZONE,
    ShippingApi,
    errors_of,
    offered,
)

pytestmark = pytest.mark.anyio


@pytest.fixture
def api(client: httpx.AsyncClient, store: StoreFixture) -> ShippingApi:
    return ShippingApi(client, store)


def address(**state: str) -> dict[str, str]:
    return {
        "email": "shopper@example.com",
        "firstName": "Ada",
        "lastName": "Lovelace",
        "address1": "1 Main St",
        "city": "Springfield",
        "countryCode": "US",
        "postalCode": "90001",
        **state,
    }


async def test_address_given_by_state_name_matches_the_state_zone_and_gets_the_code(api):
    country = await api.zone("United States", "COUNTRY", [{"countryCode": "US"}])
    await api.method(country, "Standard", "PER_ORDER", rate="20.00")
    state = await api.zone("California", "STATE", [{"countryCode": "US", "stateCode": "us-ca"}])
    await api.method(state, "Standard", "PER_ORDER", rate="10.00")

    cart = await api.cart(SHIRT=3)
    checkout = await cart.added(
        {"address": address(stateOrProvince="california"), "lineItems": cart.units(SHIRT=1)},
        {"address": address(stateOrProvinceCode="US-CA"), "lineItems": cart.units(SHIRT=1)},
        {"address": address(stateOrProvince="Oregon"), "lineItems": cart.units(SHIRT=1)},
    )

    consignments = checkout["consignments"]
    assert [(c["shippingZoneName"], offered(c)) for c in consignments] == [
        ("California", [("Standard", "10.00", "0.00")]),
        ("California", [("Standard", "10.00", "0.00")]),
        ("United States", [("Standard", "20.00", "0.00")]),
    ]
    zones = await api.zones()
    assert [z["locations"] for z in zones if z["type"] == "STATE"] == [
        [{"countryCode": "US", "stateCode": "CA", "zip": None}]
    ]


async def test_unknown_state_is_refused_with_its_path(api):
    cart = await api.cart(SHIRT=1)
    payload = await cart.add({"address": address(stateOrProvince="Atlantis"), "lineItems": cart.units(SHIRT=1)})
    assert errors_of(payload) == [("INVALID_STATE_OR_PROVINCE", ["consignments", "0", "address", "stateOrProvince"])]

    zone = await api.server(
        CREATE_ZONE,
        "createShippingZone",
        {"name": "Nowhere", "type": "STATE", "locations": [{"countryCode": "US", "stateCode": "ZZ"}]},
    )
    assert errors_of(zone) == [("INVALID_STATE_OR_PROVINCE", ["locations", "0", "stateCode"])]
    assert await api.zones() == []


async def test_countries_without_subdivisions_keep_free_text(api):
    cart = await api.cart(SHIRT=1)
    free = {**address(stateOrProvince="Anywhere"), "countryCode": "AQ"}
    payload = await cart.add({"address": free, "lineItems": cart.units(SHIRT=1)})
    assert payload["errors"] == []
