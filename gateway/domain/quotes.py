"""Stored shipping quotes: computing a consignment's options and keeping them with it.

Quotes are computed when a consignment's address or items change (and on refresh), never by a read.
Carrier calls happen *before* the write transaction (`plan_*`), so no transaction waits on a carrier;
the transaction then stores the plan's quotes only if the consignment still has exactly the inputs
they were priced from (its fingerprint). A consignment whose fingerprint has no planned quotes is left
unquoted, and `Checkout.problems` asks for a refresh.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections import OrderedDict, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.domain.carriers import CarrierTransport, CarrierUnavailable, parse_rate_response, rate_request
from gateway.domain.clock import utcnow
from gateway.domain.money import ZERO
from gateway.domain.shipping_rates import (
    BaseRate,
    MethodType,
    Parcel,
    PricedOption,
    make_parcel,
    price,
    table_rates,
)
from gateway.domain.staleness import stale_consignment_ids, zone_digest
from gateway.domain.zones import match_zone
from gateway.storage import queries

ItemList = Sequence[tuple[str, int]]  # (line item id, quantity)


@dataclass(frozen=True, slots=True)
class ShippingSetup:
    """Everything pricing needs from the store's configuration, read once per request."""

    store: Any
    zones: Sequence[Any]
    methods_by_zone: Mapping[int, Sequence[Any]]
    connections: Mapping[str, Any]

    @property
    def version(self) -> int:
        return int(self.store.shipping_config_version)


class SetupCache:
    """Shipping setups by (store, configuration version), per process, LRU-bounded.

    A version names one configuration: every change bumps it in the change's own transaction, so a setup
    read at version V never goes out of date; a newer version simply misses. `load_setup` reads the store
    row (and its version) before the zones, so a setup is never older than the version it is filed under.
    Used by reads and by the pricing a write prepares before its transaction (`prepare`); the write then
    checks, under its own transaction, that the version it priced at is still current.
    """

    def __init__(self, max_entries: int = 1024) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[tuple[int, int], ShippingSetup] = OrderedDict()

    def get(self, store_id: int, version: int) -> ShippingSetup | None:
        setup = self._entries.get((store_id, version))
        if setup is not None:
            self._entries.move_to_end((store_id, version))
        return setup

    def put(self, setup: ShippingSetup) -> None:
        self._entries[(int(setup.store.id), setup.version)] = setup
        self._entries.move_to_end((int(setup.store.id), setup.version))
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)


@dataclass(frozen=True, slots=True)
class QuoteResult:
    fingerprint: str
    config_version: int
    zone_id: int | None
    zone_name: str | None
    options: tuple[PricedOption, ...]
    warnings: tuple[dict[str, Any], ...]
    #: What the options were priced from (gateway.domain.staleness.pricing_digest).
    pricing_digest: str = ""


@dataclass(slots=True)
class QuotePlan:
    """Quotes computed ahead of a write, by fingerprint."""

    results: dict[str, QuoteResult] = field(default_factory=dict)

    def get(self, fingerprint: str) -> QuoteResult | None:
        return self.results.get(fingerprint)


async def load_setup(conn: AsyncConnection, store_id: int, cache: SetupCache | None = None) -> ShippingSetup:
    """The store's shipping configuration. With `cache`, the store row is read and the rest comes from the
    cache when it holds the store's current configuration version (zones, methods and carrier connections
    change only with the version), else it is read and filed there."""
    store = await queries.store_by_id(conn, store_id)
    if cache is not None:
        cached = cache.get(store_id, int(store.shipping_config_version))
        if cached is not None:
            return ShippingSetup(store, cached.zones, cached.methods_by_zone, cached.connections)
    zones = await queries.zones_for_store(conn, store_id)
    methods: dict[int, list[Any]] = defaultdict(list)
    for method in await queries.methods_for_store(conn, store_id):
        methods[method.zone_id].append(method)
    connections = {row.carrier_id: row for row in await queries.carrier_connections_for_store(conn, store_id)}
    setup = ShippingSetup(store=store, zones=zones, methods_by_zone=methods, connections=connections)
    if cache is not None:
        cache.put(setup)
    return setup


