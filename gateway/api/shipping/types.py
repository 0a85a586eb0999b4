"""Shipping configuration types: zones, methods, pickup locations, carrier connections."""

from __future__ import annotations

from decimal import Decimal

import strawberry

from gateway.api.address import Address
from gateway.api.enums import described_enum
from gateway.api.money import Money, money
from gateway.api.relations import related
from gateway.domain.money import canonical_amount, plain
from gateway.domain.shipping_rates import DefaultCostType, HandlingFeeType, MethodType
from gateway.domain.zones import ZoneType

ZoneTypeEnum = described_enum(
    ZoneType,
    "ShippingZoneType",
    "How a zone's locations match addresses. Precedence: ZIP, then STATE, then COUNTRY, then GLOBAL.",
    {
        "ZIP": "Country plus postal code pattern (`*` any run, `?` one character).",
        "STATE": "Country plus state or province code.",
        "COUNTRY": "Whole countries.",
        "GLOBAL": "Everywhere; the fallback.",
    },
)
MethodTypeEnum = described_enum(
    MethodType,
    "ShippingMethodType",
    "How a method prices a consignment.",
    {
        "PER_ORDER": "`rate` once per consignment.",
        "PER_ITEM": "`rate` times the consignment's units.",
        "WEIGHT": "First range (by lower limit) containing the consignment weight, else `defaultCost`.",
        "TOTAL": "First range (by lower limit) containing the consignment subtotal, else `defaultCost`.",
        "FREE_SHIPPING": "Always exactly zero: neither the zone's nor the method's handling fee is added.",
        "CARRIER": "Real-time quotes from a connected carrier, for the listed services.",
    },
)
DefaultCostTypeEnum = described_enum(
    DefaultCostType,
    "DefaultCostType",
    "How a WEIGHT or TOTAL method's defaultCost applies when no range matches.",
    {
        "FIXED_AMOUNT": "`defaultCost` is an amount.",
        "PERCENTAGE_OF_TOTAL": "`defaultCost` is a percentage of the consignment subtotal.",
    },
)
HandlingFeeTypeEnum = described_enum(
    HandlingFeeType,
    "HandlingFeeType",
    "How a handling fee is computed.",
    {"FIXED": "A fixed amount.", "PERCENTAGE": "A percentage of the option's shipping cost."},
)


@strawberry.type(description="One place a zone covers. Which fields are set depends on the zone type.")
class ZoneLocation:
    country_code: str = strawberry.field(description="ISO 3166-1 alpha-2 country code.")
    state_code: str | None = strawberry.field(description="State or province code (STATE zones).")
    zip: str | None = strawberry.field(
        description="Postal code pattern (ZIP zones): `*` matches any run of characters, `?` exactly one; "
        "case-insensitive."
    )


@strawberry.type(description="A handling fee charged on top of shipping.")
class HandlingFee:
    type: HandlingFeeTypeEnum = strawberry.field(description="Fixed amount or percentage.")  # type: ignore[valid-type]
    value: Decimal = strawberry.field(description="The amount, or the percentage (5 = 5%).")


@strawberry.type(description="A zone's handling fee and how it is shown.")
class ZoneHandlingFee:
    type: HandlingFeeTypeEnum = strawberry.field(description="Fixed amount or percentage.")  # type: ignore[valid-type]
    value: Decimal = strawberry.field(description="The amount, or the percentage (5 = 5%).")
    display_separately: bool = strawberry.field(
        description="True: handling shows as the consignment's `handlingCost`. False: folded into shipping cost."
    )


@strawberry.type(description="Free shipping a zone grants once a consignment's subtotal reaches a minimum.")
class FreeShipping:
    enabled: bool = strawberry.field(description="Whether the zone offers free shipping at all.")
    minimum_subtotal: Money | None = strawberry.field(
        description="Consignment subtotal from which the free option is offered; null means always."
    )


