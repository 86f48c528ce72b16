"""SQLite WAL checkpoints run on the checkpointer's thread, not inside a request's COMMIT."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from backend.persistence import migrate
from backend.persistence import tables as t
from backend.persistence.db import Database
from backend.persistence.sqlite_checkpoint import AUTOCHECKPOINT_PAGES, Checkpointer

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def wait_until(condition: Callable[[], bool], seconds: float = 20.0) -> None:
    """Poll for a thread's effect (a deadline for a hang, not a performance assertion)."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the checkpointer did not act"
        time.sleep(0.01)


def _wal_file_with_pages(path: Path) -> sqlite3.Connection:
    """~2 MB of pages in the WAL only. The connection is returned open: closing the last
    connection would checkpoint them itself."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA wal_autocheckpoint=0")  # the pages stay in the WAL until checkpointed
    conn.execute("CREATE TABLE blobs (b BLOB)")
    conn.executemany("INSERT INTO blobs VALUES (randomblob(4000))", [()] * 500)
    return conn


def test_a_commit_wakes_a_thread_that_copies_the_wal_into_the_database_file(
    tmp_path: Path,
) -> None:
    path = tmp_path / "c.db"
    writer = _wal_file_with_pages(path)
    before = path.stat().st_size
    checkpointer = Checkpointer(str(path), interval=0.01, idle_exit=0.05)
    try:
        checkpointer.committed()
        wait_until(lambda: checkpointer.checkpoints >= 1)
        # The ~2 MB of pages moved from the WAL into the database file.
        assert path.stat().st_size > before + 1_000_000
        # Idle, the thread ends; the next commit starts another.
        wait_until(lambda: checkpointer._thread is None)
        checkpointer.committed()
        wait_until(lambda: checkpointer.checkpoints >= 2)
        wait_until(lambda: checkpointer._thread is None)
    finally:
        checkpointer.close()
        writer.close()
    checkpointer.committed()  # closed: no thread starts again
    assert checkpointer._thread is None


async def test_request_connections_leave_checkpoints_to_the_thread(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'd.db'}")
    try:
        await migrate.upgrade(db)
        async with db.read() as conn:
            pages = (await conn.exec_driver_sql("PRAGMA wal_autocheckpoint")).scalar_one()
        # COMMIT checkpoints only as a backstop, far past SQLite's default of 1,000 pages.
        assert pages == AUTOCHECKPOINT_PAGES > 1000
        checkpointer = db._checkpointer
        assert checkpointer is not None
        async with db.write() as conn:
            await conn.execute(t.tenants.insert().values(id="t", name="t", created_at=NOW))
        await asyncio.to_thread(wait_until, lambda: checkpointer.checkpoints >= 1)
        async with db.read() as conn:
            assert (await conn.execute(sa.select(t.tenants.c.id))).scalars().all() == ["t"]
    finally:
        await db.dispose()
    assert checkpointer._thread is None or not checkpointer._thread.is_alive()


async def test_an_in_memory_database_has_no_checkpointer() -> None:
    db = Database("sqlite+aiosqlite:///:memory:")
    try:
        assert db._checkpointer is None
    finally:
        await db.dispose()
