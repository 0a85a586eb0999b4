from __future__ import annotations

from tests.factories import data, gql

CREATE = """
mutation($input: CreateCheckoutInput!) {
  createCheckout(input: $input) {
    checkout { id subtotal { value currencyCode } lineItems { id sku unassignedQuantity } }
    errors { code message field }
  }
}
"""


async def test_create_checkout_prices_from_catalog(client, store):
    body = await gql(
        client,
        CREATE,
        {"input": {"email": "a@example.com", "lineItems": [{"sku": "SHIRT", "quantity": 3}]}},
        token=store.storefront_token,
    )
    payload = data(body)["createCheckout"]
    assert payload["errors"] == []
    assert payload["checkout"]["subtotal"] == {"value": "59.97", "currencyCode": "USD"}
