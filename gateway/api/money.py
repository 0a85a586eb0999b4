"""The `Money` type: an exact decimal amount in a currency, rounded to its minor unit for display."""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache

import strawberry

from gateway.domain.money import round_money


@strawberry.type(description='An amount of money. `value` is an exact decimal serialised as a string, e.g. "12.50".')
class Money:
    value: Decimal = strawberry.field(description="The amount, rounded half-even to the currency's minor unit.")
    currency_code: str = strawberry.field(description="ISO 4217 currency code, e.g. USD.")


@lru_cache(maxsize=16384)  # amounts repeat across a page; equal Decimals give equal Money (never mutated)
def money(value: Decimal, currency_code: str) -> Money:
    return Money(value=round_money(value, currency_code), currency_code=currency_code)
