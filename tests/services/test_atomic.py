"""``Database.atomic``: several service calls in one transaction, a savepoint per call."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from backend.persistence import tables as t
from backend.persistence.db import Database

NOW = datetime(2026, 1, 1, tzinfo=UTC)


async def _add(db: Database, tenant_id: str) -> None:
    async with db.write() as conn:
        await conn.execute(t.tenants.insert().values(id=tenant_id, name=tenant_id,
                                                     created_at=NOW))


async def _ids(db: Database) -> set[str]:
    async with db.read() as conn:
        return set((await conn.execute(sa.select(t.tenants.c.id))).scalars())


async def test_a_failing_call_is_undone_alone_and_later_calls_see_earlier_ones(
    db: Database,
) -> None:
    async with db.atomic():
        await _add(db, "first")
        with pytest.raises(RuntimeError):
            async with db.write() as conn:
                await conn.execute(t.tenants.insert().values(id="undone", name="x",
                                                             created_at=NOW))
                raise RuntimeError("this call fails")
        assert "first" in await _ids(db) and "undone" not in await _ids(db)
        await _add(db, "third")
    assert {"first", "third"} <= await _ids(db) and "undone" not in await _ids(db)


async def test_nothing_commits_when_the_whole_block_fails(db: Database) -> None:
    with pytest.raises(RuntimeError):
        async with db.atomic():
            await _add(db, "never")
            raise RuntimeError("the process dies before the end")
    assert "never" not in await _ids(db)
