"""Migrations and models agree, and a new database starts with its `default` store."""

from __future__ import annotations

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
