"""The demo store: a catalog and a shipping setup a new user can explore in GraphiQL straight away."""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.domain import shipping_config as config
from gateway.domain.catalog import ProductInput, upsert_product
from gateway.domain.shipping_rates import DefaultCostType, HandlingFeeType, MethodType
from gateway.domain.zones import ZoneType
from gateway.storage import queries
from gateway.storage.models import store as store_table

D = Decimal

DEMO_PRODUCTS = (
    ProductInput("TSHIRT-BLK-M", "Organic cotton T-shirt, black, M", D("24.00"), D("0.20")),
    ProductInput("TSHIRT-WHT-L", "Organic cotton T-shirt, white, L", D("24.00"), D("0.22")),
    ProductInput("HOODIE-GRY-M", "Heavyweight hoodie, grey, M", D("64.50"), D("0.75")),
    ProductInput("MUG-CERAMIC", "Stoneware mug, 350 ml", D("14.95"), D("0.40")),
    ProductInput("BOTTLE-STEEL", "Insulated steel bottle, 750 ml", D("32.00"), D("0.45")),
    ProductInput("BACKPACK-20L", "Roll-top backpack, 20 l", D("119.00"), D("1.10")),
    ProductInput("SNEAKER-42", "Canvas sneaker, EU 42", D("79.99"), D("0.90")),
    ProductInput("SOCKS-3PK", "Merino socks, 3-pack", D("19.50"), D("0.15")),
    ProductInput("LAMP-DESK", "Aluminium desk lamp", D("89.00"), D("2.30")),
    ProductInput("CHAIR-OAK", "Solid oak dining chair", D("249.00"), D("7.80")),
    ProductInput("RUG-WOOL-2x3", "Hand-woven wool rug, 2 x 3 m", D("420.00"), D("12.50")),
    ProductInput("CANDLE-SOY", "Soy wax candle, cedar", D("18.00"), D("0.35")),
    ProductInput("EBOOK-GUIDE", "Home workshop guide (e-book)", D("9.99"), D("0"), False),
    ProductInput("GIFT-CARD-50", "Digital gift card, 50", D("50.00"), D("0"), False),
)

ORIGIN = {
    "address1": "500 Market St",
    "city": "San Francisco",
    "state_or_province": "California",
    "state_or_province_code": "CA",
    "postal_code": "94105",
    "country_code": "US",
}
EU = ("AT", "BE", "DE", "DK", "ES", "FI", "FR", "IE", "IT", "LU", "NL", "PT", "SE")


def _zone(name: str, zone_type: ZoneType, locations: list[config.LocationInput], **extra: object) -> config.ZoneInput:
    return config.ZoneInput(name=name, type=zone_type, locations=tuple(locations), enabled=True, **extra)  # type: ignore[arg-type]


def _ranges(*brackets: tuple[str, str, str]) -> tuple[config.RateRangeInput, ...]:
    return tuple(config.RateRangeInput(D(low), D(high), D(cost)) for low, high, cost in brackets)


