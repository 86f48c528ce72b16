"""Accidental-deletion guard: one integration may not deprovision a large share of a tenant.

Deprovisioning is removing a user from the tenant or turning ``active`` to false, whether by
DELETE, PATCH, PUT or inside a Bulk request. Each one an integration does is counted, in the same
transaction as the change (users who joined within the window are not counted), against a fixed
window kept in the database (``deletion_guards``), so several server processes share one count.
When the next one would exceed ``max(min_count, percent% of the tenant's users)`` within the
window, it is refused, the guard trips, and every further deprovisioning from that integration
is refused until an admin releases it. The tenant's users are counted once per window, the first
time the count passes ``min_count``, and kept with the window: the base of a percentage should
not shrink as users go, and a deprovision then costs the same in a tenant of any size.
Everything else (creates, updates, group changes) keeps flowing.

The refusal is a 403 with a clear detail (see ``docs/security.md``): IdPs retry 5xx and 429
indefinitely but report a 4xx to their admin as a failed object, which is the point.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from backend.domain.errors import Forbidden, NotFound
from backend.domain.permissions import Action, Resource
from backend.persistence import sqlite_direct, user_store
from backend.persistence import tables as t
from backend.persistence.rows import aware
from backend.services import audit, authz
from backend.services.context import ServiceContext

T = TypeVar("T")
g = t.deletion_guards.c


@dataclass(frozen=True, slots=True)
class GuardPolicy:
    percent: float
    min_count: int
    window: timedelta


@dataclass(frozen=True, slots=True)
class GuardState:
    tripped_at: datetime | None
    count: int
    window_start: datetime | None
    held: int

    @property
    def tripped(self) -> bool:
        return self.tripped_at is not None


class DeprovisionHeld(Forbidden):
    code = "DEPROVISION_HELD"

    def __init__(self, message: str, *, trips: bool) -> None:
        super().__init__(message)
        self.trips = trips


_HELD = ("deprovisioning held back by the accidental-deletion guard: this integration removed "
         "or deactivated too many users ({count} in the current window, limit {limit}); an "
         "admin must review and release it")


# Built once: every deprovisioning runs these (see user_store on why). UPDATE reserves column
# names for its SET parameters, hence the w_ and v_ prefixes.
_GUARD_ROW = sa.select(t.deletion_guards).where(g.integration_id == sa.bindparam("integration_id"))
_GUARD_ROW_LOCKED = _GUARD_ROW.with_for_update()
_COUNT_ONE = t.deletion_guards.update().where(
    g.integration_id == sa.bindparam("w_integration_id")
).values(window_start=sa.bindparam("v_window_start", type_=g.window_start.type),
         deprovisioned=sa.bindparam("v_count", type_=g.deprovisioned.type),
         base_members=sa.bindparam("v_base", type_=g.base_members.type))


# The common case in one statement: an open window, not tripped, the user counted (a member
# since before the window), and the count still within the limit. It matches exactly when the
# full path below would only add one, and otherwise changes nothing, so that path decides.
# The limit is max(min_count, percent% of base); a count within percent% of base is within
# its floor, since the count is a whole number.
_COUNT_ONE_IF_WITHIN = t.deletion_guards.update().where(
    g.integration_id == sa.bindparam("w_integration_id"),
    g.tripped_at.is_(None),
    g.window_start > sa.bindparam("w_window_open_after", type_=g.window_start.type),
    g.window_start > sa.bindparam("w_member_since", type_=g.window_start.type),
    sa.or_(g.deprovisioned + 1 <= sa.bindparam("w_min_count", type_=sa.Integer),
           sa.and_(g.base_members.is_not(None),
                   g.deprovisioned + 1 <= sa.bindparam("w_percent", type_=sa.Float)
                   * g.base_members / 100.0)),
).values(deprovisioned=g.deprovisioned + 1)


async def _lock_row(conn: AsyncConnection, db_is_sqlite: bool, tenant_id: str,
                    integration_id: str, now: datetime) -> sa.Row[Any]:
    """The integration's guard row, locked (FOR UPDATE on PostgreSQL), created if missing."""
    stmt = _GUARD_ROW if db_is_sqlite else _GUARD_ROW_LOCKED
    params = {"integration_id": integration_id}
    found = (await conn.execute(stmt, params)).first()
    if found is not None:
        return found
    dialect_insert = sqlite.insert if db_is_sqlite else postgresql.insert
    await conn.execute(dialect_insert(t.deletion_guards).values(
        integration_id=integration_id, tenant_id=tenant_id, window_start=now, deprovisioned=0,
        tripped_at=None, held=0).on_conflict_do_nothing())  # a concurrent first one may win
    return (await conn.execute(stmt, params)).one()


async def _base(conn: AsyncConnection, tenant_id: str, count: int) -> int:
    members = (await conn.execute(user_store.count_tenant_members(tenant_id))).scalar_one()
    # Users removed in this window are no longer members; count them back into the base.
    return int(members) + count


