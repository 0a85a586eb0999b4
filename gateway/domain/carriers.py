"""Real-time carrier quotes, in the request and response shapes of BigCommerce's Shipping Provider API.

The HTTP transport is injected (see `gateway.carriers`), so these rules are tested without a network:
what we send a carrier, how we read its answer, and what counts as a malformed answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

from gateway.domain.shipping_rates import Parcel


class CarrierUnavailable(Exception):
    """The carrier timed out, failed, or answered with something we cannot use."""


@dataclass(frozen=True, slots=True)
class CarrierQuote:
    code: str
    display_name: str
    cost: Decimal
    transit_time: str | None


class CarrierTransport(Protocol):
    def registered_carriers(self) -> list[str]:
        """Ids of the carriers the operator registered (GATEWAY_CARRIERS), sorted."""
        ...

    def is_registered(self, carrier_id: str) -> bool: ...

    def display_name(self, carrier_id: str) -> str: ...

    async def request_rates(self, carrier_id: str, payload: dict[str, Any]) -> Any:
        """POST the payload to the carrier's rate endpoint; the decoded JSON, or CarrierUnavailable."""
        ...


def _address(address: Mapping[str, Any] | None) -> dict[str, Any]:
    address = address or {}
    return {
        "street_1": address.get("address1") or "",
        "street_2": address.get("address2") or "",
        "zip": address.get("postal_code") or "",
        "city": address.get("city") or "",
        "state_iso2": address.get("state_or_province_code") or "",
        "country_iso2": address.get("country_code") or "",
        "address_type": "RESIDENTIAL",
    }


def rate_request(
    *,
    store_id: int,
    origin: Mapping[str, Any] | None,
    parcel: Parcel,
    currency_code: str,
    weight_unit: str,
    credentials: Mapping[str, Any],
) -> dict[str, Any]:
    """The Shipping Provider API rate request for one consignment."""
    return {
        "base_options": {
            "origin": _address(origin),
            "destination": _address(parcel.address),
            "items": [
                {
                    "sku": line.sku,
                    "name": line.name,
                    "quantity": quantity,
                    "weight": {"units": weight_unit, "value": float(line.weight)},
                    "discounted_price": {"currency": currency_code, "amount": float(line.list_price)},
                    "declared_value": {"currency": currency_code, "amount": float(line.list_price)},
                }
                for line, quantity in parcel.items
            ],
            "store_id": str(store_id),
            "request_context": {"reference_values": []},
        },
        "connection_options": dict(credentials),
    }


def _transit(value: Any) -> str | None:
    if isinstance(value, Mapping) and "duration" in value:
        units = str(value.get("units") or "days").replace("_", " ").lower()
        return f"{value['duration']} {units}"
    return None


def parse_rate_response(body: Any, currency_code: str) -> list[CarrierQuote]:
    """The usable quotes in a carrier's answer; CarrierUnavailable if the answer is malformed.

    A quote in another currency, with a negative or non-numeric cost, or without a code is malformed:
    we drop the whole answer rather than guess.
    """
    if not isinstance(body, Mapping) or not isinstance(body.get("carrier_quotes"), list):
        raise CarrierUnavailable("answer has no carrier_quotes list")
    quotes: list[CarrierQuote] = []
    for group in body["carrier_quotes"]:
        if not isinstance(group, Mapping) or not isinstance(group.get("quotes"), list):
            raise CarrierUnavailable("carrier_quotes entry without quotes")
        for quote in group["quotes"]:
            try:
                code = str(quote["code"])
                name = str(quote.get("display_name") or code)
                cost = quote["cost"]
                if cost.get("currency") != currency_code:
                    raise CarrierUnavailable(f"quote in {cost.get('currency')!r}, not {currency_code}")
                amount = Decimal(str(cost["amount"]))
            except (KeyError, TypeError, AttributeError, InvalidOperation) as error:
                raise CarrierUnavailable(f"malformed quote: {error!r}") from None
            if not code or not amount.is_finite() or amount < 0:
                raise CarrierUnavailable("quote without code or with an invalid cost")
            quotes.append(
                CarrierQuote(
                    code=code[:50],
                    display_name=name[:100],
                    cost=amount,
                    transit_time=_transit(quote.get("transit_time")),
                )
            )
    return quotes
