"""First-run bootstrap (CLI): a tenant, its admin as instance owner, and a fresh API token.

Idempotent: running it again reuses the tenant, the user and the binding, and issues a new token.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from backend.domain.models import Actor, ActorType, Door, SubjectType
from backend.domain.roles import ADMIN
from backend.persistence import tables as t
from backend.persistence import user_store
from backend.persistence.db import Database
from backend.services import audit, bindings, roles, tenants, tokens
from backend.services.context import ServiceContext


@dataclass(frozen=True, slots=True)
class BootstrapResult:
    tenant: str
    user_id: str
    token: str
    created_tenant: bool
    created_user: bool


async def bootstrap(db: Database, tenant_id: str, admin_email: str) -> BootstrapResult:
    ctx = ServiceContext(db=db, actor=Actor.system("cli bootstrap"), tenant_id=tenant_id,
                         via=Door.CLI)
    async with db.write() as conn:
        created_tenant = await tenants.find(conn, tenant_id) is None
        if created_tenant:
            await tenants.insert(ctx, conn, tenant_id, tenant_id)
        existing = await user_store.find_global(conn, admin_email)
        now = ctx.now()
        if existing is None:
            user_id = ctx.ids()
            profile = {"emails": [{"value": admin_email, "type": "work", "primary": True}]}
            await user_store.insert_user(conn, user_id, admin_email, profile, None, now,
                                         instance_owner=True)
            await audit.record(ctx, conn, "user.create", "user", user_id,
                               {"userName": admin_email, "instanceOwner": True})
        else:
            user_id = existing.id
            await conn.execute(t.users.update().where(t.users.c.id == user_id)
                               .values(instance_owner=True))
        await _ensure_admin(ctx, conn, tenant_id, user_id)
        issued = await tokens.issue(ctx, conn, owner_type=ActorType.USER, owner_id=user_id,
                                    tenant_id=None, name="bootstrap")
        await audit.record(ctx, conn, "token.create", "api_token", issued.token.id,
                           {"owner": f"USER:{user_id}", "name": "bootstrap"})
    return BootstrapResult(tenant_id, user_id, issued.secret, created_tenant, existing is None)


async def _ensure_admin(
    ctx: ServiceContext, conn: AsyncConnection, tenant_id: str, user_id: str
) -> None:
    membership = await user_store.get(conn, tenant_id, user_id)
    if membership is None:
        await user_store.insert_membership(conn, tenant_id, user_id, active=True,
                                           external_id=None, integration_id=None, now=ctx.now())
    elif membership.active is False:
        await user_store.update_membership(conn, tenant_id, user_id, active=True,
                                           external_id=membership.external_id, now=ctx.now())
    admin = await roles.find_by_name(conn, tenant_id, ADMIN)
    assert admin is not None, "every tenant has the managed Admin role"
    bound = (await conn.execute(sa.select(t.bindings.c.id).where(
        t.bindings.c.tenant_id == tenant_id, t.bindings.c.role_id == admin.id,
        t.bindings.c.subject_type == SubjectType.USER.value,
        t.bindings.c.subject_id == user_id, t.bindings.c.namespace.is_(None)))).first()
    if bound is None:
        await bindings.insert(ctx, conn, tenant_id, admin.id, SubjectType.USER, user_id, None)
