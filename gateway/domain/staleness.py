"""When a consignment's stored quotes are out of date.

A quote is stale only when something it was priced from changed. What it was priced from is summarised
by a *pricing digest*: the zone the address matches (re-matched against the current zones, so a new, more
specific zone counts), that zone's pricing settings (handling fees, free-shipping rule; not its name or
locations), every method of that zone (type, name, enabled, settings, handling fee), the connections of
the carriers those methods use, and the store settings carriers are asked with (currency, weight unit,
origin). Renaming a zone, or editing a zone or pickup location no consignment uses, leaves quotes alone.

The store's configuration counter (`shipping_config_version`, bumped by every configuration change) stays
as the fast path: when it has not moved since the quote, nothing changed and no configuration is read.
Only when it moved is the digest recomputed, from configuration loaded once per request.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from gateway.domain.shipping_rates import MethodType
from gateway.domain.zones import match_zone

_ZONE_PRICING = (
    "id",
    "enabled",
    "free_shipping_enabled",
    "free_shipping_minimum_subtotal",
    "handling_fee_type",
    "handling_fee_value",
    "handling_fee_display_separately",
)
_METHOD_PRICING = ("id", "name", "type", "enabled", "settings", "handling_fee_type", "handling_fee_value")


def pricing_digest(setup: Any, address: Mapping[str, Any]) -> str:
    """Digest of everything a quote for `address` is priced from, in `setup`'s configuration (a
    `gateway.domain.quotes.ShippingSetup`: store, zones, methods_by_zone, connections)."""
    return zone_digest(setup, match_zone(setup.zones, address))


def zone_digest(setup: Any, zone: Any | None) -> str:
    """Digest of what a quote priced in `zone` (the zone the address matches; None: no zone) depends on."""
    store = setup.store
    document: dict[str, Any] = {
        "store": [store.currency_code, store.weight_unit, store.origin_address],
        "zone": None,
    }
    if zone is not None:
        methods = sorted(setup.methods_by_zone.get(zone.id, ()), key=lambda row: row.id)
        carriers = sorted(
            {(m.settings or {}).get("carrier_id", "") for m in methods if m.type == MethodType.CARRIER.value}
        )
        document["zone"] = [getattr(zone, column) for column in _ZONE_PRICING]
        document["methods"] = [[getattr(method, column) for column in _METHOD_PRICING] for method in methods]
        document["carriers"] = [_connection_state(setup.connections.get(carrier_id)) for carrier_id in carriers]
    encoded = json.dumps(document, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(encoded.encode()).hexdigest()


def _connection_state(connection: Any) -> list[Any] | None:
    if connection is None:
        return None
    credentials = json.dumps(connection.credentials or {}, sort_keys=True)
    return [connection.carrier_id, bool(connection.enabled), hashlib.sha256(credentials.encode()).hexdigest()]


async def stale_consignment_ids(
    consignments: Sequence[Any], config_version: int, load_setup: Callable[[], Awaitable[Any]]
) -> set[str]:
    """Ids of the shipping consignments whose quotes are stale.

    `load_setup` gives the store's current configuration; it is awaited (once) only when the counter moved
    since some quote, so a checkout quoted at the current version costs no configuration read."""
    moved = [row for row in consignments if _version_moved(row, config_version)]
    setup = await load_setup() if moved else None
    stale = {row.id for row in consignments if row.pickup_method_id is None and row.quote_fingerprint is None}
    for row in moved:
        if (
            row.quote_pricing_digest is None
            or row.address is None
            or row.quote_pricing_digest != pricing_digest(setup, row.address)
        ):
            stale.add(row.id)
    return stale


def _version_moved(row: Any, config_version: int) -> bool:
    return (
        row.pickup_method_id is None
        and row.quote_fingerprint is not None
        and row.quote_config_version != config_version
    )