DEMO_ZONES: tuple[tuple[config.ZoneInput, tuple[config.MethodInput, ...]], ...] = (
    (
        _zone("New York City", ZoneType.ZIP, [config.LocationInput("US", zip=p) for p in ("100*", "101*", "102*", "104*", "112*")]),
        (
            config.MethodInput(name="Same-day bike courier", type=MethodType.PER_ORDER, rate=D("14.00")),
            config.MethodInput(name="NYC flat rate", type=MethodType.PER_ORDER, rate=D("4.99")),
        ),
    ),
    (
        _zone(
            "US West Coast",
            ZoneType.STATE,
            [config.LocationInput("US", state_code=s) for s in ("CA", "OR", "WA")],
            handling_fee=config.HandlingFeeInput(HandlingFeeType.FIXED, D("1.00"), display_separately=True),
        ),
        (
            config.MethodInput(
                name="Standard (by weight)",
                type=MethodType.WEIGHT,
                ranges=_ranges(("0", "1", "5.00"), ("1.0001", "5", "9.00"), ("5.0001", "20", "18.00")),
                default_cost=D("10"),
                default_cost_type=DefaultCostType.PERCENTAGE_OF_TOTAL,
            ),
            config.MethodInput(name="Per item", type=MethodType.PER_ITEM, rate=D("2.50")),
            config.MethodInput(name="Demo Parcel", type=MethodType.CARRIER, carrier_id="demo", services=("GROUND", "EXPRESS")),
        ),
    ),
    (
        _zone(
            "United States",
            ZoneType.COUNTRY,
            [config.LocationInput("US")],
            free_shipping_enabled=True,
            free_shipping_minimum_subtotal=D("100.00"),
            handling_fee=config.HandlingFeeInput(HandlingFeeType.PERCENTAGE, D("5")),
        ),
        (
            config.MethodInput(
                name="Standard (by order total)",
                type=MethodType.TOTAL,
                ranges=_ranges(("0", "49.99", "7.95"), ("50", "149.99", "12.95")),
                default_cost=D("19.95"),
            ),
            config.MethodInput(name="Economy (5-9 days)", type=MethodType.FREE_SHIPPING,
                               handling_fee=config.HandlingFeeInput(HandlingFeeType.FIXED, D("0.99"))),
        ),
    ),
    (
        _zone("Canada", ZoneType.COUNTRY, [config.LocationInput("CA")],
              handling_fee=config.HandlingFeeInput(HandlingFeeType.FIXED, D("2.00"), display_separately=True)),
        (config.MethodInput(name="Canada flat rate", type=MethodType.PER_ORDER, rate=D("15.00")),),
    ),
    (
        _zone("European Union", ZoneType.COUNTRY, [config.LocationInput(c) for c in EU],
              free_shipping_enabled=True, free_shipping_minimum_subtotal=D("150.00")),
        (
            config.MethodInput(
                name="EU standard (by weight)",
                type=MethodType.WEIGHT,
                ranges=_ranges(("0", "2", "12.00"), ("2.0001", "10", "25.00")),
            ),
        ),
    ),
    (
        _zone("Rest of the world", ZoneType.GLOBAL, []),
        (config.MethodInput(name="International flat rate", type=MethodType.PER_ORDER, rate=D("29.00")),),
    ),
)

DEMO_PICKUP = config.PickupMethodInput(
    location_name="Market Street store",
    address={**ORIGIN, "phone": "+14155550100"},
    instructions="Bring your order email. Open 10:00-19:00, Monday to Saturday.",
    enabled=True,
)


async def seed_demo(conn: AsyncConnection, store_slug: str = "default") -> int:
    """Upsert the demo catalog; on a store without shipping zones, add the demo shipping setup.

    Returns the number of products written.
    """
    store = await queries.store_by_slug(conn, store_slug)
    if store is None:
        raise LookupError(f"no store {store_slug!r}: run `gateway migrate` first")
    for product in DEMO_PRODUCTS:
        await upsert_product(conn, store.id, store.currency_code, product)
    if not await queries.zones_for_store(conn, store.id):
        await _seed_shipping(conn, store.id)
    return len(DEMO_PRODUCTS)


async def _seed_shipping(conn: AsyncConnection, store_id: int) -> None:
    await conn.execute(sa.update(store_table).where(store_table.c.id == store_id).values(origin_address=ORIGIN))
    await config.connect_carrier(conn, store_id, "demo", {"account": "demo"}, is_registered=lambda _: True)
    for zone, methods in DEMO_ZONES:
        zone_id = await config.create_zone(conn, store_id, zone)
        for method in methods:
            await config.create_method(conn, store_id, zone_id, method, is_registered=lambda _: True)
    await config.create_pickup_method(conn, store_id, DEMO_PICKUP)
