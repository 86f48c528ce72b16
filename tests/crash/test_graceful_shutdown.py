"""A server stopped with SIGTERM commits what it still holds in memory: the request log rows
queued for their batch commit (``backend.services.request_log``)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import sqlalchemy as sa

from backend.persistence import tables as t
from backend.persistence.db import Database
from tests.concurrency.clients import open_integration
from tests.concurrency.procs import start
from tests.conftest import fresh_database


async def _logged_request_ids(url: str, schema: str | None) -> list[str]:
    db = Database(url, pg_schema=schema)
    try:
        async with db.read() as conn:
            return list((await conn.execute(
                sa.select(t.provisioning_requests.c.request_id))).scalars())
    finally:
        await db.dispose()


def test_sigterm_commits_the_queued_request_log_rows(
        backend: str, request: pytest.FixtureRequest, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    url, schema = fresh_database(backend, request, tmp_path)
    # A linger longer than the requests take: only the shutdown commits their rows.
    monkeypatch.setenv("TESSERA_REQUEST_LOG_LINGER_MS", "1000")
    proc = start(url, schema, tmp_path)
    try:
        integration = open_integration(url, schema, proc.base, "shutdown")
        scim = integration.client(proc.base)
        sent = [scim("GET", "/Users").headers["x-request-id"] for _ in range(10)]
        scim.close()
        proc.stop()  # SIGTERM: uvicorn shuts down (the lifespan), then re-raises the signal
    finally:
        proc.stop()
    assert sorted(asyncio.run(_logged_request_ids(url, schema))) == sorted(sent)
    assert not proc.problems(), proc.problems()[-3000:]
