"""The benchmarked operations: what a storefront's checkout page and a back office's order history send."""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable, Iterator
from typing import Any

CHECKOUT_PAGE = """
query CheckoutPage($id: ID!) {
  checkout(id: $id) {
    id email currencyCode version
    billingAddress { firstName lastName email countryCode }
    lineItems { id sku name quantity requiresShipping unassignedQuantity
      listPrice { value currencyCode } extendedListPrice { value currencyCode } }
    consignments {
      id
      address { firstName lastName address1 city stateOrProvinceCode postalCode countryCode email }
      lineItems { quantity lineItem { id sku } }
      availableShippingOptions { id description type cost { value currencyCode } handlingCost { value } transitTime }
      selectedShippingOption { id description cost { value currencyCode } }
      shippingCost { value currencyCode } handlingCost { value currencyCode }
    }
    subtotal { value currencyCode } shippingCostTotal { value currencyCode }
    handlingCostTotal { value currencyCode } grandTotal { value currencyCode }
  }
}
"""

ORDER_HISTORY = """
query OrderHistory($first: Int!) {
  orders(first: $first) {
    pageInfo { hasNextPage endCursor }
    nodes {
      id status email createdAt itemsTotal itemsShipped
      grandTotal { value currencyCode }
      shippingAddresses { id shippingMethod itemsTotal itemsShipped
        address { firstName lastName city postalCode countryCode } shippingCost { value } }
      products { id sku name quantity quantityShipped price { value } }
      shipments { id trackingNumber trackingLink shippingProvider createdAt
        items { quantity orderProduct { id sku } } }
    }
  }
}
"""

UPDATE_CONSIGNMENT = """
mutation UpdateConsignment($input: UpdateConsignmentInput!) {
  updateConsignment(input: $input) { checkout { id version grandTotal { value } } errors { code } }
}
"""

CREATE_SHIPMENT = """
mutation CreateShipment($input: CreateShipmentInput!) {
  createShipment(input: $input) { shipment { id trackingLink } order { id status itemsShipped } errors { code field } }
}
"""

Request = tuple[str, dict[str, Any], str]  # query, variables, token kind


def request_factories(
    data: dict[str, Any], seed: int = 7, shipments: Iterator[Any] | None = None
) -> dict[str, Callable[[], Request]]:
    """One callable per operation producing the next request; deterministic for a given seed.

    `shipments`: where createShipment takes its next unshipped unit from; share one iterator between
    runs against the same database, or later runs ship units an earlier run already shipped (refused).
    """
    rng = random.Random(seed)
    checkout_ids = data["checkout_ids"]
    read_ids = itertools.cycle(checkout_ids[: max(1, len(checkout_ids) // 2)])
    write_ids = itertools.cycle(data["write_targets"])
    unshipped = shipments if shipments is not None else iter(data["unshipped"])
    cities = itertools.cycle(["New York", "Brooklyn", "Queens"])

    def checkout_page() -> Request:
        return CHECKOUT_PAGE, {"id": next(read_ids)}, "storefront"

    def order_history() -> Request:
        return ORDER_HISTORY, {"first": 50}, "server"

    def consignment_write() -> Request:
        checkout_id, consignment_id = next(write_ids)
        address = {
            "email": "ada@example.com",
            "countryCode": "US",
            "firstName": "Ada",
            "lastName": "L",
            "address1": f"{rng.randint(1, 999)} Main St",
            "city": next(cities),
            "stateOrProvinceCode": "NY",
            "postalCode": "10013",
        }
        return (
            UPDATE_CONSIGNMENT,
            {"input": {"checkoutId": checkout_id, "consignmentId": consignment_id, "address": address}},
            "storefront",
        )

    def create_shipment() -> Request:
        order_id, address_id, product_id = next(unshipped)
        return (
            CREATE_SHIPMENT,
            {
                "input": {
                    "orderId": str(order_id),
                    "shippingAddressId": str(address_id),
                    "items": [{"orderProductId": str(product_id), "quantity": 1}],
                    "trackingNumber": f"1Z{rng.getrandbits(40):012d}",
                    "shippingProvider": "UPS",
                }
            },
            "server",
        )

    return {
        "checkout_page": checkout_page,
        "order_history": order_history,
        "consignment_writes": consignment_write,
        "create_shipment": create_shipment,
    }
