"""SQLModel tables. Every row carries `store_id`: the store (tenant) it belongs to.

Reads on the hot path use these tables through SQLAlchemy Core (`Model.__table__`), returning plain rows;
the classes themselves are used for DDL (Alembic autogenerate) and for readable inserts.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from gateway.storage.types import ExactDecimal, RecordJSON, UTCDateTime

metadata = SQLModel.metadata
metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def _money(**kw: Any) -> Any:
    return Field(sa_type=ExactDecimal, nullable=False, **kw)


def _time(**kw: Any) -> Any:
    return Field(sa_type=UTCDateTime, nullable=False, **kw)


class Store(SQLModel, table=True):
    __table_args__ = {"sqlite_autoincrement": True}  # ids are never reused, on SQLite too
    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=64, unique=True)
    name: str = Field(max_length=255)
    currency_code: str = Field(max_length=3, default="USD")
    weight_unit: str = Field(max_length=8, default="kg")
    #: Bumped by every shipping configuration change; quotes priced at an older version are stale.
    shipping_config_version: int = Field(default=1, sa_column_kwargs={"server_default": sa.text("1")})
    origin_address: dict[str, Any] | None = Field(default=None, sa_type=RecordJSON, nullable=True)
    created_at: datetime = _time()


class ApiToken(SQLModel, table=True):
    __table_args__ = {"sqlite_autoincrement": True}  # ids are never reused, on SQLite too
    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    store_id: int = Field(foreign_key="store.id", index=True)
    kind: str = Field(max_length=16)  # "storefront" | "server"
    #: SHA-256 of salt + secret; the token itself is never stored.
    salt: str = Field(max_length=32)
    token_hash: str = Field(max_length=64)
    scopes: list[str] = Field(sa_type=sa.JSON, default_factory=list)
    label: str | None = Field(default=None, max_length=255)
    created_at: datetime = _time()
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)


class Product(SQLModel, table=True):
    __table_args__ = (sa.UniqueConstraint("store_id", "sku"), {"sqlite_autoincrement": True})

    id: int | None = Field(default=None, primary_key=True)
    store_id: int = Field(foreign_key="store.id")
    sku: str = Field(max_length=64)
    name: str = Field(max_length=255)
    price: Decimal = _money()
    weight: Decimal = _money()
    requires_shipping: bool = Field(default=True)
    created_at: datetime = _time()


class Checkout(SQLModel, table=True):
    id: str = Field(primary_key=True, max_length=36)
    store_id: int = Field(foreign_key="store.id", index=True)
    email: str | None = Field(default=None, max_length=255)
    currency_code: str = Field(max_length=3)
    billing_address: dict[str, Any] | None = Field(default=None, sa_type=RecordJSON, nullable=True)
    subtotal: Decimal = _money()
    shipping_cost_total: Decimal = _money()
    handling_cost_total: Decimal = _money()
    grand_total: Decimal = _money()
    version: int = Field(default=1)
    #: Set once, when the checkout becomes an order; the checkout is read-only from then on.
    order_id: int | None = Field(default=None)
    completed_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
    created_at: datetime = _time()
    updated_at: datetime = _time()


class LineItem(SQLModel, table=True):
    __tablename__ = "line_item"

    id: str = Field(primary_key=True, max_length=36)
    store_id: int = Field(foreign_key="store.id")
    checkout_id: str = Field(foreign_key="checkout.id", index=True)
    product_id: int = Field(foreign_key="product.id")
    position: int
    sku: str = Field(max_length=64)
    name: str = Field(max_length=255)
    quantity: int
    requires_shipping: bool
    currency_code: str = Field(max_length=3)
    list_price: Decimal = _money()
    extended_list_price: Decimal = _money()
    weight: Decimal = _money()


class Consignment(SQLModel, table=True):
    id: str = Field(primary_key=True, max_length=36)
    store_id: int = Field(foreign_key="store.id")
    checkout_id: str = Field(foreign_key="checkout.id", index=True)
    position: int
    address: dict[str, Any] | None = Field(default=None, sa_type=RecordJSON, nullable=True)
    pickup_method_id: int | None = Field(default=None)
    selected_shipping_option_id: str | None = Field(default=None, max_length=64)
    currency_code: str = Field(max_length=3)
    selected_option_key: str | None = Field(default=None, max_length=128)
    shipping_cost: Decimal = _money()
    handling_cost: Decimal = _money()
    #: What the current quotes were priced from; null while the consignment awaits (re)quoting.
    quote_fingerprint: str | None = Field(default=None, max_length=64)
    quote_config_version: int | None = Field(default=None)
    #: Digest of the configuration the quotes were priced from (gateway.domain.staleness): a quote goes
    #: stale only when this changes, not on every configuration edit.
    quote_pricing_digest: str | None = Field(default=None, max_length=64)
    #: The selected option the merchant removed (its description), until the shopper chooses again.
    unavailable_option: str | None = Field(default=None, max_length=255)
    shipping_zone_id: int | None = Field(default=None)
    shipping_zone_name: str | None = Field(default=None, max_length=255)
    quote_warnings: list[dict[str, Any]] | None = Field(default=None, sa_type=RecordJSON, nullable=True)
    created_at: datetime = _time()


class ConsignmentLineItem(SQLModel, table=True):
    """How many units of one line item travel in one consignment."""

    __tablename__ = "consignment_line_item"

    consignment_id: str = Field(foreign_key="consignment.id", primary_key=True, max_length=36)
    line_item_id: str = Field(foreign_key="line_item.id", primary_key=True, max_length=36, index=True)
    store_id: int = Field(foreign_key="store.id")
    checkout_id: str = Field(foreign_key="checkout.id", index=True)
    position: int
    quantity: int


class ShippingZone(SQLModel, table=True):
    __table_args__ = {"sqlite_autoincrement": True}  # ids are never reused, on SQLite too
    __tablename__ = "shipping_zone"

    id: int | None = Field(default=None, primary_key=True)
    store_id: int = Field(foreign_key="store.id", index=True)
    name: str = Field(max_length=255)
    type: str = Field(max_length=16)
    locations: list[dict[str, Any]] = Field(sa_type=RecordJSON, default_factory=list)
    enabled: bool = Field(default=True)
    free_shipping_enabled: bool = Field(default=False)
    free_shipping_minimum_subtotal: Decimal | None = Field(default=None, sa_type=ExactDecimal, nullable=True)
    handling_fee_type: str | None = Field(default=None, max_length=16)
    handling_fee_value: Decimal | None = Field(default=None, sa_type=ExactDecimal, nullable=True)
    handling_fee_display_separately: bool = Field(default=False)
    created_at: datetime = _time()
    updated_at: datetime = _time()


class ShippingMethod(SQLModel, table=True):
    __table_args__ = {"sqlite_autoincrement": True}  # ids are never reused, on SQLite too
    __tablename__ = "shipping_method"

    id: int | None = Field(default=None, primary_key=True)
    store_id: int = Field(foreign_key="store.id")
    zone_id: int = Field(foreign_key="shipping_zone.id", index=True)
    name: str = Field(max_length=255)
    type: str = Field(max_length=16)
    enabled: bool = Field(default=True)
    #: Type-specific settings (rate, ranges, default cost, carrier and services); decimals as strings.
    settings: dict[str, Any] = Field(sa_type=RecordJSON, default_factory=dict)
    handling_fee_type: str | None = Field(default=None, max_length=16)
    handling_fee_value: Decimal | None = Field(default=None, sa_type=ExactDecimal, nullable=True)
    created_at: datetime = _time()
    updated_at: datetime = _time()


class PickupMethod(SQLModel, table=True):
    __table_args__ = {"sqlite_autoincrement": True}  # ids are never reused, on SQLite too
    __tablename__ = "pickup_method"

    id: int | None = Field(default=None, primary_key=True)
    store_id: int = Field(foreign_key="store.id", index=True)
    location_name: str = Field(max_length=255)
    address: dict[str, Any] = Field(sa_type=RecordJSON)
    instructions: str | None = Field(default=None, max_length=1000)
    enabled: bool = Field(default=True)
    created_at: datetime = _time()
    updated_at: datetime = _time()


class CarrierConnection(SQLModel, table=True):
    """A store's credentials for a registered carrier. Credentials are write-only."""

    __tablename__ = "carrier_connection"
    __table_args__ = (sa.UniqueConstraint("store_id", "carrier_id"), {"sqlite_autoincrement": True})

    id: int | None = Field(default=None, primary_key=True)
    store_id: int = Field(foreign_key="store.id")
    carrier_id: str = Field(max_length=64)
    credentials: dict[str, Any] = Field(sa_type=sa.JSON, default_factory=dict)
    enabled: bool = Field(default=True)
    created_at: datetime = _time()
    updated_at: datetime = _time()


