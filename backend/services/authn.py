"""Authentication: a bearer API token resolves to an actor, or is refused."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from backend.domain.errors import IntegrationDisabled, Unauthenticated
from backend.domain.models import Actor, ActorType
from backend.persistence import tables as t
from backend.persistence.db import Database
from backend.services import tokens
from backend.services.context import Clock, utc_now


async def authenticate(db: Database, token: str | None, clock: Clock = utc_now) -> Actor:
    """Resolve a bearer token. Expired, revoked, orphaned or disabled-integration tokens fail."""
    if not token:
        raise Unauthenticated("missing bearer token")
    now = clock()
    async with db.read() as conn:
        api_token = await tokens.verify(conn, token, now)
        if api_token.owner_type is ActorType.USER:
            actor = await _user_actor(conn, api_token.owner_id)
        else:
            actor = await _service_account_actor(conn, api_token.owner_id)
    last = api_token.last_used_at
    if last is None or now - last >= tokens.LAST_USED_RESOLUTION:
        async with db.write() as conn:
            await tokens.touch(conn, api_token, now)
    return actor


async def _user_actor(conn: AsyncConnection, user_id: str) -> Actor:
    row = (await conn.execute(
        sa.select(t.users.c.id, t.users.c.user_name, t.users.c.instance_owner)
        .where(t.users.c.id == user_id)
    )).first()
    if row is None:
        raise Unauthenticated("the token's owner no longer exists")
    return Actor(ActorType.USER, row.id, row.user_name, instance_owner=bool(row.instance_owner))


async def _service_account_actor(conn: AsyncConnection, sa_id: str) -> Actor:
    stmt = (
        sa.select(t.service_accounts.c.id, t.service_accounts.c.name,
                  t.service_accounts.c.tenant_id, t.integrations.c.id.label("integration_id"),
                  t.integrations.c.enabled)
        .outerjoin(t.integrations, t.integrations.c.service_account_id == t.service_accounts.c.id)
        .where(t.service_accounts.c.id == sa_id)
    )
    row = (await conn.execute(stmt)).first()
    if row is None:
        raise Unauthenticated("the token's owner no longer exists")
    if row.integration_id is not None and not row.enabled:
        raise IntegrationDisabled("this provisioning integration is disabled")
    return Actor(ActorType.SERVICE_ACCOUNT, row.id, row.name, tenant_id=row.tenant_id,
                 integration_id=row.integration_id)
