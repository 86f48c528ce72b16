"""Service accounts: tenant-scoped, DNS-label names, API tokens only."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from backend.domain.errors import Conflict, Forbidden, InvalidValue, NotFound
from backend.domain.models import ActorType, ServiceAccount, SubjectType
from backend.domain.permissions import Action, Resource
from backend.domain.text import is_dns_label
from backend.persistence import rows
from backend.persistence import tables as t
from backend.services import audit, authz, bindings
from backend.services.context import ServiceContext


async def insert(
    ctx: ServiceContext, conn: AsyncConnection, tenant_id: str, name: str, description: str
) -> ServiceAccount:
    if not is_dns_label(name):
        raise InvalidValue(
            "service account names are DNS labels: at most 63 lowercase letters, digits or "
            "'-', starting and ending with a letter or digit", field="name",
        )
    taken = (await conn.execute(sa.select(t.service_accounts.c.id).where(
        t.service_accounts.c.tenant_id == tenant_id, t.service_accounts.c.name == name
    ))).first()
    if taken is not None:
        raise Conflict(f"a service account named {name!r} already exists")
    sa_id, now = ctx.ids(), ctx.now()
    await conn.execute(t.service_accounts.insert().values(
        id=sa_id, tenant_id=tenant_id, name=name, description=description, created_at=now))
    await audit.record(ctx, conn, "service_account.create", "service_account", sa_id,
                       {"name": name}, tenant_id=tenant_id)
    return ServiceAccount(sa_id, tenant_id, name, description, now)


async def create_service_account(
    ctx: ServiceContext, name: str, description: str = ""
) -> ServiceAccount:
    async with ctx.db.write() as conn:
        tenant_id = await authz.require(ctx, conn, Resource.SERVICE_ACCOUNT, Action.CREATE)
        return await insert(ctx, conn, tenant_id, name.strip(), description)


async def list_service_accounts(ctx: ServiceContext) -> list[ServiceAccount]:
    async with ctx.db.read() as conn:
        tenant_id = await authz.require(ctx, conn, Resource.SERVICE_ACCOUNT, Action.LIST)
        result = await conn.execute(sa.select(t.service_accounts).where(
            t.service_accounts.c.tenant_id == tenant_id).order_by(t.service_accounts.c.name))
        return [rows.service_account(r) for r in result]


async def get_service_accounts(ctx: ServiceContext, ids: list[str]) -> dict[str, ServiceAccount]:
    async with ctx.db.read() as conn:
        tenant_id = await authz.require(ctx, conn, Resource.SERVICE_ACCOUNT, Action.VIEW)
        result = await conn.execute(sa.select(t.service_accounts).where(
            t.service_accounts.c.tenant_id == tenant_id, t.service_accounts.c.id.in_(ids)))
        return {r.id: rows.service_account(r) for r in result}


async def delete_service_account(ctx: ServiceContext, sa_id: str) -> ServiceAccount:
    async with ctx.db.write() as conn:
        tenant_id = await authz.require(ctx, conn, Resource.SERVICE_ACCOUNT, Action.DELETE)
        row = (await conn.execute(sa.select(t.service_accounts).where(
            t.service_accounts.c.tenant_id == tenant_id, t.service_accounts.c.id == sa_id
        ))).first()
        if row is None:
            raise NotFound(f"service account {sa_id!r} not found")
        owned = (await conn.execute(sa.select(t.integrations.c.id).where(
            t.integrations.c.service_account_id == sa_id))).first()
        if owned is not None:
            raise Forbidden("this service account belongs to a provisioning integration; "
                            "delete the integration instead")
        await remove(conn, tenant_id, sa_id)
        await audit.record(ctx, conn, "service_account.delete", "service_account", sa_id,
                           {"name": row.name})
        return rows.service_account(row)


async def remove(conn: AsyncConnection, tenant_id: str, sa_id: str) -> None:
    """Delete a service account with its tokens and bindings (caller checks rights); refused
    if that would remove the tenant's last Admin binding."""
    await conn.execute(t.api_tokens.delete().where(
        t.api_tokens.c.owner_type == ActorType.SERVICE_ACCOUNT.value,
        t.api_tokens.c.owner_id == sa_id))
    await bindings.delete_where(conn, tenant_id, SubjectType.SERVICE_ACCOUNT, sa_id)
    await conn.execute(t.service_accounts.delete().where(t.service_accounts.c.id == sa_id))
