"""The floor: what the two read operations cost with no GraphQL and no ORM. Plain asyncpg (a pool without
pre-ping, no transaction) on PostgreSQL, stdlib sqlite3 on SQLite; one query per selection level with the same
SQL shape as the gateway's batched loads (same tables, columns, store filter, `= ANY($n)` keys, ORDER BY);
JSON built with orjson, byte-identical to the gateway's response (scripts/bench checks this at startup).
Served by uvicorn:

    GATEWAY_DATABASE_URL=... uvicorn --app-dir scripts benchlib.floor:create_app --factory
"""

from __future__ import annotations

import base64
import contextlib
import os
import re
import sqlite3
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

#: The data set lives in the `default` store, the first one a migrated database holds.
DEFAULT_STORE = 1


# The gateway's batched loads (its DataLoaders' SELECTs): every column of the table in the table's order (the
# names come from gateway.storage.models at import; SQLAlchemy is not used to run anything), the store filter,
# `= ANY($2)` keys on PostgreSQL (an IN-list on SQLite, as the gateway sends them) and the same ORDER BY.
def _select(table: str) -> str:
    from gateway.storage import models as m

    columns = m.SQLModel.metadata.tables[table].columns
    return "SELECT " + ", ".join(f"{table}.{column.name}" for column in columns) + f" FROM {table} "


CHECKOUT = _select("checkout") + "WHERE checkout.store_id = {store} AND checkout.id {keys}"
LINE_ITEMS = (
    _select("line_item") + "WHERE line_item.store_id = {store} AND line_item.checkout_id {keys} "
    "ORDER BY line_item.checkout_id, line_item.position"
)
CONSIGNMENTS = (
    _select("consignment") + "WHERE consignment.store_id = {store} AND consignment.checkout_id {keys} "
    "ORDER BY consignment.checkout_id, consignment.position"
)
PORTIONS = (
    _select("consignment_line_item")
    + "WHERE consignment_line_item.store_id = {store} AND consignment_line_item.checkout_id {keys} "
    "ORDER BY consignment_line_item.checkout_id, consignment_line_item.consignment_id, "
    "consignment_line_item.position"
)
QUOTES = (
    _select("shipping_quote") + "WHERE shipping_quote.store_id = {store} AND shipping_quote.consignment_id {keys} "
    "ORDER BY shipping_quote.consignment_id, shipping_quote.position"
)
ORDERS = (
    _select("orders") + "WHERE orders.store_id = {store} ORDER BY orders.created_at DESC, orders.id DESC LIMIT {limit}"
)
ADDRESSES = (
    _select("order_shipping_address")
    + "WHERE order_shipping_address.store_id = {store} AND order_shipping_address.order_id {keys} "
    "ORDER BY order_shipping_address.order_id, order_shipping_address.position"
)
PRODUCTS = (
    _select("order_product") + "WHERE order_product.store_id = {store} AND order_product.order_id {keys} "
    "ORDER BY order_product.order_id, order_product.position"
)
SHIPMENTS = (
    _select("shipment") + "WHERE shipment.store_id = {store} AND shipment.order_id {keys} "
    "ORDER BY shipment.order_id, shipment.id"
)
SHIPMENT_ITEMS = (
    _select("shipment_item") + "WHERE shipment_item.store_id = {store} AND shipment_item.shipment_id {keys} "
    "ORDER BY shipment_item.shipment_id, shipment_item.position"
)

Fetch = Callable[[str, Sequence[Any]], Awaitable[list[Any]]]


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _address(value: Any, fields: tuple[str, ...]) -> dict[str, Any] | None:
    if value is None:
        return None
    doc = orjson.loads(value) if isinstance(value, str | bytes) else value
    return {field: doc.get(_snake(field)) for field in fields}


def _decimal(value: Any) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(value)


def _money(value: Any) -> str:
    return f"{_decimal(value):.2f}"


def _usd(value: Any, code: str) -> dict[str, str]:
    return {"value": _money(value), "currencyCode": code}


def _time(value: Any) -> str:
    if isinstance(value, str):  # SQLite: naive UTC text
        value = datetime.fromisoformat(value)
    return (value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)).isoformat()


BILLING = ("firstName", "lastName", "email", "countryCode")
SHIPPING = ("firstName", "lastName", "address1", "city", "stateOrProvinceCode", "postalCode", "countryCode", "email")
ORDER_ADDRESS = ("firstName", "lastName", "city", "postalCode", "countryCode")


