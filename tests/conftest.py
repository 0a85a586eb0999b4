"""Test fixtures: a fresh, migrated database per test, on SQLite or on PostgreSQL.

The backend follows `TEST_DATABASE_URL`: unset, every test gets its own SQLite file; set to a PostgreSQL
URL, every test gets its own database cloned from a migrated template. CI runs the suite both ways.
"""

from __future__ import annotations

import asyncio
import inspect
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from gateway import observability
from gateway.app import create_app
from gateway.settings import Settings
from gateway.storage.db import create_engine, normalise_url
from gateway.storage.migrate import upgrade
from tests.factories import StoreFixture, make_store
from tests.no_skips import pytest_runtest_makereport  # noqa: F401 - every skip becomes a failure

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
BACKEND = "postgresql" if TEST_DATABASE_URL else "sqlite"


def pytest_report_header() -> str:
    return f"gateway storage backend: {BACKEND}" + (f" ({TEST_DATABASE_URL})" if TEST_DATABASE_URL else "")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        function = getattr(item, "function", None)
        if function is not None and inspect.iscoroutinefunction(function):
            item.add_marker(pytest.mark.anyio)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def _admin_engine(url: str) -> AsyncEngine:
    return create_async_engine(normalise_url(url), isolation_level="AUTOCOMMIT", poolclass=NullPool)


async def _pg_execute(admin_url: str, *statements: str) -> None:
    engine = _admin_engine(admin_url)
    try:
        async with engine.connect() as conn:
            for statement in statements:
                await conn.execute(sa.text(statement))
    finally:
        await engine.dispose()


def _pg_url(database: str) -> str:
    assert TEST_DATABASE_URL
    return make_url(normalise_url(TEST_DATABASE_URL)).set(database=database).render_as_string(hide_password=False)


async def _ensure_database(url: str) -> None:
    """Create TEST_DATABASE_URL's database when it does not exist yet (through the `postgres` database), so
    `scripts/test` works on a fresh PostgreSQL server with nothing but the URL."""
    engine = _admin_engine(url)
    try:
        async with engine.connect():
            return
    except sa.exc.DBAPIError as error:
        if "does not exist" not in str(error.orig):
            raise
    finally:
        await engine.dispose()
    name = make_url(normalise_url(url)).database
    await _pg_execute(_pg_url("postgres"), f'CREATE DATABASE "{name}"')


@pytest.fixture(scope="session")
def template_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated database that each test copies: a file on SQLite, a template database on PostgreSQL."""
    if TEST_DATABASE_URL is None:
        path = tmp_path_factory.mktemp("template") / "template.db"
        upgrade(f"sqlite:///{path}")
        yield str(path)
        return
    asyncio.run(_ensure_database(TEST_DATABASE_URL))
    name = f"gw_template_{uuid.uuid4().hex[:10]}"
    asyncio.run(_pg_execute(TEST_DATABASE_URL, f'CREATE DATABASE "{name}"'))
    try:
        upgrade(_pg_url(name))
        yield name
    finally:
        asyncio.run(_pg_execute(TEST_DATABASE_URL, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def database_url(template_database: str, tmp_path: Path) -> Iterator[str]:
    """A fresh, migrated database for one test."""
    if TEST_DATABASE_URL is None:
        path = tmp_path / "gateway.db"
        shutil.copyfile(template_database, path)
        yield f"sqlite+aiosqlite:///{path}"
        return
    name = f"gw_test_{uuid.uuid4().hex[:12]}"
    asyncio.run(_pg_execute(TEST_DATABASE_URL, f'CREATE DATABASE "{name}" TEMPLATE "{template_database}"'))
    try:
        yield _pg_url(name)
    finally:
        asyncio.run(_pg_execute(TEST_DATABASE_URL, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    try:
        yield engine
    finally:
        await engine.dispose()


class StatementCounter:
    """Counts SQL statements sent to the database (BEGIN/COMMIT included, as the server sees them)."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    def __call__(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        self.statements.append(statement)

    @property
    def count(self) -> int:
        return len(self.statements)

    def reset(self) -> None:
        self.statements.clear()


@pytest.fixture
def sql_counter(engine: AsyncEngine) -> Iterator[StatementCounter]:
    counter = StatementCounter()
    event.listen(engine.sync_engine, "before_cursor_execute", counter)
    try:
        yield counter
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", counter)


@pytest.fixture(autouse=True)
def fresh_operation_labels(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts with no operation name labelled yet: the process-wide limit on metric labels
    (`observability.MAX_OPERATION_LABELS`) would otherwise fill up with the names of earlier tests'
    generated queries and turn later tests' names into "other"."""
    monkeypatch.setattr(
        observability, "operation_label", observability._OperationLabels(observability.MAX_OPERATION_LABELS)
    )


@pytest.fixture
def settings(database_url: str) -> Settings:
    # No principal cache in-process: statement counts must not depend on how long ago a token was checked.
    # (Real server processes in the race/shutdown tests keep the production default.)
    return Settings(database_url=database_url, host="127.0.0.1", port=0, environment="test", token_cache_ttl_s=0)


@pytest.fixture
def app(settings: Settings, engine: AsyncEngine) -> Any:
    return create_app(settings, engine=engine)


@pytest.fixture
async def client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as client:
        yield client


@pytest.fixture
async def store(engine: AsyncEngine) -> StoreFixture:
    """The `default` store with the test catalog and one token of each kind."""
    return await make_store(engine, slug="default")
