"""Authorization: the one function that decides.

Effective permissions in a tenant are the union of the roles bound to the actor and to the groups
the actor belongs to, each limited to its binding's namespace (``prod`` covers ``prod.eng``).
Anything not granted is denied. The instance owner manages tenants and instance IAM, but gets
nothing inside a tenant without a binding. A suspended membership grants nothing.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from backend.domain.errors import Forbidden, NotFound
from backend.domain.models import ActorType, SubjectType
from backend.domain.permissions import NAMESPACED, Action, Resource, perm
from backend.domain.text import namespace_covers
from backend.persistence import tables as t
from backend.services.context import ServiceContext

Grant = tuple[frozenset[str], str | None]  # (permissions of a role, binding namespace)


class _NoAccess(Exception):
    def __init__(self, reason: str) -> None:
        self.reason = reason


def _grants_statement(subject_type: SubjectType) -> sa.Select[Any]:
    """A subject's role permissions and binding namespaces, plus its groups' for users."""
    tenant_id = sa.bindparam("tenant_id", type_=sa.String)
    subject_id = sa.bindparam("subject_id", type_=sa.String)
    subject = sa.and_(t.bindings.c.subject_type == subject_type.value,
                      t.bindings.c.subject_id == subject_id)
    if subject_type is SubjectType.USER:
        groups = sa.select(t.group_members.c.group_id).where(
            t.group_members.c.user_id == subject_id, t.group_members.c.tenant_id == tenant_id
        )
        subject = sa.or_(subject, sa.and_(
            t.bindings.c.subject_type == SubjectType.GROUP.value,
            t.bindings.c.subject_id.in_(groups),
        ))
    return (
        sa.select(t.roles.c.permissions, t.bindings.c.namespace)
        .join(t.roles, t.roles.c.id == t.bindings.c.role_id)
        .where(t.bindings.c.tenant_id == tenant_id, subject)
    )


# Built once: every permission check runs one of these.
_GRANTS = {subject_type: _grants_statement(subject_type) for subject_type in SubjectType}


async def subject_grants(
    conn: AsyncConnection, tenant_id: str, subject_type: SubjectType, subject_id: str
) -> list[Grant]:
    """Grants of one subject: its own bindings, plus its groups' bindings for users."""
    rows = (await conn.execute(_GRANTS[subject_type],
                               {"tenant_id": tenant_id, "subject_id": subject_id})).all()
    return [(frozenset(r.permissions or []), r.namespace) for r in rows]


async def _actor_grants(ctx: ServiceContext, conn: AsyncConnection, tenant_id: str) -> list[Grant]:
    actor = ctx.actor
    if actor.type is ActorType.SERVICE_ACCOUNT:
        if actor.tenant_id != tenant_id:
            raise _NoAccess("not found")
        if actor.grants is not None:  # read with its token (authn)
            return list(actor.grants)
        return await subject_grants(conn, tenant_id, SubjectType.SERVICE_ACCOUNT, actor.id)
    membership = (await conn.execute(
        sa.select(t.memberships.c.active).where(
            t.memberships.c.tenant_id == tenant_id, t.memberships.c.user_id == actor.id
        )
    )).first()
    if membership is None:
        raise _NoAccess("not found")
    if membership.active is False:  # NULL means "never set", which counts as active
        raise _NoAccess("suspended")
    return await subject_grants(conn, tenant_id, SubjectType.USER, actor.id)


def grants_allow(
    grants: list[Grant], resource: Resource, action: Action, namespace: str | None
) -> bool:
    wanted = perm(resource, action)
    for permissions, binding_ns in grants:
        if wanted not in permissions:
            continue
        if binding_ns is None:
            return True
        # A namespace-limited binding reaches only namespaced resources inside its subtree.
        if resource in NAMESPACED and namespace is not None and namespace_covers(
            binding_ns, namespace
        ):
            return True
    return False


async def _grants(ctx: ServiceContext, conn: AsyncConnection, tenant_id: str) -> list[Grant]:
    if tenant_id not in ctx.permission_cache:
        ctx.permission_cache[tenant_id] = await _actor_grants(ctx, conn, tenant_id)
    return ctx.permission_cache[tenant_id]


async def require(
    ctx: ServiceContext,
    conn: AsyncConnection,
    resource: Resource,
    action: Action,
    namespace: str | None = None,
) -> str:
    """Raise unless the actor may do ``action`` on ``resource`` in ctx's tenant; return tenant."""
    tenant_id = ctx.require_tenant()
    if ctx.actor.type is ActorType.SYSTEM:
        return tenant_id  # the local operator (CLI) acts with full rights
    try:
        grants = await _grants(ctx, conn, tenant_id)
    except _NoAccess as exc:
        if exc.reason == "suspended":
            raise Forbidden("your access to this tenant is suspended") from None
        raise NotFound(f"tenant {tenant_id!r} not found") from None
    if not grants_allow(grants, resource, action, namespace):
        raise Forbidden(f"missing permission {perm(resource, action)}")
    return tenant_id


async def can(
    ctx: ServiceContext,
    conn: AsyncConnection,
    resource: Resource,
    action: Action,
    namespace: str | None = None,
) -> bool:
    try:
        await require(ctx, conn, resource, action, namespace)
    except (Forbidden, NotFound):
        return False
    return True


def require_instance_owner(ctx: ServiceContext) -> None:
    if not ctx.actor.instance_owner:
        raise Forbidden("only the instance owner may do this")


async def effective_permissions(
    ctx: ServiceContext, subject_type: SubjectType, subject_id: str
) -> list[tuple[str, str | None]]:
    """What one subject may do in ctx's tenant: sorted (permission, namespace) pairs.

    Needs BINDING:LIST. A namespace of None means tenant-wide.
    """
    from backend.services import bindings  # bindings imports this module

    async with ctx.db.read() as conn:
        tenant_id = await require(ctx, conn, Resource.BINDING, Action.LIST)
        if not await bindings.subject_exists(conn, tenant_id, subject_type, subject_id):
            raise NotFound(f"{subject_type.value.lower()} {subject_id!r} not found")
        grants = await subject_grants(conn, tenant_id, subject_type, subject_id)
    pairs = {(p, ns) for permissions, ns in grants for p in permissions}
    return sorted(pairs, key=lambda pair: (pair[0], pair[1] or ""))


async def check(
    ctx: ServiceContext, resource: Resource, action: Action, namespace: str | None = None
) -> bool:
    """Whether the actor may do ``action`` on ``resource`` in ctx's tenant (opens a read)."""
    async with ctx.db.read() as conn:
        return await can(ctx, conn, resource, action, namespace)
