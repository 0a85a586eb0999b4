"""Inputs of the order and shipment mutations."""

from __future__ import annotations

from datetime import datetime

import strawberry

from gateway.api.order.types import OrderStatusEnum, ShippingProviderEnum
from gateway.domain import inputs

MAX_ID = 2**31 - 1


def int_id(value: strawberry.ID | int) -> int:
    """Integer ids (orders, addresses, products, shipments, zones, methods); anything else, including
    numbers outside the id columns' range, matches nothing."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return -1
    return number if 0 < number <= MAX_ID else -1


@strawberry.input(description="Narrow the orders list; all given conditions must hold.")
class OrderFilter:
    status: OrderStatusEnum | None = strawberry.field(default=None, description="Only this status.")  # type: ignore[valid-type]
    email: str | None = strawberry.field(
        default=None,
        description="Only this shopper email (case-insensitive); at most 255 characters (a longer one matches "
        "nothing).",
    )
    created_after: datetime | None = strawberry.field(default=None, description="Placed at or after (UTC).")
    created_before: datetime | None = strawberry.field(default=None, description="Placed before (UTC).")


@strawberry.input(description="Turn a checkout into an order.")
class CompleteCheckoutInput:
    checkout_id: strawberry.ID = strawberry.field(description="The checkout.")
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="Retry key: the same key and checkout return the first result; the key with another "
        "checkout is IDEMPOTENCY_KEY_REUSED. Kept at least 24 hours. 1 to 255 characters (at most 255).",
    )

    def to_domain(self) -> inputs.CompleteCheckoutInput:
        return inputs.CompleteCheckoutInput(checkout_id=str(self.checkout_id), idempotency_key=self.idempotency_key)


@strawberry.input(description="Units of one order product to put in a shipment.")
class ShipmentItemInput:
    order_product_id: strawberry.ID = strawberry.field(description="An `OrderProduct.id` of this order and address.")
    quantity: int = strawberry.field(description="At least 1, at most what is left to ship.")


@strawberry.input(description="Record a shipment of some of an order's products to one of its addresses.")
class CreateShipmentInput:
    order_id: strawberry.ID = strawberry.field(description="The order.")
    shipping_address_id: strawberry.ID = strawberry.field(description="One of the order's shipping addresses.")
    items: list[ShipmentItemInput] = strawberry.field(
        description="At least one, at most 250; each product at most once."
    )
    tracking_number: str | None = strawberry.field(default=None, description="At most 50 characters.")
    shipping_provider: ShippingProviderEnum | None = strawberry.field(default=None, description="Who carries it.")  # type: ignore[valid-type]
    tracking_carrier: str | None = strawberry.field(
        default=None, description="Carrier slug for tracking services, at most 255 characters."
    )
    tracking_link: str | None = strawberry.field(
        default=None,
        description="An http(s) URL of at most 500 characters; generated for known providers if left out.",
    )
    shipping_method: str | None = strawberry.field(
        default=None, description='Free text, e.g. "Ground"; at most 255 characters.'
    )
    comments: str | None = strawberry.field(default=None, description="Notes, at most 65535 characters.")
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="Retry key: the same key and input return the first shipment; the key with a different "
        "input is IDEMPOTENCY_KEY_REUSED. Kept at least 24 hours. 1 to 255 characters (at most 255).",
    )

    def to_domain(self) -> inputs.CreateShipmentInput:
        return inputs.CreateShipmentInput(
            order_id=int_id(self.order_id),
            shipping_address_id=int_id(self.shipping_address_id),
            items=tuple(inputs.ShipmentItemInput(int_id(item.order_product_id), item.quantity) for item in self.items),
            tracking=inputs.TrackingInput(
                tracking_number=self.tracking_number,
                shipping_provider=self.shipping_provider.value if self.shipping_provider else None,
                tracking_carrier=self.tracking_carrier,
                tracking_link=self.tracking_link,
                shipping_method=self.shipping_method,
                comments=self.comments,
            ),
            idempotency_key=self.idempotency_key,
        )


@strawberry.input(description="Change a shipment's tracking fields or comments; items never change.")
class UpdateShipmentInput:
    shipment_id: strawberry.ID = strawberry.field(description="The shipment.")
    tracking_number: str | None = strawberry.field(default=None, description="At most 50 characters.")
    shipping_provider: ShippingProviderEnum | None = strawberry.field(default=None, description="Who carries it.")  # type: ignore[valid-type]
    tracking_carrier: str | None = strawberry.field(default=None, description="Carrier slug, at most 255 characters.")
    tracking_link: str | None = strawberry.field(
        default=None,
        description="An http(s) URL of at most 500 characters; an empty string removes it (then it is generated "
        "if possible).",
    )
    shipping_method: str | None = strawberry.field(default=None, description="Free text, at most 255 characters.")
    comments: str | None = strawberry.field(default=None, description="Notes, at most 65535 characters.")

    def to_domain(self) -> inputs.TrackingInput:
        return inputs.TrackingInput(
            tracking_number=self.tracking_number,
            shipping_provider=self.shipping_provider.value if self.shipping_provider else None,
            tracking_carrier=self.tracking_carrier,
            tracking_link=self.tracking_link,
            shipping_method=self.shipping_method,
            comments=self.comments,
        )


@strawberry.input(description="Delete a shipment; its quantities become unshipped again.")
class DeleteShipmentInput:
    shipment_id: strawberry.ID = strawberry.field(description="The shipment.")


@strawberry.input(description="Record that the shopper collected a pickup's items in store.")
class MarkPickedUpInput:
    order_id: strawberry.ID = strawberry.field(description="The order.")
    pickup_id: strawberry.ID = strawberry.field(description="One of the order's `pickups` (`OrderPickup.id`).")

    def to_domain(self) -> inputs.MarkPickedUpInput:
        return inputs.MarkPickedUpInput(order_id=int_id(self.order_id), pickup_id=int_id(self.pickup_id))


@strawberry.input(description="Cancel an order that has nothing shipped or picked up.")
class CancelOrderInput:
    order_id: strawberry.ID = strawberry.field(description="The order.")
