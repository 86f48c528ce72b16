"""SQL for users and tenant memberships. Every query here is scoped to one tenant."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from backend.domain.models import SubjectType, TenantUser, tenant_user_etag
from backend.domain.text import fold
from backend.persistence import rows, sqlite_direct
from backend.persistence import tables as t

M = t.memberships
U = t.users

TENANT_USER_COLUMNS = [
    *U.c,
    M.c.tenant_id.label("m_tenant_id"), M.c.active.label("m_active"),
    M.c.external_id.label("m_external_id"), M.c.integration_id.label("m_integration_id"),
    M.c.version.label("m_version"), M.c.created_at.label("m_created_at"),
    M.c.updated_at.label("m_updated_at"),
]


def tenant_users(tenant_id: Any) -> sa.Select[Any]:
    """Users of one tenant; ``tenant_id`` is a value or a ``bindparam``."""
    return sa.select(*TENANT_USER_COLUMNS).join(M, M.c.user_id == U.c.id).where(
        M.c.tenant_id == tenant_id
    )


# Statements that run on nearly every write are built once, with bound parameters: building a
# Core statement per call (coercing each column and comparison) cost more CPU than SQLite
# spends running it.
_GET = tenant_users(sa.bindparam("tenant_id")).where(U.c.id == sa.bindparam("user_id"))
_GET_LOCKED = _GET.with_for_update()
# A removal also needs to know whether the user holds role bindings in the tenant (they go with
# the membership); asked in the same statement, since almost no provisioned user has any.
_HAS_BINDINGS = sa.exists().where(
    t.bindings.c.tenant_id == sa.bindparam("tenant_id"),
    t.bindings.c.subject_type == SubjectType.USER.value,
    t.bindings.c.subject_id == U.c.id)
# Only what a removal checks and records: no profile to decode.
_GET_FOR_REMOVAL = sa.select(
    U.c.user_name, U.c.version.label("user_version"), M.c.version, M.c.created_at,
    _HAS_BINDINGS.label("has_bindings"),
).join(M, M.c.user_id == U.c.id).where(
    M.c.tenant_id == sa.bindparam("tenant_id"), U.c.id == sa.bindparam("user_id"))
_GET_FOR_REMOVAL_LOCKED = _GET_FOR_REMOVAL.with_for_update(of=[U, M])
_FIND_GLOBAL = sa.select(U).where(U.c.user_name_norm == sa.bindparam("user_name_norm"))
_FIND_GLOBAL_LOCKED = _FIND_GLOBAL.with_for_update()
# A plain INSERT executed with a dict: compiled once per set of keys, not built per call.
_INSERT_USER = U.insert()
_INSERT_MEMBERSHIP = M.insert()
_DELETE_MEMBERSHIP = M.delete().where(
    M.c.tenant_id == sa.bindparam("tenant_id"), M.c.user_id == sa.bindparam("user_id"))
# UPDATE reserves column names for its SET parameters, hence the w_ and v_ prefixes.
_UPDATE_MEMBERSHIP = M.update().where(
    M.c.tenant_id == sa.bindparam("w_tenant_id"), M.c.user_id == sa.bindparam("w_user_id")
).values(active=sa.bindparam("v_active", type_=M.c.active.type),
         external_id=sa.bindparam("v_external_id", type_=M.c.external_id.type),
         version=M.c.version + 1,
         updated_at=sa.bindparam("v_updated_at", type_=M.c.updated_at.type))


async def get(
    conn: AsyncConnection, tenant_id: str, user_id: str, *, lock: bool = False
) -> TenantUser | None:
    stmt = _GET_LOCKED if lock and conn.dialect.name == "postgresql" else _GET
    row = (await conn.execute(stmt, {"tenant_id": tenant_id, "user_id": user_id})).first()
    return rows.tenant_user(row) if row else None


@dataclass(frozen=True, slots=True)
class Removal:
    """What removing a user from a tenant needs to know about them."""

    user_name: str
    etag: str
    member_since: datetime
    has_bindings: bool  # role bindings in this tenant, which go with the membership


async def get_for_removal(conn: AsyncConnection, tenant_id: str, user_id: str) -> Removal | None:
    """The tenant's user (their rows locked on PostgreSQL), or None."""
    stmt = _GET_FOR_REMOVAL_LOCKED if conn.dialect.name == "postgresql" else _GET_FOR_REMOVAL
    row = (await sqlite_direct.execute(
        conn, stmt, {"tenant_id": tenant_id, "user_id": user_id})).first()
    if row is None:
        return None
    return Removal(row.user_name, tenant_user_etag(row.user_version, row.version),
                   rows.ts(row.created_at), bool(row.has_bindings))


async def get_many(conn: AsyncConnection, tenant_id: str, ids: list[str]) -> dict[str, TenantUser]:
    result = await conn.execute(tenant_users(tenant_id).where(U.c.id.in_(ids)))
    return {r.id: rows.tenant_user(r) for r in result}


