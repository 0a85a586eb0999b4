"""Money settings are stored and echoed canonically: the currency's minor unit, no exponent; -0 refused."""

from __future__ import annotations

import httpx
import pytest

from tests.factories import StoreFixture, make_store
from tests.http.test_shipping_options import CREATE_METHOD, UPDATE_ZONE, ShippingApi, errors_of, fee, ranges

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


async def test_money_finer_than_the_currency_minor_unit_is_refused_with_every_path(api):
    zone = await api.zone("United States", "COUNTRY", [{"countryCode": "US"}])
    payload = await api.server(
        CREATE_METHOD,
        "createShippingMethod",
        {
            "zoneId": zone,
            "name": "By total",
            "type": "TOTAL",
            "ranges": ranges(("0.001", "50", "4.999")),
            "defaultCost": "9.991",
            "handlingFee": fee("FIXED", "0.125"),
        },
    )
    assert errors_of(payload) == [
        ("INVALID_AMOUNT", ["defaultCost"]),
        ("INVALID_AMOUNT", ["handlingFee", "value"]),
        ("INVALID_AMOUNT", ["ranges", "0", "cost"]),
        ("INVALID_AMOUNT", ["ranges", "0", "lowerLimit"]),
    ]
    assert "USD amounts have at most 2 decimals" in payload["errors"][0]["message"]
    assert (await api.zones())[0]["methods"] == []

    payload = await api.server(
        UPDATE_ZONE, "updateShippingZone", {"id": zone, "freeShipping": {"enabled": True, "minimumSubtotal": "49.995"}}
    )
    assert errors_of(payload) == [("INVALID_AMOUNT", ["freeShipping", "minimumSubtotal"])]


async def test_weights_percentages_and_trailing_zeros_are_not_money_precision_errors(api):
    zone = await api.zone("United States", "COUNTRY", [{"countryCode": "US"}])
    heavy = await api.server(
        CREATE_METHOD,
        "createShippingMethod",
        {
            "zoneId": zone,
            "name": "Heavy",
            "type": "WEIGHT",
            "ranges": ranges(("0.125", "2.5005", "3.500")),
            "defaultCost": "12.5",
            "defaultCostType": "PERCENTAGE_OF_TOTAL",
            "handlingFee": fee("PERCENTAGE", "2.375"),
        },
    )
    assert heavy["errors"] == []
    assert heavy["method"]["ranges"] == [{"lowerLimit": "0.125", "upperLimit": "2.5005", "cost": "3.50"}]
    assert heavy["method"]["handlingFee"] == {"type": "PERCENTAGE", "value": "2.375"}


async def test_a_zero_decimal_currency_refuses_cents(client, engine):
    yen = ShippingApi(client, await make_store(engine, slug="tokyo", catalog=(), currency_code="JPY"))
    zone = await yen.zone("Japan", "COUNTRY", [{"countryCode": "JP"}])
    payload = await yen.server(
        CREATE_METHOD, "createShippingMethod", {"zoneId": zone, "name": "Flat", "type": "PER_ORDER", "rate": "500.50"}
    )
    assert errors_of(payload) == [("INVALID_AMOUNT", ["rate"])]
    assert "JPY amounts have at most 0 decimals" in payload["errors"][0]["message"]
    payload = await yen.server(
        CREATE_METHOD, "createShippingMethod", {"zoneId": zone, "name": "Flat", "type": "PER_ORDER", "rate": "500.00"}
    )
    assert payload["errors"] == []
    assert payload["method"]["rate"] == "500"
