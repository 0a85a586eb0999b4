"""Per-request DataLoaders: one batched query per relation and level, plain Core rows out.

Every loader is a plain async batch function over SQLAlchemy Core (usable outside graphql-core), bound
to the caller's store, reading through the request's one shared connection (`RequestReads`).
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from aiodataloader import DataLoader, dispatch_queue
from aiodataloader import Loader as _queued
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.storage import queries
from gateway.storage.db import RequestReads

#: Event-loop turns a batch waits for more keys before its query goes out. Sibling fields of one level
#: reach their loaders a few turns apart (their parents' results complete in separate callbacks); waiting
#: that long puts every load of a level into one query, so the statement count per request is stable.
SETTLE_TURNS = 8


class LevelLoader(DataLoader):  # type: ignore[type-arg]
    """A DataLoader that dispatches once the current level has settled, not on the next loop turn."""

    def do_resolve_reject(self, key: Any, future: Any) -> None:
        self._queue.append(_queued(key, future))
        if len(self._queue) == 1:
            self.loop.create_task(self._dispatch_when_settled())

    async def _dispatch_when_settled(self) -> None:
        for _ in range(SETTLE_TURNS):
            await asyncio.sleep(0)
        dispatch_queue(self)


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
    """The DataLoaders of one request, as typed attributes."""

    def __init__(self, reads: RequestReads, store_id: int) -> None:
        self._store_id = store_id

        def make(
            fetch: Callable[[AsyncConnection, int, list[Any]], Awaitable[list[Any]]],
        ) -> DataLoader:
            async def batch(keys: list[Any]) -> list[Any]:
                return await reads.run(lambda conn: fetch(conn, store_id, keys))

            return LevelLoader(batch)

        self.checkout_by_id = make(self._checkouts)
        self.line_items_by_checkout_id = make(self._line_items_by_checkout)
        self.line_item_by_id = make(self._line_items)
        self.assigned_quantity_by_line_item_id = make(self._assigned_quantities)
        self.consignments_by_checkout_id = make(self._consignments_by_checkout)
        self.consignment_items_by_consignment_id = make(self._consignment_items)
        self.quotes_by_consignment_id = make(self._quotes)
        self.shipping_config_version_by_store_id = make(self._config_versions)
        self.zones_by_store_id = make(self._zones)
        self.methods_by_zone_id = make(self._methods_by_zone)
        self.pickup_methods_by_store_id = make(self._pickup_methods)
        self.order_by_id = make(self._orders)
        self.shipping_addresses_by_order_id = make(self._shipping_addresses_by_order)
        self.shipping_address_by_id = make(self._shipping_addresses)
        self.order_products_by_order_id = make(self._products_by_order)
        self.order_product_by_id = make(self._products)
        self.shipments_by_order_id = make(self._shipments_by_order)
        self.shipment_by_id = make(self._shipments)
        self.shipment_items_by_shipment_id = make(self._shipment_items)
        self._all = [value for value in vars(self).values() if isinstance(value, DataLoader)]

    def clear_all(self) -> None:
        """Forget everything loaded so far: called after every write."""
        for loader in self._all:
            loader.clear_all()

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
    async def _assigned_quantities(conn: AsyncConnection, store_id: int, keys: list[str]) -> list[Any]:
        totals = await queries.assigned_quantities_by_line_item_ids(conn, store_id, keys)
        return [totals.get(key, 0) for key in keys]

    @staticmethod
    async def _consignments_by_checkout(conn: AsyncConnection, store_id: int, keys: list[str]) -> list[Any]:
        return grouped(await queries.consignments_by_checkout_ids(conn, store_id, keys), keys, "checkout_id")

    @staticmethod
    async def _consignment_items(conn: AsyncConnection, store_id: int, keys: list[str]) -> list[Any]:
        rows = await queries.consignment_items_by_consignment_ids(conn, store_id, keys)
        return grouped(rows, keys, "consignment_id")

    @staticmethod
    async def _quotes(conn: AsyncConnection, store_id: int, keys: list[str]) -> list[Any]:
        return grouped(await queries.quotes_by_consignment_ids(conn, store_id, keys), keys, "consignment_id")

    @staticmethod
    async def _config_versions(conn: AsyncConnection, store_id: int, keys: list[int]) -> list[Any]:
        versions = await queries.shipping_config_versions(conn, [key for key in keys if key == store_id])
        return [versions.get(key) for key in keys]

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
