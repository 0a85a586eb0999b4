"""Inputs of the shipping configuration mutations, and their translation into domain inputs."""

from __future__ import annotations

from decimal import Decimal

import strawberry

from gateway.api.shipping.types import DefaultCostTypeEnum, HandlingFeeTypeEnum, MethodTypeEnum, ZoneTypeEnum
from gateway.domain import shipping_config as config


@strawberry.input(description="A place a zone covers: country; country + stateCode (STATE); country + zip (ZIP).")
class ZoneLocationInput:
    country_code: str = strawberry.field(description="ISO 3166-1 alpha-2 code; at most 255 characters.")
    state_code: str | None = strawberry.field(default=None, description="STATE zones only; at most 255 characters.")
    zip: str | None = strawberry.field(
        default=None, description="ZIP zones only: a pattern with `*` and `?`, at most 20 characters."
    )


@strawberry.input(description="Free shipping over a subtotal.")
class FreeShippingInput:
    enabled: bool = strawberry.field(description="Offer a free option in this zone.")
    minimum_subtotal: Decimal | None = strawberry.field(
        default=None, description="From this consignment subtotal on; null: always."
    )


@strawberry.input(description="A handling fee: fixed amount or percentage of the shipping cost.")
class HandlingFeeInput:
    type: HandlingFeeTypeEnum = strawberry.field(description="FIXED or PERCENTAGE.")  # type: ignore[valid-type]
    value: Decimal = strawberry.field(description="Amount, or percentage (5 = 5%). At least 0.")

    def to_domain(self, display_separately: bool = False) -> config.HandlingFeeInput:
        return config.HandlingFeeInput(type=self.type, value=self.value, display_separately=display_separately)


@strawberry.input(description="A zone's handling fee.")
class ZoneHandlingFeeInput:
    type: HandlingFeeTypeEnum = strawberry.field(description="FIXED or PERCENTAGE.")  # type: ignore[valid-type]
    value: Decimal = strawberry.field(description="Amount, or percentage (5 = 5%). At least 0.")
    display_separately: bool = strawberry.field(
        default=False,
        description="Show handling as the consignment's `handlingCost` instead of folding it in.",
    )


def _locations(items: list[ZoneLocationInput] | None) -> tuple[config.LocationInput, ...] | None:
    if items is None:
        return None
    return tuple(config.LocationInput(i.country_code, i.state_code, i.zip) for i in items)


def _zone_fee(fee: ZoneHandlingFeeInput | None) -> config.HandlingFeeInput | None:
    if fee is None:
        return None
    return config.HandlingFeeInput(type=fee.type, value=fee.value, display_separately=fee.display_separately)


@strawberry.input(description="A new shipping zone.")
class CreateShippingZoneInput:
    name: str = strawberry.field(description="1 to 255 characters (at most 255).")
    type: ZoneTypeEnum = strawberry.field(description="How locations match.")  # type: ignore[valid-type]
    locations: list[ZoneLocationInput] = strawberry.field(
        default_factory=list, description="Required for every type but GLOBAL, which takes none; at most 40000."
    )
    enabled: bool = strawberry.field(default=True, description="Disabled zones never match.")
    free_shipping: FreeShippingInput | None = strawberry.field(
        default=None, description="Free shipping over a subtotal."
    )
    handling_fee: ZoneHandlingFeeInput | None = strawberry.field(default=None, description="Zone handling fee.")

    def to_domain(self) -> config.ZoneInput:
        return config.ZoneInput(
            name=self.name,
            type=self.type,
            locations=_locations(self.locations),
            enabled=self.enabled,
            free_shipping_enabled=self.free_shipping.enabled if self.free_shipping else False,
            free_shipping_minimum_subtotal=self.free_shipping.minimum_subtotal if self.free_shipping else None,
            handling_fee=_zone_fee(self.handling_fee),
        )


