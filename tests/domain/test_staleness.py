"""Quote staleness alone: what the pricing digest depends on, and the configuration counter fast path."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest

from gateway.domain.quotes import SetupCache
from gateway.domain.staleness import pricing_digest, stale_consignment_ids

STORE = SimpleNamespace(id=1, currency_code="USD", weight_unit="kg", origin_address={"country_code": "US"})
CA = {"country_code": "US", "state_or_province_code": "CA", "postal_code": "94105"}


@dataclass(frozen=True)
class Zone:
    id: int
    type: str
    locations: list[dict[str, Any]]
    name: str = "zone"
    enabled: bool = True
    free_shipping_enabled: bool = False
    free_shipping_minimum_subtotal: Decimal | None = None
    handling_fee_type: str | None = None
    handling_fee_value: Decimal | None = None
    handling_fee_display_separately: bool = False


@dataclass(frozen=True)
class Method:
    id: int
    zone_id: int
    name: str
    type: str = "PER_ORDER"
    enabled: bool = True
    settings: dict[str, Any] = field(default_factory=lambda: {"rate": "5.00"})
    handling_fee_type: str | None = None
    handling_fee_value: Decimal | None = None


US = Zone(1, "COUNTRY", [{"country_code": "US"}], name="US")
FR = Zone(2, "COUNTRY", [{"country_code": "FR"}], name="FR")
FLAT = Method(10, 1, "Flat")
POSTE = Method(20, 2, "Poste")


def digest(zones: list[Zone], methods: list[Method], connections: dict[str, Any] | None = None) -> str:
    by_zone: dict[int, list[Method]] = {}
    for method in methods:
        by_zone.setdefault(method.zone_id, []).append(method)
    setup = SimpleNamespace(store=STORE, zones=zones, methods_by_zone=by_zone, connections=connections or {})
    return pricing_digest(setup, CA)


BASE = digest([US, FR], [FLAT, POSTE])


@pytest.mark.parametrize(
    ("what", "zones", "methods"),
    [
        ("matched zone renamed", [replace(US, name="United States"), FR], [FLAT, POSTE]),
        (
            "other zone's fee",
            [US, replace(FR, handling_fee_type="FIXED", handling_fee_value=Decimal("2"))],
            [FLAT, POSTE],
        ),
        ("other zone's method", [US, FR], [FLAT, replace(POSTE, settings={"rate": "9.00"})]),
        ("other zone gone", [US], [FLAT]),
    ],
)
def test_unrelated_changes_keep_the_digest(what, zones, methods):
    assert digest(zones, methods) == BASE, what


@pytest.mark.parametrize(
    ("what", "zones", "methods"),
    [
        ("rate", [US, FR], [replace(FLAT, settings={"rate": "6.00"}), POSTE]),
        ("method name", [US, FR], [replace(FLAT, name="Standard"), POSTE]),
        ("method disabled", [US, FR], [replace(FLAT, enabled=False), POSTE]),
        ("method added", [US, FR], [FLAT, Method(11, 1, "Express"), POSTE]),
        ("zone fee", [replace(US, handling_fee_type="FIXED", handling_fee_value=Decimal("1")), FR], [FLAT, POSTE]),
        ("zone free shipping", [replace(US, free_shipping_enabled=True), FR], [FLAT, POSTE]),
        ("more specific zone", [US, FR, Zone(3, "STATE", [{"country_code": "US", "state_code": "CA"}])], [FLAT, POSTE]),
        ("matched zone disabled", [replace(US, enabled=False), FR], [FLAT, POSTE]),
    ],
)
def test_pricing_inputs_change_the_digest(what, zones, methods):
    assert digest(zones, methods) != BASE, what


def test_a_carrier_connection_of_a_zone_method_is_an_input():
    carrier = Method(12, 1, "Acme", type="CARRIER", settings={"carrier_id": "acme", "services": ["GND"]})
    on = SimpleNamespace(carrier_id="acme", enabled=True, credentials={"key": "a"})
    before = digest([US], [FLAT, carrier], {"acme": on})
    assert digest([US], [FLAT, carrier], {"acme": SimpleNamespace(**{**vars(on), "enabled": False})}) != before
    assert (
        digest([US], [FLAT, carrier], {"acme": SimpleNamespace(**{**vars(on), "credentials": {"key": "b"}})}) != before
    )
    assert digest([US], [FLAT, carrier], {}) != before
    # A connection no method of the zone uses is not an input.
    assert digest([US], [FLAT], {"acme": on}) == digest([US], [FLAT], {})


def _row(**fields: Any) -> Any:
    values = {"id": "c", "pickup_method_id": None, "address": CA, "quote_fingerprint": "fp", "quote_config_version": 3}
    return SimpleNamespace(**{**values, **fields})


@pytest.mark.anyio
async def test_the_counter_is_the_fast_path_and_the_digest_decides_when_it_moved():
    setup = SimpleNamespace(store=STORE, zones=[US, FR], methods_by_zone={1: [FLAT], 2: [POSTE]}, connections={})
    loads = []

    async def load() -> Any:
        loads.append(1)
        return setup

    fresh = _row(id="fresh", quote_pricing_digest="anything")
    assert await stale_consignment_ids([fresh], 3, load) == set()
    assert loads == []  # quoted at the current version: no configuration read

    same = _row(id="same", quote_config_version=2, quote_pricing_digest=digest([US, FR], [FLAT, POSTE]))
    changed = _row(id="changed", quote_config_version=2, quote_pricing_digest="old")
    legacy = _row(id="legacy", quote_config_version=2, quote_pricing_digest=None)
    unquoted = _row(id="unquoted", quote_fingerprint=None, quote_pricing_digest=None)
    pickup = _row(id="pickup", pickup_method_id=1, address=None, quote_fingerprint=None, quote_pricing_digest=None)
    rows = [same, changed, legacy, unquoted, pickup]
    assert await stale_consignment_ids(rows, 3, load) == {"changed", "legacy", "unquoted"}
    assert loads == [1]  # read once for all of them


def test_the_setup_cache_files_by_store_and_version_and_forgets_the_oldest():
    cache = SetupCache(max_entries=2)
    setups = [
        SimpleNamespace(store=SimpleNamespace(id=store_id), version=version)
        for store_id, version in ((1, 1), (1, 2), (2, 1))
    ]
    for setup in setups:
        cache.put(setup)  # type: ignore[arg-type]
    assert cache.get(1, 1) is None  # evicted
    assert cache.get(1, 2) is setups[1]
    assert cache.get(2, 1) is setups[2]
    assert cache.get(1, 3) is None
