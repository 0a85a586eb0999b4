"""A deterministic benchmark data set, bulk-inserted with SQLAlchemy Core (no domain calls: speed)."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.domain.tokens import TokenKind, create_token
from gateway.storage import models as m
from gateway.storage.db import write_transaction

D = Decimal
SKUS = [
    (f"SKU-{i:03d}", f"Product {i}", D(f"{5 + (i * 7) % 95}.{(i * 13) % 100:02d}"), D(f"0.{10 + i % 80}"), i % 10 != 9)
    for i in range(60)
]
ADDRESSES = [
    {
        "first_name": "Ada",
        "last_name": "L",
        "email": "ada@example.com",
        "address1": "1 Main St",
        "city": "New York",
        "state_or_province": "NY",
        "state_or_province_code": "NY",
        "postal_code": "10013",
        "country_code": "US",
        "custom_fields": [],
    },
    {
        "first_name": "Alan",
        "last_name": "T",
        "email": "alan@example.com",
        "address1": "9 King St",
        "city": "Toronto",
        "state_or_province": "ON",
        "state_or_province_code": "ON",
        "postal_code": "M5V 2T6",
        "country_code": "CA",
        "custom_fields": [],
    },
    {
        "first_name": "Edsger",
        "last_name": "D",
        "email": "e@example.com",
        "address1": "Keizersgracht 1",
        "city": "Amsterdam",
        "postal_code": "1015 CJ",
        "country_code": "NL",
        "custom_fields": [],
    },
]


def _uid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


async def _insert(conn: Any, table: sa.Table, rows: list[dict[str, Any]], chunk: int = 2000) -> None:
    for start in range(0, len(rows), chunk):
        await conn.execute(sa.insert(table), rows[start : start + chunk])


async def seed(engine: AsyncEngine, *, orders: int, checkouts: int) -> dict[str, Any]:
    """Insert the data set into the `default` store; returns ids the load generator needs and tokens."""
    rng = random.Random(42)
    base = datetime(2026, 1, 1, tzinfo=UTC)
    async with write_transaction(engine) as conn:
        store_id = (await conn.execute(sa.select(m.store.c.id).where(m.store.c.slug == "default"))).scalar_one()
        await _insert(
            conn,
            m.product,
            [
                {
                    "store_id": store_id,
                    "sku": sku,
                    "name": name,
                    "price": price,
                    "weight": weight,
                    "requires_shipping": physical,
                    "created_at": base,
                }
                for sku, name, price, weight, physical in SKUS
            ],
        )
        products = {row.sku: row for row in (await conn.execute(sa.select(m.product))).all()}
        zone_id = (
            await conn.execute(
                sa.insert(m.shipping_zone)
                .values(
                    store_id=store_id,
                    name="Everywhere",
                    type="GLOBAL",
                    locations=[],
                    enabled=True,
                    free_shipping_enabled=False,
                    handling_fee_display_separately=False,
                    created_at=base,
                    updated_at=base,
                )
                .returning(m.shipping_zone.c.id)
            )
        ).scalar_one()
        await _insert(
            conn,
            m.shipping_method,
            [
                {
                    "store_id": store_id,
                    "zone_id": zone_id,
                    "name": "Flat",
                    "type": "PER_ORDER",
                    "enabled": True,
                    "settings": {"rate": "5.00"},
                    "created_at": base,
                    "updated_at": base,
                },
                {
                    "store_id": store_id,
                    "zone_id": zone_id,
                    "name": "Per item",
                    "type": "PER_ITEM",
                    "enabled": True,
                    "settings": {"rate": "1.50"},
                    "created_at": base,
                    "updated_at": base,
                },
            ],
        )
        version = (
            await conn.execute(sa.select(m.store.c.shipping_config_version).where(m.store.c.id == store_id))
        ).scalar_one()

        checkout_rows, line_rows, consignment_rows, portion_rows, quote_rows = [], [], [], [], []
        checkout_ids = []
        for index in range(checkouts):
            checkout_id = _uid(rng)
            checkout_ids.append(checkout_id)
            created = base + timedelta(minutes=index)
            lines = []
            for position, sku in enumerate(rng.sample([s[0] for s in SKUS if s[4]], rng.randint(2, 8))):
                product = products[sku]
                quantity = rng.randint(1, 4)
                lines.append(
                    {
                        "id": _uid(rng),
                        "store_id": store_id,
                        "checkout_id": checkout_id,
                        "product_id": product.id,
                        "position": position,
                        "sku": sku,
                        "name": product.name,
                        "quantity": quantity,
                        "requires_shipping": True,
                        "currency_code": "USD",
                        "list_price": product.price,
                        "extended_list_price": product.price * quantity,
                        "weight": product.weight,
                    }
                )
            line_rows += lines
            subtotal = sum((line["extended_list_price"] for line in lines), D(0))
            shipping_total = D(0)
            count = rng.randint(1, 3)
            for position in range(count):
                consignment_id = _uid(rng)
                mine = lines[position::count]
                units = sum(line["quantity"] for line in mine)
                options = [
                    ("method:1", "Flat", "shipping_flatrate", D("5.00")),
                    ("method:2", "Per item", "shipping_peritem", D("1.50") * units),
                ]
                fingerprint = f"{rng.getrandbits(128):032x}{rng.getrandbits(128):032x}"
                selected = None
                for q_position, (key, name, kind, cost) in enumerate(options):
                    quote_id = f"{rng.getrandbits(128):032x}"
                    selected = selected or (quote_id, key, cost)
                    quote_rows.append(
                        {
                            "consignment_id": consignment_id,
                            "id": quote_id,
                            "store_id": store_id,
                            "checkout_id": checkout_id,
                            "position": q_position,
                            "option_key": key,
                            "method_id": int(key.split(":")[1]),
                            "type": kind,
                            "description": name,
                            "currency_code": "USD",
                            "cost": cost,
                            "handling_cost": D(0),
                            "fingerprint": fingerprint,
                            "config_version": version,
                            "created_at": created,
                        }
                    )
                shipping_total += selected[2]
                consignment_rows.append(
                    {
                        "id": consignment_id,
                        "store_id": store_id,
                        "checkout_id": checkout_id,
                        "position": position,
                        "address": ADDRESSES[position % 3],
                        "currency_code": "USD",
                        "selected_shipping_option_id": selected[0],
                        "selected_option_key": selected[1],
                        "shipping_cost": selected[2],
                        "handling_cost": D(0),
                        "quote_fingerprint": fingerprint,
                        "quote_config_version": version,
                        "shipping_zone_id": zone_id,
                        "shipping_zone_name": "Everywhere",
                        "quote_warnings": [],
                        "created_at": created,
                    }
                )
                portion_rows += [
                    {
                        "consignment_id": consignment_id,
                        "line_item_id": line["id"],
                        "store_id": store_id,
                        "checkout_id": checkout_id,
                        "position": p,
                        "quantity": line["quantity"],
                    }
                    for p, line in enumerate(mine)
                ]
            checkout_rows.append(
                {
                    "id": checkout_id,
                    "store_id": store_id,
                    "email": "shopper@example.com",
                    "currency_code": "USD",
                    "billing_address": ADDRESSES[0],
                    "subtotal": subtotal,
                    "shipping_cost_total": shipping_total,
                    "handling_cost_total": D(0),
                    "grand_total": subtotal + shipping_total,
                    "version": 1,
                    "created_at": created,
                    "updated_at": created,
                }
            )
        await _insert(conn, m.checkout, checkout_rows)
        await _insert(conn, m.line_item, line_rows)
        await _insert(conn, m.consignment, consignment_rows)
        await _insert(conn, m.consignment_line_item, portion_rows)
        await _insert(conn, m.shipping_quote, quote_rows)

        # Orders: ids are assigned in insertion order, so the generator can compute them.
        order_rows, address_rows, product_rows, shipment_rows, shipment_item_rows = [], [], [], [], []
        address_id = product_id = shipment_id = 0
        unshipped: list[tuple[int, int, int]] = []
        for index in range(orders):
            order_id = index + 1
            created = base + timedelta(minutes=index)
            addresses = []
            items_total = items_shipped = 0
            subtotal = D(0)
            for position in range(rng.randint(1, 3)):
                address_id += 1
                addresses.append(address_id)
                address_rows.append(
                    {
                        "id": address_id,
                        "store_id": store_id,
                        "order_id": order_id,
                        "position": position,
                        "address": ADDRESSES[position % 3],
                        "shipping_method": "Flat",
                        "currency_code": "USD",
                        "shipping_cost": D("5.00"),
                        "handling_cost": D(0),
                        "shipping_zone_name": "Everywhere",
                        "items_total": 0,
                        "items_shipped": 0,
                    }
                )
            products_here = []
            for position, sku in enumerate(rng.sample([s[0] for s in SKUS if s[4]], rng.randint(2, 6))):
                product_id += 1
                product = products[sku]
                quantity = rng.randint(1, 3)
                target = addresses[position % len(addresses)]
                products_here.append((product_id, target, quantity))
                items_total += quantity
                subtotal += product.price * quantity
                address_rows[target - 1]["items_total"] += quantity
                product_rows.append(
                    {
                        "id": product_id,
                        "store_id": store_id,
                        "order_id": order_id,
                        "shipping_address_id": target,
                        "position": position,
                        "product_id": product.id,
                        "sku": sku,
                        "name": product.name,
                        "quantity": quantity,
                        "quantity_shipped": 0,
                        "currency_code": "USD",
                        "price": product.price,
                        "weight": product.weight,
                        "requires_shipping": True,
                    }
                )
            for _ in range(rng.randint(0, 2)):
                candidates = [p for p in products_here if product_rows[p[0] - 1]["quantity_shipped"] < p[2]]
                if not candidates:
                    break
                shipment_id += 1
                pid, target, quantity = candidates[0]
                shipment_rows.append(
                    {
                        "id": shipment_id,
                        "store_id": store_id,
                        "order_id": order_id,
                        "shipping_address_id": target,
                        "tracking_number": f"1Z{shipment_id:010d}",
                        "shipping_provider": "UPS",
                        "tracking_link": f"https://www.ups.com/track?tracknum=1Z{shipment_id:010d}",
                        "tracking_link_generated": True,
                        "created_at": created,
                        "updated_at": created,
                    }
                )
                shipment_item_rows.append(
                    {
                        "shipment_id": shipment_id,
                        "order_product_id": pid,
                        "store_id": store_id,
                        "order_id": order_id,
                        "position": 0,
                        "quantity": 1,
                    }
                )
                product_rows[pid - 1]["quantity_shipped"] += 1
                address_rows[target - 1]["items_shipped"] += 1
                items_shipped += 1
            for pid, target, quantity in products_here:
                left = quantity - product_rows[pid - 1]["quantity_shipped"]
                unshipped += [(order_id, target, pid)] * left
            status = (
                "AWAITING_FULFILLMENT"
                if items_shipped == 0
                else ("SHIPPED" if items_shipped == items_total else "PARTIALLY_SHIPPED")
            )
            order_rows.append(
                {
                    "id": order_id,
                    "store_id": store_id,
                    "checkout_id": None,
                    "status": status,
                    "email": "shopper@example.com",
                    "currency_code": "USD",
                    "billing_address": ADDRESSES[0],
                    "subtotal": subtotal,
                    "shipping_cost_total": D("5.00") * len(addresses),
                    "handling_cost_total": D(0),
                    "grand_total": subtotal + D("5.00") * len(addresses),
                    "items_total": items_total,
                    "items_shipped": items_shipped,
                    "date_shipped": created if status == "SHIPPED" else None,
                    "created_at": created,
                    "updated_at": created,
                }
            )
        # Orders need a checkout each (orders.checkout_id is unique and required): give each a bare one.
        order_checkouts = []
        for row in order_rows:
            checkout_id = _uid(rng)
            row["checkout_id"] = checkout_id
            order_checkouts.append(
                {
                    "id": checkout_id,
                    "store_id": store_id,
                    "email": "shopper@example.com",
                    "currency_code": "USD",
                    "billing_address": ADDRESSES[0],
                    "subtotal": row["subtotal"],
                    "shipping_cost_total": row["shipping_cost_total"],
                    "handling_cost_total": D(0),
                    "grand_total": row["grand_total"],
                    "version": 2,
                    "order_id": row["id"],
                    "completed_at": row["created_at"],
                    "created_at": row["created_at"],
                    "updated_at": row["created_at"],
                }
            )
        await _insert(conn, m.checkout, order_checkouts)
        await _insert(conn, m.orders, order_rows)
        await _insert(conn, m.order_shipping_address, address_rows)
        await _insert(conn, m.order_product, product_rows)
        await _insert(conn, m.shipment, shipment_rows)
        await _insert(conn, m.shipment_item, shipment_item_rows)
        if conn.dialect.name == "postgresql":
            for table in ("orders", "order_shipping_address", "order_product", "shipment"):
                await conn.execute(
                    sa.text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))")
                )
        storefront = await create_token(conn, "default", TokenKind.STOREFRONT, label="bench")
        server = await create_token(conn, "default", TokenKind.SERVER, label="bench")
    rng.shuffle(unshipped)
    return {
        "checkout_ids": checkout_ids,
        "unshipped": unshipped,
        "storefront_token": storefront,
        "server_token": server,
        "counts": {
            "orders": len(order_rows),
            "order_products": len(product_rows),
            "shipments": len(shipment_rows),
            "checkouts": len(checkout_rows),
            "consignments": len(consignment_rows),
            "line_items": len(line_rows),
        },
    }
