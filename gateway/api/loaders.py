"""Per-request DataLoaders: one batched query per relation and level, plain Core rows out.

Every loader is a plain async batch function over SQLAlchemy Core (usable outside graphql-core), bound
to the caller's store, reading through the request's one shared connection (`RequestReads`).
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, ClassVar

from aiodataloader import DataLoader, dispatch_queue
from aiodataloader import Loader as _queued
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.domain.quotes import load_setup
from gateway.storage import queries
from gateway.storage.db import RequestReads

#: Event-loop turns a batch waits for more keys before its query goes out. Sibling fields of one level
#: reach their loaders a few turns apart (their parents' results complete in separate callbacks); waiting
#: that long puts every load of a level into one query, so the statement count per request is stable.
SETTLE_TURNS = 8


class LevelLoader(DataLoader):  # type: ignore[type-arg]
    """A DataLoader that dispatches once the current level has settled, not on the next loop turn."""

    def __init__(self, batch_load_fn: Callable[[list[Any]], Awaitable[list[Any]]]) -> None:
        # DataLoader.__init__ with its defaults (batching and caching on, keys as cache keys), without
        # re-checking on every request that our own batch function is a coroutine function.
        self.loop = asyncio.get_running_loop()
        self.batch_load_fn = batch_load_fn
        self.get_cache_key = _same
        self._cache = {}
        self._queue = []

    def do_resolve_reject(self, key: Any, future: Any) -> None:
        self._queue.append(_queued(key, future))
        if len(self._queue) == 1:
            self.loop.create_task(self._dispatch_when_settled())

    def load_all(self, keys: Sequence[Any]) -> list[Any]:
        """`load` for each key (None for a None key), in one pass: what the compiled read path asks for a
        whole level. The futures are `load`'s own (the cache answers repeated keys and later `load`s)."""
        cache, queue, create = self._cache, self._queue, self.loop.create_future
        was_empty = not queue
        futures: list[Any] = []
        for key in keys:
            if key is None:
                futures.append(None)
                continue
            future = cache.get(key)
            if future is None:
                future = cache[key] = create()
                queue.append(_queued(key, future))
            futures.append(future)
        if was_empty and queue:
            self.loop.create_task(self._dispatch_when_settled())
        return futures

    async def _dispatch_when_settled(self) -> None:
        for _ in range(SETTLE_TURNS):
            await asyncio.sleep(0)
        dispatch_queue(self)


def _same(key: Any) -> Any:
    return key


Fetch = Callable[[AsyncConnection, int, list[Any]], Awaitable[list[Any]]]


class _Lazy:
    """A `Loaders` attribute whose DataLoader is made on first access, then kept on the instance.

    It names the batch function (a static method of `Loaders`) and looks it up when the loader is made.
    """

    def __init__(self, fetch_name: str) -> None:
        self._fetch_name = fetch_name
        self._name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self._name = name

    def __get__(self, loaders: Loaders | None, owner: type) -> Any:
        if loaders is None:
            return self
        loader = loaders._make(self._name, getattr(owner, self._fetch_name))
        vars(loaders)[self._name] = loader  # a plain attribute from now on (this is a non-data descriptor)
        return loader


def by_key(rows: Sequence[Row[Any]], keys: Sequence[Any], attribute: str) -> list[Row[Any] | None]:
    """One row (or None) per key, in key order."""
    index = {getattr(row, attribute): row for row in rows}
    return [index.get(key) for key in keys]


def grouped(rows: Sequence[Row[Any]], keys: Sequence[Any], attribute: str) -> list[list[Row[Any]]]:
    """A list of rows per key, in key order; rows keep their query order."""
    groups: dict[Any, list[Row[Any]]] = defaultdict(list)
    for row in rows:
        groups[getattr(row, attribute)].append(row)
    return [groups.get(key, []) for key in keys]


