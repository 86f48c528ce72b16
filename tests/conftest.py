"""Shared fixtures: every database test runs on SQLite and on PostgreSQL.

PostgreSQL (127.0.0.1:5432, database ``test``, or ``TESSERA_TEST_PG_URL``) gets one schema per
test session, migrated once and truncated between tests. Without a reachable server the
PostgreSQL half is skipped with a reason, except under ``CI=true``, where it fails the run.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest
import sqlalchemy as sa

from backend.persistence import tables
from backend.persistence.db import Database
from backend.persistence.migrate import upgrade

PG_URL = os.environ.get(
    "TESSERA_TEST_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
IN_CI = os.environ.get("CI", "").lower() == "true"
BACKENDS = ["sqlite", "postgresql"]


def _raw_pg_dsn() -> str:
    return PG_URL.replace("postgresql+asyncpg://", "postgresql://")


async def _pg_available() -> str | None:
    try:
        conn = await asyncio.wait_for(asyncpg.connect(_raw_pg_dsn()), timeout=5)
    except Exception as exc:  # any failure to connect means "not available"
        return f"{type(exc).__name__}: {exc}"
    await conn.close()
    return None


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (migrating per test would be slow)."""
    path = tmp_path_factory.mktemp("template") / "template.db"

    async def build() -> None:
        db = Database(f"sqlite+aiosqlite:///{path}")
        await upgrade(db)
        await db.dispose()

    asyncio.run(build())
    return path


@pytest.fixture(scope="session")
def pg_schema() -> Iterator[str]:
    problem = asyncio.run(_pg_available())
    if problem is not None:
        if IN_CI:
            pytest.fail(f"PostgreSQL is mandatory under CI=true but unreachable: {problem}")
        pytest.skip(f"PostgreSQL not reachable at {PG_URL}: {problem}")
    schema = f"tessera_test_{uuid.uuid4().hex[:12]}"

    async def create() -> None:
        conn = await asyncpg.connect(_raw_pg_dsn())
        await conn.execute(f'CREATE SCHEMA "{schema}"')
        await conn.close()
        db = Database(PG_URL, pg_schema=schema)
        await upgrade(db)
        await db.dispose()

    async def drop() -> None:
        conn = await asyncpg.connect(_raw_pg_dsn())
        await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        await conn.close()

    asyncio.run(create())
    yield schema
    asyncio.run(drop())


async def _truncate(db: Database) -> None:
    names = ", ".join(f'"{t.name}"' for t in tables.ALL_TABLES)
    async with db.engine.begin() as conn:
        await conn.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


async def _clean(url: str, schema: str) -> None:
    db = Database(url, pg_schema=schema)
    try:
        await _truncate(db)
    finally:
        await db.dispose()


def fresh_database(backend: str, request: pytest.FixtureRequest, folder: Path, *,
                   truncate: bool = True) -> tuple[str, str | None]:
    """(url, pg schema) of an empty migrated database: a copy of the SQLite template in
    ``folder``, or the session's PostgreSQL schema, truncated unless the caller does it."""
    if backend == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = folder / "tessera.db"
        shutil.copy(template, path)
        return f"sqlite+aiosqlite:///{path}", None
    schema: str = request.getfixturevalue("pg_schema")
    if truncate:
        asyncio.run(_clean(PG_URL, schema))
    return PG_URL, schema


@pytest.fixture
def database_url(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> tuple[str, str | None]:
    """(url, pg schema) of a fresh, migrated database for this test."""
    return fresh_database(backend, request, tmp_path, truncate=False)  # ``db`` truncates


@pytest.fixture
async def db(database_url: tuple[str, str | None]) -> AsyncIterator[Database]:
    url, schema = database_url
    database = Database(url, pg_schema=schema)
    if schema is not None:
        await _truncate(database)
    yield database
    await database.dispose()
