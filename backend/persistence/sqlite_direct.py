"""The hottest statements run on sqlite3 directly, beneath SQLAlchemy's execution layer.

A SCIM request runs a handful of indexed statements, and through SQLAlchemy's async connection
each cost far more than its SQL: two greenlet switches, an execution context, parameter
processing and a result object. Measured in-process on the bench machine, an indexed UPDATE
inside a write transaction cost about 150 us that way and about 12 us as one ``sqlite3`` call;
authentication's read cost 270 us through a pooled connection and 24 us here. So the statements
every request runs (authentication, the audit INSERT, a group's read by id, a user's or a
group's delete) are compiled once with the engine's own dialect and run with one ``sqlite3``
call: their parameters go through the bind processors and their rows through the result
processors SQLAlchemy would apply (the column types' own, so datetimes, booleans and JSON are
written and read as they are there). Tests hold the two paths to identical rows. What this path
would run differently from SQLAlchemy it refuses to prepare: Python-side column defaults,
RETURNING, duplicate column names.

Two entry points:

* ``execute(conn, statement, values)``: inside a transaction SQLAlchemy opened (``Database.read``
  or ``write``), on that connection's own sqlite3 connection, so it is part of the transaction;
  on PostgreSQL it is simply ``conn.execute``.
* ``DirectReader``: one read outside any transaction (authentication), on a sqlite3 connection
  kept for these reads, ``query_only`` and in autocommit mode, so each statement is its own WAL
  read transaction and sees every commit made before it, this process's included.

Both run on the event loop's thread with no await in between execute and fetch, so uses never
overlap (the same argument as ``sqlite_cursor``). SQLAlchemy's statement events do not see these
statements: ``listen`` does, for statement-counting tests and diagnostics.
"""

from __future__ import annotations

import sqlite3
import weakref
from collections import namedtuple
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.dml import UpdateBase

from backend.persistence.sqlite_cursor import driver_connection

Processor = Callable[[Any], Any] | None
Statement = sa.Select[Any] | UpdateBase
Listener = Callable[[str], None]

# Per dialect (one per engine), so both go with their engine.
_listeners: weakref.WeakKeyDictionary[Dialect, list[Listener]] = weakref.WeakKeyDictionary()
_prepared: weakref.WeakKeyDictionary[Dialect, dict[int, Prepared]] = weakref.WeakKeyDictionary()


@dataclass(frozen=True)
class Outcome:
    """What a statement returned: its rows (attributes as on a SQLAlchemy row) and rowcount."""

    rows: list[Any]
    rowcount: int

    def first(self) -> Any:
        return self.rows[0] if self.rows else None


@dataclass(frozen=True)
class Prepared:
    """A statement compiled once for one dialect: its SQL, parameters and row shape."""

    statement: Statement
    sql: str
    parameter_names: tuple[str | None, ...]  # None: a literal, from ``constants``
    constants: tuple[Any, ...]
    bind_processors: tuple[Processor, ...]
    processors: tuple[Processor, ...]
    row_type: Callable[..., Any] | None  # None: the statement returns no rows

    def parameters(self, values: Mapping[str, Any]) -> tuple[Any, ...]:
        out = []
        for name, constant, process in zip(self.parameter_names, self.constants,
                                           self.bind_processors, strict=True):
            if name is None:
                out.append(constant)
            else:
                value = values[name]
                out.append(value if process is None else process(value))
        return tuple(out)

    def rows(self, raw: Sequence[tuple[Any, ...]]) -> list[Any]:
        make, processors = self.row_type, self.processors
        assert make is not None
        return [make(*[value if p is None or value is None else p(value)
                       for p, value in zip(processors, row, strict=True)]) for row in raw]