async def checkout_page(fetch: Fetch, keys: Callable[[int], str], checkout_id: str) -> bytes:
    def sql(template: str, n: int) -> str:
        return template.format(store=keys(-1), keys=keys(n))

    rows = await fetch(sql(CHECKOUT, 1), [DEFAULT_STORE, [checkout_id]])
    if not rows:
        return orjson.dumps({"data": {"checkout": None}})
    row = rows[0]
    lines = await fetch(sql(LINE_ITEMS, 1), [DEFAULT_STORE, [checkout_id]])
    consignments = await fetch(sql(CONSIGNMENTS, 1), [DEFAULT_STORE, [checkout_id]])
    portions = await fetch(sql(PORTIONS, 1), [DEFAULT_STORE, [checkout_id]])
    ids = [c["id"] for c in consignments]
    quotes = await fetch(sql(QUOTES, len(ids)), [DEFAULT_STORE, ids]) if ids else []
    assigned: dict[str, int] = defaultdict(int)
    by_consignment: dict[str, list[Any]] = defaultdict(list)
    for portion in portions:
        assigned[portion["line_item_id"]] += portion["quantity"]
        by_consignment[portion["consignment_id"]].append(portion)
    options: dict[str, list[Any]] = defaultdict(list)
    for quote in quotes:
        options[quote["consignment_id"]].append(quote)
    sku = {line["id"]: line["sku"] for line in lines}
    payload = {
        "data": {
            "checkout": {
                "id": row["id"],
                "email": row["email"],
                "currencyCode": row["currency_code"],
                "version": row["version"],
                "billingAddress": _address(row["billing_address"], BILLING),
                "lineItems": [
                    {
                        "id": line["id"],
                        "sku": line["sku"],
                        "name": line["name"],
                        "quantity": line["quantity"],
                        "requiresShipping": bool(line["requires_shipping"]),
                        "unassignedQuantity": line["quantity"] - assigned[line["id"]],
                        "listPrice": _usd(line["list_price"], line["currency_code"]),
                        "extendedListPrice": _usd(line["extended_list_price"], line["currency_code"]),
                    }
                    for line in lines
                ],
                "consignments": [
                    {
                        "id": c["id"],
                        "address": _address(c["address"], SHIPPING),
                        "lineItems": [
                            {
                                "quantity": p["quantity"],
                                "lineItem": {"id": p["line_item_id"], "sku": sku.get(p["line_item_id"])},
                            }
                            for p in by_consignment[c["id"]]
                        ],
                        "availableShippingOptions": [
                            {
                                "id": q["id"],
                                "description": q["description"],
                                "type": q["type"],
                                "cost": _usd(q["cost"], q["currency_code"]),
                                "handlingCost": {"value": _money(q["handling_cost"])},
                                "transitTime": q["transit_time"],
                            }
                            for q in options[c["id"]]
                        ],
                        "selectedShippingOption": next(
                            (
                                {
                                    "id": q["id"],
                                    "description": q["description"],
                                    "cost": _usd(q["cost"], q["currency_code"]),
                                }
                                for q in options[c["id"]]
                                if q["id"] == c["selected_shipping_option_id"]
                            ),
                            None,
                        ),
                        "shippingCost": _usd(c["shipping_cost"], c["currency_code"]),
                        "handlingCost": _usd(c["handling_cost"], c["currency_code"]),
                    }
                    for c in consignments
                ],
                "subtotal": _usd(row["subtotal"], row["currency_code"]),
                "shippingCostTotal": _usd(row["shipping_cost_total"], row["currency_code"]),
                "handlingCostTotal": _usd(row["handling_cost_total"], row["currency_code"]),
                "grandTotal": _usd(row["grand_total"], row["currency_code"]),
            }
        }
    }
    return orjson.dumps(payload)


def _group(rows: Sequence[Any], key: str) -> dict[Any, list[Any]]:
    out: dict[Any, list[Any]] = defaultdict(list)
    for row in rows:
        out[row[key]].append(row)
    return out


async def order_history(fetch: Fetch, keys: Callable[[int], str], first: int) -> bytes:
    def sql(template: str, n: int) -> str:
        return template.format(store=keys(-1), keys=keys(n), limit=keys(-2))

    rows = await fetch(sql(ORDERS, 0), [DEFAULT_STORE, first + 1])
    page = rows[:first]
    ids = [r["id"] for r in page]
    addresses = await fetch(sql(ADDRESSES, len(ids)), [DEFAULT_STORE, ids]) if ids else []
    products = await fetch(sql(PRODUCTS, len(ids)), [DEFAULT_STORE, ids]) if ids else []
    shipments = await fetch(sql(SHIPMENTS, len(ids)), [DEFAULT_STORE, ids]) if ids else []
    shipment_ids = [s["id"] for s in shipments]
    items = await fetch(sql(SHIPMENT_ITEMS, len(shipment_ids)), [DEFAULT_STORE, shipment_ids]) if shipment_ids else []
    a, p, s, i = (
        _group(addresses, "order_id"),
        _group(products, "order_id"),
        _group(shipments, "order_id"),
        _group(items, "shipment_id"),
    )
    sku = {row["id"]: row["sku"] for row in products}
    nodes = [
        {
            "id": str(r["id"]),
            "status": r["status"],
            "email": r["email"],
            "createdAt": _time(r["created_at"]),
            "itemsTotal": r["items_total"],
            "itemsShipped": r["items_shipped"],
            "grandTotal": _usd(r["grand_total"], r["currency_code"]),
            "shippingAddresses": [
                {
                    "id": str(x["id"]),
                    "shippingMethod": x["shipping_method"],
                    "itemsTotal": x["items_total"],
                    "itemsShipped": x["items_shipped"],
                    "address": _address(x["address"], ORDER_ADDRESS),
                    "shippingCost": {"value": _money(x["shipping_cost"])},
                }
                for x in a[r["id"]]
            ],
            "products": [
                {
                    "id": str(x["id"]),
                    "sku": x["sku"],
                    "name": x["name"],
                    "quantity": x["quantity"],
                    "quantityShipped": x["quantity_shipped"],
                    "price": {"value": _money(x["price"])},
                }
                for x in p[r["id"]]
            ],
            "shipments": [
                {
                    "id": str(x["id"]),
                    "trackingNumber": x["tracking_number"],
                    "trackingLink": x["tracking_link"],
                    "shippingProvider": x["shipping_provider"],
                    "createdAt": _time(x["created_at"]),
                    "items": [
                        {
                            "quantity": y["quantity"],
                            "orderProduct": {"id": str(y["order_product_id"]), "sku": sku.get(y["order_product_id"])},
                        }
                        for y in i[x["id"]]
                    ],
                }
                for x in s[r["id"]]
            ],
        }
        for r in page
    ]
    end = None
    if page:
        last = page[-1]
        key = f"order:{_time(last['created_at'])}|{last['id']}"
        end = base64.urlsafe_b64encode(key.encode()).decode()
    payload = {"data": {"orders": {"pageInfo": {"hasNextPage": len(rows) > first, "endCursor": end}, "nodes": nodes}}}
    return orjson.dumps(payload)


