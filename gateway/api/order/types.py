"""Order, shipping address, order product and shipment types, resolved from plain rows."""

from __future__ import annotations

from datetime import datetime

import strawberry

from gateway.api.address import Address
from gateway.api.enums import described_enum
from gateway.api.money import Money
from gateway.api.relations import amount, related
from gateway.domain.orders import OrderStatus
from gateway.domain.shipments import ShippingProvider

OrderStatusEnum = described_enum(
    OrderStatus,
    "OrderStatus",
    "Where an order is in fulfilment; shipments move it along.",
    {
        "AWAITING_FULFILLMENT": "Placed; nothing shipped.",
        "PARTIALLY_SHIPPED": "Some physical units shipped.",
        "AWAITING_PICKUP": "Nothing left to ship (everything shipped, or a pickup-only order) and a pickup not "
        "collected yet; `markPickedUp` moves it on.",
        "SHIPPED": "Every unit to ship shipped (`dateShipped` is set) and every pickup collected; receipt is not "
        "confirmed.",
        "COMPLETED": "Nothing was to ship and everything is in the shopper's hands: a digital-only order when "
        "placed, a pickup-only order once collected.",
        "CANCELLED": "Cancelled with `cancelOrder` before anything shipped or was picked up.",
    },
)
ShippingProviderEnum = described_enum(
    ShippingProvider,
    "ShippingProvider",
    "Who carries a shipment. Known providers get a generated tracking link; CUSTOM does not.",
    {
        "UPS": "UPS.",
        "FEDEX": "FedEx.",
        "USPS": "United States Postal Service.",
        "CANADA_POST": "Canada Post.",
        "AUSTRALIA_POST": "Australia Post.",
        "ROYAL_MAIL": "Royal Mail.",
        "DHL": "DHL Express.",
        "CUSTOM": "Any other carrier; give `trackingLink` yourself.",
    },
)


@strawberry.type(description="One product of an order: a line item's portion going to one shipping address.")
class OrderProduct:
    id: strawberry.ID = strawberry.field(description="Pass as `orderProductId` when creating a shipment.")
    sku: str = strawberry.field(description="Product SKU.")
    name: str = strawberry.field(description="Product name at purchase.")
    quantity: int = strawberry.field(description="Units ordered for this address.")
    quantity_shipped: int = strawberry.field(description="Units shipped so far.")

    @strawberry.field(description="Unit price at purchase.")
    @amount("price")
    def price(self) -> Money: ...

    @strawberry.field(description="Where it ships; null for digital goods and for items collected in store.")
    async def shipping_address(self, info: strawberry.Info) -> ShippingAddress | None:
        address_id = self.shipping_address_id  # type: ignore[attr-defined]
        if address_id is None:
            return None
        destination = await info.context.loaders.shipping_address_by_id.load(address_id)
        return None if destination is None or destination.pickup_method_id is not None else destination

    @strawberry.field(description="Where the shopper collects it; null unless it is an item collected in store.")
    async def pickup(self, info: strawberry.Info) -> OrderPickup | None:
        address_id = self.shipping_address_id  # type: ignore[attr-defined]
        if address_id is None:
            return None
        destination = await info.context.loaders.shipping_address_by_id.load(address_id)
        return destination if destination is not None and destination.pickup_method_id is not None else None


@strawberry.type(description="Units of one order product in a shipment.")
class ShipmentItem:
    quantity: int = strawberry.field(description="Units shipped.")

    @strawberry.field(description="The order product shipped.")
    @related("order_product_by_id", key="order_product_id", many=False)
    async def order_product(self, info: strawberry.Info) -> OrderProduct: ...


@strawberry.type(description="A parcel sent to one of the order's shipping addresses.")
class Shipment:
    id: strawberry.ID = strawberry.field(description="Shipment id.")
    tracking_number: str | None = strawberry.field(description="Carrier tracking number (at most 50 characters).")
    shipping_provider: ShippingProviderEnum | None = strawberry.field(description="Who carries it.")  # type: ignore[valid-type]
    tracking_carrier: str | None = strawberry.field(description="Carrier slug for tracking services, if any.")
    tracking_link: str | None = strawberry.field(
        description="Tracking page: the one given, else generated from provider and tracking number."
    )
    shipping_method: str | None = strawberry.field(description='Free text, e.g. "Ground".')
    comments: str | None = strawberry.field(description="Notes about the shipment.")
    created_at: datetime = strawberry.field(description="When it was recorded (UTC).")

    @strawberry.field(description="The order shipped from.")
    @related("order_by_id", key="order_id", many=False)
    async def order(self, info: strawberry.Info) -> Order: ...

    @strawberry.field(description="Where it goes.")
    @related("shipping_address_by_id", key="shipping_address_id", many=False)
    async def shipping_address(self, info: strawberry.Info) -> ShippingAddress: ...

    @strawberry.field(description="What is in it.")
    @related("shipment_items_by_shipment_id")
    async def items(self, info: strawberry.Info) -> list[ShipmentItem]: ...


