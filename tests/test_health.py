from __future__ import annotations

import httpx

from backend.app import create_app
from backend.config import Settings
from backend.persistence.db import Database


async def test_health_and_readiness(db: Database) -> None:
    app = create_app(Settings(database_url=db.url), db=db)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        assert (await client.get("/healthz")).json() == {"status": "ok"}
        ready = await client.get("/readyz")
        assert ready.status_code == 200 and ready.json()["database"] == "up"
