"""GraphQL test helpers: an app over the ``db`` fixture, a client, and a ``gql`` caller."""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from backend.app import create_app
from backend.config import Settings
from backend.domain.models import ActorType, Door, SubjectType
from backend.domain.queries import UserDraft
from backend.persistence.db import Database
from backend.services import bindings, roles, tokens, users
from backend.services.context import ServiceContext
from tests.factories import TenantFixture, make_tenant

FIXED_NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
Gql = Callable[..., Awaitable[dict[str, Any]]]


class Client:
    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def __call__(
        self, query: str, token: str | None = None, **variables: Any
    ) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        headers["Content-Type"] = "application/json"
        # json.dumps escapes to ASCII, so hostile strings (lone surrogates) travel as JSON does.
        body_text = json.dumps({"query": query, "variables": variables})
        response = await self.http.post("/graphql", content=body_text, headers=headers)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body


@pytest.fixture
async def tf(db: Database) -> TenantFixture:
    return await make_tenant(db, "acme")


@pytest.fixture
async def gql(db: Database) -> AsyncIterator[Client]:
    app = create_app(Settings(database_url=db.url, public_url="https://iam.example"), db=db)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://test") as http:
        yield Client(http)


@pytest.fixture
async def fixed_gql(db: Database) -> AsyncIterator[Client]:
    """Like ``gql``, with a fixed clock and sequential ids (for response snapshots)."""
    app = create_app(Settings(database_url=db.url, public_url="https://iam.example"), db=db)
    counter = itertools.count(1)
    app.state.service_clock = lambda: FIXED_NOW
    app.state.service_ids = lambda: f"id-{next(counter):04d}"
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://test") as http:
        yield Client(http)


async def user_with_role(
    tf: TenantFixture, user_name: str, role_name: str | None
) -> tuple[str, str]:
    """A user of ``tf``'s tenant bound to a managed role; returns (user id, API token)."""
    ctx = tf.ctx()
    user = await users.create_user(ctx, UserDraft(user_name=user_name, profile={}))
    if role_name is not None:
        async with tf.db.read() as conn:
            role = await roles.find_by_name(conn, tf.tenant, role_name)
        assert role is not None
        await bindings.create_binding(ctx, role.id, SubjectType.USER, user.id)
    system = ServiceContext(tf.db, tf.admin, None, Door.CLI)
    async with tf.db.write() as conn:
        issued = await tokens.issue(system, conn, owner_type=ActorType.USER, owner_id=user.id,
                                    tenant_id=None, name="test")
    return user.id, issued.secret


_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def normalise(value: Any) -> Any:
    """Replace random ids (uuids) in a response with stable placeholders, in order seen."""
    seen: dict[str, str] = {}

    def walk(v: Any) -> Any:
        if isinstance(v, dict):
            return {k: walk(x) for k, x in v.items()}
        if isinstance(v, list):
            return [walk(x) for x in v]
        if isinstance(v, str):
            return _UUID.sub(lambda m: seen.setdefault(m.group(0), f"<uuid{len(seen) + 1}>"), v)
        return v

    return walk(value)


def errors_of(body: dict[str, Any]) -> list[tuple[str, str]]:
    """(code, message) of each error, after checking no error leaks internals."""
    out = []
    for error in body.get("errors") or []:
        assert set(error) <= {"message", "locations", "path", "extensions"}, error
        assert "Traceback" not in str(error) and "sqlalchemy" not in str(error).lower()
        assert set(error["extensions"]) <= {"code", "field"}, error
        out.append((error["extensions"]["code"], error["message"]))
    return out
