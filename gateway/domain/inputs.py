"""Plain, frozen inputs to the domain functions. The API builds these from GraphQL inputs."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class CustomFieldInput:
    field_id: str
    field_value: str


@dataclass(frozen=True, slots=True)
class AddressInput:
    email: str
    country_code: str
    first_name: str | None = None
    last_name: str | None = None
    company: str | None = None
    address1: str | None = None
    address2: str | None = None
    city: str | None = None
    state_or_province: str | None = None
    state_or_province_code: str | None = None
    postal_code: str | None = None
    phone: str | None = None
    custom_fields: tuple[CustomFieldInput, ...] = ()


@dataclass(frozen=True, slots=True)
class SkuQuantity:
    sku: str
    quantity: int


@dataclass(frozen=True, slots=True)
class CreateCheckoutInput:
    line_items: tuple[SkuQuantity, ...]
    email: str | None = None


@dataclass(frozen=True, slots=True)
class SetBillingAddressInput:
    checkout_id: str
    address: AddressInput
    version: int | None = None


@dataclass(frozen=True, slots=True)
class ItemQuantity:
    item_id: str
    quantity: int


@dataclass(frozen=True, slots=True)
class ConsignmentInput:
    line_items: tuple[ItemQuantity, ...]
    address: AddressInput | None = None
    pickup_method_id: int | None = None


@dataclass(frozen=True, slots=True)
class AddConsignmentsInput:
    checkout_id: str
    consignments: tuple[ConsignmentInput, ...]
    version: int | None = None


@dataclass(frozen=True, slots=True)
class UpdateConsignmentInput:
    """`None` means "not sent": only the fields given are changed."""

    checkout_id: str
    consignment_id: str
    address: AddressInput | None = None
    line_items: tuple[ItemQuantity, ...] | None = None
    shipping_option_id: str | None = None
    pickup_method_id: int | None = None
    version: int | None = None


@dataclass(frozen=True, slots=True)
class DeleteConsignmentInput:
    checkout_id: str
    consignment_id: str
    version: int | None = None


@dataclass(frozen=True, slots=True)
class RefreshShippingOptionsInput:
    """`consignment_id` None refreshes every shipping consignment of the checkout."""

    checkout_id: str
    consignment_id: str | None = None
    version: int | None = None


@dataclass(frozen=True, slots=True)
class CompleteCheckoutInput:
    checkout_id: str
    idempotency_key: str | None = None


@dataclass(frozen=True, slots=True)
class ShipmentItemInput:
    order_product_id: int
    quantity: int


@dataclass(frozen=True, slots=True)
class TrackingInput:
    """Tracking fields of a shipment. For updates, `None` leaves a field unchanged."""

    tracking_number: str | None = None
    shipping_provider: str | None = None
    tracking_carrier: str | None = None
    tracking_link: str | None = None
    shipping_method: str | None = None
    comments: str | None = None


@dataclass(frozen=True, slots=True)
class MarkPickedUpInput:
    order_id: int
    pickup_id: int


@dataclass(frozen=True, slots=True)
class CreateShipmentInput:
    order_id: int
    shipping_address_id: int
    items: tuple[ShipmentItemInput, ...]
    tracking: TrackingInput
    idempotency_key: str | None = None
