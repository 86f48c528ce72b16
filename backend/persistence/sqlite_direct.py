"""One hot read statement run on a sqlite3 connection of its own, beneath SQLAlchemy.

Authentication runs one statement on every request. Through SQLAlchemy's async connection that
statement cost more than the SQL did: checking a connection out of the pool, two greenlet
round trips, an execution context and a result object, about a quarter of the server CPU of a
SCIM DELETE in py-spy, against a few microseconds for sqlite3 to run it. Here the statement is
compiled once with the engine's own dialect, run with one ``sqlite3`` call on a connection kept
for these reads, and its rows go through the same result processors SQLAlchemy would apply
(the column types' own, so datetimes, booleans and JSON come back as they do there). A test
holds the two paths to identical rows.

Only read statements outside a transaction run here (``Database.fetch``): the connection is
``query_only``, in autocommit mode, so each statement is its own WAL read transaction and sees
every commit made before it, this process's included. It is used on the event loop's thread
with no await between execute and fetch, so uses never overlap (the same argument as
``sqlite_cursor``). WAL readers do not wait for writers; if a read fails anyway (a busy
database in recovery, a schema change), the caller falls back to SQLAlchemy's path, which
reports the error as usual.
"""

from __future__ import annotations

import sqlite3
from collections import namedtuple
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

Processor = Callable[[Any], Any] | None


@dataclass(frozen=True)
class Prepared:
    """A SELECT compiled once for one dialect: its SQL, parameter order and row shape."""

    statement: sa.Select[Any]
    sql: str
    parameter_names: tuple[str | None, ...]  # None: a literal, from ``constants``
    constants: tuple[Any, ...]
    processors: tuple[Processor, ...]
    row_type: Callable[..., Any]

    def parameters(self, values: Mapping[str, Any]) -> tuple[Any, ...]:
        return tuple(constant if name is None else values[name]
                     for name, constant in zip(self.parameter_names, self.constants,
                                               strict=True))

    def rows(self, raw: Sequence[tuple[Any, ...]]) -> list[Any]:
        make, processors = self.row_type, self.processors
        return [make(*[value if p is None or value is None else p(value)
                       for p, value in zip(processors, row, strict=True)]) for row in raw]


def prepare(statement: sa.Select[Any], dialect: Dialect) -> Prepared:
    """Compile ``statement`` for ``dialect`` (a qmark dialect: SQLite's).

    Refuses what this path would get wrong rather than run it differently from SQLAlchemy:
    bind parameters whose type converts values, and columns whose names are not unique."""
    compiled = statement.compile(dialect=dialect)
    if dialect.paramstyle != "qmark" or compiled.positiontup is None:
        raise ValueError("direct reads need a positional (qmark) dialect")
    names: list[str | None] = []
    constants: list[Any] = []
    for key in compiled.positiontup:
        bind = compiled.binds[key]
        if bind.type.dialect_impl(dialect).bind_processor(dialect) is not None:
            raise ValueError(f"bind parameter {bind.key!r} needs a bind processor")
        # A required parameter comes from the caller; the others are the statement's literals.
        names.append(key if bind.required else None)
        constants.append(None if bind.required else bind.effective_value)
    columns = list(statement.selected_columns)
    keys = [column.key for column in columns]
    if any(key is None for key in keys) or len(set(keys)) != len(keys):
        raise ValueError("selected column names must be unique")
    processors = tuple(column.type.dialect_impl(dialect).result_processor(dialect, None)
                       for column in columns)
    return Prepared(statement, compiled.string, tuple(names), tuple(constants), processors,
                    namedtuple("DirectRow", [str(key) for key in keys]))


class DirectReader:
    """The sqlite3 connection for ``Prepared`` reads of one database file (opened on first
    use, closed by ``close``)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._conn: sqlite3.Connection | None = None
        # Called with each statement's SQL before it runs: these reads bypass SQLAlchemy's
        # events, so statement-counting tests and diagnostics listen here too.
        self.listeners: list[Callable[[str], None]] = []

    def fetch(self, prepared: Prepared, values: Mapping[str, Any]) -> list[Any]:
        """Every row of ``prepared``; raises ``sqlite3.Error`` (and forgets the connection)
        when the read fails."""
        conn = self._conn
        if conn is None:
            conn = self._conn = self._open()
        for listener in self.listeners:
            listener(prepared.sql)
        try:
            raw = conn.execute(prepared.sql, prepared.parameters(values)).fetchall()
        except sqlite3.Error:
            self.close()
            raise
        return prepared.rows(raw)

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
