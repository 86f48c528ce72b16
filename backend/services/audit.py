"""Audit events: every write records who, through which door, what, and a summary.

``record`` runs inside the caller's transaction, so an event exists exactly when its change does.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from backend.domain.models import AuditEvent
from backend.domain.permissions import Action, Resource
from backend.persistence import sqlite_direct
from backend.persistence import tables as t
from backend.persistence.rows import ts
from backend.services import authz
from backend.services.context import ServiceContext

SECRET_KEYS = frozenset({"password", "secret", "token", "secret_token", "secretToken"})


def _scrub(summary: dict[str, Any]) -> dict[str, Any]:
    """Audit rows never hold secrets, whatever a caller passes."""
    out: dict[str, Any] = {}
    for key, value in summary.items():
        if key in SECRET_KEYS:
            out[key] = "***"
        elif isinstance(value, dict):
            out[key] = _scrub(value)
        else:
            out[key] = value
    return out


# Every column but the id, as named parameters: compiled once, and run beneath SQLAlchemy on
# SQLite (every write records one).
_INSERT = t.audit_events.insert().values(
    {c.name: sa.bindparam(c.name, type_=c.type) for c in t.audit_events.c if c.name != "id"})


async def record(
    ctx: ServiceContext,
    conn: AsyncConnection,
    action: str,
    resource_type: str,
    resource_id: str,
    summary: dict[str, Any] | None = None,
    *,
    tenant_id: str | None = None,
) -> None:
    await sqlite_direct.execute(conn, _INSERT, {
        "tenant_id": tenant_id if tenant_id is not None else ctx.tenant_id,
        "at": ctx.now(),
        "actor_type": ctx.actor.type.value,
        "actor_id": ctx.actor.id,
        "actor_label": ctx.actor.label,
        "via": ctx.via.value,
        "action": action,
        "resource_type": resource_type,
        "resource_id": resource_id,
        "summary": _scrub(summary or {}),
    })


def _utc(value: datetime) -> datetime:
    """SQLite stores times without offset (all UTC), so compare in UTC; naive means UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def to_event(row: sa.Row[Any]) -> AuditEvent:
    return AuditEvent(
        id=row.id, tenant_id=row.tenant_id, at=ts(row.at), actor_type=row.actor_type,
        actor_id=row.actor_id, actor_label=row.actor_label, via=row.via, action=row.action,
        resource_type=row.resource_type, resource_id=row.resource_id,
        summary=dict(row.summary or {}),
    )


async def list_events(
    ctx: ServiceContext, *, first: int = 50, after: int | None = None,
    action: str | None = None, resource_type: str | None = None, via: str | None = None,
    actor_id: str | None = None, resource_id: str | None = None,
    since: datetime | None = None, until: datetime | None = None,
) -> list[AuditEvent]:
    """Newest first; ``after`` is the id of the last event of the previous page. ``since`` is
    inclusive and ``until`` exclusive, so consecutive ranges neither overlap nor leave gaps."""
    stmt = sa.select(t.audit_events)
    if after is not None:
        stmt = stmt.where(t.audit_events.c.id < after)
    if action:
        stmt = stmt.where(t.audit_events.c.action == action)
    if resource_type:
        stmt = stmt.where(t.audit_events.c.resource_type == resource_type)
    if via:
        stmt = stmt.where(t.audit_events.c.via == via)
    if actor_id:
        stmt = stmt.where(t.audit_events.c.actor_id == actor_id)
    if resource_id:
        stmt = stmt.where(t.audit_events.c.resource_id == resource_id)
    if since is not None:
        stmt = stmt.where(t.audit_events.c.at >= _utc(since))
    if until is not None:
        stmt = stmt.where(t.audit_events.c.at < _utc(until))
    async with ctx.db.read() as conn:
        tenant_id = await authz.require(ctx, conn, Resource.AUDITLOG, Action.LIST)
        result = await conn.execute(stmt.where(t.audit_events.c.tenant_id == tenant_id)
                                    .order_by(t.audit_events.c.id.desc()).limit(first))
        return [to_event(r) for r in result]
