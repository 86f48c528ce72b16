"""Bindings: a role on a user, group or service account, optionally limited to a namespace.

Bindings are immutable (delete and re-create). The last tenant-wide Admin binding of a tenant
can never be removed, whichever door asks.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from backend.domain.errors import Conflict, InvalidValue, NotFound
from backend.domain.models import Binding, SubjectType
from backend.domain.permissions import Action, Resource
from backend.domain.roles import ADMIN
from backend.domain.text import is_namespace
from backend.persistence import rows, sqlite_direct
from backend.persistence import tables as t
from backend.services import audit, authz
from backend.services.context import ServiceContext

_SUBJECT_TABLE = {
    SubjectType.USER: (t.memberships, t.memberships.c.user_id),
    SubjectType.GROUP: (t.groups, t.groups.c.id),
    SubjectType.SERVICE_ACCOUNT: (t.service_accounts, t.service_accounts.c.id),
}


async def subject_exists(
    conn: AsyncConnection, tenant_id: str, subject_type: SubjectType, subject_id: str
) -> bool:
    table, id_col = _SUBJECT_TABLE[subject_type]
    found = await conn.execute(sa.select(id_col).where(
        table.c.tenant_id == tenant_id, id_col == subject_id))
    return found.first() is not None


async def insert(
    ctx: ServiceContext, conn: AsyncConnection, tenant_id: str, role_id: str,
    subject_type: SubjectType, subject_id: str, namespace: str | None,
) -> Binding:
    binding_id, now = ctx.ids(), ctx.now()
    await conn.execute(t.bindings.insert().values(
        id=binding_id, tenant_id=tenant_id, role_id=role_id, subject_type=subject_type.value,
        subject_id=subject_id, namespace=namespace, created_at=now))
    await audit.record(ctx, conn, "binding.create", "binding", binding_id, {
        "role": role_id, "subject": f"{subject_type.value}:{subject_id}", "namespace": namespace,
    }, tenant_id=tenant_id)
    return Binding(binding_id, tenant_id, role_id, subject_type, subject_id, namespace, now)


async def create_binding(
    ctx: ServiceContext, role_id: str, subject_type: SubjectType, subject_id: str,
    namespace: str | None = None,
) -> Binding:
    namespace = (namespace or "").strip() or None
    if namespace is not None and not is_namespace(namespace):
        raise InvalidValue(f"invalid namespace {namespace!r}", field="namespace")
    async with ctx.db.write() as conn:
        tenant_id = await authz.require(ctx, conn, Resource.BINDING, Action.CREATE)
        role = (await conn.execute(sa.select(t.roles.c.id).where(
            t.roles.c.tenant_id == tenant_id, t.roles.c.id == role_id))).first()
        if role is None:
            raise NotFound(f"role {role_id!r} not found")
        if not await subject_exists(conn, tenant_id, subject_type, subject_id):
            raise NotFound(f"{subject_type.value.lower()} {subject_id!r} not found")
        same_ns = (t.bindings.c.namespace.is_(None) if namespace is None
                   else t.bindings.c.namespace == namespace)
        duplicate = (await conn.execute(sa.select(t.bindings.c.id).where(
            t.bindings.c.tenant_id == tenant_id, t.bindings.c.role_id == role_id,
            t.bindings.c.subject_type == subject_type.value,
            t.bindings.c.subject_id == subject_id, same_ns))).first()
        if duplicate is not None:
            raise Conflict("this binding already exists")
        return await insert(ctx, conn, tenant_id, role_id, subject_type, subject_id, namespace)


async def guard_last_admin(conn: AsyncConnection, tenant_id: str, doomed: Sequence[str]) -> None:
    """Refuse when removing ``doomed`` binding ids would leave no tenant-wide Admin binding."""
    if not doomed:
        return
    admin_bindings = (
        sa.select(t.bindings.c.id)
        .join(t.roles, t.roles.c.id == t.bindings.c.role_id)
        .where(t.bindings.c.tenant_id == tenant_id, t.roles.c.managed.is_(True),
               t.roles.c.name == ADMIN, t.bindings.c.namespace.is_(None))
    )
    ids = set((await conn.execute(admin_bindings)).scalars())
    if ids and ids <= set(doomed):
        raise Conflict("this would remove the tenant's last Admin binding")


_OF_SUBJECT = sa.and_(t.bindings.c.tenant_id == sa.bindparam("tenant_id"),
                      t.bindings.c.subject_type == sa.bindparam("subject_type"),
                      t.bindings.c.subject_id == sa.bindparam("subject_id"))
# Built once: every user and group delete runs these (see user_store on why).
_SUBJECT_BINDING_IDS = sa.select(t.bindings.c.id).where(_OF_SUBJECT)
_DELETE_SUBJECT_BINDINGS = t.bindings.delete().where(_OF_SUBJECT)


async def delete_where(
    conn: AsyncConnection, tenant_id: str, subject_type: SubjectType, subject_id: str
) -> int:
    """Remove every binding of one subject (when the subject leaves), guarding the last Admin."""
    params = {"tenant_id": tenant_id, "subject_type": subject_type.value,
              "subject_id": subject_id}
    found = await sqlite_direct.execute(conn, _SUBJECT_BINDING_IDS, params)
    doomed = [row.id for row in found.rows]
    await guard_last_admin(conn, tenant_id, doomed)
    if doomed:
        await sqlite_direct.execute(conn, _DELETE_SUBJECT_BINDINGS, params)
    return len(doomed)


async def delete_binding(ctx: ServiceContext, binding_id: str) -> Binding:
    async with ctx.db.write() as conn:
        tenant_id = await authz.require(ctx, conn, Resource.BINDING, Action.DELETE)
        row = (await conn.execute(sa.select(t.bindings).where(
            t.bindings.c.tenant_id == tenant_id, t.bindings.c.id == binding_id))).first()
        if row is None:
            raise NotFound(f"binding {binding_id!r} not found")
        await guard_last_admin(conn, tenant_id, [binding_id])
        await conn.execute(t.bindings.delete().where(t.bindings.c.id == binding_id))
        await audit.record(ctx, conn, "binding.delete", "binding", binding_id, {
            "role": row.role_id, "subject": f"{row.subject_type}:{row.subject_id}",
            "namespace": row.namespace})
        return rows.binding(row)


async def list_bindings(
    ctx: ServiceContext, *, subject_type: SubjectType | None = None,
    subject_ids: Sequence[str] | None = None, role_id: str | None = None,
) -> list[Binding]:
    """Bindings of the tenant, optionally for some subjects (batch, for DataLoaders) or a role."""
    stmt = sa.select(t.bindings)
    if subject_type is not None:
        stmt = stmt.where(t.bindings.c.subject_type == subject_type.value)
    if subject_ids is not None:
        stmt = stmt.where(t.bindings.c.subject_id.in_(list(subject_ids)))
    if role_id is not None:
        stmt = stmt.where(t.bindings.c.role_id == role_id)
    async with ctx.db.read() as conn:
        tenant_id = await authz.require(ctx, conn, Resource.BINDING, Action.LIST)
        result = await conn.execute(stmt.where(t.bindings.c.tenant_id == tenant_id)
                                    .order_by(t.bindings.c.created_at, t.bindings.c.id))
        return [rows.binding(r) for r in result]