class ShippingQuote(SQLModel, table=True):
    """One priced shipping option offered to one consignment."""

    __tablename__ = "shipping_quote"

    consignment_id: str = Field(foreign_key="consignment.id", primary_key=True, max_length=36)
    id: str = Field(primary_key=True, max_length=64)
    store_id: int = Field(foreign_key="store.id")
    checkout_id: str = Field(foreign_key="checkout.id", index=True, max_length=36)
    position: int
    option_key: str = Field(max_length=128)
    method_id: int | None = Field(default=None)
    type: str = Field(max_length=64)
    description: str = Field(max_length=255)
    currency_code: str = Field(max_length=3)
    cost: Decimal = _money()
    handling_cost: Decimal = _money()
    transit_time: str | None = Field(default=None, max_length=100)
    image_url: str | None = Field(default=None, max_length=500)
    fingerprint: str = Field(max_length=64)
    config_version: int
    created_at: datetime = _time()


class Order(SQLModel, table=True):
    __tablename__ = "orders"
    __table_args__ = (
        sa.Index("ix_orders_store_id_created_at", "store_id", "created_at"),
        {"sqlite_autoincrement": True},
    )

    id: int | None = Field(default=None, primary_key=True)
    store_id: int = Field(foreign_key="store.id")
    checkout_id: str = Field(foreign_key="checkout.id", unique=True, max_length=36)
    status: str = Field(max_length=32)
    email: str = Field(max_length=255)
    currency_code: str = Field(max_length=3)
    billing_address: dict[str, Any] = Field(sa_type=RecordJSON)
    subtotal: Decimal = _money()
    shipping_cost_total: Decimal = _money()
    handling_cost_total: Decimal = _money()
    grand_total: Decimal = _money()
    items_total: int
    items_shipped: int = Field(default=0)
    date_shipped: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
    created_at: datetime = _time()
    updated_at: datetime = _time()


