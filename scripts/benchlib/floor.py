"""The floor: the same rows the GraphQL operations read, fetched with SQLAlchemy Core (one query per
level, like the gateway's DataLoaders) and serialised with orjson. No GraphQL. Served by uvicorn:

    uvicorn --app-dir scripts benchlib.floor:create_app --factory
"""

from __future__ import annotations

import os
from collections import defaultdict
from decimal import Decimal
from typing import Any

import orjson
import sqlalchemy as sa
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from gateway.storage import models as m
from gateway.storage.db import create_engine


def _money(value: Decimal) -> dict[str, str]:
    return {"value": f"{value:.2f}", "currencyCode": "USD"}


#: The data set lives in the `default` store, the first one a migrated database holds.
DEFAULT_STORE = 1


def create_app() -> Starlette:
    engine = create_engine(os.environ["GATEWAY_DATABASE_URL"])

    async def checkout(request: Request) -> Response:
        body = orjson.loads(await request.body())
        checkout_id = body["variables"]["id"]
        async with engine.connect() as conn:
            row = (await conn.execute(sa.select(m.checkout).where(m.checkout.c.id == checkout_id))).first()
            lines = (
                await conn.execute(
                    sa.select(m.line_item)
                    .where(m.line_item.c.checkout_id == checkout_id)
                    .order_by(m.line_item.c.position)
                )
            ).all()
            consignments = (
                await conn.execute(
                    sa.select(m.consignment)
                    .where(m.consignment.c.checkout_id == checkout_id)
                    .order_by(m.consignment.c.position)
                )
            ).all()
            ids = [c.id for c in consignments]
            portions = (
                await conn.execute(
                    sa.select(m.consignment_line_item).where(m.consignment_line_item.c.consignment_id.in_(ids))
                )
            ).all()
            quotes = (
                await conn.execute(
                    sa.select(m.shipping_quote)
                    .where(m.shipping_quote.c.consignment_id.in_(ids))
                    .order_by(m.shipping_quote.c.position)
                )
            ).all()
        assigned: dict[str, int] = defaultdict(int)
        by_consignment: dict[str, list[Any]] = defaultdict(list)
        for portion in portions:
            assigned[portion.line_item_id] += portion.quantity
            by_consignment[portion.consignment_id].append(portion)
        options: dict[str, list[Any]] = defaultdict(list)
        for quote in quotes:
            options[quote.consignment_id].append(quote)
        line_by_id = {line.id: line for line in lines}
        payload = {
            "data": {
                "checkout": {
                    "id": row.id,
                    "email": row.email,
                    "currencyCode": row.currency_code,
                    "version": row.version,
                    "billingAddress": row.billing_address,
                    "lineItems": [
                        {
                            "id": line.id,
                            "sku": line.sku,
                            "name": line.name,
                            "quantity": line.quantity,
                            "requiresShipping": line.requires_shipping,
                            "unassignedQuantity": line.quantity - assigned[line.id],
                            "listPrice": _money(line.list_price),
                            "extendedListPrice": _money(line.extended_list_price),
                        }
                        for line in lines
                    ],
                    "consignments": [
                        {
                            "id": c.id,
                            "address": c.address,
                            "lineItems": [
                                {
                                    "quantity": p.quantity,
                                    "lineItem": {"id": p.line_item_id, "sku": line_by_id[p.line_item_id].sku},
                                }
                                for p in by_consignment[c.id]
                            ],
                            "availableShippingOptions": [
                                {
                                    "id": q.id,
                                    "description": q.description,
                                    "type": q.type,
                                    "cost": _money(q.cost),
                                    "handlingCost": _money(q.handling_cost),
                                    "transitTime": q.transit_time,
                                }
                                for q in options[c.id]
                            ],
                            "selectedShippingOption": next(
                                (
                                    {"id": q.id, "description": q.description, "cost": _money(q.cost)}
                                    for q in options[c.id]
                                    if q.id == c.selected_shipping_option_id
                                ),
                                None,
                            ),
                            "shippingCost": _money(c.shipping_cost),
                            "handlingCost": _money(c.handling_cost),
                        }
                        for c in consignments
                    ],
                    "subtotal": _money(row.subtotal),
                    "shippingCostTotal": _money(row.shipping_cost_total),
                    "handlingCostTotal": _money(row.handling_cost_total),
                    "grandTotal": _money(row.grand_total),
                }
            }
        }
        return Response(orjson.dumps(payload), media_type="application/json")

    async def orders(request: Request) -> Response:
        body = orjson.loads(await request.body())
        first = int(body["variables"]["first"])
        async with engine.connect() as conn:
            rows = (
                await conn.execute(
                    sa.select(m.orders)
                    .where(m.orders.c.store_id == DEFAULT_STORE)  # like the gateway: the store's index
                    .order_by(m.orders.c.created_at.desc(), m.orders.c.id.desc())
                    .limit(first + 1)
                )
            ).all()
            ids = [r.id for r in rows[:first]]
            addresses = (
                await conn.execute(
                    sa.select(m.order_shipping_address)
                    .where(m.order_shipping_address.c.order_id.in_(ids))
                    .order_by(m.order_shipping_address.c.position)
                )
            ).all()
            products = (
                await conn.execute(
                    sa.select(m.order_product)
                    .where(m.order_product.c.order_id.in_(ids))
                    .order_by(m.order_product.c.position)
                )
            ).all()
            shipments = (
                await conn.execute(
                    sa.select(m.shipment).where(m.shipment.c.order_id.in_(ids)).order_by(m.shipment.c.id)
                )
            ).all()
            items = (
                await conn.execute(
                    sa.select(m.shipment_item).where(m.shipment_item.c.shipment_id.in_([s.id for s in shipments]))
                )
            ).all()
        group = lambda rows, key: _group(rows, key)  # noqa: E731
        a, p, s, i = (
            group(addresses, "order_id"),
            group(products, "order_id"),
            group(shipments, "order_id"),
            group(items, "shipment_id"),
        )
        sku = {row.id: row.sku for row in products}
        nodes = [
            {
                "id": str(r.id),
                "status": r.status,
                "email": r.email,
                "createdAt": r.created_at.isoformat(),
                "itemsTotal": r.items_total,
                "itemsShipped": r.items_shipped,
                "grandTotal": _money(r.grand_total),
                "shippingAddresses": [
                    {
                        "id": str(x.id),
                        "shippingMethod": x.shipping_method,
                        "itemsTotal": x.items_total,
                        "itemsShipped": x.items_shipped,
                        "address": x.address,
                        "shippingCost": {"value": f"{x.shipping_cost:.2f}"},
                    }
                    for x in a[r.id]
                ],
                "products": [
                    {
                        "id": str(x.id),
                        "sku": x.sku,
                        "name": x.name,
                        "quantity": x.quantity,
                        "quantityShipped": x.quantity_shipped,
                        "price": {"value": f"{x.price:.2f}"},
                    }
                    for x in p[r.id]
                ],
                "shipments": [
                    {
                        "id": str(x.id),
                        "trackingNumber": x.tracking_number,
                        "trackingLink": x.tracking_link,
                        "shippingProvider": x.shipping_provider,
                        "createdAt": x.created_at.isoformat(),
                        "items": [
                            {
                                "quantity": y.quantity,
                                "orderProduct": {"id": str(y.order_product_id), "sku": sku.get(y.order_product_id)},
                            }
                            for y in i[x.id]
                        ],
                    }
                    for x in s[r.id]
                ],
            }
            for r in rows[:first]
        ]
        payload = {
            "data": {"orders": {"pageInfo": {"hasNextPage": len(rows) > first, "endCursor": None}, "nodes": nodes}}
        }
        return Response(orjson.dumps(payload), media_type="application/json")

    return Starlette(
        routes=[Route("/checkout_page", checkout, methods=["POST"]), Route("/order_history", orders, methods=["POST"])]
    )


def _group(rows: Any, key: str) -> dict[Any, list[Any]]:
    out: dict[Any, list[Any]] = defaultdict(list)
    for row in rows:
        out[getattr(row, key)].append(row)
    return out
