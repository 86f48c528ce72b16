"""Conformance gate: every scim2-tester check against the real app served by uvicorn.

Runs on a fresh SQLite database and on PostgreSQL (the conftest's session schema, truncated);
the server runs in a background thread on a free loopback port.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time

import uvicorn

from backend.app import create_app
from backend.config import Settings
from backend.persistence.db import Database
from tests.conformance_harness import run_conformance
from tests.conftest import _truncate
from tests.factories import make_integration, make_tenant


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _prepare(url: str, schema: str | None) -> tuple[str, str]:
    db = Database(url, pg_schema=schema)
    try:
        if schema is not None:
            await _truncate(db)
        tf = await make_tenant(db, "conformance")
        return await make_integration(tf, "scim2-tester")
    finally:
        await db.dispose()


def test_scim2_tester_all_checks_pass(database_url: tuple[str, str | None]) -> None:
    url, schema = database_url  # a migrated SQLite copy, or the PostgreSQL test schema
    integration_id, secret = asyncio.run(_prepare(url, schema))
    port = _free_port()
    db = Database(url, pg_schema=schema)
    app = create_app(Settings(database_url=url, host="127.0.0.1", port=port), db)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="on"))

    async def serve() -> None:
        try:
            await server.serve()
        finally:
            await db.dispose()  # on the server's own event loop

    thread = threading.Thread(target=lambda: asyncio.run(serve()), daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while not server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            assert thread.is_alive(), "uvicorn stopped"
            time.sleep(0.05)
        base = (f"http://127.0.0.1:{port}/api/v1/conformance/integrations/"
                f"{integration_id}/scim/v2")
        report = run_conformance(base, secret)
        print(report.summary())
        assert report.failed == [], report.details()
        assert report.ok, report.details()
    finally:
        server.should_exit = True
        thread.join(timeout=15)
