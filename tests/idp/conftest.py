"""One live server per provider module and database; tests get a fresh tenant each."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from backend.persistence.db import Database
from tests.conftest import BACKENDS, PG_URL, _truncate
from tests.idp.harness import Server
from tests.live_server import live_server


async def _clean(url: str, schema: str) -> None:
    db = Database(url, pg_schema=schema)
    try:
        await _truncate(db)
    finally:
        await db.dispose()


@pytest.fixture(scope="module", params=BACKENDS)
def server(request: pytest.FixtureRequest,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Starting uvicorn per test would dominate the suite's time; tenants isolate tests."""
    schema: str | None = None
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path_factory.mktemp("idp") / "tessera.db"
        shutil.copy(template, path)
        url = f"sqlite+aiosqlite:///{path}"
    else:
        schema = request.getfixturevalue("pg_schema")
        url = PG_URL
        asyncio.run(_clean(url, schema))
    with live_server(url, schema) as base:
        yield Server(url, schema, base)
