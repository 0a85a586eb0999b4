"""Invariants of the stored data, checked by direct SQL over the engine (never through the API under test).

`violations(engine)` reads every relevant table once and returns a list of human-readable violations
(empty when the database is consistent); `assert_invariants(engine)` fails a test with all of them.
They hold after any sequence of requests, valid or not, from any tenant:

- consignments: no line item over-assigned across a checkout's consignments; portions at least 1 unit,
  physical, of a line item of the same checkout; a selection names one of the consignment's own stored
  quotes and copies its costs; no selection means zero cost; pickup consignments select nothing.
- checkouts: extended price = list price x quantity; subtotal = sum of extended prices; shipping and
  handling totals = sums over consignments; grand = subtotal + shipping + handling.
- orders: 0 <= quantity_shipped <= quantity per product; shipment items add up to quantity_shipped;
  per address items_total / items_shipped are the sums of its products, per order those of the products
  on shipping (not pickup) addresses; pickups never ship and only they are ever picked up; the status
  follows from the units to ship and the pickups (the table of `status_for`, restated here; CANCELLED only
  with nothing shipped or picked up) and dateShipped is set iff every unit to ship has shipped; totals
  copied exactly from the checkout and equal to the sums of their parts.
- tenancy: every row belongs to the same store as the rows it refers to.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.storage import models

ZERO = Decimal(0)

_TABLES = {
    "checkout": models.checkout,
    "line_item": models.line_item,
    "consignment": models.consignment,
    "consignment_line_item": models.consignment_line_item,
    "shipping_quote": models.shipping_quote,
    "shipping_zone": models.shipping_zone,
    "shipping_method": models.shipping_method,
    "pickup_method": models.pickup_method,
    "orders": models.orders,
    "order_shipping_address": models.order_shipping_address,
    "order_product": models.order_product,
    "shipment": models.shipment,
    "shipment_item": models.shipment_item,
}


async def _load(engine: AsyncEngine) -> dict[str, list[Any]]:
    rows: dict[str, list[Any]] = {}
    async with engine.connect() as conn:
        for name, table in _TABLES.items():
            rows[name] = list(await conn.execute(sa.select(table)))
    return rows


def _by(rows: Iterable[Any], key: str) -> dict[Any, list[Any]]:
    grouped: dict[Any, list[Any]] = defaultdict(list)
    for row in rows:
        grouped[getattr(row, key)].append(row)
    return grouped


def _sum(values: Iterable[Decimal]) -> Decimal:
    return sum(values, ZERO)


def _status(items_total: int, items_shipped: int, pickups: int, collected: int) -> str:
    if items_total and items_shipped == 0:
        return "AWAITING_FULFILLMENT"
    if items_shipped < items_total:
        return "PARTIALLY_SHIPPED"
    if collected < pickups:
        return "AWAITING_PICKUP"
    return "SHIPPED" if items_total else "COMPLETED"


def _checkout_violations(t: dict[str, list[Any]]) -> list[str]:
    problems: list[str] = []
    lines_by_checkout = _by(t["line_item"], "checkout_id")
    consignments_by_checkout = _by(t["consignment"], "checkout_id")
    lines = {row.id: row for row in t["line_item"]}
    consignments = {row.id: row for row in t["consignment"]}
    quotes = {(row.consignment_id, row.id): row for row in t["shipping_quote"]}

    for line in t["line_item"]:
        if line.quantity < 1:
            problems.append(f"line item {line.id}: quantity {line.quantity} < 1")
        if line.extended_list_price != line.list_price * line.quantity:
            problems.append(
                f"line item {line.id}: extended {line.extended_list_price} != {line.list_price} x {line.quantity}"
            )

    assigned: dict[str, int] = defaultdict(int)
    for portion in t["consignment_line_item"]:
        where = f"consignment {portion.consignment_id} / line item {portion.line_item_id}"
        line = lines.get(portion.line_item_id)
        consignment = consignments.get(portion.consignment_id)
        if portion.quantity < 1:
            problems.append(f"{where}: portion of {portion.quantity} units")
        if line is None or consignment is None:
            problems.append(f"{where}: refers to a missing line item or consignment")
            continue
        if not (line.checkout_id == consignment.checkout_id == portion.checkout_id):
            problems.append(f"{where}: line item, consignment and portion belong to different checkouts")
        if not line.requires_shipping:
            problems.append(f"{where}: digital line item {line.sku} in a consignment")
        assigned[portion.line_item_id] += portion.quantity
    for line_id, units in assigned.items():
        line = lines.get(line_id)
        if line is not None and units > line.quantity:
            problems.append(f"line item {line_id} ({line.sku}): {units} units assigned, only {line.quantity} exist")

    for consignment in t["consignment"]:
        where = f"consignment {consignment.id}"
        option = consignment.selected_shipping_option_id
        if consignment.pickup_method_id is not None and option is not None:
            problems.append(f"{where}: pickup consignment with a selected shipping option {option}")
        if option is None:
            if consignment.shipping_cost != ZERO or consignment.handling_cost != ZERO:
                problems.append(
                    f"{where}: no option selected but costs {consignment.shipping_cost} / {consignment.handling_cost}"
                )
            continue
        quote = quotes.get((consignment.id, option))
        if quote is None:
            problems.append(f"{where}: selected option {option} is not one of its stored quotes")
        elif (quote.cost, quote.handling_cost) != (consignment.shipping_cost, consignment.handling_cost):
            problems.append(
                f"{where}: costs {consignment.shipping_cost} / {consignment.handling_cost} differ from the "
                f"selected quote's {quote.cost} / {quote.handling_cost}"
            )

    for checkout in t["checkout"]:
        where = f"checkout {checkout.id}"
        subtotal = _sum(line.extended_list_price for line in lines_by_checkout.get(checkout.id, []))
        mine = consignments_by_checkout.get(checkout.id, [])
        shipping = _sum(row.shipping_cost for row in mine)
        handling = _sum(row.handling_cost for row in mine)
        if checkout.subtotal != subtotal:
            problems.append(f"{where}: subtotal {checkout.subtotal} != sum of extended prices {subtotal}")
        if checkout.shipping_cost_total != shipping:
            problems.append(f"{where}: shippingCostTotal {checkout.shipping_cost_total} != consignments' {shipping}")
        if checkout.handling_cost_total != handling:
            problems.append(f"{where}: handlingCostTotal {checkout.handling_cost_total} != consignments' {handling}")
        expected = checkout.subtotal + checkout.shipping_cost_total + checkout.handling_cost_total
        if checkout.grand_total != expected:
            problems.append(f"{where}: grandTotal {checkout.grand_total} != subtotal + shipping + handling {expected}")
    return problems


def _order_violations(t: dict[str, list[Any]]) -> list[str]:
    problems: list[str] = []
    products_by_order = _by(t["order_product"], "order_id")
    products_by_address = _by(t["order_product"], "shipping_address_id")
    addresses_by_order = _by(t["order_shipping_address"], "order_id")
    shipments_by_order = _by(t["shipment"], "order_id")
    products = {row.id: row for row in t["order_product"]}
    shipments = {row.id: row for row in t["shipment"]}
    checkouts = {row.id: row for row in t["checkout"]}

    shipped_by_product: dict[int, int] = defaultdict(int)
    for item in t["shipment_item"]:
        where = f"shipment {item.shipment_id} / order product {item.order_product_id}"
        shipment = shipments.get(item.shipment_id)
        product = products.get(item.order_product_id)
        if item.quantity < 1:
            problems.append(f"{where}: ships {item.quantity} units")
        if shipment is None or product is None:
            problems.append(f"{where}: refers to a missing shipment or order product")
            continue
        if not (shipment.order_id == product.order_id == item.order_id):
            problems.append(f"{where}: shipment, product and item belong to different orders")
        if product.shipping_address_id != shipment.shipping_address_id:
            problems.append(f"{where}: product ships to another address than the shipment")
        shipped_by_product[item.order_product_id] += item.quantity

    for product in t["order_product"]:
        where = f"order {product.order_id} product {product.id} ({product.sku})"
        if product.quantity < 1:
            problems.append(f"{where}: quantity {product.quantity} < 1")
        if not 0 <= product.quantity_shipped <= product.quantity:
            problems.append(f"{where}: quantity_shipped {product.quantity_shipped} outside 0..{product.quantity}")
        if shipped_by_product.get(product.id, 0) != product.quantity_shipped:
            problems.append(
                f"{where}: quantity_shipped {product.quantity_shipped} != units in its shipments "
                f"{shipped_by_product.get(product.id, 0)}"
            )
        if (product.shipping_address_id is None) == product.requires_shipping:
            problems.append(f"{where}: physical products need a shipping address, digital ones none")

    for address in t["order_shipping_address"]:
        where = f"order {address.order_id} shipping address {address.id}"
        if address.pickup_method_id is None and address.picked_up_at is not None:
            problems.append(f"{where}: a shipping address marked picked up")
        if address.pickup_method_id is not None and address.items_shipped:
            problems.append(f"{where}: a pickup with {address.items_shipped} units shipped")
        mine = products_by_address.get(address.id, [])
        total = sum(row.quantity for row in mine)
        shipped = sum(row.quantity_shipped for row in mine)
        if address.items_total != total:
            problems.append(f"{where}: items_total {address.items_total} != its products' {total}")
        if address.items_shipped != shipped:
            problems.append(f"{where}: items_shipped {address.items_shipped} != its products' {shipped}")

    for order in t["orders"]:
        where = f"order {order.id}"
        addresses = addresses_by_order.get(order.id, [])
        pickups = [row for row in addresses if row.pickup_method_id is not None]
        pickup_ids = {row.id for row in pickups}
        collected = sum(1 for row in pickups if row.picked_up_at is not None)
        to_ship = [
            row
            for row in products_by_order.get(order.id, [])
            if row.requires_shipping and row.shipping_address_id not in pickup_ids
        ]
        total = sum(row.quantity for row in to_ship)
        shipped = sum(row.quantity_shipped for row in to_ship)
        if order.items_total != total:
            problems.append(f"{where}: items_total {order.items_total} != sum of quantities to ship {total}")
        if order.items_shipped != shipped:
            problems.append(f"{where}: items_shipped {order.items_shipped} != sum of quantity_shipped {shipped}")
        if order.status == "CANCELLED":
            if order.items_shipped != 0 or shipments_by_order.get(order.id) or collected:
                problems.append(f"{where}: CANCELLED with {order.items_shipped} units shipped, {collected} picked up")
        else:
            expected = _status(order.items_total, order.items_shipped, len(pickups), collected)
            if order.status != expected:
                problems.append(
                    f"{where}: status {order.status} but {order.items_shipped} of {order.items_total} shipped and "
                    f"{collected} of {len(pickups)} pickups collected (expected {expected})"
                )
        all_shipped = order.items_total > 0 and order.items_shipped == order.items_total
        if (order.date_shipped is not None) != all_shipped:
            problems.append(f"{where}: status {order.status} with dateShipped {order.date_shipped}")

        subtotal = _sum(row.price * row.quantity for row in products_by_order.get(order.id, []))
        shipping = _sum(row.shipping_cost for row in addresses)
        handling = _sum(row.handling_cost for row in addresses)
        if order.subtotal != subtotal:
            problems.append(f"{where}: subtotal {order.subtotal} != sum of products' price x quantity {subtotal}")
        if order.shipping_cost_total != shipping:
            problems.append(f"{where}: shippingCostTotal {order.shipping_cost_total} != addresses' {shipping}")
        if order.handling_cost_total != handling:
            problems.append(f"{where}: handlingCostTotal {order.handling_cost_total} != addresses' {handling}")
        if order.grand_total != order.subtotal + order.shipping_cost_total + order.handling_cost_total:
            problems.append(f"{where}: grandTotal {order.grand_total} != subtotal + shipping + handling")
        checkout = checkouts.get(order.checkout_id)
        if checkout is None:
            problems.append(f"{where}: its checkout {order.checkout_id} is missing")
            continue
        if checkout.order_id != order.id:
            problems.append(f"{where}: checkout {checkout.id} points at order {checkout.order_id}")
        copied = ("subtotal", "shipping_cost_total", "handling_cost_total", "grand_total", "currency_code")
        for column in copied:
            if getattr(order, column) != getattr(checkout, column):
                problems.append(
                    f"{where}: {column} {getattr(order, column)} not copied from checkout ({getattr(checkout, column)})"
                )

    orders = {row.id: row for row in t["orders"]}
    for checkout in t["checkout"]:
        if checkout.order_id is not None and checkout.order_id not in orders:
            problems.append(f"checkout {checkout.id}: points at missing order {checkout.order_id}")
        if (checkout.order_id is None) != (checkout.completed_at is None):
            problems.append(f"checkout {checkout.id}: order_id and completed_at disagree")
    return problems


def _tenancy_violations(t: dict[str, list[Any]]) -> list[str]:
    """Every row lives in the store of the rows it points at."""
    problems: list[str] = []
    stores = {
        name: {row_key(row): row.store_id for row in rows} for name, rows in t.items() if name != "shipping_quote"
    }

    def check(kind: str, row: Any, parent: str, parent_key: Any) -> None:
        if parent_key is None:
            return
        owner = stores[parent].get(parent_key)
        if owner is not None and owner != row.store_id:
            problems.append(
                f"{kind} {row_key(row)} (store {row.store_id}) refers to {parent} {parent_key} (store {owner})"
            )

    for row in t["line_item"]:
        check("line_item", row, "checkout", row.checkout_id)
    for row in t["consignment"]:
        check("consignment", row, "checkout", row.checkout_id)
        check("consignment", row, "pickup_method", row.pickup_method_id)
    for row in t["consignment_line_item"]:
        check("consignment_line_item", row, "consignment", row.consignment_id)
        check("consignment_line_item", row, "line_item", row.line_item_id)
    for row in t["shipping_quote"]:
        check("shipping_quote", row, "consignment", row.consignment_id)
    for row in t["shipping_method"]:
        check("shipping_method", row, "shipping_zone", row.zone_id)
    for row in t["orders"]:
        check("order", row, "checkout", row.checkout_id)
    for row in t["order_shipping_address"]:
        check("order_shipping_address", row, "orders", row.order_id)
    for row in t["order_product"]:
        check("order_product", row, "orders", row.order_id)
        check("order_product", row, "order_shipping_address", row.shipping_address_id)
    for row in t["shipment"]:
        check("shipment", row, "orders", row.order_id)
        check("shipment", row, "order_shipping_address", row.shipping_address_id)
    for row in t["shipment_item"]:
        check("shipment_item", row, "shipment", row.shipment_id)
        check("shipment_item", row, "order_product", row.order_product_id)
    return problems


def row_key(row: Any) -> Any:
    mapping = row._mapping
    if "id" in mapping:
        return mapping["id"]
    return tuple(value for key, value in mapping.items() if key.endswith("_id") and key != "store_id")


async def violations(engine: AsyncEngine) -> list[str]:
    """Every invariant violation in the database, as readable sentences (empty: all invariants hold)."""
    tables = await _load(engine)
    return _checkout_violations(tables) + _order_violations(tables) + _tenancy_violations(tables)


async def assert_invariants(engine: AsyncEngine, context: str = "") -> None:
    found = await violations(engine)
    assert not found, (f"{context}: " if context else "") + "invariants violated:\n  " + "\n  ".join(found)