def _limit(policy: GuardPolicy, base: int) -> int:
    return max(policy.min_count, int(policy.percent * base / 100))


async def count_deprovision(
    ctx: ServiceContext, conn: AsyncConnection, tenant_id: str, member_since: datetime
) -> None:
    """Call inside the deprovisioning transaction; raises DeprovisionHeld to refuse it.

    A user who joined the tenant within the current window is churn (a test run, an IdP
    undoing its own create), not the existing population the guard protects: not counted."""
    policy, integration_id = ctx.deprovision_guard, ctx.actor.integration_id
    if policy is None or integration_id is None:
        return
    now = ctx.now()
    counted = await sqlite_direct.execute(conn, _COUNT_ONE_IF_WITHIN, {
        "w_integration_id": integration_id, "w_window_open_after": now - policy.window,
        "w_member_since": member_since, "w_min_count": policy.min_count,
        "w_percent": policy.percent})
    if counted.rowcount == 1:
        return
    row = await _lock_row(conn, ctx.db.is_sqlite, tenant_id, integration_id, now)
    window_start, count = aware(row.window_start) or now, int(row.deprovisioned)
    base: int | None = row.base_members
    if now - window_start >= policy.window:
        window_start, count, base = now, 0, None
    if row.tripped_at is not None:
        limit = _limit(policy, base if base is not None else await _base(conn, tenant_id, count))
        raise DeprovisionHeld(_HELD.format(count=count, limit=limit), trips=False)
    if member_since >= window_start:
        return
    # The limit is never below min_count, so only a count past it needs the tenant's size,
    # and then once per window.
    if count + 1 > policy.min_count:
        if base is None:
            base = await _base(conn, tenant_id, count)
        limit = _limit(policy, base)
        if count + 1 > limit:
            raise DeprovisionHeld(_HELD.format(count=count, limit=limit), trips=True)
    await conn.execute(_COUNT_ONE, {"w_integration_id": integration_id,
                                    "v_window_start": window_start, "v_count": count + 1,
                                    "v_base": base})


async def guarded(ctx: ServiceContext, work: Callable[[], Awaitable[T]]) -> T:
    """Run a write that may deprovision; a refusal is recorded after its rollback."""
    try:
        return await work()
    except DeprovisionHeld as exc:
        await _record_refusal(ctx, exc)
        raise


async def _record_refusal(ctx: ServiceContext, exc: DeprovisionHeld) -> None:
    integration_id = ctx.actor.integration_id
    assert integration_id is not None  # only integrations are ever held
    values: dict[str, Any] = {"held": g.held + 1}
    if exc.trips:
        values["tripped_at"] = ctx.now()
    tenant_id = ctx.require_tenant()
    async with ctx.db.write() as conn:
        # The refused transaction rolled back, possibly with the row it created: ensure it.
        await _lock_row(conn, ctx.db.is_sqlite, tenant_id, integration_id, ctx.now())
        await conn.execute(t.deletion_guards.update().where(g.integration_id == integration_id)
                           .values(**values))
        if exc.trips:
            await audit.record(ctx, conn, "integration.deletion_guard_tripped", "integration",
                               integration_id, {"detail": exc.message})


def _state(row: sa.Row[Any] | None) -> GuardState:
    if row is None:
        return GuardState(None, 0, None, 0)
    return GuardState(aware(row.tripped_at), int(row.deprovisioned), aware(row.window_start),
                      int(row.held))


async def _row(conn: AsyncConnection, tenant_id: str, integration_id: str) -> sa.Row[Any] | None:
    found = (await conn.execute(sa.select(t.integrations.c.id).where(
        t.integrations.c.id == integration_id, t.integrations.c.tenant_id == tenant_id))).first()
    if found is None:
        raise NotFound(f"integration {integration_id!r} not found")
    return (await conn.execute(sa.select(t.deletion_guards).where(
        g.integration_id == integration_id))).first()


async def get_state(ctx: ServiceContext, integration_id: str) -> GuardState:
    async with ctx.db.read() as conn:
        tenant_id = await authz.require(ctx, conn, Resource.INTEGRATION, Action.VIEW)
        return _state(await _row(conn, tenant_id, integration_id))


async def release(ctx: ServiceContext, integration_id: str) -> GuardState:
    """An admin reviewed the deprovisioning and lets the integration continue (audited)."""
    async with ctx.db.write() as conn:
        tenant_id = await authz.require(ctx, conn, Resource.INTEGRATION, Action.UPDATE)
        before = _state(await _row(conn, tenant_id, integration_id))
        await conn.execute(t.deletion_guards.update().where(g.integration_id == integration_id)
                           .values(tripped_at=None, deprovisioned=0, held=0,
                                   window_start=ctx.now(), base_members=None))
        await audit.record(ctx, conn, "integration.release_deletion_guard", "integration",
                           integration_id, {"before": {
                               "tripped": before.tripped, "count": before.count,
                               "held": before.held}})
        return _state(await _row(conn, tenant_id, integration_id))
