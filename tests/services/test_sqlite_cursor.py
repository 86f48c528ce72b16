"""The inline SQLite cursor keeps the DB-API results SQLAlchemy relies on."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from backend.persistence import migrate
from backend.persistence import tables as t
from backend.persistence.db import Database
from backend.persistence.sqlite_cursor import InlineCursor

NOW = datetime(2026, 1, 1, tzinfo=UTC)


async def test_rowcount_rows_executemany_and_errors(db: Database) -> None:
    async with db.write() as conn:
        raw = await conn.get_raw_connection()
        if db.is_sqlite:
            assert isinstance(raw.dbapi_connection.cursor(), InlineCursor)  # type: ignore[union-attr]
        await conn.execute(t.tenants.insert(), [
            {"id": f"t{n}", "name": f"n{n}", "created_at": NOW} for n in range(5)])  # executemany
        updated = await conn.execute(t.tenants.update().where(t.tenants.c.id.in_(["t1", "t2"]))
                                     .values(name="renamed"))
        assert updated.rowcount == 2
        rows = (await conn.execute(sa.select(t.tenants.c.id, t.tenants.c.name)
                                   .where(t.tenants.c.id.like("t%")).order_by(t.tenants.c.id)))
        assert [tuple(r) for r in rows] == [("t0", "n0"), ("t1", "renamed"), ("t2", "renamed"),
                                            ("t3", "n3"), ("t4", "n4")]
    with pytest.raises(sa.exc.IntegrityError):  # driver errors are still translated
        async with db.write() as conn:
            await conn.execute(t.tenants.insert().values(id="t0", name="dup", created_at=NOW))


async def test_a_write_waiting_on_another_process_does_not_stall_the_event_loop(
    tmp_path: Path,
) -> None:
    """Statements run on the loop's thread, except BEGIN IMMEDIATE: while another connection
    (another process, a CLI command) holds SQLite's write lock, reads keep being served."""
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'lock.db'}")
    try:
        await migrate.upgrade(db)
        other = sqlite3.connect(tmp_path / "lock.db", isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        order: list[str] = []

        async def write() -> None:
            async with db.write() as conn:
                await conn.execute(t.tenants.insert().values(id="w", name="w", created_at=NOW))
            order.append("write")

        async def read_then_release() -> None:
            await asyncio.sleep(0.05)  # the write is now waiting for the lock
            async with db.read() as conn:
                await conn.execute(sa.select(t.tenants.c.id))
            order.append("read")
            other.execute("COMMIT")

        await asyncio.wait_for(asyncio.gather(write(), read_then_release()), timeout=10)
        assert order == ["read", "write"]
        other.close()
    finally:
        await db.dispose()


def _suspensions(coro: Any) -> int:
    """Run a coroutine by hand; count the times it would have yielded to the event loop."""
    count = 0
    try:
        while True:
            coro.send(None)
            count += 1
    except StopIteration:
        return count


async def test_closing_a_sqlite_connection_never_suspends(tmp_path: Path) -> None:
    """Database closes SQLite connections without SQLAlchemy's shielded close, which guards a
    close that a cancellation could interrupt halfway; that is only sound while close never
    yields to the loop, after a commit, a rollback, or with a transaction still open."""
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'close.db'}")
    try:
        await migrate.upgrade(db)
        for ending in ("commit", "rollback", "open"):
            conn = await db.engine.connect()
            await conn.begin()
            await conn.execute(t.tenants.insert().values(id=ending, name=ending, created_at=NOW))
            if ending == "commit":
                await conn.commit()
            elif ending == "rollback":
                await conn.rollback()
            assert _suspensions(conn.close()) == 0, ending
        assert db.engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    finally:
        await db.dispose()


async def test_a_cancelled_transaction_returns_its_connection(db: Database) -> None:
    """A request cancelled inside its transaction (a client gone) rolls back and gives the
    connection back to the pool, on either database."""
    entered = asyncio.Event()

    async def stuck() -> None:
        async with db.write() as conn:
            await conn.execute(t.tenants.insert().values(id="c", name="c", created_at=NOW))
            entered.set()
            await asyncio.sleep(60)

    task = asyncio.create_task(stuck())
    await entered.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert db.engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    async with db.read() as conn:
        found = await conn.execute(sa.select(t.tenants.c.id).where(t.tenants.c.id == "c"))
        assert found.first() is None
