"""Migrations and models agree, and a new database starts with its `default` store."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pprint import pformat
from typing import Any

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.storage.migrate import current_revision, head_revision, upgrade_async
from gateway.storage.models import metadata, store


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
        rows = (await conn.execute(sa.select(store.c.slug, store.c.currency_code))).all()
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


def _downgrade(url: str, revision: str) -> None:
    from alembic import command

    from gateway.storage.migrate import alembic_config

    command.downgrade(alembic_config(url), revision)


async def test_0005_downgrades_and_upgrades_again(database_url: str, engine: AsyncEngine) -> None:
    await asyncio.to_thread(_downgrade, database_url, "0004")
    async with engine.connect() as conn:
        columns = await conn.run_sync(lambda sync: {c["name"] for c in sa.inspect(sync).get_columns("consignment")})
    assert not {"quote_pricing_digest", "unavailable_option"} & columns
    await upgrade_async(database_url)
    async with engine.connect() as conn:
        assert not await conn.run_sync(_differences)