Connector = tuple[Callable[[], Awaitable[Callable[[], Any]]], Callable[[int], str], Callable[[], Awaitable[None]]]


def _connector(url: str) -> Connector:
    """(open, placeholder(n), close) for the database in `url`."""
    if url.startswith("sqlite"):
        path = url.split(":///", 1)[1].split("?", 1)[0]
        conn = sqlite3.connect(path, check_same_thread=False)
        conn.row_factory = sqlite3.Row

        async def fetch_sqlite(sql: str, params: Sequence[Any]) -> list[Any]:
            flat: list[Any] = []
            for value in params:
                flat += value if isinstance(value, list) else [value]
            return conn.execute(sql, flat).fetchall()

        def sqlite_keys(n: int) -> str:
            return "?" if n < 0 else ("IN (" + ", ".join("?" * n) + ")")

        @contextlib.asynccontextmanager
        async def connect_sqlite() -> AsyncIterator[Fetch]:
            yield fetch_sqlite

        async def open_sqlite() -> Callable[[], Any]:
            return connect_sqlite

        async def close_sqlite() -> None:
            conn.close()

        return open_sqlite, sqlite_keys, close_sqlite

    import asyncpg

    dsn = re.sub(r"^postgresql\+\w+://", "postgresql://", url)
    pool: list[Any] = []

    class Connection(asyncpg.Connection):  # type: ignore[misc]
        def get_reset_query(self) -> str:
            return ""  # the floor leaves no session state behind: no reset statements on release

    async def open_pg() -> Callable[[], Any]:
        size = int(os.environ.get("GATEWAY_DB_POOL_SIZE", "20"))
        pool.append(await asyncpg.create_pool(dsn, min_size=1, max_size=size, connection_class=Connection))

        @contextlib.asynccontextmanager
        async def connect() -> AsyncIterator[Fetch]:
            async with pool[0].acquire() as conn:  # one connection per request, no pre-ping, no transaction

                async def fetch_pg(sql: str, params: Sequence[Any]) -> list[Any]:
                    return await conn.fetch(sql, *params)

                yield fetch_pg

        return connect

    def pg_keys(n: int) -> str:
        return {-1: "$1::INTEGER", -2: "$2::INTEGER"}.get(n, "= ANY ($2::VARCHAR[])" if n >= 0 else "")

    async def close_pg() -> None:
        if pool:
            await pool[0].close()

    return open_pg, pg_keys, close_pg


def create_app() -> Starlette:
    open_db, keys, close_db = _connector(os.environ["GATEWAY_DATABASE_URL"])
    state: dict[str, Callable[[], Any]] = {}
    pg = not os.environ["GATEWAY_DATABASE_URL"].startswith("sqlite")

    def int_keys(n: int) -> str:  # bigint ids on the order tables, as the gateway binds them
        return "= ANY ($2::BIGINT[])" if pg and n >= 0 else keys(n)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        state["connect"] = await open_db()
        try:
            yield
        finally:
            await close_db()

    async def checkout(request: Request) -> Response:
        body = orjson.loads(await request.body())
        async with state["connect"]() as fetch:
            payload = await checkout_page(fetch, keys, body["variables"]["id"])
        return Response(payload, media_type="application/json")

    async def orders(request: Request) -> Response:
        body = orjson.loads(await request.body())
        first = int(body["variables"]["first"])
        async with state["connect"]() as fetch:
            payload = await order_history(fetch, int_keys, first)
        return Response(payload, media_type="application/json")

    async def health(request: Request) -> Response:
        return Response(b"ok")

    return Starlette(
        routes=[
            Route("/checkout_page", checkout, methods=["POST"]),
            Route("/order_history", orders, methods=["POST"]),
            Route("/health", health),
        ],
        lifespan=lifespan,
    )
