"""Shipping configuration root query fields."""

from __future__ import annotations

from typing import Any

import strawberry

from gateway.api.permissions import access
from gateway.api.shipping.types import CarrierAccount, CarrierConnection, PickupMethod, ShippingZone
from gateway.api.transactions import read
from gateway.storage import queries

CARRIER_ACCOUNTS = (
    "Every carrier registered with this gateway and whether the store is connected to it, plus any carrier the "
    "store has credentials for that this gateway no longer registers (listed with `available: false`). "
    "Credentials are write-only and never returned."
)


@strawberry.type
class ShippingQuery:
    @strawberry.field(
        description="The store's shipping zones, by id, with their methods.", metadata=access("shipping:read")
    )
    async def shipping_zones(self, info: strawberry.Info) -> list[ShippingZone]:
        return await info.context.loaders.zones_by_store_id.load(info.context.store_id)

    @strawberry.field(
        description="The store's pickup locations. Storefronts see the enabled ones, to offer pickup.",
        metadata=access("shipping:read", storefront=True),
    )
    async def pickup_methods(self, info: strawberry.Info) -> list[PickupMethod]:
        rows = await info.context.loaders.pickup_methods_by_store_id.load(info.context.store_id)
        if info.context.principal.is_server:
            return rows
        return [row for row in rows if row.enabled]

    @strawberry.field(description=CARRIER_ACCOUNTS, metadata=access("shipping:read"))
    async def carrier_accounts(self, info: strawberry.Info) -> list[CarrierAccount]:
        return await store_carrier_accounts(info)

    @strawberry.field(
        description=CARRIER_ACCOUNTS,
        metadata=access("shipping:read"),
        deprecation_reason="Use carrierAccounts (the same list, as CarrierAccount); removed in the next release.",
    )
    async def carrier_connections(self, info: strawberry.Info) -> list[CarrierConnection]:
        return [CarrierConnection.of(account) for account in await store_carrier_accounts(info)]


async def store_carrier_accounts(info: strawberry.Info) -> list[CarrierAccount]:
    store_id = info.context.store_id
    rows = await read(info, lambda conn: queries.carrier_connections_for_store(conn, store_id))
    return carrier_accounts(info, {row.carrier_id: row for row in rows})


def carrier_accounts(info: strawberry.Info, connected: dict) -> list[CarrierAccount]:  # type: ignore[type-arg]
    """Registered carriers, plus carriers the store still has credentials for that are no longer registered."""
    ids = sorted(set(info.context.carriers.registered_carriers()) | set(connected))
    return [carrier_account(info, carrier_id, connected.get(carrier_id)) for carrier_id in ids]


def carrier_account(info: strawberry.Info, carrier_id: str, row: Any | None) -> CarrierAccount:
    """One carrier as this gateway process sees it; `row` is the store's stored connection, if any."""
    transport = info.context.carriers
    available = transport.is_registered(carrier_id)
    return CarrierAccount(
        carrier_id=carrier_id,
        name=transport.display_name(carrier_id),
        connected=row is not None,
        available=available,
        enabled=available and row is not None and bool(row.enabled),
    )
