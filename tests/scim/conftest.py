"""SCIM test fixtures: a tenant, an integration and an HTTP client on its SCIM base."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from backend.app import create_app
from backend.config import Settings
from backend.persistence.db import Database
from tests.factories import TenantFixture, make_integration, make_tenant

FIXED = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


class FixedClock:
    """Deterministic time: every call advances one second from a fixed instant."""

    def __init__(self) -> None:
        self.ticks = itertools.count()

    def __call__(self) -> datetime:
        return FIXED + timedelta(seconds=next(self.ticks))


class Ids:
    def __init__(self, prefix: str = "id") -> None:
        self.n = itertools.count(1)
        self.prefix = prefix

    def __call__(self) -> str:
        return f"{self.prefix}-{next(self.n):04d}"


@dataclass
class Scim:
    client: httpx.AsyncClient
    base: str  # path of the SCIM base, e.g. /api/v1/acme/integrations/<id>/scim/v2
    tenant: TenantFixture
    integration_id: str
    secret: str
    db: Database

    def url(self, path: str) -> str:
        return self.base + path

    async def get(self, path: str, **kw: Any) -> httpx.Response:
        return await self.client.get(self.url(path), **kw)

    async def post(self, path: str, body: Any = None, **kw: Any) -> httpx.Response:
        return await self.client.post(self.url(path), json=body, **kw)

    async def put(self, path: str, body: Any = None, **kw: Any) -> httpx.Response:
        return await self.client.put(self.url(path), json=body, **kw)

    async def patch(self, path: str, body: Any = None, **kw: Any) -> httpx.Response:
        return await self.client.patch(self.url(path), json=body, **kw)

    async def delete(self, path: str, **kw: Any) -> httpx.Response:
        return await self.client.delete(self.url(path), **kw)


def settings(**overrides: Any) -> Settings:
    return Settings(public_url="http://testserver", **overrides)


def scim_app(db: Database, **overrides: Any) -> Any:
    app = create_app(settings(**overrides), db)
    app.state.scim_clock = FixedClock()
    app.state.scim_ids = Ids()
    return app


async def open_scim(db: Database, tenant: str = "acme", name: str = "Entra",
                    **overrides: Any) -> Scim:
    tf = await make_tenant(db, tenant)
    integration_id, secret = await make_integration(tf, name)
    client = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=scim_app(db, **overrides)),
        base_url="http://testserver", headers={"Authorization": f"Bearer {secret}"})
    base = f"/api/v1/{tenant}/integrations/{integration_id}/scim/v2"
    return Scim(client, base, tf, integration_id, secret, db)


@pytest.fixture
async def scim(db: Database) -> AsyncIterator[Scim]:
    s = await open_scim(db)
    yield s
    await s.client.aclose()


def user_body(user_name: str = "ada@example.com", **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": user_name,
        "externalId": f"ext-{user_name}",
        "name": {"givenName": "Ada", "familyName": "Lovelace"},
        "emails": [{"value": user_name, "type": "work", "primary": True}],
        "active": True,
    }
    body.update(extra)
    return body


def patch_body(*ops: dict[str, Any]) -> dict[str, Any]:
    return {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": list(ops)}