@strawberry.input(description="Change a zone; fields left out stay as they are.")
class UpdateShippingZoneInput:
    id: strawberry.ID = strawberry.field(description="The zone.")
    name: str | None = strawberry.field(default=None, description="New name, 1 to 255 characters (at most 255).")
    type: ZoneTypeEnum | None = strawberry.field(default=None, description="New type; locations must fit it.")  # type: ignore[valid-type]
    locations: list[ZoneLocationInput] | None = strawberry.field(
        default=None, description="Replaces the locations; at most 40000."
    )
    enabled: bool | None = strawberry.field(default=None, description="Enable or disable.")
    free_shipping: FreeShippingInput | None = strawberry.field(default=None, description="Replaces free shipping.")
    handling_fee: strawberry.Maybe[ZoneHandlingFeeInput | None] = strawberry.field(
        default=None, description="Replaces the handling fee; null removes it."
    )

    def to_domain(self) -> config.ZoneInput:
        fee = self.handling_fee.value if self.handling_fee is not None else None
        return config.ZoneInput(
            name=self.name,
            type=self.type,
            locations=_locations(self.locations),
            enabled=self.enabled,
            free_shipping_enabled=self.free_shipping.enabled if self.free_shipping else None,
            free_shipping_minimum_subtotal=self.free_shipping.minimum_subtotal if self.free_shipping else None,
            handling_fee=_zone_fee(fee),
            clear_handling_fee=self.handling_fee is not None and fee is None,
            replace_free_shipping=self.free_shipping is not None,
        )


@strawberry.input(description="A WEIGHT or TOTAL bracket, both limits inclusive.")
class RateRangeInput:
    lower_limit: Decimal = strawberry.field(description="Inclusive lower limit.")
    upper_limit: Decimal = strawberry.field(description="Inclusive upper limit, not below lowerLimit.")
    cost: Decimal = strawberry.field(description="Cost within the bracket.")


def _ranges(items: list[RateRangeInput] | None) -> tuple[config.RateRangeInput, ...] | None:
    if items is None:
        return None
    return tuple(config.RateRangeInput(r.lower_limit, r.upper_limit, r.cost) for r in items)


@strawberry.input(description="A new shipping method in a zone. Give the settings its type needs.")
class CreateShippingMethodInput:
    zone_id: strawberry.ID = strawberry.field(description="The zone.")
    name: str = strawberry.field(description="Shown to shoppers; 1 to 255 characters (at most 255).")
    type: MethodTypeEnum = strawberry.field(description="How it prices.")  # type: ignore[valid-type]
    enabled: bool = strawberry.field(default=True, description="Disabled methods are never offered.")
    rate: Decimal | None = strawberry.field(default=None, description="PER_ORDER / PER_ITEM: required.")
    ranges: list[RateRangeInput] | None = strawberry.field(
        default=None, description="WEIGHT / TOTAL brackets, at most 100."
    )
    default_cost: Decimal | None = strawberry.field(default=None, description="WEIGHT / TOTAL fallback cost.")
    default_cost_type: DefaultCostTypeEnum | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="Default FIXED_AMOUNT."
    )
    carrier_id: str | None = strawberry.field(
        default=None, description="CARRIER: a connected carrier; at most 255 characters."
    )
    services: list[str] | None = strawberry.field(
        default=None, description="CARRIER: service codes to offer, at most 50, each at most 255 characters."
    )
    handling_fee: HandlingFeeInput | None = strawberry.field(default=None, description="Added to the zone's fee.")

    def to_domain(self) -> config.MethodInput:
        return config.MethodInput(
            name=self.name,
            type=self.type,
            enabled=self.enabled,
            rate=self.rate,
            ranges=_ranges(self.ranges),
            default_cost=self.default_cost,
            default_cost_type=self.default_cost_type,
            carrier_id=self.carrier_id,
            services=tuple(self.services) if self.services is not None else None,
            handling_fee=self.handling_fee.to_domain() if self.handling_fee else None,
        )


@strawberry.input(description="Change a method; fields left out stay as they are. A new type needs its settings.")
class UpdateShippingMethodInput:
    id: strawberry.ID = strawberry.field(description="The method.")
    name: str | None = strawberry.field(default=None, description="New name, 1 to 255 characters (at most 255).")
    type: MethodTypeEnum | None = strawberry.field(default=None, description="New type.")  # type: ignore[valid-type]
    enabled: bool | None = strawberry.field(default=None, description="Enable or disable.")
    rate: Decimal | None = strawberry.field(default=None, description="PER_ORDER / PER_ITEM rate.")
    ranges: list[RateRangeInput] | None = strawberry.field(
        default=None, description="Replaces the brackets; at most 100."
    )
    default_cost: Decimal | None = strawberry.field(default=None, description="WEIGHT / TOTAL fallback cost.")
    default_cost_type: DefaultCostTypeEnum | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="How defaultCost applies."
    )
    carrier_id: str | None = strawberry.field(
        default=None, description="CARRIER: a connected carrier; at most 255 characters."
    )
    services: list[str] | None = strawberry.field(
        default=None, description="CARRIER: replaces the services; at most 50, each at most 255 characters."
    )
    handling_fee: strawberry.Maybe[HandlingFeeInput | None] = strawberry.field(
        default=None, description="Replaces the method's handling fee; null removes it."
    )

    def to_domain(self) -> config.MethodInput:
        fee = self.handling_fee.value if self.handling_fee is not None else None
        return config.MethodInput(
            name=self.name,
            type=self.type,
            enabled=self.enabled,
            rate=self.rate,
            ranges=_ranges(self.ranges),
            default_cost=self.default_cost,
            default_cost_type=self.default_cost_type,
            carrier_id=self.carrier_id,
            services=tuple(self.services) if self.services is not None else None,
            handling_fee=fee.to_domain() if fee else None,
            clear_handling_fee=self.handling_fee is not None and fee is None,
        )


