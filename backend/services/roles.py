"""Roles: the managed five per tenant, SCIMProvisioner, and custom roles."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from backend.domain import roles as catalogue
from backend.domain.errors import Conflict, Forbidden, InvalidValue, NotFound
from backend.domain.models import Role
from backend.domain.permissions import Action, Resource
from backend.domain.text import fold
from backend.persistence import rows
from backend.persistence import tables as t
from backend.services import audit, authz
from backend.services.context import ServiceContext


async def _insert(
    ctx: ServiceContext, conn: AsyncConnection, tenant_id: str, name: str, description: str,
    permissions: frozenset[str], managed: bool,
) -> Role:
    role_id, now = ctx.ids(), ctx.now()
    await conn.execute(t.roles.insert().values(
        id=role_id, tenant_id=tenant_id, name=name, name_norm=fold(name),
        description=description, permissions=sorted(permissions), managed=managed,
        created_at=now, updated_at=now,
    ))
    return Role(role_id, tenant_id, name, description, permissions, managed, now, now)


async def create_managed_roles(ctx: ServiceContext, conn: AsyncConnection, tenant_id: str) -> None:
    for name, (description, permissions) in catalogue.MANAGED_ROLES.items():
        await _insert(ctx, conn, tenant_id, name, description, permissions, managed=True)


async def find_by_name(conn: AsyncConnection, tenant_id: str, name: str) -> Role | None:
    row = (await conn.execute(sa.select(t.roles).where(
        t.roles.c.tenant_id == tenant_id, t.roles.c.name_norm == fold(name)
    ))).first()
    return rows.role(row) if row else None


async def ensure_scim_provisioner(
    ctx: ServiceContext, conn: AsyncConnection, tenant_id: str
) -> Role:
    """The tenant's shared SCIMProvisioner role, created with its first integration."""
    existing = await find_by_name(conn, tenant_id, catalogue.SCIM_PROVISIONER)
    if existing is not None:
        return existing
    role = await _insert(ctx, conn, tenant_id, catalogue.SCIM_PROVISIONER,
                         catalogue.SCIM_PROVISIONER_DESCRIPTION,
                         catalogue.SCIM_PROVISIONER_PERMISSIONS, managed=False)
    await audit.record(ctx, conn, "role.create", "role", role.id,
                       {"name": role.name, "permissions": sorted(role.permissions)},
                       tenant_id=tenant_id)
    return role


def resolve_permissions(
    permissions: Iterable[str] | None, legacy: Mapping[str, Iterable[str]] | None
) -> frozenset[str]:
    """2.0 ``RESOURCE:ACTION`` strings and/or a 1.x ``{PERMISSION: [CRUD]}`` map."""
    out = catalogue.validate_permissions(permissions or [])
    if legacy:
        out |= catalogue.from_legacy(legacy)
    return out


async def _get(conn: AsyncConnection, tenant_id: str, role_id: str) -> Role:
    row = (await conn.execute(sa.select(t.roles).where(
        t.roles.c.tenant_id == tenant_id, t.roles.c.id == role_id
    ))).first()
    if row is None:
        raise NotFound(f"role {role_id!r} not found")
    return rows.role(row)


async def get_role(ctx: ServiceContext, role_id: str) -> Role:
    async with ctx.db.read() as conn:
        tenant_id = await authz.require(ctx, conn, Resource.ROLE, Action.VIEW)
        return await _get(conn, tenant_id, role_id)


async def get_roles(ctx: ServiceContext, role_ids: list[str]) -> dict[str, Role]:
    """Batch read (for DataLoaders): one permission check, one query."""
    async with ctx.db.read() as conn:
        tenant_id = await authz.require(ctx, conn, Resource.ROLE, Action.VIEW)
        result = await conn.execute(sa.select(t.roles).where(
            t.roles.c.tenant_id == tenant_id, t.roles.c.id.in_(role_ids)))
        return {r.id: rows.role(r) for r in result}


async def list_roles(ctx: ServiceContext) -> list[Role]:
    async with ctx.db.read() as conn:
        tenant_id = await authz.require(ctx, conn, Resource.ROLE, Action.LIST)
        result = await conn.execute(
            sa.select(t.roles).where(t.roles.c.tenant_id == tenant_id)
            .order_by(t.roles.c.managed.desc(), t.roles.c.name_norm)
        )
        return [rows.role(r) for r in result]


def _check_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > 255:
        raise InvalidValue("role name must be 1-255 characters", field="name")
    return name


async def create_role(
    ctx: ServiceContext, name: str, description: str = "",
    permissions: Iterable[str] | None = None,
    legacy_permissions: Mapping[str, Iterable[str]] | None = None,
) -> Role:
    name = _check_name(name)
    perms = resolve_permissions(permissions, legacy_permissions)
    async with ctx.db.write() as conn:
        tenant_id = await authz.require(ctx, conn, Resource.ROLE, Action.CREATE)
        if await find_by_name(conn, tenant_id, name) is not None:
            raise Conflict(f"a role named {name!r} already exists")
        role = await _insert(ctx, conn, tenant_id, name, description, perms, managed=False)
        await audit.record(ctx, conn, "role.create", "role", role.id,
                           {"name": name, "permissions": sorted(perms)})
    return role


async def update_role(
    ctx: ServiceContext, role_id: str, *, name: str | None = None,
    description: str | None = None, permissions: Iterable[str] | None = None,
    legacy_permissions: Mapping[str, Iterable[str]] | None = None,
) -> Role:
    async with ctx.db.write() as conn:
        tenant_id = await authz.require(ctx, conn, Resource.ROLE, Action.UPDATE)
        role = await _get(conn, tenant_id, role_id)
        if role.managed:
            raise Forbidden(f"{role.name} is a managed role and cannot be edited")
        values: dict[str, object] = {"updated_at": ctx.now()}
        if name is not None and _check_name(name) != role.name:
            other = await find_by_name(conn, tenant_id, name)
            if other is not None and other.id != role.id:
                raise Conflict(f"a role named {name!r} already exists")
            values.update(name=_check_name(name), name_norm=fold(name))
        if description is not None:
            values["description"] = description
        if permissions is not None or legacy_permissions is not None:
            values["permissions"] = sorted(resolve_permissions(permissions, legacy_permissions))
        await conn.execute(t.roles.update().where(t.roles.c.id == role_id).values(**values))
        before = {"name": role.name, "permissions": sorted(role.permissions)}
        await audit.record(ctx, conn, "role.update", "role", role_id,
                           {"before": before, "after": {k: v for k, v in values.items()
                                                        if k in ("name", "permissions")}})
        return await _get(conn, tenant_id, role_id)


async def delete_role(ctx: ServiceContext, role_id: str) -> Role:
    async with ctx.db.write() as conn:
        tenant_id = await authz.require(ctx, conn, Resource.ROLE, Action.DELETE)
        role = await _get(conn, tenant_id, role_id)
        if role.managed:
            raise Forbidden(f"{role.name} is a managed role and cannot be deleted")
        bound = (await conn.execute(sa.select(sa.func.count()).select_from(t.bindings).where(
            t.bindings.c.role_id == role_id))).scalar_one()
        if bound:
            raise Conflict(f"role {role.name!r} still has {bound} binding(s); delete them first")
        await conn.execute(t.roles.delete().where(t.roles.c.id == role_id))
        await audit.record(ctx, conn, "role.delete", "role", role_id, {"name": role.name})
    return role
