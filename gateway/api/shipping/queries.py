"""Shipping configuration root query fields."""

from __future__ import annotations

from typing import Any

import strawberry

from gateway.api.permissions import access
from gateway.api.shipping.types import CarrierConnection, PickupMethod, ShippingZone
from gateway.api.transactions import read
from gateway.storage import queries


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

    @strawberry.field(
        description="Every carrier registered with this gateway and whether the store is connected to it, "
        "plus any carrier the store has credentials for that this gateway no longer registers (listed with "
        "`available: false`). Credentials are write-only and never returned.",
        metadata=access("shipping:read"),
    )
    async def carrier_connections(self, info: strawberry.Info) -> list[CarrierConnection]:
        store_id = info.context.store_id
        rows = await read(info, lambda conn: queries.carrier_connections_for_store(conn, store_id))
        return carrier_connections(info, {row.carrier_id: row for row in rows})


def carrier_connections(info: strawberry.Info, connected: dict) -> list[CarrierConnection]:  # type: ignore[type-arg]
    """Registered carriers, plus carriers the store still has credentials for that are no longer registered."""
    ids = sorted(set(info.context.carriers.registered_carriers()) | set(connected))
    return [carrier_connection(info, carrier_id, connected.get(carrier_id)) for carrier_id in ids]


def carrier_connection(info: strawberry.Info, carrier_id: str, row: Any | None) -> CarrierConnection:
    """One carrier as this gateway process sees it; `row` is the store's stored connection, if any."""
    transport = info.context.carriers
    available = transport.is_registered(carrier_id)
    return CarrierConnection(
        carrier_id=carrier_id,
        name=transport.display_name(carrier_id),
        connected=row is not None,
        available=available,
        enabled=available and row is not None and bool(row.enabled),
    )
