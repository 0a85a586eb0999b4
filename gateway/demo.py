"""The demo store: a catalog a new user can build checkouts from straight away."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.domain.catalog import ProductInput, upsert_product
from gateway.storage import queries

DEMO_PRODUCTS = (
    ProductInput("TSHIRT-BLK-M", "Organic cotton T-shirt, black, M", Decimal("24.00"), Decimal("0.20")),
    ProductInput("TSHIRT-WHT-L", "Organic cotton T-shirt, white, L", Decimal("24.00"), Decimal("0.22")),
    ProductInput("HOODIE-GRY-M", "Heavyweight hoodie, grey, M", Decimal("64.50"), Decimal("0.75")),
    ProductInput("MUG-CERAMIC", "Stoneware mug, 350 ml", Decimal("14.95"), Decimal("0.40")),
    ProductInput("BOTTLE-STEEL", "Insulated steel bottle, 750 ml", Decimal("32.00"), Decimal("0.45")),
    ProductInput("BACKPACK-20L", "Roll-top backpack, 20 l", Decimal("119.00"), Decimal("1.10")),
    ProductInput("SNEAKER-42", "Canvas sneaker, EU 42", Decimal("79.99"), Decimal("0.90")),
    ProductInput("SOCKS-3PK", "Merino socks, 3-pack", Decimal("19.50"), Decimal("0.15")),
    ProductInput("LAMP-DESK", "Aluminium desk lamp", Decimal("89.00"), Decimal("2.30")),
    ProductInput("CHAIR-OAK", "Solid oak dining chair", Decimal("249.00"), Decimal("7.80")),
    ProductInput("RUG-WOOL-2x3", "Hand-woven wool rug, 2 x 3 m", Decimal("420.00"), Decimal("12.50")),
    ProductInput("CANDLE-SOY", "Soy wax candle, cedar", Decimal("18.00"), Decimal("0.35")),
    ProductInput("EBOOK-GUIDE", "Home workshop guide (e-book)", Decimal("9.99"), Decimal("0"), False),
    ProductInput("GIFT-CARD-50", "Digital gift card, 50", Decimal("50.00"), Decimal("0"), False),
)


async def seed_demo(conn: AsyncConnection, store_slug: str = "default") -> int:
    """Upsert the demo catalog into a store; returns the number of products written."""
    store = await queries.store_by_slug(conn, store_slug)
    if store is None:
        raise LookupError(f"no store {store_slug!r}: run `gateway migrate` first")
    for product in DEMO_PRODUCTS:
        await upsert_product(conn, store.id, store.currency_code, product)
    return len(DEMO_PRODUCTS)
