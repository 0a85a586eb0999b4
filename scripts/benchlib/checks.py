"""Startup checks of scripts/bench, before anything is measured: the servers must answer the same thing.

- the floor's response is byte-identical to the gateway's (same ids, same request body);
- PostGraphile's response, turned into the gateway's shape (its money strings formatted like the gateway's,
  addresses cut to the fields the gateway's document selects, `unassignedQuantity` and
  `selectedShippingOption` derived from the rows it read), has the same values as the gateway's.

Any difference stops the bench (SystemExit) and names the first differing path."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import httpx
import orjson

from benchlib import floor, operations, postgraphile_ops

SAMPLES = 8  # checkout ids compared (the first ones the load generator sends)


def _first_difference(a: Any, b: Any, path: str = "$") -> str | None:
    if isinstance(a, dict) and isinstance(b, dict):
        for key in list(a) + [k for k in b if k not in a]:
            if key not in a or key not in b:
                mine, theirs = a.get(key, "(missing)"), b.get(key, "(missing)")
                return f"{path}.{key}: {mine!r} != {theirs!r}"
            found = _first_difference(a[key], b[key], f"{path}.{key}")
            if found:
                return found
        return None
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return f"{path}: {len(a)} items != {len(b)} items"
        for index, (x, y) in enumerate(zip(a, b, strict=True)):
            found = _first_difference(x, y, f"{path}[{index}]")
            if found:
                return found
        return None
    return None if a == b else f"{path}: {a!r} != {b!r}"


def _money(value: str, code: str | None = None) -> dict[str, str]:
    out = {"value": f"{Decimal(value):.2f}"}
    if code is not None:
        out["currencyCode"] = code
    return out


def _time(value: str) -> str:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).isoformat()


def postgraphile_checkout(data: dict[str, Any]) -> dict[str, Any]:
    nodes = data["allCheckouts"]["nodes"]
    if not nodes:
        return {"checkout": None}
    c = nodes[0]
    code = c["currencyCode"]
    consignments = c["consignmentsByCheckoutId"]["nodes"]
    assigned: dict[str, int] = {}
    for consignment in consignments:
        for portion in consignment["consignmentLineItemsByConsignmentId"]["nodes"]:
            key = portion["lineItemByLineItemId"]["rowId"]
            assigned[key] = assigned.get(key, 0) + portion["quantity"]

    def option(quote: dict[str, Any], full: bool) -> dict[str, Any]:
        if not full:
            return {
                "id": quote["rowId"],
                "description": quote["description"],
                "cost": _money(quote["cost"], quote["currencyCode"]),
            }
        return {
            "id": quote["rowId"],
            "description": quote["description"],
            "type": quote["type"],
            "cost": _money(quote["cost"], quote["currencyCode"]),
            "handlingCost": _money(quote["handlingCost"]),
            "transitTime": quote["transitTime"],
        }

    return {
        "checkout": {
            "id": c["rowId"],
            "email": c["email"],
            "currencyCode": code,
            "version": c["version"],
            "billingAddress": floor._address(c["billingAddress"], floor.BILLING),
            "lineItems": [
                {
                    "id": line["rowId"],
                    "sku": line["sku"],
                    "name": line["name"],
                    "quantity": line["quantity"],
                    "requiresShipping": line["requiresShipping"],
                    "unassignedQuantity": line["quantity"] - assigned.get(line["rowId"], 0),
                    "listPrice": _money(line["listPrice"], line["currencyCode"]),
                    "extendedListPrice": _money(line["extendedListPrice"], line["currencyCode"]),
                }
                for line in c["lineItemsByCheckoutId"]["nodes"]
            ],
            "consignments": [
                {
                    "id": k["rowId"],
                    "address": floor._address(k["address"], floor.SHIPPING),
                    "lineItems": [
                        {
                            "quantity": p["quantity"],
                            "lineItem": {
                                "id": p["lineItemByLineItemId"]["rowId"],
                                "sku": p["lineItemByLineItemId"]["sku"],
                            },
                        }
                        for p in k["consignmentLineItemsByConsignmentId"]["nodes"]
                    ],
                    "availableShippingOptions": [option(q, True) for q in k["shippingQuotesByConsignmentId"]["nodes"]],
                    "selectedShippingOption": next(
                        (
                            option(q, False)
                            for q in k["shippingQuotesByConsignmentId"]["nodes"]
                            if q["rowId"] == k["selectedShippingOptionId"]
                        ),
                        None,
                    ),
                    "shippingCost": _money(k["shippingCost"], k["currencyCode"]),
                    "handlingCost": _money(k["handlingCost"], k["currencyCode"]),
                }
                for k in consignments
            ],
            "subtotal": _money(c["subtotal"], code),
            "shippingCostTotal": _money(c["shippingCostTotal"], code),
            "handlingCostTotal": _money(c["handlingCostTotal"], code),
            "grandTotal": _money(c["grandTotal"], code),
        }
    }


def postgraphile_orders(data: dict[str, Any]) -> dict[str, Any]:
    orders = data["allOrders"]
    return {
        "orders": {
            "pageInfo": {"hasNextPage": orders["pageInfo"]["hasNextPage"]},  # cursors differ by design
            "nodes": [
                {
                    "id": str(o["rowId"]),
                    "status": o["status"],
                    "email": o["email"],
                    "createdAt": _time(o["createdAt"]),
                    "itemsTotal": o["itemsTotal"],
                    "itemsShipped": o["itemsShipped"],
                    "grandTotal": _money(o["grandTotal"], o["currencyCode"]),
                    "shippingAddresses": [
                        {
                            "id": str(x["rowId"]),
                            "shippingMethod": x["shippingMethod"],
                            "itemsTotal": x["itemsTotal"],
                            "itemsShipped": x["itemsShipped"],
                            "address": floor._address(x["address"], floor.ORDER_ADDRESS),
                            "shippingCost": _money(x["shippingCost"]),
                        }
                        for x in o["orderShippingAddressesByOrderId"]["nodes"]
                    ],
                    "products": [
                        {
                            "id": str(x["rowId"]),
                            "sku": x["sku"],
                            "name": x["name"],
                            "quantity": x["quantity"],
                            "quantityShipped": x["quantityShipped"],
                            "price": _money(x["price"]),
                        }
                        for x in o["orderProductsByOrderId"]["nodes"]
                    ],
                    "shipments": [
                        {
                            "id": str(x["rowId"]),
                            "trackingNumber": x["trackingNumber"],
                            "trackingLink": x["trackingLink"],
                            "shippingProvider": x["shippingProvider"],
                            "createdAt": _time(x["createdAt"]),
                            "items": [
                                {
                                    "quantity": y["quantity"],
                                    "orderProduct": {
                                        "id": str(y["orderProductByOrderProductId"]["rowId"]),
                                        "sku": y["orderProductByOrderProductId"]["sku"],
                                    },
                                }
                                for y in x["shipmentItemsByShipmentId"]["nodes"]
                            ],
                        }
                        for x in o["shipmentsByOrderId"]["nodes"]
                    ],
                }
                for o in orders["nodes"]
            ],
        }
    }


def _gateway_comparable(name: str, data: dict[str, Any]) -> dict[str, Any]:
    """The gateway's data with what PostGraphile cannot match by design left out (the order cursor) and
    timestamps in one spelling."""
    if name == "order_history":
        data = orjson.loads(orjson.dumps(data))
        data["orders"]["pageInfo"].pop("endCursor", None)
        for node in data["orders"]["nodes"]:
            node["createdAt"] = _time(node["createdAt"])
            for shipment in node["shipments"]:
                shipment["createdAt"] = _time(shipment["createdAt"])
    return data


async def verify(
    data: dict[str, Any],
    names: list[str],
    tokens: dict[str, str],
    gateway_port: int,
    floor_port: int | None,
    postgraphile_port: int | None,
) -> None:
    if not names or (floor_port is None and postgraphile_port is None):
        return
    gateway_make = operations.request_factories(data, seed=1)
    postgraphile_make = postgraphile_ops.request_factories(data)
    async with httpx.AsyncClient(timeout=30) as client:

        async def post(port: int, path: str, request: operations.Request) -> httpx.Response:
            query, variables, kind = request
            body = orjson.dumps({"query": query, "variables": variables})
            headers = {"Content-Type": "application/json", "X-Auth-Token": tokens[kind]}
            response = await client.post(f"http://127.0.0.1:{port}{path}", content=body, headers=headers)
            if response.status_code != 200 or b'"errors"' in response.content[:20]:
                raise SystemExit(
                    f"startup check: {path} on port {port} answered {response.status_code}: {response.text[:500]}"
                )
            return response

        for name in names:
            samples = SAMPLES if name == "checkout_page" else 1
            for _ in range(samples):
                request = gateway_make[name]()
                gateway = await post(gateway_port, "/graphql", request)
                if floor_port is not None:
                    mine = await post(floor_port, f"/{name}", request)
                    if mine.content != gateway.content:
                        where = _first_difference(orjson.loads(gateway.content), orjson.loads(mine.content))
                        raise SystemExit(
                            f"startup check: the floor's {name} response is not byte-identical to the gateway's "
                            f"({request[1]}); first difference (gateway != floor): {where or 'key order or spelling'}"
                        )
                if postgraphile_port is not None:
                    theirs = await post(postgraphile_port, "/graphql", postgraphile_make[name]())
                    convert = postgraphile_checkout if name == "checkout_page" else postgraphile_orders
                    expected = _gateway_comparable(name, orjson.loads(gateway.content)["data"])
                    got = convert(orjson.loads(theirs.content)["data"])
                    where = _first_difference(expected, got)
                    if where:
                        raise SystemExit(
                            f"startup check: PostGraphile's {name} values differ from the gateway's "
                            f"({request[1]}); first difference (gateway != PostGraphile): {where}"
                        )
            checked = ["floor: byte-identical"] * (floor_port is not None) + ["PostGraphile: same values"] * (
                postgraphile_port is not None
            )
            print(f"  startup check {name} ({samples} requests): " + ", ".join(checked))
