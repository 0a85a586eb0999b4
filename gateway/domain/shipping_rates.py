"""Pricing a consignment with a zone's methods: pure functions, no I/O.

- PER_ORDER: `rate`. PER_ITEM: `rate` x units. FREE_SHIPPING: 0, handling fees never added.
- WEIGHT / TOTAL: ranges `lowerLimit..upperLimit`, both inclusive, checked by ascending lower limit;
  the first match wins. No match: `defaultCost` (a fixed amount, or a percentage of the consignment
  subtotal); no default: the method is not offered.
- Handling: the zone's fee plus the method's fee, each fixed or a percentage of the option's base
  cost. It is folded into the option's cost, or shown separately when the zone says `displaySeparately`.
- Zone free shipping: a zero-cost option (no handling) once the consignment subtotal reaches the minimum.
Amounts are rounded half-even to the currency's minor unit when a quote is made.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum
from typing import Any

from gateway.domain.money import ZERO, round_money


class MethodType(str, Enum):
    PER_ORDER = "PER_ORDER"
    PER_ITEM = "PER_ITEM"
    WEIGHT = "WEIGHT"
    TOTAL = "TOTAL"
    FREE_SHIPPING = "FREE_SHIPPING"
    CARRIER = "CARRIER"


class DefaultCostType(str, Enum):
    FIXED_AMOUNT = "FIXED_AMOUNT"
    PERCENTAGE_OF_TOTAL = "PERCENTAGE_OF_TOTAL"


class HandlingFeeType(str, Enum):
    FIXED = "FIXED"
    PERCENTAGE = "PERCENTAGE"


#: The `ShippingOption.type` each method type produces (BigCommerce's option type strings).
OPTION_TYPES = {
    MethodType.PER_ORDER: "shipping_flatrate",
    MethodType.PER_ITEM: "shipping_peritem",
    MethodType.WEIGHT: "shipping_byweight",
    MethodType.TOTAL: "shipping_bytotal",
    MethodType.FREE_SHIPPING: "freeshipping",
}
ZONE_FREE_SHIPPING_TYPE = "freeshipping"
HUNDRED = Decimal(100)


@dataclass(frozen=True, slots=True)
class Parcel:
    """What a consignment ships: where to, and how much of what."""

    address: Mapping[str, Any]
    units: int
    weight: Decimal
    subtotal: Decimal
    items: tuple[tuple[Any, int], ...]  # (line item row, quantity)


@dataclass(frozen=True, slots=True)
class BaseRate:
    """A method's price before handling fees."""

    key: str
    method_id: int | None
    type: str
    description: str
    cost: Decimal
    transit_time: str | None = None
    image_url: str | None = None
    apply_handling: bool = True


@dataclass(frozen=True, slots=True)
class PricedOption:
    key: str
    method_id: int | None
    type: str
    description: str
    cost: Decimal
    handling_cost: Decimal
    transit_time: str | None
    image_url: str | None


def make_parcel(address: Mapping[str, Any], items: Sequence[tuple[Any, int]]) -> Parcel:
    return Parcel(
        address=address,
        units=sum(quantity for _, quantity in items),
        weight=sum((line.weight * quantity for line, quantity in items), ZERO),
        subtotal=sum((line.list_price * quantity for line, quantity in items), ZERO),
        items=tuple(items),
    )


def range_cost(ranges: Sequence[Mapping[str, Any]], value: Decimal) -> Decimal | None:
    for bracket in sorted(ranges, key=lambda item: Decimal(item["lower_limit"])):
        if Decimal(bracket["lower_limit"]) <= value <= Decimal(bracket["upper_limit"]):
            return Decimal(bracket["cost"])
    return None


def method_base_cost(method: Any, parcel: Parcel) -> Decimal | None:
    """The method's price for this parcel before handling, or None when the method is not offered."""
    settings = method.settings or {}
    method_type = MethodType(method.type)
    if method_type is MethodType.PER_ORDER:
        return Decimal(settings["rate"])
    if method_type is MethodType.PER_ITEM:
        return Decimal(settings["rate"]) * parcel.units
    if method_type is MethodType.FREE_SHIPPING:
        return ZERO
    if method_type in (MethodType.WEIGHT, MethodType.TOTAL):
        measured = parcel.weight if method_type is MethodType.WEIGHT else parcel.subtotal
        cost = range_cost(settings.get("ranges") or (), measured)
        if cost is not None:
            return cost
        default = settings.get("default_cost")
        if default is None:
            return None
        if settings.get("default_cost_type") == DefaultCostType.PERCENTAGE_OF_TOTAL.value:
            return parcel.subtotal * Decimal(default) / HUNDRED
        return Decimal(default)
    raise ValueError(f"{method_type} is priced by its carrier")


def zone_free_shipping_key(zone_id: int) -> str:
    """The option key of a zone's own free shipping (it has no method)."""
    return f"zone-free:{zone_id}"


def table_rates(methods: Sequence[Any], zone: Any, parcel: Parcel) -> list[BaseRate]:
    """Base rates of the zone's enabled non-carrier methods, plus zone free shipping when earned."""
    rates: list[BaseRate] = []
    for method in sorted(methods, key=lambda row: row.id):
        if not method.enabled or method.type == MethodType.CARRIER.value:
            continue
        cost = method_base_cost(method, parcel)
        if cost is None:
            continue
        rates.append(
            BaseRate(
                key=f"method:{method.id}",
                method_id=method.id,
                type=OPTION_TYPES[MethodType(method.type)],
                description=method.name,
                cost=cost,
                # Free means free: no zone or method handling fee is ever added to a FREE_SHIPPING method.
                apply_handling=method.type != MethodType.FREE_SHIPPING.value,
            )
        )
    minimum = zone.free_shipping_minimum_subtotal
    if zone.free_shipping_enabled and (minimum is None or parcel.subtotal >= minimum):
        rates.append(
            BaseRate(
                key=zone_free_shipping_key(zone.id),
                method_id=None,
                type=ZONE_FREE_SHIPPING_TYPE,
                description="Free Shipping",
                cost=ZERO,
                apply_handling=False,
            )
        )
    return rates


def handling_fee(fee_type: str | None, fee_value: Decimal | None, base: Decimal) -> Decimal:
    if fee_type is None or fee_value is None:
        return ZERO
    if fee_type == HandlingFeeType.PERCENTAGE.value:
        return base * fee_value / HUNDRED
    return fee_value


def price(rate: BaseRate, zone: Any, method: Any | None, currency_code: str) -> PricedOption:
    """Add the zone's and the method's handling fees and round to the currency."""
    base = round_money(rate.cost, currency_code)
    handling = ZERO
    if rate.apply_handling:
        handling = handling_fee(zone.handling_fee_type, zone.handling_fee_value, base)
        if method is not None:
            handling += handling_fee(method.handling_fee_type, method.handling_fee_value, base)
    handling = round_money(handling, currency_code)
    separately = bool(zone.handling_fee_display_separately)
    return PricedOption(
        key=rate.key,
        method_id=rate.method_id,
        type=rate.type,
        description=rate.description,
        cost=base if separately else base + handling,
        handling_cost=handling if separately else ZERO,
        transit_time=rate.transit_time,
        image_url=rate.image_url,
    )
