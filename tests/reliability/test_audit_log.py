"""Audit log: append-only in the database, time-range filters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from backend.domain.models import Door
from backend.persistence import tables as t
from backend.persistence.db import Database
from backend.services import audit, roles
from backend.services.context import Clock, ServiceContext
from tests.factories import make_tenant

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


async def test_update_and_delete_of_audit_rows_fail(db: Database) -> None:
    await make_tenant(db, "acme")  # bootstrap writes audit events
    async with db.read() as conn:
        count = (await conn.execute(sa.select(sa.func.count()).select_from(t.audit_events))
                 ).scalar_one()
    assert count > 0
    for statement in (t.audit_events.update().values(action="forged"),
                      t.audit_events.delete()):
        with pytest.raises(sa.exc.DBAPIError, match="append-only"):
            async with db.write() as conn:
                await conn.execute(statement)
    async with db.read() as conn:
        actions = set((await conn.execute(sa.select(t.audit_events.c.action))).scalars())
        after = (await conn.execute(sa.select(sa.func.count()).select_from(t.audit_events))
                 ).scalar_one()
    assert "forged" not in actions and after == count


async def test_time_range_filter(db: Database) -> None:
    tf = await make_tenant(db, "acme")
    for hours in range(4):
        ctx = ServiceContext(db, tf.admin, "acme", Door.GRAPHQL, clock=_at(hours))
        await roles.create_role(ctx, f"r{hours}", "", permissions=["FLOW:VIEW"])
    ctx = tf.ctx()
    found = await audit.list_events(ctx, action="role.create", since=T0 + timedelta(hours=1),
                                    until=T0 + timedelta(hours=3))
    assert [e.resource_id for e in found] == [
        (await _role_id(db, "r2")), (await _role_id(db, "r1"))]
    # Another offset names the same instant.
    plus2 = timezone(timedelta(hours=2))
    later = await audit.list_events(ctx, action="role.create",
                                    since=(T0 + timedelta(hours=3)).astimezone(plus2))
    assert [e.resource_id for e in later] == [await _role_id(db, "r3")]


def _at(hours: int) -> Clock:
    return lambda: T0 + timedelta(hours=hours)


async def _role_id(db: Database, name: str) -> str:
    async with db.read() as conn:
        role = await roles.find_by_name(conn, "acme", name)
    assert role is not None
    return role.id