@strawberry.input(description="A pickup location's address.")
class PickupAddressInput:
    country_code: str = strawberry.field(description="ISO 3166-1 alpha-2 code, at most 255 characters.")
    address1: str | None = strawberry.field(default=None, description="First street line, at most 255 characters.")
    address2: str | None = strawberry.field(default=None, description="Second street line, at most 255 characters.")
    city: str | None = strawberry.field(default=None, description="City, at most 255 characters.")
    state_or_province: str | None = strawberry.field(
        default=None, description="State or province name, at most 255 characters."
    )
    state_or_province_code: str | None = strawberry.field(
        default=None, description="State or province code, at most 255 characters."
    )
    postal_code: str | None = strawberry.field(default=None, description="Postal code, at most 255 characters.")
    phone: str | None = strawberry.field(default=None, description="Phone number, at most 255 characters.")

    def to_document(self) -> dict[str, str | None]:
        return {
            "country_code": self.country_code,
            "address1": self.address1,
            "address2": self.address2,
            "city": self.city,
            "state_or_province": self.state_or_province,
            "state_or_province_code": self.state_or_province_code,
            "postal_code": self.postal_code,
            "phone": self.phone,
        }


@strawberry.input(description="A new pickup location.")
class CreatePickupMethodInput:
    location_name: str = strawberry.field(description="1 to 255 characters (at most 255).")
    address: PickupAddressInput = strawberry.field(description="Where it is.")
    instructions: str | None = strawberry.field(default=None, description="At most 1000 characters.")
    enabled: bool = strawberry.field(default=True, description="Disabled locations cannot be chosen.")

    def to_domain(self) -> config.PickupMethodInput:
        return config.PickupMethodInput(self.location_name, self.address.to_document(), self.instructions, self.enabled)


@strawberry.input(description="Change a pickup location; fields left out stay as they are.")
class UpdatePickupMethodInput:
    id: int = strawberry.field(description="The pickup method.")
    location_name: str | None = strawberry.field(
        default=None, description="New name, 1 to 255 characters (at most 255)."
    )
    address: PickupAddressInput | None = strawberry.field(default=None, description="Replaces the address.")
    instructions: str | None = strawberry.field(default=None, description="New instructions, at most 1000 characters.")
    enabled: bool | None = strawberry.field(default=None, description="Enable or disable.")

    def to_domain(self) -> config.PickupMethodInput:
        return config.PickupMethodInput(
            self.location_name,
            self.address.to_document() if self.address else None,
            self.instructions,
            self.enabled,
        )


@strawberry.input(description="One credential field for a carrier (write-only).")
class CarrierCredentialInput:
    key: str = strawberry.field(description="Field name, e.g. account_number; at most 255 characters.")
    value: str = strawberry.field(description="Field value, at most 255 characters. Never returned by any query.")


@strawberry.input(description="Connect (or reconnect) a registered carrier.")
class ConnectCarrierInput:
    carrier_id: str = strawberry.field(description="A carrier id from `carrierAccounts`; at most 255 characters.")
    credentials: list[CarrierCredentialInput] = strawberry.field(
        default_factory=list, description="At most 20; sent to the carrier with every rate request; never returned."
    )


@strawberry.input(description="Remove a store's connection to a carrier.")
class DisconnectCarrierInput:
    carrier_id: str = strawberry.field(description="The carrier; at most 255 characters.")


@strawberry.input(description="Delete one object by id.")
class DeleteByIdInput:
    id: strawberry.ID = strawberry.field(description="The object's id.")