def prepare(statement: Statement, dialect: Dialect) -> Prepared:
    """Compile ``statement`` for ``dialect`` (a qmark dialect: SQLite's)."""
    compiled = statement.compile(dialect=dialect)
    if dialect.paramstyle != "qmark" or compiled.positiontup is None:
        raise ValueError("direct statements need a positional (qmark) dialect")
    if getattr(compiled, "insert_prefetch", None) or getattr(compiled, "update_prefetch", None):
        raise ValueError("a column default computed in Python would be skipped: pass it")
    names: list[str | None] = []
    constants: list[Any] = []
    binders: list[Processor] = []
    for key in compiled.positiontup:
        bind = compiled.binds[key]
        process = bind.type.dialect_impl(dialect).bind_processor(dialect)
        if bind.required:  # from the caller, converted as SQLAlchemy converts it
            names.append(key)
            constants.append(None)
            binders.append(process)
        else:  # one of the statement's literals, converted once here
            value = bind.effective_value
            names.append(None)
            constants.append(value if process is None else process(value))
            binders.append(None)
    row_type: Callable[..., Any] | None = None
    processors: tuple[Processor, ...] = ()
    if isinstance(statement, UpdateBase):
        if statement._returning:
            raise ValueError("RETURNING is not supported here")
    else:
        columns = list(statement.selected_columns)
        keys = [column.key for column in columns]
        if any(key is None for key in keys) or len(set(keys)) != len(keys):
            raise ValueError("selected column names must be unique")
        processors = tuple(column.type.dialect_impl(dialect).result_processor(dialect, None)
                           for column in columns)
        row_type = namedtuple("DirectRow", [str(key) for key in keys])  # type: ignore[misc, no-redef]
    return Prepared(statement, compiled.string, tuple(names), tuple(constants), tuple(binders),
                    processors, row_type)


def prepared(statement: Statement, dialect: Dialect) -> Prepared:
    """``prepare``, once per statement object (module-level statements) and dialect."""
    cache = _prepared.get(dialect)
    if cache is None:
        cache = _prepared[dialect] = {}
    found = cache.get(id(statement))
    if found is None or found.statement is not statement:
        found = cache[id(statement)] = prepare(statement, dialect)
    return found


def listen(dialect: Dialect, listener: Listener) -> Callable[[], None]:
    """Call ``listener`` with the SQL of each statement run here for ``dialect``'s engine;
    returns the function that stops it."""
    found = _listeners.setdefault(dialect, [])
    found.append(listener)
    return lambda: found.remove(listener)


def notify(dialect: Dialect, sql: str) -> None:
    """Tell ``listen``'s listeners about a statement run beneath SQLAlchemy elsewhere."""
    for listener in _listeners.get(dialect, ()):
        listener(sql)


def run(conn: sqlite3.Connection, dialect: Dialect, plan: Prepared,
        values: Mapping[str, Any]) -> Outcome:
    """Run ``plan`` on ``conn``; sqlite3 errors are raised as SQLAlchemy's (IntegrityError...)."""
    notify(dialect, plan.sql)
    parameters = plan.parameters(values)
    try:
        cursor = conn.execute(plan.sql, parameters)
        try:
            raw = cursor.fetchall() if plan.row_type is not None else []
            rowcount = cursor.rowcount
        finally:
            cursor.close()
    except sqlite3.Error as exc:
        raise sa.exc.DBAPIError.instance(plan.sql, parameters, exc, sqlite3.Error) from exc
    return Outcome(plan.rows(raw) if raw else [], rowcount)


async def execute(conn: AsyncConnection, statement: Statement,
                  values: Mapping[str, Any]) -> Outcome:
    """``conn.execute(statement, values)``, beneath SQLAlchemy on SQLite (see above).

    For module-level statements with named bind parameters: each is compiled once."""
    dialect = conn.dialect
    if dialect.name == "sqlite":
        return run(driver_connection(conn), dialect, prepared(statement, dialect), values)
    result = await conn.execute(statement, dict(values))
    return Outcome(list(result.all()) if result.returns_rows else [], result.rowcount)


class DirectReader:
    """The sqlite3 connection for reads outside any transaction, of one database file
    (opened on first use, closed by ``close``)."""

    def __init__(self, path: str, dialect: Dialect) -> None:
        self.path = path
        self.dialect = dialect
        self._conn: sqlite3.Connection | None = None

    def fetch(self, statement: sa.Select[Any], values: Mapping[str, Any]) -> list[Any]:
        """Every row of ``statement``; raises (and forgets the connection) when the read
        fails, so that the caller can run it through SQLAlchemy instead."""
        conn = self._conn
        if conn is None:
            conn = self._conn = self._open()
        try:
            return run(conn, self.dialect, prepared(statement, self.dialect), values).rows
        except sa.exc.DBAPIError:
            self.close()
            raise

    def _open(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        try:
            conn.execute("PRAGMA query_only=ON")  # these reads never write, by construction
            conn.execute("PRAGMA busy_timeout=0")  # never block the loop; fall back instead
            conn.execute("PRAGMA case_sensitive_like=ON")  # as the pool's connections
        except sqlite3.Error:
            conn.close()
            raise
        return conn

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()
