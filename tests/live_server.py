"""The real app served by uvicorn on a free loopback port, in a background thread."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

from backend.app import create_app
from backend.config import Settings
from backend.persistence.db import Database


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def live_server(url: str, schema: str | None, **settings: Any) -> Iterator[str]:
    """Serve the database at ``url``; yields the server's base URL (also its public URL).
    ``settings`` override Settings fields (e.g. ``scim_rate_per_second=0``)."""
    port = free_port()
    db = Database(url, pg_schema=schema)
    app = create_app(Settings(database_url=url, host="127.0.0.1", port=port, **settings), db)
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
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)