async def find_global(conn: AsyncConnection, user_name: str, *, lock: bool = False) -> Any:
    stmt = _FIND_GLOBAL_LOCKED if lock and conn.dialect.name == "postgresql" else _FIND_GLOBAL
    return (await conn.execute(stmt, {"user_name_norm": fold(user_name)})).first()


async def other_tenants(conn: AsyncConnection, user_id: str, tenant_id: str) -> list[str]:
    result = await conn.execute(sa.select(M.c.tenant_id).where(
        M.c.user_id == user_id, M.c.tenant_id != tenant_id))
    return list(result.scalars())


def _text(value: Any) -> str | None:
    return value[:255] if isinstance(value, str) else None


def profile_columns(profile: dict[str, Any]) -> dict[str, Any]:
    """Copy the attributes that filters and sorting use into indexed columns."""
    raw_name = profile.get("name")
    name: dict[str, Any] = raw_name if isinstance(raw_name, dict) else {}
    raw_ext = profile.get("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User")
    ext: dict[str, Any] = raw_ext if isinstance(raw_ext, dict) else {}
    return {
        "display_name": _text(profile.get("displayName")),
        "given_name": _text(name.get("givenName")),
        "family_name": _text(name.get("familyName")),
        "title": _text(profile.get("title")),
        "user_type": _text(profile.get("userType")),
        "employee_number": _text(ext.get("employeeNumber")),
        "department": _text(ext.get("department")),
    }


async def write_emails(
    conn: AsyncConnection, user_id: str, profile: dict[str, Any], *, new_user: bool = False
) -> None:
    if not new_user:  # a user inserted in this transaction has no rows to replace
        await conn.execute(t.user_emails.delete().where(t.user_emails.c.user_id == user_id))
    values = [
        {"user_id": user_id, "value": e["value"][:320], "value_norm": fold(e["value"])[:320],
         "type": _text(e.get("type")), "is_primary": e.get("primary") is True}
        for e in profile.get("emails") or []
        if isinstance(e, dict) and isinstance(e.get("value"), str)
    ]
    if values:
        await conn.execute(t.user_emails.insert(), values)


async def insert_user(
    conn: AsyncConnection, user_id: str, user_name: str, profile: dict[str, Any],
    password_hash: str | None, now: datetime, *, instance_owner: bool = False,
) -> None:
    await conn.execute(_INSERT_USER, dict(
        id=user_id, user_name=user_name, user_name_norm=fold(user_name), profile=profile,
        password_hash=password_hash, instance_owner=instance_owner, version=1,
        created_at=now, updated_at=now, **profile_columns(profile)))
    await write_emails(conn, user_id, profile, new_user=True)


async def update_user(
    conn: AsyncConnection, user_id: str, user_name: str, profile: dict[str, Any],
    password_hash: str | None, now: datetime, *, emails_changed: bool,
) -> None:
    values: dict[str, Any] = dict(
        user_name=user_name, user_name_norm=fold(user_name), profile=profile,
        version=U.c.version + 1, updated_at=now, **profile_columns(profile))
    if password_hash is not None:
        values["password_hash"] = password_hash
    await conn.execute(U.update().where(U.c.id == user_id).values(**values))
    if emails_changed:
        await write_emails(conn, user_id, profile)


def count_tenant_members(tenant_id: str) -> sa.Select[Any]:
    return sa.select(sa.func.count()).select_from(M).where(M.c.tenant_id == tenant_id)


def tenant_member_ids(tenant_id: str) -> sa.Select[Any]:
    return sa.select(M.c.user_id).where(M.c.tenant_id == tenant_id)


async def insert_membership(
    conn: AsyncConnection, tenant_id: str, user_id: str, *, active: bool | None,
    external_id: str | None, integration_id: str | None, now: datetime,
) -> None:
    await conn.execute(_INSERT_MEMBERSHIP, dict(
        tenant_id=tenant_id, user_id=user_id, active=active, external_id=external_id,
        integration_id=integration_id, version=1, created_at=now, updated_at=now))


async def update_membership(
    conn: AsyncConnection, tenant_id: str, user_id: str, *, active: bool | None,
    external_id: str | None, now: datetime,
) -> None:
    await conn.execute(_UPDATE_MEMBERSHIP, {
        "w_tenant_id": tenant_id, "w_user_id": user_id, "v_active": active,
        "v_external_id": external_id, "v_updated_at": now})


async def delete_membership(conn: AsyncConnection, tenant_id: str, user_id: str) -> None:
    """The user leaves the tenant, and with it the tenant's groups: the database's trigger
    ``memberships_leave_groups`` (migration 0005) deletes their group_members rows."""
    await sqlite_direct.execute(conn, _DELETE_MEMBERSHIP,
                                {"tenant_id": tenant_id, "user_id": user_id})


async def password_hash(conn: AsyncConnection, user_id: str) -> str | None:
    result = await conn.execute(sa.select(U.c.password_hash).where(U.c.id == user_id))
    value = result.scalar_one_or_none()
    return str(value) if value is not None else None
