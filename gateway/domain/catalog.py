"""The minimal catalog checkouts draw their prices and weights from."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.domain.clock import utcnow
from gateway.domain.errors import ErrorCode, Problem, raise_if_any
from gateway.domain.limits import MAX_STRING_LENGTH
from gateway.domain.money import minor_unit
from gateway.storage import queries


@dataclass(frozen=True, slots=True)
class ProductInput:
    sku: str
    name: str
    price: Decimal
    weight: Decimal
    requires_shipping: bool = True


async def upsert_product(conn: AsyncConnection, store_id: int, currency_code: str, data: ProductInput) -> None:
    """Create or update a product by SKU. Prices may not be finer than the currency's minor unit."""
    problems = []
    if not data.sku.strip() or len(data.sku) > 64:
        problems.append(Problem(ErrorCode.INVALID_INPUT, "sku must be 1 to 64 characters", ("sku",)))
    if not data.name.strip() or len(data.name) > MAX_STRING_LENGTH:
        problems.append(Problem(ErrorCode.INVALID_INPUT, "name must be 1 to 255 characters", ("name",)))
    if data.price < 0 or -data.price.as_tuple().exponent > minor_unit(currency_code):  # type: ignore[operator]
        problems.append(Problem(ErrorCode.INVALID_INPUT, "price must be >= 0 in whole minor units", ("price",)))
    if data.weight < 0:
        problems.append(Problem(ErrorCode.INVALID_INPUT, "weight must be >= 0", ("weight",)))
    raise_if_any(problems)
    await queries.upsert_product(
        conn,
        store_id,
        {
            "sku": data.sku,
            "name": data.name,
            "price": data.price,
            "weight": data.weight,
            "requires_shipping": data.requires_shipping,
            "created_at": utcnow(),
        },
    )
