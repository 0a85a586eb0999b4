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
from collections.abc import Iterable, Mapping, Sequence
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


def pricing_digest(
    store: Any,
    zones: Sequence[Any],
    methods_by_zone: Mapping[int, Sequence[Any]],
    connections: Mapping[str, Any],
    address: Mapping[str, Any],
) -> str:
    """Digest of everything a quote for `address` is priced from, in the configuration given."""
    zone = match_zone(zones, address)
    document: dict[str, Any] = {
        "store": [store.currency_code, store.weight_unit, store.origin_address],
        "zone": None,
    }
    if zone is not None:
        methods = sorted(methods_by_zone.get(zone.id, ()), key=lambda row: row.id)
        carriers = sorted(
            {(m.settings or {}).get("carrier_id", "") for m in methods if m.type == MethodType.CARRIER.value}
        )
        document["zone"] = [getattr(zone, column) for column in _ZONE_PRICING]
        document["methods"] = [[getattr(method, column) for column in _METHOD_PRICING] for method in methods]
        document["carriers"] = [_connection_state(connections.get(carrier_id)) for carrier_id in carriers]
    encoded = json.dumps(document, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(encoded.encode()).hexdigest()


def _connection_state(connection: Any) -> list[Any] | None:
    if connection is None:
        return None
    credentials = json.dumps(connection.credentials or {}, sort_keys=True)
    return [connection.carrier_id, bool(connection.enabled), hashlib.sha256(credentials.encode()).hexdigest()]


def needs_configuration(consignments: Iterable[Any], config_version: int) -> bool:
    """Whether telling stale from fresh needs the configuration (the counter moved since some quote)."""
    return any(_version_moved(row, config_version) for row in consignments)


def stale_consignment_ids(consignments: Iterable[Any], config_version: int, setup: Any | None) -> set[str]:
    """Ids of the shipping consignments whose quotes are stale.

    `setup` (a `gateway.domain.quotes.ShippingSetup`) is needed only when `needs_configuration` says so."""
    stale = set()
    for row in consignments:
        if row.pickup_method_id is not None:
            continue
        if row.quote_fingerprint is None:
            stale.add(row.id)
        elif _version_moved(row, config_version):
            if setup is None:
                raise ValueError("the configuration is needed to tell stale quotes from fresh ones")
            if (
                row.quote_pricing_digest is None
                or row.address is None
                or row.quote_pricing_digest
                != pricing_digest(setup.store, setup.zones, setup.methods_by_zone, setup.connections, row.address)
            ):
                stale.add(row.id)
    return stale


def _version_moved(row: Any, config_version: int) -> bool:
    return (
        row.pickup_method_id is None
        and row.quote_fingerprint is not None
        and row.quote_config_version != config_version
    )