class OrderShippingAddress(SQLModel, table=True):
    __table_args__ = {"sqlite_autoincrement": True}  # ids are never reused, on SQLite too
    """Where one checkout consignment's items go, frozen at completion."""

    __tablename__ = "order_shipping_address"

    id: int | None = Field(default=None, primary_key=True)
    store_id: int = Field(foreign_key="store.id")
    order_id: int = Field(foreign_key="orders.id", index=True)
    position: int
    address: dict[str, Any] = Field(sa_type=RecordJSON)
    shipping_method: str = Field(max_length=255)
    currency_code: str = Field(max_length=3)
    shipping_cost: Decimal = _money()
    handling_cost: Decimal = _money()
    shipping_zone_name: str | None = Field(default=None, max_length=255)
    #: Set for a pickup destination (collected in store, never shipped), with the location frozen at purchase.
    pickup_method_id: int | None = Field(default=None)
    pickup_location_name: str | None = Field(default=None, max_length=255)
    pickup_instructions: str | None = Field(default=None, max_length=1000)
    #: When the shopper collected a pickup destination's items; null until then (and for shipping addresses).
    picked_up_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
    items_total: int
    items_shipped: int = Field(default=0)


class OrderProduct(SQLModel, table=True):
    __table_args__ = {"sqlite_autoincrement": True}  # ids are never reused, on SQLite too
    """A line item's portion in one consignment (or, for digital goods, the whole line)."""

    __tablename__ = "order_product"

    id: int | None = Field(default=None, primary_key=True)
    store_id: int = Field(foreign_key="store.id")
    order_id: int = Field(foreign_key="orders.id", index=True)
    shipping_address_id: int | None = Field(default=None, foreign_key="order_shipping_address.id", index=True)
    position: int
    product_id: int
    sku: str = Field(max_length=64)
    name: str = Field(max_length=255)
    quantity: int
    quantity_shipped: int = Field(default=0)
    currency_code: str = Field(max_length=3)
    price: Decimal = _money()
    weight: Decimal = _money()
    requires_shipping: bool


class Shipment(SQLModel, table=True):
    __table_args__ = {"sqlite_autoincrement": True}  # ids are never reused, on SQLite too
    id: int | None = Field(default=None, primary_key=True)
    store_id: int = Field(foreign_key="store.id")
    order_id: int = Field(foreign_key="orders.id", index=True)
    shipping_address_id: int = Field(foreign_key="order_shipping_address.id", index=True)
    tracking_number: str | None = Field(default=None, max_length=50)
    shipping_provider: str | None = Field(default=None, max_length=32)
    tracking_carrier: str | None = Field(default=None, max_length=100)
    tracking_link: str | None = Field(default=None, max_length=500)
    tracking_link_generated: bool = Field(default=False)
    shipping_method: str | None = Field(default=None, max_length=255)
    comments: str | None = Field(default=None, sa_type=sa.Text, nullable=True)
    created_at: datetime = _time()
    updated_at: datetime = _time()


class ShipmentItem(SQLModel, table=True):
    __tablename__ = "shipment_item"

    shipment_id: int = Field(foreign_key="shipment.id", primary_key=True)
    order_product_id: int = Field(foreign_key="order_product.id", primary_key=True, index=True)
    store_id: int = Field(foreign_key="store.id")
    order_id: int = Field(foreign_key="orders.id", index=True)
    position: int
    quantity: int


class IdempotencyKey(SQLModel, table=True):
    """A client's retry key: the same key and input return the first result."""

    __tablename__ = "idempotency_key"

    store_id: int = Field(foreign_key="store.id", primary_key=True)
    operation: str = Field(primary_key=True, max_length=64)
    key: str = Field(primary_key=True, max_length=255)
    request_hash: str = Field(max_length=64)
    result_id: str | None = Field(default=None, max_length=64)
    created_at: datetime = _time()


store = Store.__table__
api_token = ApiToken.__table__
product = Product.__table__
checkout = Checkout.__table__
line_item = LineItem.__table__
consignment = Consignment.__table__
consignment_line_item = ConsignmentLineItem.__table__
shipping_zone = ShippingZone.__table__
shipping_method = ShippingMethod.__table__
pickup_method = PickupMethod.__table__
carrier_connection = CarrierConnection.__table__
shipping_quote = ShippingQuote.__table__
orders = Order.__table__
order_shipping_address = OrderShippingAddress.__table__
order_product = OrderProduct.__table__
shipment = Shipment.__table__
shipment_item = ShipmentItem.__table__
idempotency_key = IdempotencyKey.__table__
