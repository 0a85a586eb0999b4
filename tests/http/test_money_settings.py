"""Money settings are stored and echoed canonically: the currency's minor unit, no exponent; -0 refused."""

from __future__ import annotations

import httpx
import pytest

from tests.factories import StoreFixture
from tests.http.test_shipping_options import CREATE_METHOD, ShippingApi, errors_of, fee, ranges

pytestmark = pytest.mark.anyio


@pytest.fixture
def api(client: httpx.AsyncClient, store: StoreFixture) -> ShippingApi:
    return ShippingApi(client, store)


async def test_rates_are_echoed_with_the_minor_unit_and_weights_plainly(api):
    zone = await api.zone("United States", "COUNTRY", [{"countryCode": "US"}])
    flat = await api.server(
        CREATE_METHOD,
        "createShippingMethod",
        {"zoneId": zone, "name": "Flat", "type": "PER_ORDER", "rate": "1e3", "handlingFee": fee("FIXED", "2E0")},
    )
    weight = await api.server(
        CREATE_METHOD,
        "createShippingMethod",
        {"zoneId": zone, "name": "Heavy", "type": "WEIGHT", "ranges": ranges(("0", "1E+1", "2.5")), "defaultCost": "7"},
    )
    assert (flat["errors"], weight["errors"]) == ([], [])
    assert flat["method"]["rate"] == "1000.00"
    assert flat["method"]["handlingFee"] == {"type": "FIXED", "value": "2.00"}
    assert weight["method"]["ranges"] == [{"lowerLimit": "0", "upperLimit": "10", "cost": "2.50"}]
    assert weight["method"]["defaultCost"] == "7.00"


async def test_negative_zero_rate_is_refused_with_its_path(api):
    zone = await api.zone("United States", "COUNTRY", [{"countryCode": "US"}])
    payload = await api.server(
        CREATE_METHOD, "createShippingMethod", {"zoneId": zone, "name": "Flat", "type": "PER_ORDER", "rate": "-0"}
    )
    assert errors_of(payload) == [("INVALID_AMOUNT", ["rate"])]
    assert (await api.zones())[0]["methods"] == []