@strawberry.type(description="Where one checkout consignment's items go: address, method and cost, frozen at purchase.")
class ShippingAddress:
    id: strawberry.ID = strawberry.field(description="Pass as `shippingAddressId` when creating a shipment.")
    address: Address = strawberry.field(description="The address (for pickup: the pickup location).")
    shipping_method: str = strawberry.field(description="The selected option's description, or the pickup location.")
    shipping_zone_name: str | None = strawberry.field(description="Zone that priced the shipping, if any.")
    items_total: int = strawberry.field(description="Units going to this address.")
    items_shipped: int = strawberry.field(description="Units shipped to it so far.")

    @strawberry.field(description="Shipping cost paid for this address.")
    @amount("shipping_cost")
    def shipping_cost(self) -> Money: ...

    @strawberry.field(description="Handling cost shown separately for this address.")
    @amount("handling_cost")
    def handling_cost(self) -> Money: ...

    @strawberry.field(description="The order this address belongs to.")
    @related("order_by_id", key="order_id", many=False)
    async def order(self, info: strawberry.Info) -> Order: ...

    @strawberry.field(description="Products going to this address.")
    @related(
        "order_products_by_order_id", key="order_id", keep=lambda row, parent: row.shipping_address_id == parent.id
    )
    async def products(self, info: strawberry.Info) -> list[OrderProduct]: ...

    @strawberry.field(description="Shipments sent to this address.")
    @related("shipments_by_order_id", key="order_id", keep=lambda row, parent: row.shipping_address_id == parent.id)
    async def shipments(self, info: strawberry.Info) -> list[Shipment]: ...


@strawberry.type(
    description="Where the shopper collects one pickup consignment's items: the pickup location, frozen at "
    "purchase. Never shipped (`createShipment` refuses it with PICKUP_NOT_SHIPPABLE); `markPickedUp` records "
    "the collection."
)
class OrderPickup:
    id: strawberry.ID = strawberry.field(description="Pass as `pickupId` to `markPickedUp`.")
    address: Address = strawberry.field(description="The pickup location's address.")
    picked_up_at: datetime | None = strawberry.field(
        description="When the shopper collected the items (UTC); null until then."
    )

    @strawberry.field(description="The store's pickup method (location) chosen at checkout.")
    def pickup_method_id(self) -> strawberry.ID:
        return strawberry.ID(str(self.pickup_method_id))

    @strawberry.field(description="The location's name at purchase.")
    def location_name(self) -> str:
        return self.pickup_location_name or self.shipping_method.removeprefix("Pickup: ")  # type: ignore[attr-defined, no-any-return]

    @strawberry.field(description="What the shopper was told at purchase, e.g. where to ask; null if nothing.")
    def instructions(self) -> str | None:
        return self.pickup_instructions  # type: ignore[attr-defined, no-any-return]

    @strawberry.field(description="The products to collect here.")
    @related(
        "order_products_by_order_id", key="order_id", keep=lambda row, parent: row.shipping_address_id == parent.id
    )
    async def items(self, info: strawberry.Info) -> list[OrderProduct]: ...

    @strawberry.field(description="The order this pickup belongs to.")
    @related("order_by_id", key="order_id", many=False)
    async def order(self, info: strawberry.Info) -> Order: ...


@strawberry.type(description="A placed order: a completed checkout's snapshot, and its shipments.")
class Order:
    id: strawberry.ID = strawberry.field(description="Order id.")
    status: OrderStatusEnum = strawberry.field(description="Fulfilment status.")  # type: ignore[valid-type]
    email: str = strawberry.field(description="Shopper's email.")
    currency_code: str = strawberry.field(description="ISO 4217 currency of every amount.")
    billing_address: Address = strawberry.field(description="Billing address at purchase.")
    items_total: int = strawberry.field(
        description="Physical units to ship (digital goods and items collected in store are not counted)."
    )
    items_shipped: int = strawberry.field(description="Physical units shipped so far.")
    date_shipped: datetime | None = strawberry.field(description="When the last item shipped; null until then.")
    checkout_id: strawberry.ID = strawberry.field(description="The checkout it came from.")
    created_at: datetime = strawberry.field(description="When it was placed (UTC).")

    @strawberry.field(description="One per shipping consignment of the checkout; pickups are in `pickups`.")
    @related("shipping_addresses_by_order_id", keep=lambda row, parent: row.pickup_method_id is None)
    async def shipping_addresses(self, info: strawberry.Info) -> list[ShippingAddress]: ...

    @strawberry.field(description="One per pickup consignment of the checkout: items the shopper collects in store.")
    @related("shipping_addresses_by_order_id", keep=lambda row, parent: row.pickup_method_id is not None)
    async def pickups(self, info: strawberry.Info) -> list[OrderPickup]: ...

    @strawberry.field(description="Every product, per shipping address or pickup; digital goods have neither.")
    @related("order_products_by_order_id")
    async def products(self, info: strawberry.Info) -> list[OrderProduct]: ...

    @strawberry.field(description="Shipments, oldest first.")
    @related("shipments_by_order_id")
    async def shipments(self, info: strawberry.Info) -> list[Shipment]: ...

    @strawberry.field(description="Sum of the products' prices times quantities.")
    @amount("subtotal")
    def subtotal(self) -> Money: ...

    @strawberry.field(description="Sum of the shipping addresses' shipping costs.")
    @amount("shipping_cost_total")
    def shipping_cost_total(self) -> Money: ...

    @strawberry.field(description="Sum of the shipping addresses' handling costs.")
    @amount("handling_cost_total")
    def handling_cost_total(self) -> Money: ...

    @strawberry.field(description="`subtotal` + `shippingCostTotal` + `handlingCostTotal`.")
    @amount("grand_total")
    def grand_total(self) -> Money: ...
