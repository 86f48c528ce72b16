"""Reliability fixtures: a SCIM integration plus a GraphQL caller on the same app."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest

from backend.persistence.db import Database
from tests.scim.conftest import Scim, open_scim


@dataclass
class Rel:
    scim: Scim

    async def gql(self, query: str, token: str | None = None, **variables: Any) -> Any:
        token = token or self.scim.tenant.admin_token
        r = await self.scim.client.post("/graphql", json={"query": query, "variables": variables},
                                        headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 200, r.text
        return r.json()

    async def data(self, query: str, token: str | None = None, **variables: Any) -> Any:
        body = await self.gql(query, token, **variables)
        assert "errors" not in body, body
        return body["data"]


async def open_rel(db: Database, **overrides: Any) -> Rel:
    return Rel(await open_scim(db, **overrides))


@pytest.fixture
async def rel(db: Database) -> AsyncIterator[Rel]:
    r = await open_rel(db)
    yield r
    await r.scim.client.aclose()
