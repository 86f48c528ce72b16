"""Tenants: created by the instance owner, each with the five managed roles."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from backend.domain.errors import Conflict, InvalidValue, NotFound
from backend.domain.models import ActorType, Tenant
from backend.domain.text import is_tenant_id
from backend.persistence import rows
from backend.persistence import tables as t
from backend.services import audit, authz, roles
from backend.services.context import ServiceContext


async def find(conn: AsyncConnection, tenant_id: str) -> Tenant | None:
    row = (await conn.execute(sa.select(t.tenants).where(t.tenants.c.id == tenant_id))).first()
    return rows.tenant(row) if row else None


async def insert(ctx: ServiceContext, conn: AsyncConnection, tenant_id: str, name: str) -> Tenant:
    if not is_tenant_id(tenant_id):
        raise InvalidValue(
            "tenant id must be 1-63 characters: lowercase letters, digits, '-' or '_'",
            field="id",
        )
    if await find(conn, tenant_id) is not None:
        raise Conflict(f"tenant {tenant_id!r} already exists")
    now = ctx.now()
    await conn.execute(t.tenants.insert().values(id=tenant_id, name=name or tenant_id,
                                                 created_at=now))
    await roles.create_managed_roles(ctx, conn, tenant_id)
    await audit.record(ctx, conn, "tenant.create", "tenant", tenant_id, {"name": name},
                       tenant_id=tenant_id)
    return Tenant(tenant_id, name or tenant_id, now)


async def create_tenant(ctx: ServiceContext, tenant_id: str, name: str = "") -> Tenant:
    authz.require_instance_owner(ctx)
    async with ctx.db.write() as conn:
        return await insert(ctx, conn, tenant_id.strip(), name.strip())


async def get_tenant(ctx: ServiceContext, tenant_id: str) -> Tenant:
    """A tenant the actor can see; others are 'not found'."""
    found = await visible_tenants(ctx, only=tenant_id)
    if not found:
        raise NotFound(f"tenant {tenant_id!r} not found")
    return found[0]


async def visible_tenants(ctx: ServiceContext, *, only: str | None = None) -> list[Tenant]:
    """Instance owner: all. User: tenants with an active membership. Service account: its own."""
    stmt = sa.select(t.tenants).order_by(t.tenants.c.id)
    if only is not None:
        stmt = stmt.where(t.tenants.c.id == only)
    actor = ctx.actor
    if actor.type is ActorType.SERVICE_ACCOUNT:
        stmt = stmt.where(t.tenants.c.id == actor.tenant_id)
    elif not actor.instance_owner:
        stmt = stmt.where(t.tenants.c.id.in_(
            sa.select(t.memberships.c.tenant_id).where(
                t.memberships.c.user_id == actor.id,
                sa.or_(t.memberships.c.active.is_(None), t.memberships.c.active.is_(True)))
        ))
    async with ctx.db.read() as conn:
        return [rows.tenant(r) for r in await conn.execute(stmt)]