@strawberry.type(description="A WEIGHT or TOTAL bracket: both limits inclusive.")
class RateRange:
    lower_limit: Decimal = strawberry.field(description="Inclusive lower limit (weight or subtotal).")
    upper_limit: Decimal = strawberry.field(description="Inclusive upper limit.")
    cost: Decimal = strawberry.field(description="Shipping cost within the bracket.")


def fee_value(fee_type: str, value: Decimal, currency: str) -> Decimal:
    """A FIXED fee is money (the currency's minor unit); a PERCENTAGE is plain."""
    return canonical_amount(value, currency) if fee_type == HandlingFeeType.FIXED.value else plain(value)


def _handling(fee_type: str | None, value: Decimal | None, currency: str) -> HandlingFee | None:
    if fee_type is None or value is None:
        return None
    return HandlingFee(type=HandlingFeeType(fee_type), value=fee_value(fee_type, value, currency))


@strawberry.type(description="How one zone charges for shipping.")
class ShippingMethod:
    id: strawberry.ID = strawberry.field(description="Method id.")
    zone_id: strawberry.ID = strawberry.field(description="The zone it belongs to.")
    name: str = strawberry.field(description="Shown to shoppers as the option's description.")
    type: MethodTypeEnum = strawberry.field(description="How it prices.")  # type: ignore[valid-type]
    enabled: bool = strawberry.field(description="Disabled methods are never offered.")

    @strawberry.field(description="PER_ORDER: the price per consignment. PER_ITEM: the price per unit.")
    def rate(self, info: strawberry.Info) -> Decimal | None:
        value = self.settings.get("rate")  # type: ignore[attr-defined]
        currency = info.context.principal.currency_code
        return canonical_amount(Decimal(value), currency) if value is not None else None

    @strawberry.field(description="WEIGHT / TOTAL brackets, ascending by lower limit.")
    def ranges(self, info: strawberry.Info) -> list[RateRange]:
        brackets = self.settings.get("ranges") or []  # type: ignore[attr-defined]
        currency = info.context.principal.currency_code
        limit = plain if self.type == MethodType.WEIGHT.value else (lambda v: canonical_amount(v, currency))  # type: ignore[attr-defined]
        return [
            RateRange(
                lower_limit=limit(Decimal(r["lower_limit"])),
                upper_limit=limit(Decimal(r["upper_limit"])),
                cost=canonical_amount(Decimal(r["cost"]), currency),
            )
            for r in sorted(brackets, key=lambda r: Decimal(r["lower_limit"]))
        ]

    @strawberry.field(description="WEIGHT / TOTAL: the cost when no range matches; null: then not offered.")
    def default_cost(self, info: strawberry.Info) -> Decimal | None:
        value = self.settings.get("default_cost")  # type: ignore[attr-defined]
        if value is None:
            return None
        if self.settings.get("default_cost_type") == DefaultCostType.PERCENTAGE_OF_TOTAL.value:  # type: ignore[attr-defined]
            return plain(Decimal(value))
        return canonical_amount(Decimal(value), info.context.principal.currency_code)

    @strawberry.field(description="WEIGHT / TOTAL: whether `defaultCost` is an amount or a percentage of the subtotal.")
    def default_cost_type(self) -> DefaultCostTypeEnum | None:  # type: ignore[valid-type]
        value = self.settings.get("default_cost_type")  # type: ignore[attr-defined]
        return DefaultCostType(value) if value else None

    @strawberry.field(description="CARRIER: the connected carrier quoting this method.")
    def carrier_id(self) -> str | None:
        return self.settings.get("carrier_id")  # type: ignore[attr-defined, no-any-return]

    @strawberry.field(description="CARRIER: the carrier service codes offered (others are ignored).")
    def services(self) -> list[str]:
        return list(self.settings.get("services") or [])  # type: ignore[attr-defined]

    @strawberry.field(description="The method's own handling fee, added to the zone's.")
    def handling_fee(self, info: strawberry.Info) -> HandlingFee | None:
        currency = info.context.principal.currency_code
        return _handling(self.handling_fee_type, self.handling_fee_value, currency)  # type: ignore[attr-defined]