async def stale_ids(conn: AsyncConnection, store_id: int, consignments: Sequence[Any]) -> set[str]:
    """Ids of the given consignments whose quotes are stale (reads the configuration only when needed)."""
    version = (await queries.shipping_config_versions(conn, [store_id]))[store_id]
    return await stale_consignment_ids(consignments, version, lambda: load_setup(conn, store_id))


def fingerprint(address: Mapping[str, Any] | None, items: ItemList, config_version: int) -> str:
    """What a consignment's quotes depend on: its address, its items, and the configuration version."""
    document = {
        "address": dict(address or {}),
        "items": sorted([item_id, quantity] for item_id, quantity in items),
        "config": config_version,
    }
    return hashlib.sha256(json.dumps(document, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def option_id(consignment_id: str, key: str, priced_from: str) -> str:
    """Stable for the same consignment, method and inputs; different once any of them changes."""
    return hashlib.sha256(f"{consignment_id}|{key}|{priced_from}".encode()).hexdigest()[:32]


async def _carrier_rates(
    setup: ShippingSetup, method: Any, parcel: Parcel, transport: CarrierTransport
) -> tuple[list[BaseRate], dict[str, Any] | None]:
    settings = method.settings or {}
    carrier_id = settings.get("carrier_id", "")
    connection = setup.connections.get(carrier_id)
    if not transport.is_registered(carrier_id):
        # Stored credentials may outlive the operator's registry (GATEWAY_CARRIERS): never quoted then.
        return [], {
            "code": "CARRIER_NOT_CONNECTED",
            "carrier_id": carrier_id,
            "message": f"{method.name}: carrier {carrier_id} is not available on this gateway",
        }
    if connection is None or not connection.enabled:
        return [], {
            "code": "CARRIER_NOT_CONNECTED",
            "carrier_id": carrier_id,
            "message": f"{method.name}: carrier {carrier_id} is not connected",
        }
    payload = rate_request(
        store_id=setup.store.id,
        origin=setup.store.origin_address,
        parcel=parcel,
        currency_code=setup.store.currency_code,
        weight_unit=setup.store.weight_unit,
        credentials=connection.credentials or {},
    )
    try:
        body = await transport.request_rates(carrier_id, payload)
        quotes = parse_rate_response(body, setup.store.currency_code)
    except CarrierUnavailable as error:
        return [], {
            "code": "CARRIER_UNAVAILABLE",
            "carrier_id": carrier_id,
            "message": f"{method.name}: no quotes from {transport.display_name(carrier_id)} ({error})",
        }
    services = set(settings.get("services") or ())
    return [
        BaseRate(
            key=f"method:{method.id}:{quote.code}",
            method_id=method.id,
            type=f"shipping_{carrier_id}",
            description=f"{transport.display_name(carrier_id)} {quote.display_name}",
            cost=quote.cost,
            transit_time=quote.transit_time,
        )
        for quote in quotes
        if quote.code in services
    ], None


async def quote_parcel(
    setup: ShippingSetup, parcel: Parcel, items: ItemList, transport: CarrierTransport
) -> QuoteResult:
    """Every option the store offers for this parcel, cheapest first, with carrier warnings."""
    priced_from = fingerprint(parcel.address, items, setup.version)
    zone = match_zone(setup.zones, parcel.address)
    digest = zone_digest(setup, zone)
    if zone is None:
        return QuoteResult(priced_from, setup.version, None, None, (), (), digest)
    methods = setup.methods_by_zone.get(zone.id, ())
    rates = table_rates(methods, zone, parcel)
    carrier_methods = [m for m in methods if m.enabled and m.type == MethodType.CARRIER.value]
    answers = await asyncio.gather(*(_carrier_rates(setup, m, parcel, transport) for m in carrier_methods))
    warnings = []
    for carrier_rates, warning in answers:
        rates += carrier_rates
        if warning is not None:
            warnings.append(warning)
    by_id = {method.id: method for method in methods}
    currency = setup.store.currency_code
    options = sorted(
        (price(rate, zone, by_id.get(rate.method_id) if rate.method_id else None, currency) for rate in rates),
        key=lambda option: (option.cost + option.handling_cost, option.description, option.key),
    )
    return QuoteResult(priced_from, setup.version, zone.id, zone.name, tuple(options), tuple(warnings), digest)


@dataclass(frozen=True, slots=True)
class PreparedQuotes:
    """The reads a quote plan needs, done up front so no connection is held during carrier calls."""

    setup: ShippingSetup | None
    parcels: tuple[tuple[Parcel, ItemList], ...]


async def prepare(
    conn: AsyncConnection,
    store_id: int,
    checkout_id: str,
    destinations: Sequence[tuple[Mapping[str, Any] | None, ItemList]],
    setups: SetupCache | None = None,
) -> PreparedQuotes:
    """Read what pricing needs for each (address, items) pair; pairs that cannot be quoted are skipped. The
    configuration may come from `setups` (the write checks its version under its own transaction)."""
    quotable = [(address, items) for address, items in destinations if address is not None and items]
    if not quotable:
        return PreparedQuotes(None, ())
    setup = await load_setup(conn, store_id, setups)
    lines = {row.id: row for row in await queries.line_items_by_checkout_ids(conn, store_id, [checkout_id])}
    parcels = []
    for address, items in quotable:
        if all(item_id in lines and lines[item_id].requires_shipping and qty > 0 for item_id, qty in items):
            parcels.append((make_parcel(address, [(lines[item_id], qty) for item_id, qty in items]), items))
    return PreparedQuotes(setup, tuple(parcels))


async def plan(prepared: PreparedQuotes, transport: CarrierTransport) -> QuotePlan:
    """Price every prepared parcel, carriers included, concurrently."""
    result = QuotePlan()
    if prepared.setup is None:
        return result
    setup = prepared.setup
    for quote in await asyncio.gather(
        *(quote_parcel(setup, parcel, items, transport) for parcel, items in prepared.parcels)
    ):
        result.results[quote.fingerprint] = quote
    return result


def quote_rows(consignment: Any, result: QuoteResult, currency_code: str) -> list[dict[str, Any]]:
    now = utcnow()
    return [
        {
            "consignment_id": consignment.id,
            "id": option_id(consignment.id, option.key, result.fingerprint),
            "store_id": consignment.store_id,
            "checkout_id": consignment.checkout_id,
            "position": position,
            "option_key": option.key,
            "method_id": option.method_id,
            "type": option.type,
            "description": option.description,
            "currency_code": currency_code,
            "cost": option.cost,
            "handling_cost": option.handling_cost,
            "transit_time": option.transit_time,
            "image_url": option.image_url,
            "fingerprint": result.fingerprint,
            "config_version": result.config_version,
            "created_at": now,
        }
        for position, option in enumerate(result.options)
    ]


async def store_quotes(
    conn: AsyncConnection, consignment: Row[Any], items: ItemList, config_version: int, plan_: QuotePlan
) -> dict[str, Any]:
    """Replace the consignment's quotes with the planned ones that match its current inputs.

    Returns the consignment column changes: quote bookkeeping plus the selection, kept (at its new
    price) only when an option of the same method is still offered.
    """
    result = None
    if consignment.address is not None and consignment.pickup_method_id is None:
        result = plan_.get(fingerprint(consignment.address, items, config_version))
    rows = quote_rows(consignment, result, consignment.currency_code) if result else []
    await queries.replace_quotes(conn, consignment.id, rows)
    changes: dict[str, Any] = {
        "quote_fingerprint": result.fingerprint if result else None,
        "quote_config_version": result.config_version if result else None,
        "quote_pricing_digest": result.pricing_digest if result else None,
        "shipping_zone_id": result.zone_id if result else None,
        "shipping_zone_name": result.zone_name if result else None,
        "quote_warnings": list(result.warnings) if result else None,
    }
    kept = next((row for row in rows if row["option_key"] == consignment.selected_option_key), None)
    changes.update(selection_columns(kept))
    return changes


def selection_columns(quote: Mapping[str, Any] | None) -> dict[str, Any]:
    """The consignment's selection columns for `quote` (None: no selection). Any new state of the selection
    clears the notice about a removed option (a refresh that loses the selection sets it again, see
    `gateway.domain.consignments.refresh_shipping_options`)."""
    if quote is None:
        return {
            "selected_shipping_option_id": None,
            "selected_option_key": None,
            "shipping_cost": ZERO,
            "handling_cost": ZERO,
            "unavailable_option": None,
        }
    return {
        "selected_shipping_option_id": quote["id"],
        "selected_option_key": quote["option_key"],
        "shipping_cost": quote["cost"],
        "handling_cost": quote["handling_cost"],
        "unavailable_option": None,
    }
