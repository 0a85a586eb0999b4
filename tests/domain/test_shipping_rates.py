"""Rate rules alone: parcels, ranges, each method type, defaults, zone free shipping, handling fees and
rounding, with small stand-ins for stored rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest

from gateway.domain.shipping_rates import (
    BaseRate,
    handling_fee,
    make_parcel,
    method_base_cost,
    price,
    range_cost,
    table_rates,
)

D = Decimal


@dataclass(frozen=True)
class Line:
    sku: str
    list_price: Decimal
    weight: Decimal


@dataclass(frozen=True)
class Method:
    id: int
    type: str
    settings: dict[str, Any] = field(default_factory=dict)
    name: str = "Method"
    enabled: bool = True
    handling_fee_type: str | None = None
    handling_fee_value: Decimal | None = None


@dataclass(frozen=True)
class Zone:
    id: int = 1
    free_shipping_enabled: bool = False
    free_shipping_minimum_subtotal: Decimal | None = None
    handling_fee_type: str | None = None
    handling_fee_value: Decimal | None = None
    handling_fee_display_separately: bool = False


SHIRT = Line("SHIRT", D("19.99"), D("0.25"))
MUG = Line("MUG", D("7.50"), D("0.40"))
SOCKS = Line("SOCKS", D("0.10"), D("0.05"))
ADDRESS = {"country_code": "US"}


def parcel(*items: tuple[Line, int]):
    return make_parcel(ADDRESS, list(items))


def brackets(*triples: tuple[str, str, str]) -> list[dict[str, str]]:
    return [{"lower_limit": lo, "upper_limit": hi, "cost": cost} for lo, hi, cost in triples]


# --- parcels -----------------------------------------------------------------------------------------


def test_parcel_sums_units_weight_and_subtotal_of_its_own_items():
    p = parcel((SHIRT, 3), (MUG, 2))
    assert (p.units, p.weight, p.subtotal) == (5, D("1.55"), D("74.97"))
    assert p.items == ((SHIRT, 3), (MUG, 2))
    empty = parcel()
    assert (empty.units, empty.weight, empty.subtotal) == (0, D("0"), D("0"))


# --- range_cost --------------------------------------------------------------------------------------


RANGES = brackets(("0", "1.00", "4.00"), ("1.05", "5.00", "9.00"))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0", "4.00"),  # lower limit inclusive
        ("1.00", "4.00"),  # upper limit inclusive
        ("1.01", None),  # in the gap
        ("1.05", "9.00"),
        ("5.00", "9.00"),
        ("5.0001", None),  # just above the last upper limit
    ],
)
def test_range_cost_edges(value, expected):
    result = range_cost(RANGES, D(value))
    assert result == (D(expected) if expected is not None else None)


def test_range_cost_first_match_by_ascending_lower_limit():
    overlapping = brackets(("5", "20", "6.00"), ("0", "10", "8.00"), ("5", "7", "1.00"))
    assert range_cost(overlapping, D("4")) == D("8.00")
    assert range_cost(overlapping, D("6")) == D("8.00")  # 0..10 has the lowest lower limit
    assert range_cost(overlapping, D("15")) == D("6.00")
    assert range_cost([], D("1")) is None


# --- method_base_cost --------------------------------------------------------------------------------


def test_per_order_and_per_item_and_free_shipping():
    p = parcel((SHIRT, 3), (MUG, 2))
    assert method_base_cost(Method(1, "PER_ORDER", {"rate": "7.95"}), p) == D("7.95")
    assert method_base_cost(Method(1, "PER_ITEM", {"rate": "1.25"}), p) == D("6.25")
    assert method_base_cost(Method(1, "PER_ITEM", {"rate": "1.25"}), parcel((SHIRT, 1))) == D("1.25")
    assert method_base_cost(Method(1, "FREE_SHIPPING"), p) == D("0")


def test_weight_and_total_use_their_measure():
    weight = Method(1, "WEIGHT", {"ranges": brackets(("0", "1.00", "4.00"), ("1.05", "5", "9.00"))})
    total = Method(2, "TOTAL", {"ranges": brackets(("0", "19.99", "5.00"), ("20.00", "49.99", "3.00"))})
    assert method_base_cost(weight, parcel((SHIRT, 4))) == D("4.00")  # 1.00 kg
    assert method_base_cost(weight, parcel((SHIRT, 4), (SOCKS, 1))) == D("9.00")  # 1.05 kg
    assert method_base_cost(total, parcel((SHIRT, 1))) == D("5.00")  # 19.99
    assert method_base_cost(total, parcel((SOCKS, 200))) == D("3.00")  # 20.00
    assert method_base_cost(total, parcel((SHIRT, 1), (SOCKS, 300))) == D("3.00")  # 49.99
    assert method_base_cost(total, parcel((SOCKS, 500))) is None  # 50.00, no default: not offered


def test_default_cost_fixed_and_percentage_of_subtotal():
    fixed = Method(
        1,
        "WEIGHT",
        {"ranges": brackets(("0", "1", "4.00")), "default_cost": "25.00", "default_cost_type": "FIXED_AMOUNT"},
    )
    untyped = Method(2, "WEIGHT", {"ranges": [], "default_cost": "12"})
    percent = Method(
        3,
        "TOTAL",
        {
            "ranges": brackets(("0", "49.99", "3.00")),
            "default_cost": "12.5",
            "default_cost_type": "PERCENTAGE_OF_TOTAL",
        },
    )
    assert method_base_cost(fixed, parcel((MUG, 5))) == D("25.00")  # 2.00 kg
    assert method_base_cost(fixed, parcel((MUG, 1))) == D("4.00")
    assert method_base_cost(untyped, parcel((MUG, 1))) == D("12")  # fixed amount by default
    assert method_base_cost(percent, parcel((SOCKS, 500))) == D("6.25")  # 12.5 % of 50.00
    assert method_base_cost(percent, parcel((SOCKS, 100))) == D("3.00")


def test_carrier_methods_are_not_table_priced():
    with pytest.raises(ValueError):
        method_base_cost(Method(1, "CARRIER", {"carrier_id": "acme", "services": ["GND"]}), parcel((MUG, 1)))


# --- table_rates -------------------------------------------------------------------------------------


def test_table_rates_skip_disabled_carrier_and_unmatched_methods_in_id_order():
    methods = [
        Method(5, "PER_ITEM", {"rate": "1.00"}, name="Per item"),
        Method(2, "PER_ORDER", {"rate": "7.00"}, name="Flat"),
        Method(3, "PER_ORDER", {"rate": "1.00"}, name="Off", enabled=False),
        Method(4, "CARRIER", {"carrier_id": "acme", "services": ["GND"]}, name="Acme"),
        Method(6, "TOTAL", {"ranges": brackets(("0", "10", "2.00"))}, name="Small"),
        Method(7, "FREE_SHIPPING", name="Free"),
    ]
    rates = table_rates(methods, Zone(), parcel((SHIRT, 2)))
    assert [(r.key, r.method_id, r.type, r.description, r.cost) for r in rates] == [
        ("method:2", 2, "shipping_flatrate", "Flat", D("7.00")),
        ("method:5", 5, "shipping_peritem", "Per item", D("2.00")),
        ("method:7", 7, "freeshipping", "Free", D("0")),
    ]
    # Every table rate pays handling fees, except FREE_SHIPPING: free means free.
    assert [r.apply_handling for r in rates] == [True, True, False]


@pytest.mark.parametrize(
    ("zone", "items", "offered"),
    [
        (Zone(free_shipping_enabled=True, free_shipping_minimum_subtotal=D("50.00")), [(SOCKS, 500)], True),  # 50.00
        (
            Zone(free_shipping_enabled=True, free_shipping_minimum_subtotal=D("50.00")),
            [(SHIRT, 1), (SOCKS, 300)],
            False,
        ),  # 49.99
        (Zone(free_shipping_enabled=True, free_shipping_minimum_subtotal=None), [(SOCKS, 1)], True),
        (Zone(free_shipping_enabled=False, free_shipping_minimum_subtotal=D("1")), [(SOCKS, 500)], False),
    ],
)
def test_zone_free_shipping_threshold(zone, items, offered):
    rates = table_rates([], zone, parcel(*items))
    if offered:
        assert [(r.key, r.method_id, r.type, r.description, r.cost, r.apply_handling) for r in rates] == [
            ("zone-free:1", None, "freeshipping", "Free Shipping", D("0"), False)
        ]
    else:
        assert rates == []


# --- handling fees and price -------------------------------------------------------------------------


def test_handling_fee_modes():
    assert handling_fee(None, None, D("10")) == D("0")
    assert handling_fee("FIXED", D("2.50"), D("10")) == D("2.50")
    assert handling_fee("PERCENTAGE", D("10"), D("12.50")) == D("1.25")
    assert handling_fee("PERCENTAGE", D("10"), D("0")) == D("0")


def rate(cost: str, *, method_id: int | None = 1, apply_handling: bool = True) -> BaseRate:
    return BaseRate(
        key=f"method:{method_id}",
        method_id=method_id,
        type="shipping_flatrate",
        description="Flat",
        cost=D(cost),
        apply_handling=apply_handling,
    )


def test_price_folds_zone_and_method_fees_into_the_cost():
    zone = Zone(handling_fee_type="FIXED", handling_fee_value=D("2.00"))
    method = Method(1, "PER_ORDER", {"rate": "12.50"}, handling_fee_type="PERCENTAGE", handling_fee_value=D("20"))
    priced = price(rate("12.50"), zone, method, "USD")
    assert (priced.cost, priced.handling_cost) == (D("17.00"), D("0"))
    assert (priced.key, priced.method_id, priced.type, priced.description) == (
        "method:1",
        1,
        "shipping_flatrate",
        "Flat",
    )
    assert str(priced.cost) == "17.00"


def test_price_shows_handling_separately():
    zone = Zone(handling_fee_type="FIXED", handling_fee_value=D("1.50"), handling_fee_display_separately=True)
    method = Method(1, "PER_ORDER", handling_fee_type="FIXED", handling_fee_value=D("0.50"))
    priced = price(rate("10"), zone, method, "USD")
    assert (str(priced.cost), str(priced.handling_cost)) == ("10.00", "2.00")


def test_price_rounds_half_even_to_the_currency():
    zone = Zone(handling_fee_type="PERCENTAGE", handling_fee_value=D("10"), handling_fee_display_separately=True)
    assert str(price(rate("7.95"), zone, None, "USD").handling_cost) == "0.80"  # 0.795
    assert str(price(rate("0.125"), Zone(), None, "USD").cost) == "0.12"
    assert str(price(rate("0.135"), Zone(), None, "USD").cost) == "0.14"
    assert str(price(rate("1.125"), Zone(), None, "USD").cost) == "1.12"
    assert str(price(rate("1500.5"), Zone(), None, "JPY").cost) == "1500"
    assert str(price(rate("1.2345"), Zone(), None, "KWD").cost) == "1.234"


def test_percentage_handling_is_computed_on_the_rounded_base():
    zone = Zone(handling_fee_type="PERCENTAGE", handling_fee_value=D("50"), handling_fee_display_separately=True)
    priced = price(rate("0.125"), zone, None, "USD")  # base rounds to 0.12, so handling is 0.06
    assert (str(priced.cost), str(priced.handling_cost)) == ("0.12", "0.06")


def test_zone_free_shipping_carries_no_handling():
    zone = Zone(handling_fee_type="FIXED", handling_fee_value=D("2.00"))
    priced = price(rate("0", method_id=None, apply_handling=False), zone, None, "USD")
    assert (priced.cost, priced.handling_cost) == (D("0"), D("0"))
    separately = Zone(handling_fee_type="FIXED", handling_fee_value=D("2.00"), handling_fee_display_separately=True)
    priced = price(rate("0", method_id=None, apply_handling=False), separately, None, "USD")
    assert (priced.cost, priced.handling_cost) == (D("0"), D("0"))