@strawberry.type(description="Where a store ships and how it charges there.")
class ShippingZone:
    id: strawberry.ID = strawberry.field(description="Zone id; ties between equally specific zones go to the lowest.")
    name: str = strawberry.field(description="Merchant-facing name; shown on orders.")
    type: ZoneTypeEnum = strawberry.field(description="How locations match.")  # type: ignore[valid-type]
    locations: list[ZoneLocation] = strawberry.field(description="Places covered (empty for GLOBAL).")
    enabled: bool = strawberry.field(description="Disabled zones never match.")

    @strawberry.field(description="Free shipping over a subtotal.")
    def free_shipping(self, info: strawberry.Info) -> FreeShipping:
        minimum = self.free_shipping_minimum_subtotal  # type: ignore[attr-defined]
        currency = info.context.principal.currency_code
        return FreeShipping(
            enabled=self.free_shipping_enabled,  # type: ignore[attr-defined]
            minimum_subtotal=money(minimum, currency) if minimum is not None else None,
        )

    @strawberry.field(description="The zone's handling fee, if any.")
    def handling_fee(self, info: strawberry.Info) -> ZoneHandlingFee | None:
        if self.handling_fee_type is None:  # type: ignore[attr-defined]
            return None
        return ZoneHandlingFee(
            type=HandlingFeeType(self.handling_fee_type),  # type: ignore[attr-defined]
            value=fee_value(self.handling_fee_type, self.handling_fee_value, info.context.principal.currency_code),  # type: ignore[attr-defined]
            display_separately=self.handling_fee_display_separately,  # type: ignore[attr-defined]
        )

    @strawberry.field(description="The zone's shipping methods, by id.")
    @related("methods_by_zone_id")
    async def methods(self, info: strawberry.Info) -> list[ShippingMethod]: ...


@strawberry.type(description="A store location where shoppers collect their order.")
class PickupMethod:
    id: int = strawberry.field(description="Pass as `pickupOption.pickupMethodId` on a consignment.")
    location_name: str = strawberry.field(description="Name of the location.")
    address: Address = strawberry.field(description="Where it is.")
    instructions: str | None = strawberry.field(description="What to bring, opening hours, and so on.")
    enabled: bool = strawberry.field(description="Disabled locations cannot be chosen.")


@strawberry.type(
    description="A carrier this store can use: one registered with this gateway, or one the store has "
    "credentials for, with the state of the store's account with it (connected, available, enabled)."
)
class CarrierAccount:
    carrier_id: str = strawberry.field(description="Carrier id, as used by CARRIER methods.")
    name: str = strawberry.field(
        description="Carrier display name (the carrier id when the carrier is not registered with this gateway)."
    )
    connected: bool = strawberry.field(
        description="Whether this store has stored credentials for it. Stays true when the carrier is no longer "
        "registered with this gateway (see `available`), until `disconnectCarrier` forgets them."
    )
    available: bool = strawberry.field(
        description="Whether the carrier is registered with this gateway process (`GATEWAY_CARRIERS`), so it "
        "can be connected and quoted. False for stored credentials of a carrier the operator no longer "
        "registers: its CARRIER methods offer nothing and checkouts get a CARRIER_NOT_CONNECTED warning."
    )
    enabled: bool = strawberry.field(
        description="Whether quotes are requested from it: connected, enabled and available. Always false "
        "when `available` is false, since an unregistered carrier can never be quoted."
    )


@strawberry.type(
    description="The former name of `CarrierAccount`, with the same fields (it is not a Relay connection). "
    "Only the retired fields `carrierConnections` and `CarrierConnectionPayload.carrierConnection` return it; "
    "it goes with them in the next release."
)
class CarrierConnection(CarrierAccount):
    @classmethod
    def of(cls, account: CarrierAccount) -> CarrierConnection:
        return cls(
            carrier_id=account.carrier_id,
            name=account.name,
            connected=account.connected,
            available=account.available,
            enabled=account.enabled,
        )
