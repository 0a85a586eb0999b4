"""A demo carrier speaking BigCommerce's Shipping Provider API, served by the gateway in development.

It lets a new user see real-time carrier options in GraphiQL without any account anywhere: the
gateway calls it over HTTP exactly as it would call a real carrier. Prices are deterministic.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

import orjson
from starlette.requests import Request
from starlette.responses import Response

SERVICES = (
    ("GROUND", "Ground", Decimal("6.00"), Decimal("1.20"), 5),
    ("EXPRESS", "Express", Decimal("14.00"), Decimal("2.75"), 2),
)


async def rates(request: Request) -> Response:
    try:
        body = orjson.loads(await request.body())
        items = body["base_options"]["items"]
        weight = sum(Decimal(str(item["weight"]["value"])) * int(item["quantity"]) for item in items)
        currency = items[0]["discounted_price"]["currency"] if items else "USD"
    except (KeyError, TypeError, ValueError, orjson.JSONDecodeError):
        return Response(orjson.dumps({"messages": [{"text": "bad request", "type": "ERROR"}]}), status_code=400)
    quotes = [
        {
            "code": code,
            "display_name": name,
            "cost": {
                "currency": currency,
                "amount": float((base + per_kg * weight).quantize(Decimal("0.01"), ROUND_HALF_EVEN)),
            },
            "transit_time": {"units": "BUSINESS_DAYS", "duration": days},
            "messages": [],
        }
        for code, name, base, per_kg, days in SERVICES
    ]
    payload = {
        "quote_id": "demo",
        "messages": [],
        "carrier_quotes": [{"carrier_info": {"code": "demo", "display_name": "Demo Parcel"}, "quotes": quotes}],
    }
    return Response(orjson.dumps(payload), media_type="application/json")
