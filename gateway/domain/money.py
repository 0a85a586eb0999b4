"""Money rules: exact Decimals, rounded half-even to the currency's minor unit where shown or stored."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal
from functools import lru_cache

ZERO = Decimal("0")

# ISO 4217 minor units that differ from the usual two decimals.
_MINOR_UNITS = {
    "BIF": 0,
    "CLP": 0,
    "DJF": 0,
    "GNF": 0,
    "ISK": 0,
    "JPY": 0,
    "KMF": 0,
    "KRW": 0,
    "PYG": 0,
    "RWF": 0,
    "UGX": 0,
    "UYI": 0,
    "VND": 0,
    "VUV": 0,
    "XAF": 0,
    "XOF": 0,
    "XPF": 0,
    "BHD": 3,
    "IQD": 3,
    "JOD": 3,
    "KWD": 3,
    "LYD": 3,
    "OMR": 3,
    "TND": 3,
}


def minor_unit(currency_code: str) -> int:
    return _MINOR_UNITS.get(currency_code.upper(), 2)


@lru_cache(maxsize=16384)  # prices repeat: equal Decimals round alike, so the memo is exact
def round_money(value: Decimal, currency_code: str) -> Decimal:
    exponent = Decimal(1).scaleb(-minor_unit(currency_code))
    return value.quantize(exponent, rounding=ROUND_HALF_EVEN)


def plain(value: Decimal) -> Decimal:
    """Non-money decimals (weights, percentages): no exponent, no trailing zeros (1E+3 -> 1000, 2.50 -> 2.5)."""
    if not value:
        return ZERO
    value = value.normalize()
    return value.quantize(Decimal(1)) if value.as_tuple().exponent > 0 else value  # type: ignore[operator]


def canonical_amount(value: Decimal, currency_code: str) -> Decimal:
    """A money setting as stored and echoed: the currency's minor unit (1E+3 -> 1000.00); digits beyond it
    (stored before the rule) are kept, never rounded away."""
    value = plain(value)
    places = max(minor_unit(currency_code), -value.as_tuple().exponent)  # type: ignore[operator]
    return value.quantize(Decimal(1).scaleb(-places))
