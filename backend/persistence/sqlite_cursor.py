"""SQLite statements run on the event loop's thread, not through aiosqlite's driver thread.

aiosqlite runs sqlite3 on a thread of its own, and SQLAlchemy's adapter made a round trip to it
for each of cursor(), execute(), fetchall() and close(), and for every COMMIT and ROLLBACK.
Profiling the bench showed those hops, not SQL, dominated a SCIM request's CPU: a hop costs about
86 us of CPU, an indexed SQLite statement about 16 us. This cursor runs a statement and fetches
all of its rows in one direct sqlite3 call, and COMMIT/ROLLBACK are direct calls too.

Why blocking the loop is acceptable here: Tessera's statements are index seeks and bounded
pages (a list page, a 100-member batch), and in one process write transactions are already
serialised by ``Database``'s lock, so no statement waits on another of this process's
connections (WAL readers never wait). The one statement that can wait on *another process* is
``BEGIN IMMEDIATE`` (a CLI command, or a second process, holding the write lock; the wait is
``busy_timeout``): ``begin`` tries it inline with no wait, and only if the lock is taken does it
go to the driver thread to wait there, so it never stalls the loop.

It subclasses SQLAlchemy's adapter (pinned in pyproject.toml) and replaces only the execution
path; errors still go through the adapter's exception translation. The sqlite3 connection is
opened with ``check_same_thread=False`` (``Database``): each connection is used by one task at a
time (the pool), and its driver-thread calls are awaited, so calls never overlap.
"""

from __future__ import annotations

import collections
import sqlite3
from typing import Any

from sqlalchemy.dialects.sqlite import aiosqlite as sa_aiosqlite
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.util import EMPTY_DICT, await_

Outcome = tuple[Any, list[Any], int, int | None]


def _run(conn: sqlite3.Connection, operation: str, parameters: Any, many: bool) -> Outcome:
    """On the driver thread: execute, fetch everything, close."""
    cursor = conn.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        elif parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else []
        return description, rows, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


def _run_without_waiting(conn: sqlite3.Connection, operation: str, parameters: Any) -> Outcome:
    """Try the statement with no busy wait: it takes the lock at once in the usual case (no
    other process writing), and raises SQLITE_BUSY instead of blocking the loop otherwise."""
    (timeout_ms,) = conn.execute("PRAGMA busy_timeout").fetchone()
    conn.execute("PRAGMA busy_timeout = 0")
    try:
        return _run(conn, operation, parameters, False)
    finally:
        conn.execute(f"PRAGMA busy_timeout = {int(timeout_ms)}")


def _waits_for_other_processes(operation: Any) -> bool:
    return isinstance(operation, str) and operation.startswith("BEGIN IMMEDIATE")


class InlineCursor(sa_aiosqlite.AsyncAdapt_aiosqlite_cursor):
    __slots__ = ("_description", "_lastrowid", "_rowcount")

    def __init__(self, adapt_connection: Any) -> None:
        # No driver cursor up front: that alone was one driver-thread round trip per statement.
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> Any:
        return self._lastrowid

    @property
    def arraysize(self) -> int:
        return 1

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        pass

    async def _run(self, operation: Any, parameters: Any, many: bool) -> None:
        # Never waits on another process: BEGIN IMMEDIATE, the one statement that can, does
        # not come through here (``begin`` below runs it from SQLAlchemy's begin event).
        outcome: Outcome = _run(self._connection._conn, operation, parameters, many)
        self._description, rows, self._rowcount, self._lastrowid = outcome
        self._rows = collections.deque(rows)

    async def _execute_async(self, operation: Any, parameters: Any) -> Any:
        await self._run(operation, parameters, False)

    async def _executemany_async(self, operation: Any, seq_of_parameters: Any) -> Any:
        await self._run(operation, seq_of_parameters, True)

    async def _async_soft_close(self) -> None:
        return None

    def close(self) -> None:
        self._rows.clear()

    def nextset(self) -> None:
        return None


def _commit(self: Any) -> None:
    if self._connection._connection:  # None once closed, as in the adapter's own commit()
        try:
            self._connection._conn.commit()
        except Exception as error:
            self._handle_exception(error)


def _rollback(self: Any) -> None:
    if self._connection._connection:
        try:
            self._connection._conn.rollback()
        except Exception as error:
            self._handle_exception(error)


def install() -> None:
    """Make every aiosqlite connection of this process use :class:`InlineCursor` and direct
    COMMIT/ROLLBACK."""
    adapter = sa_aiosqlite.AsyncAdapt_aiosqlite_connection
    adapter._cursor_cls = InlineCursor
    adapter.commit = _commit  # type: ignore[method-assign]
    adapter.rollback = _rollback  # type: ignore[method-assign]


def driver_connection(conn: AsyncConnection) -> sqlite3.Connection:
    """The sqlite3 connection beneath a checked-out SQLAlchemy connection (the same one the
    cursor above runs on), for ``sqlite_direct``."""
    sync = conn.sync_connection
    assert sync is not None, "the connection is not open"
    adapted: Any = sync.connection.dbapi_connection
    return adapted._connection._conn  # type: ignore[no-any-return]


def begin(adapted: Any, operation: str) -> None:
    """Run BEGIN or BEGIN IMMEDIATE on the sqlite3 connection beneath SQLAlchemy's adapter.

    Called from SQLAlchemy's ``begin`` event, inside its greenlet, instead of a statement
    executed through SQLAlchemy (about 100 us of its execution layer on every transaction, on
    the bench machine). BEGIN IMMEDIATE still waits for another process's lock on the driver
    thread, never on the loop, as the cursor above does. sqlite3 errors are raised as
    SQLAlchemy's."""
    conn: sqlite3.Connection = adapted._connection._conn
    try:
        if not _waits_for_other_processes(operation):
            conn.execute(operation)
            return
        try:
            _run_without_waiting(conn, operation, None)
        except sqlite3.OperationalError as exc:
            if exc.sqlite_errorcode != sqlite3.SQLITE_BUSY:
                raise
            await_(adapted._connection._execute(_run, conn, operation, None, False))
    except sqlite3.Error as exc:
        raise DBAPIError.instance(operation, (), exc, sqlite3.Error) from exc
