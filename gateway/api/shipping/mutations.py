"""Shipping configuration mutations (server tokens, `shipping:write`). Each bumps the configuration
version, so checkout quotes priced before it show as stale until refreshed."""

from __future__ import annotations

from typing import Annotated

import strawberry

from gateway.api.errors import UserError
from gateway.api.inputs import INPUT
from gateway.api.order.inputs import int_id
from gateway.api.permissions import access
from gateway.api.shipping.inputs import (
    ConnectCarrierInput,
    CreatePickupMethodInput,
    CreateShippingMethodInput,
    CreateShippingZoneInput,
    DeleteByIdInput,
    DisconnectCarrierInput,
    UpdatePickupMethodInput,
    UpdateShippingMethodInput,
    UpdateShippingZoneInput,
)
from gateway.api.shipping.queries import carrier_account
from gateway.api.shipping.types import (
    CarrierAccount,
    CarrierConnection,
    PickupMethod,
    ShippingMethod,
    ShippingZone,
)
from gateway.api.transactions import in_transaction, read
from gateway.domain import shipping_config as config
from gateway.storage import queries

_WRITE = access("shipping:write")


@strawberry.type(description="Result of a zone mutation.")
class ShippingZonePayload:
    zone: ShippingZone | None = strawberry.field(description="The zone after the change; null on error.")
    errors: list[UserError] = strawberry.field(description="Why the change was refused; empty on success.")


@strawberry.type(description="Result of a shipping method mutation.")
class ShippingMethodPayload:
    method: ShippingMethod | None = strawberry.field(description="The method after the change; null on error.")
    errors: list[UserError] = strawberry.field(description="Why the change was refused; empty on success.")


@strawberry.type(description="Result of a pickup method mutation.")
class PickupMethodPayload:
    pickup_method: PickupMethod | None = strawberry.field(description="The pickup method after the change.")
    errors: list[UserError] = strawberry.field(description="Why the change was refused; empty on success.")


@strawberry.type(description="Result of connecting or disconnecting a carrier.")
class CarrierConnectionPayload:
    carrier_account: CarrierAccount | None = strawberry.field(
        description="The carrier account after the change; null when the change was refused."
    )
    errors: list[UserError] = strawberry.field(description="Why the change was refused; empty on success.")

    @strawberry.field(
        description="The carrier account after the change, under its former type name.",
        deprecation_reason="Use carrierAccount (the same object, as CarrierAccount); removed in the next release.",
    )
    def carrier_connection(self) -> CarrierConnection | None:
        return CarrierConnection.of(self.carrier_account) if self.carrier_account is not None else None


@strawberry.type(description="Result of a delete.")
class DeletePayload:
    deleted_id: strawberry.ID | None = strawberry.field(description="Id of the deleted object; null on error.")
    errors: list[UserError] = strawberry.field(description="Why the delete was refused; empty on success.")


async def _zone(info: strawberry.Info, zone_id: int | None) -> ShippingZone | None:
    if zone_id is None:
        return None
    store_id = info.context.store_id
    return await read(info, lambda conn: queries.zone_by_id(conn, store_id, zone_id))  # type: ignore[return-value]


async def _method(info: strawberry.Info, method_id: int | None) -> ShippingMethod | None:
    if method_id is None:
        return None
    store_id = info.context.store_id
    return await read(info, lambda conn: queries.method_by_id(conn, store_id, method_id))  # type: ignore[return-value]


async def _pickup(info: strawberry.Info, method_id: int | None) -> PickupMethod | None:
    if method_id is None:
        return None
    store_id = info.context.store_id
    return await read(info, lambda conn: queries.pickup_method_by_id(conn, store_id, method_id))  # type: ignore[return-value]


