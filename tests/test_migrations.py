"""Migrations and models agree, and a new database starts with its `default` store."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pprint import pformat
from typing import Any

import httpx
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.storage.migrate import current_revision, head_revision, upgrade_async
from gateway.storage.models import metadata
from gateway.storage.models import store as store_table
from tests.factories import StoreFixture
from tests.order_flow import US_CA, OrderFlow


def _differences(sync_conn: Any) -> list[Any]:
    context = MigrationContext.configure(
        sync_conn,
        opts={
            "compare_type": True,
            "compare_server_default": True,
            "render_as_batch": sync_conn.dialect.name == "sqlite",
        },
    )
    return list(compare_metadata(context, metadata))


async def test_migrated_database_matches_the_models(database_url: str, engine: AsyncEngine) -> None:
    # The fixture database is migrated already; upgrading again must be a no-op that leaves it at head.
    await upgrade_async(database_url)
    head = head_revision()
    assert head is not None
    assert await current_revision(engine) == head

    async with engine.connect() as conn:
        tables = await conn.run_sync(lambda sync: set(sa.inspect(sync).get_table_names()))
        differences = await conn.run_sync(_differences)
    # Not vacuous: the comparison really looked at the migrated tables.
    assert set(metadata.tables) <= tables, set(metadata.tables) - tables
    assert not differences, (
        "the models and the migrations disagree; write a migration (alembic revision --autogenerate):\n"
        + pformat(differences)
    )


async def test_fresh_database_has_exactly_the_default_store(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        rows = (await conn.execute(sa.select(store_table.c.slug, store_table.c.currency_code))).all()
    assert [row.slug for row in rows] == ["default"]


async def test_0004_keeps_rows_and_ids_and_never_reuses_a_deleted_highest_id(database_url: str) -> None:
    from gateway.storage.db import create_engine
    from gateway.storage.migrate import upgrade_async as up

    # A database at 0003 with rows: downgrade the fixture (fresh) database, write, upgrade again.
    await asyncio.to_thread(_downgrade, database_url, "0003")
    engine = create_engine(database_url)
    try:
        async with engine.begin() as conn:
            for name in ("North", "South", "East"):
                await conn.execute(
                    sa.text(
                        "INSERT INTO shipping_zone (store_id, name, type, locations, enabled, free_shipping_enabled,"
                        " handling_fee_display_separately, created_at, updated_at)"
                        " VALUES (1, :name, 'GLOBAL', '[]', true, false, false, :now, :now)"
                    ),
                    {"name": name, "now": datetime(2026, 1, 1, tzinfo=UTC)},
                )
        await up(database_url)
        async with engine.begin() as conn:
            rows = (await conn.execute(sa.text("SELECT id, name FROM shipping_zone ORDER BY id"))).all()
            assert [(row.name) for row in rows] == ["North", "South", "East"]
            highest = rows[-1].id
            await conn.execute(sa.text("DELETE FROM shipping_zone WHERE id = :id"), {"id": highest})
            await conn.execute(
                sa.text(
                    "INSERT INTO shipping_zone (store_id, name, type, locations, enabled, free_shipping_enabled,"
                    " handling_fee_display_separately, created_at, updated_at)"
                    " VALUES (1, 'West', 'GLOBAL', '[]', true, false, false, :now, :now)"
                ),
                {"now": datetime(2026, 1, 1, tzinfo=UTC)},
            )
            new = (await conn.execute(sa.text("SELECT id FROM shipping_zone WHERE name = 'West'"))).scalar_one()
        assert new > highest
        assert [row.id for row in rows[:2]] == [rows[0].id, rows[1].id]
        async with engine.connect() as conn:
            assert not await conn.run_sync(_differences)
    finally:
        await engine.dispose()


async def test_0006_takes_pickups_out_of_shipping_and_back(
    database_url: str, engine: AsyncEngine, client: httpx.AsyncClient, store: StoreFixture
) -> None:
    # A mixed order with everything to ship shipped: one mug shipped, one shirt to collect at the store.
    flow = OrderFlow(client, store)
    await flow.shipping()
    pickup_method_id = await flow.pickup_method("Downtown Store")
    cart = await flow.cart(SHIRT=1, MUG=1)
    await flow.pickup(cart, pickup_method_id, SHIRT=1)
    await flow.select(cart, await flow.ship(cart, US_CA, MUG=1))
    await flow.set_billing(cart)
    order = await flow.completed(cart.id)
    await flow.shipped(order, 0)
    counts = sa.text("SELECT status, items_total, items_shipped FROM orders WHERE id = :id")

    # Before 0006 the pickup unit counted as a unit to ship, never shipped.
    await engine.dispose()
    await asyncio.to_thread(_downgrade, database_url, "0005")
    async with engine.connect() as conn:
        assert tuple((await conn.execute(counts, {"id": int(order["id"])})).one()) == ("PARTIALLY_SHIPPED", 2, 1)

    await engine.dispose()
    await upgrade_async(database_url)
    await engine.dispose()
    after = await flow.order(order["id"])
    assert after is not None
    assert (after["status"], after["itemsTotal"], after["itemsShipped"]) == ("AWAITING_PICKUP", 1, 1)
    assert len(after["shippingAddresses"]) == 1
    (pickup,) = after["pickups"]
    assert (pickup["locationName"], pickup["instructions"], pickup["pickedUpAt"]) == (
        "Downtown Store",
        "Ask at the counter.",
        None,
    )
    assert [item["sku"] for item in pickup["items"]] == ["SHIRT"]
    async with engine.connect() as conn:
        assert not await conn.run_sync(_differences)


def _downgrade(url: str, revision: str) -> None:
    from alembic import command

    from gateway.storage.migrate import alembic_config

    command.downgrade(alembic_config(url), revision)


async def test_0005_downgrades_and_upgrades_again(database_url: str, engine: AsyncEngine) -> None:
    await engine.dispose()
    await asyncio.to_thread(_downgrade, database_url, "0004")
    async with engine.connect() as conn:
        columns = await conn.run_sync(lambda sync: {c["name"] for c in sa.inspect(sync).get_columns("consignment")})
    assert not {"quote_pricing_digest", "unavailable_option"} & columns
    await upgrade_async(database_url)
    async with engine.connect() as conn:
        assert not await conn.run_sync(_differences)