class Loaders:
    """The DataLoaders of one request, as typed attributes, each created on first use (a page needs a
    handful of the 19)."""

    #: Called with (loader name, number of keys) for every batch; the app points it at its metrics.
    on_batch: ClassVar[Callable[[str, int], None] | None] = None

    def __init__(self, reads: RequestReads, store_id: int) -> None:
        self._reads = reads
        self._store_id = store_id
        #: Rows list loaders read, by id, for the by-id loader of the same table (see `_LISTED_BY_ID`).
        self._listed: dict[str, dict[Any, Any]] = {}

    #: A list loader's rows also answer a by-id loader: a page that lists an order's products and then
    #: points at them from shipment items reads the products once. The rows are only remembered; a by-id
    #: batch asks the database for the keys nobody listed.
    _LISTED_BY_ID: ClassVar[dict[str, str]] = {
        "line_items_by_checkout_id": "line_item_by_id",
        "shipping_addresses_by_order_id": "shipping_address_by_id",
        "order_products_by_order_id": "order_product_by_id",
        "shipments_by_order_id": "shipment_by_id",
    }

    def _make(self, name: str, fetch: Fetch) -> DataLoader:
        reads, store_id, on_batch = self._reads, self._store_id, Loaders.on_batch
        lists_for = self._LISTED_BY_ID.get(name)
        listed = self._listed.setdefault(name, {}) if name in self._LISTED_BY_ID.values() else None

        async def batch(keys: list[Any]) -> list[Any]:
            if on_batch is not None:
                on_batch(name, len(keys))
            if listed:
                missing = [key for key in keys if key not in listed]
                if missing:
                    found = await reads.run(lambda conn: fetch(conn, store_id, missing))
                    listed.update((key, row) for key, row in zip(missing, found, strict=True) if row is not None)
                return [listed.get(key) for key in keys]
            results = await reads.run(lambda conn: fetch(conn, store_id, keys))
            if lists_for is not None:
                known = self._listed.setdefault(lists_for, {})
                for rows in results:
                    for row in rows:
                        known[row.id] = row
            return results

        return LevelLoader(batch)

    def clear_all(self) -> None:
        """Forget everything loaded so far: called after every write."""
        for rows in self._listed.values():
            rows.clear()
        for value in vars(self).values():
            if isinstance(value, DataLoader):
                value.clear_all()

    @staticmethod
    async def _checkouts(conn: AsyncConnection, store_id: int, keys: list[str]) -> list[Any]:
        return by_key(await queries.checkouts_by_ids(conn, store_id, keys), keys, "id")

    @staticmethod
    async def _line_items_by_checkout(conn: AsyncConnection, store_id: int, keys: list[str]) -> list[Any]:
        return grouped(await queries.line_items_by_checkout_ids(conn, store_id, keys), keys, "checkout_id")

    @staticmethod
    async def _line_items(conn: AsyncConnection, store_id: int, keys: list[str]) -> list[Any]:
        return by_key(await queries.line_items_by_ids(conn, store_id, keys), keys, "id")

    @staticmethod
    async def _consignment_items_by_checkout(conn: AsyncConnection, store_id: int, keys: list[str]) -> list[Any]:
        rows = await queries.consignment_items_by_checkout_ids(conn, store_id, keys)
        return grouped(rows, keys, "checkout_id")

    @staticmethod
    async def _consignments_by_checkout(conn: AsyncConnection, store_id: int, keys: list[str]) -> list[Any]:
        return grouped(await queries.consignments_by_checkout_ids(conn, store_id, keys), keys, "checkout_id")

    @staticmethod
    async def _quotes(conn: AsyncConnection, store_id: int, keys: list[str]) -> list[Any]:
        return grouped(await queries.quotes_by_consignment_ids(conn, store_id, keys), keys, "consignment_id")

    @staticmethod
    async def _config_versions(conn: AsyncConnection, store_id: int, keys: list[int]) -> list[Any]:
        versions = await queries.shipping_config_versions(conn, [key for key in keys if key == store_id])
        return [versions.get(key) for key in keys]

    @staticmethod
    async def _shipping_setups(conn: AsyncConnection, store_id: int, keys: list[int]) -> list[Any]:
        setup = await load_setup(conn, store_id) if store_id in keys else None
        return [setup if key == store_id else None for key in keys]

    @staticmethod
    async def _zones(conn: AsyncConnection, store_id: int, keys: list[int]) -> list[Any]:
        rows = await queries.zones_for_store(conn, store_id)
        return [list(rows) if key == store_id else [] for key in keys]

    @staticmethod
    async def _methods_by_zone(conn: AsyncConnection, store_id: int, keys: list[int]) -> list[Any]:
        return grouped(await queries.methods_by_zone_ids(conn, store_id, keys), keys, "zone_id")

    @staticmethod
    async def _pickup_methods(conn: AsyncConnection, store_id: int, keys: list[int]) -> list[Any]:
        rows = await queries.pickup_methods_for_store(conn, store_id)
        return [list(rows) if key == store_id else [] for key in keys]

    @staticmethod
    async def _orders(conn: AsyncConnection, store_id: int, keys: list[int]) -> list[Any]:
        return by_key(await queries.orders_by_ids(conn, store_id, keys), keys, "id")

    @staticmethod
    async def _shipping_addresses_by_order(conn: AsyncConnection, store_id: int, keys: list[int]) -> list[Any]:
        return grouped(await queries.shipping_addresses_by_order_ids(conn, store_id, keys), keys, "order_id")

    @staticmethod
    async def _shipping_addresses(conn: AsyncConnection, store_id: int, keys: list[int]) -> list[Any]:
        return by_key(await queries.shipping_addresses_by_ids(conn, store_id, keys), keys, "id")

    @staticmethod
    async def _products_by_order(conn: AsyncConnection, store_id: int, keys: list[int]) -> list[Any]:
        return grouped(await queries.order_products_by_order_ids(conn, store_id, keys), keys, "order_id")

    @staticmethod
    async def _products(conn: AsyncConnection, store_id: int, keys: list[int]) -> list[Any]:
        return by_key(await queries.order_products_by_ids(conn, store_id, keys), keys, "id")

    @staticmethod
    async def _shipments_by_order(conn: AsyncConnection, store_id: int, keys: list[int]) -> list[Any]:
        return grouped(await queries.shipments_by_order_ids(conn, store_id, keys), keys, "order_id")

    @staticmethod
    async def _shipment_items(conn: AsyncConnection, store_id: int, keys: list[int]) -> list[Any]:
        return grouped(await queries.shipment_items_by_shipment_ids(conn, store_id, keys), keys, "shipment_id")

    @staticmethod
    async def _shipments(conn: AsyncConnection, store_id: int, keys: list[int]) -> list[Any]:
        return by_key(await queries.shipments_by_ids(conn, store_id, keys), keys, "id")

    checkout_by_id = _Lazy("_checkouts")
    line_items_by_checkout_id = _Lazy("_line_items_by_checkout")
    line_item_by_id = _Lazy("_line_items")
    #: One read serves both a checkout's consignments' items and its line items' assigned quantities.
    consignment_items_by_checkout_id = _Lazy("_consignment_items_by_checkout")
    consignments_by_checkout_id = _Lazy("_consignments_by_checkout")
    quotes_by_consignment_id = _Lazy("_quotes")
    shipping_config_version_by_store_id = _Lazy("_config_versions")
    #: Only read when a quote's staleness needs it (the configuration counter moved since the quote).
    shipping_setup_by_store_id = _Lazy("_shipping_setups")
    zones_by_store_id = _Lazy("_zones")
    methods_by_zone_id = _Lazy("_methods_by_zone")
    pickup_methods_by_store_id = _Lazy("_pickup_methods")
    order_by_id = _Lazy("_orders")
    shipping_addresses_by_order_id = _Lazy("_shipping_addresses_by_order")
    shipping_address_by_id = _Lazy("_shipping_addresses")
    order_products_by_order_id = _Lazy("_products_by_order")
    order_product_by_id = _Lazy("_products")
    shipments_by_order_id = _Lazy("_shipments_by_order")
    shipment_by_id = _Lazy("_shipments")
    shipment_items_by_shipment_id = _Lazy("_shipment_items")
