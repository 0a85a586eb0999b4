"""The two read operations as PostGraphile v5 (amber preset) documents, for `scripts/bench --vs postgraphile`.

They read the same rows as operations.CHECKOUT_PAGE and operations.ORDER_HISTORY, in the same order, with the
closest columns PostGraphile's generated schema has. What differs:

- ids are the tables' primary keys (`rowId`; PostGraphile's `id` is its global Node id);
- money is a BigFloat string plus the row's `currencyCode` column, not a `{ value currencyCode }` object;
- addresses are the stored JSON documents, whole (GraphQL cannot select inside a JSON scalar);
- `unassignedQuantity` is computed by the gateway: not expressible; a client sums the consignments' line
  item quantities, which this document fetches anyway;
- `selectedShippingOption`: there is no foreign key from consignment.selected_shipping_option_id (shipping
  quotes are keyed by (consignment_id, id)), so PostGraphile has no relation; the document reads
  `selectedShippingOptionId` and a client picks that option out of the quotes it already has;
- nested lists are relay connections (`nodes`), ordered by `position` (the server turns off
  PgIndexBehaviorsPlugin so unindexed columns can be ordered by, as PostGraphile v4 allowed by default);
- PostGraphile has no tokens; the store (tenant) scoping the gateway takes from the token is a `condition`
  on every level instead (`storeId`, the same `store_id = $1` filter the gateway's loads have);
- the relation from a portion or shipment item to its line item / order product is by foreign key (no store
  filter there: the gateway picks those rows from the level it loaded, which is store-filtered).

scripts/benchlib/checks.py turns PostGraphile's responses into the gateway's shape and fails the bench when the
values differ.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

from benchlib.operations import Request

CHECKOUT_PAGE = """
query CheckoutPage($id: String!, $store: Int!) {
  allCheckouts(condition: { rowId: $id, storeId: $store }) { nodes {
    rowId email currencyCode version billingAddress
    lineItemsByCheckoutId(condition: { storeId: $store }, orderBy: POSITION_ASC) { nodes {
      rowId sku name quantity requiresShipping listPrice extendedListPrice currencyCode } }
    consignmentsByCheckoutId(condition: { storeId: $store }, orderBy: POSITION_ASC) { nodes {
      rowId address selectedShippingOptionId shippingCost handlingCost currencyCode
      consignmentLineItemsByConsignmentId(condition: { storeId: $store }, orderBy: POSITION_ASC) { nodes {
        quantity lineItemByLineItemId { rowId sku } } }
      shippingQuotesByConsignmentId(condition: { storeId: $store }, orderBy: POSITION_ASC) { nodes {
        rowId description type cost handlingCost currencyCode transitTime } }
    } }
    subtotal shippingCostTotal handlingCostTotal grandTotal
  } }
}
"""

ORDER_HISTORY = """
query OrderHistory($first: Int!, $store: Int!) {
  allOrders(first: $first, condition: { storeId: $store }, orderBy: [CREATED_AT_DESC, ROW_ID_DESC]) {
    pageInfo { hasNextPage endCursor }
    nodes {
      rowId status email createdAt itemsTotal itemsShipped grandTotal currencyCode
      orderShippingAddressesByOrderId(condition: { storeId: $store }, orderBy: POSITION_ASC) { nodes {
        rowId shippingMethod itemsTotal itemsShipped address shippingCost } }
      orderProductsByOrderId(condition: { storeId: $store }, orderBy: POSITION_ASC) { nodes {
        rowId sku name quantity quantityShipped price } }
      shipmentsByOrderId(condition: { storeId: $store }, orderBy: ROW_ID_ASC) { nodes {
        rowId trackingNumber trackingLink shippingProvider createdAt
        shipmentItemsByShipmentId(condition: { storeId: $store }, orderBy: POSITION_ASC) { nodes {
          quantity orderProductByOrderProductId { rowId sku } } }
      } }
    }
  }
}
"""

#: The store the gateway's tokens belong to (the data set's `default` store): every level filters by it, as the
#: gateway's loads do (`WHERE store_id = $1`).
STORE = 1


def request_factories(data: dict[str, Any]) -> dict[str, Callable[[], Request]]:
    """Like operations.request_factories for the reads: the same checkout ids in the same order."""
    checkout_ids = data["checkout_ids"]
    read_ids = itertools.cycle(checkout_ids[: max(1, len(checkout_ids) // 2)])

    def checkout_page() -> Request:
        return CHECKOUT_PAGE, {"id": next(read_ids), "store": STORE}, "storefront"

    def order_history() -> Request:
        return ORDER_HISTORY, {"first": 50, "store": STORE}, "server"

    return {"checkout_page": checkout_page, "order_history": order_history}