@strawberry.type
class ShippingMutation:
    @strawberry.mutation(
        description="Create a zone. Locations must fit the type: COUNTRY {countryCode}, STATE {countryCode, "
        "stateCode}, ZIP {countryCode, zip}, GLOBAL none. Errors: REQUIRED, INVALID_INPUT, "
        "INVALID_COUNTRY_CODE, INVALID_AMOUNT, TOO_MANY.",
        metadata=_WRITE,
    )
    async def create_shipping_zone(
        self,
        info: strawberry.Info,
        input: Annotated[CreateShippingZoneInput, strawberry.argument(description=INPUT)],
    ) -> ShippingZonePayload:
        data, store_id = input.to_domain(), info.context.store_id
        zone_id, errors = await in_transaction(info, lambda conn: config.create_zone(conn, store_id, data))
        return ShippingZonePayload(zone=await _zone(info, zone_id), errors=errors)

    @strawberry.mutation(
        description="Change a zone. Errors: NOT_FOUND and those of createShippingZone.", metadata=_WRITE
    )
    async def update_shipping_zone(
        self,
        info: strawberry.Info,
        input: Annotated[UpdateShippingZoneInput, strawberry.argument(description=INPUT)],
    ) -> ShippingZonePayload:
        data, store_id, zone_id = input.to_domain(), info.context.store_id, int_id(input.id)
        written, errors = await in_transaction(info, lambda conn: config.update_zone(conn, store_id, zone_id, data))
        return ShippingZonePayload(zone=await _zone(info, written), errors=errors)

    @strawberry.mutation(description="Delete a zone and its methods. Errors: NOT_FOUND.", metadata=_WRITE)
    async def delete_shipping_zone(
        self, info: strawberry.Info, input: Annotated[DeleteByIdInput, strawberry.argument(description=INPUT)]
    ) -> DeletePayload:
        store_id, zone_id = info.context.store_id, int_id(input.id)
        deleted, errors = await in_transaction(info, lambda conn: config.delete_zone(conn, store_id, zone_id))
        return DeletePayload(deleted_id=strawberry.ID(str(deleted)) if deleted is not None else None, errors=errors)

    @strawberry.mutation(
        description="Create a method in a zone. PER_ORDER / PER_ITEM need `rate`; WEIGHT / TOTAL need `ranges` "
        "and/or `defaultCost`; CARRIER needs a connected `carrierId` and `services`. Errors: NOT_FOUND, "
        "REQUIRED, INVALID_INPUT, INVALID_AMOUNT, INVALID_RANGE, CARRIER_NOT_CONNECTED.",
        metadata=_WRITE,
    )
    async def create_shipping_method(
        self,
        info: strawberry.Info,
        input: Annotated[CreateShippingMethodInput, strawberry.argument(description=INPUT)],
    ) -> ShippingMethodPayload:
        data, store_id, zone_id = input.to_domain(), info.context.store_id, int_id(input.zone_id)
        registered = info.context.carriers.is_registered
        method_id, errors = await in_transaction(
            info, lambda conn: config.create_method(conn, store_id, zone_id, data, registered)
        )
        return ShippingMethodPayload(method=await _method(info, method_id), errors=errors)

    @strawberry.mutation(description="Change a method. Errors: those of createShippingMethod.", metadata=_WRITE)
    async def update_shipping_method(
        self,
        info: strawberry.Info,
        input: Annotated[UpdateShippingMethodInput, strawberry.argument(description=INPUT)],
    ) -> ShippingMethodPayload:
        data, store_id, method_id = input.to_domain(), info.context.store_id, int_id(input.id)
        registered = info.context.carriers.is_registered
        written, errors = await in_transaction(
            info, lambda conn: config.update_method(conn, store_id, method_id, data, registered)
        )
        return ShippingMethodPayload(method=await _method(info, written), errors=errors)

    @strawberry.mutation(description="Delete a method. Errors: NOT_FOUND.", metadata=_WRITE)
    async def delete_shipping_method(
        self, info: strawberry.Info, input: Annotated[DeleteByIdInput, strawberry.argument(description=INPUT)]
    ) -> DeletePayload:
        store_id, method_id = info.context.store_id, int_id(input.id)
        deleted, errors = await in_transaction(info, lambda conn: config.delete_method(conn, store_id, method_id))
        return DeletePayload(deleted_id=strawberry.ID(str(deleted)) if deleted is not None else None, errors=errors)

    @strawberry.mutation(
        description="Create a pickup location. Errors: REQUIRED, INVALID_COUNTRY_CODE, TOO_LONG.",
        metadata=_WRITE,
    )
    async def create_pickup_method(
        self,
        info: strawberry.Info,
        input: Annotated[CreatePickupMethodInput, strawberry.argument(description=INPUT)],
    ) -> PickupMethodPayload:
        data, store_id = input.to_domain(), info.context.store_id
        method_id, errors = await in_transaction(info, lambda conn: config.create_pickup_method(conn, store_id, data))
        return PickupMethodPayload(pickup_method=await _pickup(info, method_id), errors=errors)

    @strawberry.mutation(
        description="Change a pickup location. Errors: NOT_FOUND and those of createPickupMethod.",
        metadata=_WRITE,
    )
    async def update_pickup_method(
        self,
        info: strawberry.Info,
        input: Annotated[UpdatePickupMethodInput, strawberry.argument(description=INPUT)],
    ) -> PickupMethodPayload:
        data, store_id, method_id = input.to_domain(), info.context.store_id, input.id
        written, errors = await in_transaction(
            info, lambda conn: config.update_pickup_method(conn, store_id, method_id, data)
        )
        return PickupMethodPayload(pickup_method=await _pickup(info, written), errors=errors)

    @strawberry.mutation(description="Delete a pickup location. Errors: NOT_FOUND.", metadata=_WRITE)
    async def delete_pickup_method(
        self, info: strawberry.Info, input: Annotated[DeleteByIdInput, strawberry.argument(description=INPUT)]
    ) -> DeletePayload:
        store_id, method_id = info.context.store_id, int_id(input.id)
        deleted, errors = await in_transaction(
            info, lambda conn: config.delete_pickup_method(conn, store_id, method_id)
        )
        return DeletePayload(deleted_id=strawberry.ID(str(deleted)) if deleted is not None else None, errors=errors)

    @strawberry.mutation(
        description="Store credentials for a registered carrier (replacing earlier ones). Connecting does not "
        "offer anything by itself: add a CARRIER method to a zone. Errors: UNKNOWN_CARRIER, TOO_LONG.",
        metadata=_WRITE,
    )
    async def connect_carrier(
        self,
        info: strawberry.Info,
        input: Annotated[ConnectCarrierInput, strawberry.argument(description=INPUT)],
    ) -> CarrierConnectionPayload:
        store_id, carrier_id = info.context.store_id, input.carrier_id
        credentials = tuple((item.key, item.value) for item in input.credentials)
        registered = info.context.carriers.is_registered
        written, errors = await in_transaction(
            info, lambda conn: config.connect_carrier(conn, store_id, carrier_id, credentials, registered)
        )
        return CarrierConnectionPayload(carrier_account=await _account(info, written), errors=errors)

    @strawberry.mutation(
        description="Forget a carrier's credentials; its CARRIER methods stop offering options. Also works for a "
        "carrier this gateway no longer registers (`available: false`). Errors: NOT_FOUND.",
        metadata=_WRITE,
    )
    async def disconnect_carrier(
        self,
        info: strawberry.Info,
        input: Annotated[DisconnectCarrierInput, strawberry.argument(description=INPUT)],
    ) -> CarrierConnectionPayload:
        store_id, carrier_id = info.context.store_id, input.carrier_id
        written, errors = await in_transaction(info, lambda conn: config.disconnect_carrier(conn, store_id, carrier_id))
        return CarrierConnectionPayload(carrier_account=await _account(info, written), errors=errors)


async def _account(info: strawberry.Info, carrier_id: str | None) -> CarrierAccount | None:
    if carrier_id is None:
        return None
    store_id = info.context.store_id
    rows = await read(info, lambda conn: queries.carrier_connections_for_store(conn, store_id))
    row = next((row for row in rows if row.carrier_id == carrier_id), None)
    # Also after disconnecting a carrier this gateway no longer registers (which the listing then omits).
    return carrier_account(info, carrier_id, row)
