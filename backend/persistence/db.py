"""Engine, connections and transactions for SQLite (aiosqlite) and PostgreSQL (asyncpg).

SQLite: WAL, foreign keys, a busy timeout, and writes taken with ``BEGIN IMMEDIATE`` behind one
in-process lock, so concurrent writers queue here instead of failing on SQLite's write lock.
Statements run directly on the event loop's thread (``sqlite_cursor``); WAL checkpoints run on
a thread of their own (``sqlite_checkpoint``), woken after each write commits. BEGIN, and the
statements every request runs (authentication's read, the audit INSERT, a user delete's), run
on sqlite3 beneath SQLAlchemy's execution layer (``sqlite_cursor.begin``, ``sqlite_direct``).
PostgreSQL: a normal pool; rows that are read then written are locked with ``FOR UPDATE``.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from backend.config import Settings
from backend.persistence import sqlite_cursor, sqlite_direct
from backend.persistence.sqlite_checkpoint import AUTOCHECKPOINT_PAGES, Checkpointer

_WRITE = "tessera_write"
_SINGLE = "tessera_single_statement"


class Buffer(Protocol):
    """Rows held in memory for a moment before they are committed (the request log)."""

    async def flush(self) -> None: ...


# The transaction opened by ``Database.atomic()`` (writable) or ``Database.reading()`` (read
# only) in this task, with the Database that owns it.
_AMBIENT: ContextVar[tuple[Database, AsyncConnection, bool] | None] = ContextVar(
    "tessera_ambient_transaction", default=None)


def _install_sqlite_hooks(
    engine: AsyncEngine, busy_timeout_ms: int, background_checkpoints: bool
) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take BEGIN over from the driver (SQLAlchemy's documented aiosqlite recipe), so
        # transactions and savepoints behave and writes can ask for BEGIN IMMEDIATE.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        # Same LIKE semantics as PostgreSQL: case-sensitive; case-insensitive filters fold.
        cursor.execute("PRAGMA case_sensitive_like=ON")
        if background_checkpoints:  # see sqlite_checkpoint
            cursor.execute(f"PRAGMA wal_autocheckpoint={AUTOCHECKPOINT_PAGES}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        options = conn.get_execution_options()
        if options.get(_SINGLE, False):
            return  # one statement is its own transaction (Database.read_single)
        operation = "BEGIN IMMEDIATE" if options.get(_WRITE, False) else "BEGIN"
        sqlite_direct.notify(conn.dialect, operation)  # SQLAlchemy's statement events miss it
        sqlite_cursor.begin(conn.connection.dbapi_connection, operation)


class Database:
    """Owns the engine. Services open ``read()`` or ``write()`` blocks; each is one transaction."""

    def __init__(
        self,
        url: str,
        *,
        busy_timeout_ms: int = 5000,
        echo: bool = False,
        pg_schema: str | None = None,
    ) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        kwargs: dict[str, Any] = {"echo": echo}
        if not self.is_sqlite:
            kwargs.update(pool_size=10, max_overflow=10, pool_pre_ping=True)
            if pg_schema:
                # Tests isolate each run in its own schema.
                kwargs["connect_args"] = {"server_settings": {"search_path": pg_schema}}
        if self.is_sqlite:
            # Every use ends its transaction (read/write commit or roll back; a Connection rolls
            # back an autobegun one on close), so the pool's own ROLLBACK on return is a no-op
            # that costs aiosqlite a thread round trip per transaction (seen by the bench).
            kwargs["pool_reset_on_return"] = None
            # Statements run on the loop's thread, not aiosqlite's (see sqlite_cursor).
            kwargs["connect_args"] = {"check_same_thread": False}
        self.engine = create_async_engine(url, **kwargs)
        self._checkpointer = _checkpointer_for(url) if self.is_sqlite else None
        path = _file_path(url) if self.is_sqlite else None
        self._direct = (sqlite_direct.DirectReader(path, self.engine.dialect)
                        if path is not None else None)
        if self.is_sqlite:
            sqlite_cursor.install()
            _install_sqlite_hooks(self.engine, busy_timeout_ms, self._checkpointer is not None)
        self._single = self.engine.execution_options(**{_SINGLE: True})
        # Set on the engine, not per connection: a connection's execution_options() is one
        # more greenlet round trip for every write transaction.
        self._writer = self.engine.execution_options(**{_WRITE: True})
        self._write_lock = asyncio.Lock() if self.is_sqlite else None
        self._buffers: weakref.WeakSet[Buffer] = weakref.WeakSet()

    @classmethod
    def from_settings(cls, settings: Settings) -> Database:
        settings.ensure_data_dir()
        return cls(settings.database_url, busy_timeout_ms=settings.sqlite_busy_timeout_ms)

    @asynccontextmanager
    async def _connect(self, engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
        """``engine.connect()``, without SQLAlchemy's guarded close on SQLite.

        ``async with engine.connect()`` closes the connection in a task of its own behind
        ``asyncio.shield``, so that a cancellation cannot interrupt the close halfway: a task
        and two loop iterations per transaction, about 30 us. On SQLite the close never
        suspends (statements, COMMIT and ROLLBACK run inline, see sqlite_cursor, and the pool
        resets nothing on return), so there is no point at which a cancellation could land
        and the guard buys nothing. PostgreSQL's close awaits the server: it keeps the guard.
        """
        if not self.is_sqlite:
            async with engine.connect() as conn:
                yield conn
            return
        conn = await engine.connect()
        try:
            yield conn
        finally:
            await conn.close()

    def _ambient(self) -> tuple[AsyncConnection, bool] | None:
        ambient = _AMBIENT.get()
        return (ambient[1], ambient[2]) if ambient is not None and ambient[0] is self else None

    @asynccontextmanager
    async def atomic(self) -> AsyncIterator[None]:
        """One write transaction around several service calls (a SCIM Bulk request).

        Inside it, each ``write()`` and ``read()`` block is a savepoint on this transaction: a
        failing call rolls back only its own changes, later calls see earlier ones, and all of
        them commit together at the end, or none does if the process dies first.
        """
        async with self.write() as conn, self._ambient_as(conn, writable=True):
            yield

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[None]:
        """One read transaction around a read-only request (a SCIM GET): its ``read()`` blocks
        share it and one snapshot instead of opening one each (on PostgreSQL authentication's
        too; on SQLite that read runs beneath SQLAlchemy, see ``fetch``). ``write()`` blocks
        inside still get a transaction of their own."""
        if self._ambient() is not None:
            yield
            return
        async with self._connect(self.engine) as conn, conn.begin(), \
                self._ambient_as(conn, writable=False):
            yield

    @asynccontextmanager
    async def _ambient_as(self, conn: AsyncConnection, *, writable: bool) -> AsyncIterator[None]:
        token = _AMBIENT.set((self, conn, writable))
        try:
            yield
        finally:
            _AMBIENT.reset(token)

    @asynccontextmanager
    async def _savepoint(self, conn: AsyncConnection) -> AsyncIterator[AsyncConnection]:
        async with conn.begin_nested():
            yield conn

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        ambient = self._ambient()
        if ambient is not None and ambient[1]:
            async with self._savepoint(ambient[0]) as conn:
                yield conn
            return
        if ambient is not None:
            yield ambient[0]
            return
        async with self._connect(self.engine) as conn, conn.begin():
            yield conn

    @asynccontextmanager
    async def read_single(self) -> AsyncIterator[AsyncConnection]:
        """A ``read()`` for exactly one statement (``fetch``'s, when it does not run beneath
        SQLAlchemy and no request-wide read transaction is open). On SQLite that statement
        runs as its own implicit transaction, sparing BEGIN and COMMIT; a second statement
        here would see a different snapshot, so there must not be one."""
        if not self.is_sqlite or self._ambient() is not None:
            async with self.read() as conn:
                yield conn
            return
        async with self._connect(self._single) as conn:
            yield conn

    async def fetch(self, statement: sa.Select[Any], values: dict[str, Any]) -> list[Any]:
        """Every row of one read statement, run on its own (its own snapshot).

        On a SQLite file, outside a write transaction of this task, the statement runs on a
        sqlite3 connection of its own beneath SQLAlchemy (``sqlite_direct``): for a module-level
        statement run on every request, such as authentication's. Rows have the attributes a
        SQLAlchemy row has. Elsewhere, or when that read fails, it runs as ``read_single``."""
        ambient = self._ambient()
        if self._direct is not None and (ambient is None or not ambient[1]):
            try:
                return self._direct.fetch(statement, values)
            except sa.exc.DBAPIError:
                pass  # the path below runs it again and reports any error as usual
        async with self.read_single() as conn:
            return list((await conn.execute(statement, values)).all())

    def listen_direct(self, listener: Callable[[str], None]) -> Callable[[], None]:
        """Call ``listener`` with the SQL of each statement run beneath SQLAlchemy (``fetch``'s
        and ``sqlite_direct.execute``'s, which its statement events do not see); returns the
        function that stops it."""
        return sqlite_direct.listen(self.engine.dialect, listener)

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncConnection]:
        """One write transaction: committed on success, rolled back on any exception."""
        ambient = self._ambient()
        if ambient is not None and ambient[1]:
            async with self._savepoint(ambient[0]) as conn:
                yield conn
            return
        if self._write_lock is None:
            async with self._connect(self.engine) as conn, conn.begin():
                yield conn
            return
        async with self._write_lock, self._connect(self._writer) as conn, conn.begin():
            yield conn
        if self._checkpointer is not None:
            self._checkpointer.committed()

    def for_update(self, stmt: sa.Select[Any]) -> sa.Select[Any]:
        """Lock selected rows on PostgreSQL; SQLite writes are already serialised."""
        return stmt if self.is_sqlite else stmt.with_for_update()

    async def ping(self) -> bool:
        async with self.engine.connect() as conn:
            await conn.execute(sa.text("SELECT 1"))
        return True

    def register_buffer(self, buffer: Buffer) -> None:
        """``flush_buffers`` (and ``dispose``) will commit what ``buffer`` holds."""
        self._buffers.add(buffer)

    async def flush_buffers(self) -> None:
        """Commit every buffered row of this process (a reader that must see them all)."""
        for buffer in list(self._buffers):
            await buffer.flush()

    async def dispose(self) -> None:
        await self.flush_buffers()
        if self._checkpointer is not None:
            await asyncio.to_thread(self._checkpointer.close)
        if self._direct is not None:
            self._direct.close()
        await self.engine.dispose()


def _file_path(url: str) -> str | None:
    """The file of a SQLite URL; None for an in-memory database, which no second connection
    can open."""
    parsed = sa.engine.make_url(url)
    path = parsed.database
    if not path or path == ":memory:" or parsed.query.get("mode") == "memory":
        return None
    return path


def _checkpointer_for(url: str) -> Checkpointer | None:
    """A background checkpointer for a SQLite file (none for an in-memory database)."""
    path = _file_path(url)
    return Checkpointer(path) if path is not None else None
