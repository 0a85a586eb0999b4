"""`Decimal` is a string on the wire in both directions: numbers are refused wherever a Decimal is input.

JSON clients turn `4.50` into the float 4.5 (and `0.1 + 0.2` into 0.30000000000000004) before sending, so
a number input is a validation error naming the problem, in variables (JSON numbers, also nested in lists
of input objects) and in documents (Int and Float literals) alike; strings are accepted and echoed
canonically.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.factories import StoreFixture, data, gql
from tests.http.test_shipping_options import CREATE_METHOD, ShippingApi, ranges

pytestmark = pytest.mark.anyio

NUMBER_REFUSED = 'Decimal must be a string such as "4.50", not the number {} (numbers lose precision in JSON clients)'

CREATE_FLAT_LITERAL = """
mutation($zoneId: ID!) {
  createShippingMethod(input: {zoneId: $zoneId, name: "Flat", type: PER_ORDER, rate: %s}) {
    method { rate }
    errors { code field }
  }
}
"""

DECIMAL_TYPE = 'query { __type(name: "Decimal") { kind description } }'
PRODUCTS = "query { products(first: 1) { nodes { sku weight price { value currencyCode } } } }"


@pytest.fixture
def api(client: httpx.AsyncClient, store: StoreFixture) -> ShippingApi:
    return ShippingApi(client, store)


async def _zone(api: ShippingApi) -> str:
    return await api.zone("United States", "COUNTRY", [{"countryCode": "US"}])


async def _methods(api: ShippingApi) -> list[dict[str, Any]]:
    return [method for zone in await api.zones() for method in zone["methods"]]


async def _create_method(api: ShippingApi, **fields: Any) -> dict[str, Any]:
    """createShippingMethod in a new US zone with `fields` as the input (besides the zone), as sent."""
    zone = await _zone(api)
    return await gql(api.client, CREATE_METHOD, {"input": {"zoneId": zone, **fields}}, token=api.store.server_token)  # type: ignore[no-any-return]


def _refusal(body: dict[str, Any]) -> tuple[str, str]:
    assert body.get("data") is None, body
    assert len(body["errors"]) == 1, body["errors"]
    error = body["errors"][0]
    return error["extensions"]["code"], error["message"]


@pytest.mark.parametrize(("number", "shown"), [(4.5, "4.5"), (5, "5"), (0.1, "0.1")])
async def test_a_json_number_in_variables_is_refused_and_nothing_is_created(api, number, shown):
    body = await _create_method(api, name="Flat", type="PER_ORDER", rate=number)
    code, message = _refusal(body)
    assert code == "GRAPHQL_VALIDATION_FAILED"
    assert NUMBER_REFUSED.format(shown) in message, message
    assert message.startswith("Variable '$input' has invalid value at .rate: "), message
    assert await _methods(api) == []


async def test_a_json_number_nested_in_a_list_of_ranges_is_refused(api):
    brackets = [{"lowerLimit": "0", "upperLimit": "10", "cost": 2.5}]
    body = await _create_method(api, name="Heavy", type="WEIGHT", ranges=brackets)
    code, message = _refusal(body)
    assert code == "GRAPHQL_VALIDATION_FAILED"
    assert NUMBER_REFUSED.format("2.5") in message, message
    assert await _methods(api) == []


@pytest.mark.parametrize("literal", ["4.5", "5", "4.50", "1e3"])
async def test_an_int_or_float_literal_in_the_document_is_refused(api, literal):
    zone = await _zone(api)
    body = await gql(api.client, CREATE_FLAT_LITERAL % literal, {"zoneId": zone}, token=api.store.server_token)
    code, message = _refusal(body)
    assert code == "GRAPHQL_VALIDATION_FAILED"
    # The literal as written: the refusal shows the digits the client typed, not a float's rendering.
    assert message == NUMBER_REFUSED.format(literal)
    assert await _methods(api) == []


@pytest.mark.parametrize("value", [True, None, {"amount": "4.50"}, ["4.50"]])
async def test_other_json_values_are_refused_as_not_a_decimal_string(api, value):
    body = await _create_method(
        api,
        name="Heavy",
        type="WEIGHT",
        ranges=ranges(("0", "10", "2.50")),
        defaultCost="1",
        handlingFee={"type": "FIXED", "value": value},
    )
    code, _ = _refusal(body)
    assert code == "GRAPHQL_VALIDATION_FAILED"
    assert await _methods(api) == []


async def test_a_string_that_is_not_a_number_is_refused(api):
    zone = await _zone(api)
    body = await gql(api.client, CREATE_FLAT_LITERAL % '"4,50"', {"zoneId": zone}, token=api.store.server_token)
    code, message = _refusal(body)
    assert code == "GRAPHQL_VALIDATION_FAILED"
    assert '"4,50"' in message, message


async def test_strings_are_accepted_in_variables_and_as_literals_and_echoed_as_strings(api):
    zone = await _zone(api)
    by_variable = await api.server(
        CREATE_METHOD, "createShippingMethod", {"zoneId": zone, "name": "Flat", "type": "PER_ORDER", "rate": "4.50"}
    )
    body = await gql(api.client, CREATE_FLAT_LITERAL % '"4.5"', {"zoneId": zone}, token=api.store.server_token)
    by_literal = data(body)["createShippingMethod"]
    assert (by_variable["errors"], by_literal["errors"]) == ([], [])
    assert by_variable["method"]["rate"] == "4.50"
    assert by_literal["method"]["rate"] == "4.50"  # USD: two places, whatever the input wrote


async def test_outputs_are_json_strings(api):
    body = await gql(api.client, PRODUCTS, token=api.store.storefront_token)
    product = data(body)["products"]["nodes"][0]
    assert isinstance(product["weight"], str)
    assert product["price"] == {"value": product["price"]["value"], "currencyCode": "USD"}
    assert isinstance(product["price"]["value"], str)
    assert len(product["price"]["value"].partition(".")[2]) == 2  # USD minor unit


async def test_the_schema_describes_decimal_as_a_string(api):
    body = await gql(api.client, DECIMAL_TYPE, token=api.store.server_token)
    decimal_type = data(body)["__type"]
    assert decimal_type["kind"] == "SCALAR"
    description = decimal_type["description"]
    assert '"12.50"' in description
    assert "never a JSON number" in description
    assert "minor unit" in description


@pytest.mark.parametrize(
    "text", ["NaN", "Infinity", "-inf", "1_000", " 4.50", "4.50 ", "", "4,50", "1e99999", "9" * 101]
)
async def test_strings_that_are_not_plain_decimals_are_refused(api, text):
    body = await _create_method(api, name="Flat", type="PER_ORDER", rate=text)
    code, message = _refusal(body)
    assert code == "GRAPHQL_VALIDATION_FAILED"
    assert "cannot represent a Decimal" in message and '"12.50"' in message, message
    assert await _methods(api) == []
