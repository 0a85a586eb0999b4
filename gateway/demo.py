"""The demo store: a catalog and a shipping setup a new user can explore in GraphiQL straight away."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.domain import checkout, consignments, inputs, orders, quotes, shipments
from gateway.domain import shipping_config as config
from gateway.domain.catalog import ProductInput, upsert_product
from gateway.domain.shipping_rates import DefaultCostType, HandlingFeeType, MethodType
from gateway.domain.zones import ZoneType
from gateway.storage import queries

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
        _zone(
            "New York City",
            ZoneType.ZIP,
            [config.LocationInput("US", zip=p) for p in ("100*", "101*", "102*", "104*", "112*")],
        ),
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
            config.MethodInput(
                name="Demo Parcel", type=MethodType.CARRIER, carrier_id="demo", services=("GROUND", "EXPRESS")
            ),
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
            config.MethodInput(
                name="Economy (5-9 days)",
                type=MethodType.FREE_SHIPPING,
                handling_fee=config.HandlingFeeInput(HandlingFeeType.FIXED, D("0.99")),
            ),
        ),
    ),
    (
        _zone(
            "Canada",
            ZoneType.COUNTRY,
            [config.LocationInput("CA")],
            handling_fee=config.HandlingFeeInput(HandlingFeeType.FIXED, D("2.00"), display_separately=True),
        ),
        (config.MethodInput(name="Canada flat rate", type=MethodType.PER_ORDER, rate=D("15.00")),),
    ),
    (
        _zone(
            "European Union",
            ZoneType.COUNTRY,
            [config.LocationInput(c) for c in EU],
            free_shipping_enabled=True,
            free_shipping_minimum_subtotal=D("150.00"),
        ),
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


async def seed_demo(conn: AsyncConnection, is_registered: Callable[[str], bool], store_slug: str = "default") -> int:
    """Upsert the demo catalog; on a store without shipping zones, add the demo shipping setup.

    `is_registered` is the running settings' carrier registry: the demo carrier is connected (and its CARRIER
    method created) only when it is registered, so no connection is stored that the gateway cannot quote.
    Returns the number of products written.
    """
    store = await queries.store_by_slug(conn, store_slug)
    if store is None:
        raise LookupError(f"no store {store_slug!r}: run `gateway migrate` first")
    for product in DEMO_PRODUCTS:
        await upsert_product(conn, store.id, store.currency_code, product)
    if not await queries.zones_for_store(conn, store.id):
        await _seed_shipping(conn, store.id, is_registered)
        await seed_demo_orders(conn, store_slug)
    return len(DEMO_PRODUCTS)


async def _seed_shipping(conn: AsyncConnection, store_id: int, is_registered: Callable[[str], bool]) -> None:
    await queries.update_store(conn, store_id, {"origin_address": ORIGIN})
    demo_carrier = is_registered("demo")
    if demo_carrier:
        await config.connect_carrier(conn, store_id, "demo", {"account": "demo"}, is_registered=is_registered)
    for zone, methods in DEMO_ZONES:
        zone_id = await config.create_zone(conn, store_id, zone)
        for method in methods:
            if method.type is MethodType.CARRIER and not demo_carrier:
                continue
            await config.create_method(conn, store_id, zone_id, method, is_registered=is_registered)
    await config.create_pickup_method(conn, store_id, DEMO_PICKUP)


class _NoCarriers:
    """Quotes demo orders from table rates only: no HTTP while seeding."""

    def is_registered(self, carrier_id: str) -> bool:
        return False

    def display_name(self, carrier_id: str) -> str:
        return carrier_id

    async def request_rates(self, carrier_id: str, payload: dict[str, object]) -> object:
        raise AssertionError("not called: no carrier is registered")


_SHOPPERS = (
    ("Ada", "Lovelace", "ada@example.com", "12 Analytical Way", "New York", "NY", "10013", "US"),
    ("Grace", "Hopper", "grace@example.com", "1 Compiler Ct", "San Francisco", "CA", "94110", "US"),
    ("Alan", "Turing", "alan@example.com", "9 Bletchley Rd", "Toronto", "ON", "M5V 2T6", "CA"),
    ("Margaret", "Hamilton", "margaret@example.com", "11 Apollo Ave", "Houston", "TX", "77058", "US"),
    ("Katherine", "Johnson", "katherine@example.com", "3 Orbit St", "Hampton", "VA", "23666", "US"),
    ("Edsger", "Dijkstra", "edsger@example.com", "Keizersgracht 1", "Amsterdam", None, "1015 CJ", "NL"),
    ("Barbara", "Liskov", "barbara@example.com", "545 Tech Sq", "Cambridge", "MA", "02139", "US"),
)
#: (shopper, [(sku, quantity)], what happens after completion)
_ORDERS = (
    (0, [("MUG-CERAMIC", 2), ("EBOOK-GUIDE", 1)], "none"),
    (1, [("HOODIE-GRY-M", 1), ("SOCKS-3PK", 3)], "partial"),
    (2, [("BACKPACK-20L", 1)], "ship-all"),
    (3, [("LAMP-DESK", 1), ("CANDLE-SOY", 2)], "cancel"),
    (4, [("TSHIRT-BLK-M", 2), ("BOTTLE-STEEL", 1)], "partial"),
    (5, [("SNEAKER-42", 1), ("TSHIRT-WHT-L", 1)], "ship-all"),
    (6, [("CHAIR-OAK", 2)], "none"),
)


def _address(shopper: int) -> inputs.AddressInput:
    first, last, email, street, city, state, postal, country = _SHOPPERS[shopper]
    return inputs.AddressInput(
        email=email,
        country_code=country,
        first_name=first,
        last_name=last,
        address1=street,
        city=city,
        state_or_province=state,
        state_or_province_code=state,
        postal_code=postal,
    )


async def seed_demo_orders(conn: AsyncConnection, store_slug: str = "default") -> int:
    """Place a handful of orders in every status, some partly shipped, through the domain rules."""
    store = await queries.store_by_slug(conn, store_slug)
    if store is None:
        raise LookupError(f"no store {store_slug!r}")
    for shopper, lines, fate in _ORDERS:
        address = _address(shopper)
        checkout_id = await checkout.create_checkout(
            conn,
            store,
            inputs.CreateCheckoutInput(tuple(inputs.SkuQuantity(s, q) for s, q in lines), address.email),
        )
        items = [
            row
            for row in await queries.line_items_by_checkout_ids(conn, store.id, [checkout_id])
            if row.requires_shipping
        ]
        request = inputs.AddConsignmentsInput(
            checkout_id,
            (inputs.ConsignmentInput(tuple(inputs.ItemQuantity(row.id, row.quantity) for row in items), address),),
        )
        prepared = await quotes.prepare(
            conn, store.id, checkout_id, await consignments.quote_destinations_for_add(conn, request)
        )
        await consignments.add_consignments(conn, store.id, request, await quotes.plan(prepared, _NoCarriers()))
        for consignment in await queries.consignments_by_checkout_ids(conn, store.id, [checkout_id]):
            cheapest = (await queries.quotes_by_consignment_ids(conn, store.id, [consignment.id]))[0]
            await consignments.update_consignment(
                conn,
                store.id,
                inputs.UpdateConsignmentInput(checkout_id, consignment.id, shipping_option_id=cheapest.id),
            )
        await checkout.set_billing_address(conn, store.id, inputs.SetBillingAddressInput(checkout_id, address))
        order_id, _ = await orders.complete_checkout(conn, store.id, inputs.CompleteCheckoutInput(checkout_id))
        await _fulfil(conn, store.id, order_id, fate)
    return len(_ORDERS)


async def _fulfil(conn: AsyncConnection, store_id: int, order_id: int, fate: str) -> None:
    if fate == "cancel":
        await orders.cancel_order(conn, store_id, order_id)
        return
    if fate == "none":
        return
    address = (await queries.shipping_addresses_by_order_ids(conn, store_id, [order_id]))[0]
    products = [
        p for p in await queries.order_products_by_order_ids(conn, store_id, [order_id]) if p.shipping_address_id
    ]
    shipped = products if fate == "ship-all" else products[:1]
    await shipments.create_shipment(
        conn,
        store_id,
        inputs.CreateShipmentInput(
            order_id,
            address.id,
            tuple(inputs.ShipmentItemInput(p.id, p.quantity if fate == "ship-all" else 1) for p in shipped),
            inputs.TrackingInput(
                tracking_number=f"1Z999AA1{order_id:08d}", shipping_provider="UPS", shipping_method="Ground"
            ),
        ),
    )
