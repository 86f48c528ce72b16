"""Reads beneath SQLAlchemy (``Database.fetch``, ``sqlite_direct``) give SQLAlchemy's rows."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from backend.domain.errors import IntegrationDisabled
from backend.persistence import migrate, sqlite_direct
from backend.persistence import tables as t
from backend.persistence.db import Database
from backend.persistence.sqlite_direct import prepare
from backend.services import audit, authn, integrations, tokens
from tests.factories import make_integration, make_tenant

_AUTHENTICATE = authn._AUTHENTICATE


async def _token_ids(db: Database) -> list[str]:
    async with db.read() as conn:
        return list((await conn.scalars(sa.select(t.api_tokens.c.id)
                                         .order_by(t.api_tokens.c.id))).all())


async def _through_sqlalchemy(db: Database, token_id: str) -> list[tuple[Any, ...]]:
    async with db.read() as conn:
        return [tuple(r) for r in await conn.execute(_AUTHENTICATE, {"token_id": token_id})]


async def test_authentications_rows_match_sqlalchemys_value_for_value(db: Database) -> None:
    tf = await make_tenant(db)  # a user's token (instance owner)
    await make_integration(tf)  # a service account's token, with its role's JSON permissions
    ids = await _token_ids(db)
    assert len(ids) == 2
    seen: list[str] = []
    stop = db.listen_direct(seen.append)
    try:
        for token_id in ids:
            direct = [tuple(r) for r in await db.fetch(_AUTHENTICATE, {"token_id": token_id})]
            expected = await _through_sqlalchemy(db, token_id)
            assert direct == expected
            # Same Python types too: datetimes parsed, JSON decoded, not left as text.
            assert [[type(v) for v in r] for r in direct] == \
                [[type(v) for v in r] for r in expected]
        assert await db.fetch(_AUTHENTICATE, {"token_id": "0" * 32}) == []
    finally:
        stop()
    reads = [s for s in seen if s.startswith("SELECT")]  # (BEGINs are reported here too)
    assert len(reads) == (3 if db.is_sqlite else 0)  # beneath SQLAlchemy only on SQLite
    rows = await db.fetch(_AUTHENTICATE, {"token_id": ids[0]})
    assert isinstance(rows[0].created_at, datetime)
    permissions = [r.grant_permissions for token_id in ids
                   for r in await db.fetch(_AUTHENTICATE, {"token_id": token_id})]
    assert any(isinstance(p, list) and p for p in permissions), permissions


async def test_a_direct_read_sees_what_committed_just_before(db: Database) -> None:
    tf = await make_tenant(db)
    integration_id, secret = await make_integration(tf)
    assert (await authn.authenticate(db, secret)).integration_id == integration_id
    await integrations.update_integration(tf.ctx(), integration_id, enabled=False)
    with pytest.raises(IntegrationDisabled):
        await authn.authenticate(db, secret)


async def test_inside_a_write_transaction_reads_see_its_uncommitted_changes(
    db: Database,
) -> None:
    tf = await make_tenant(db)
    token_id = (await _token_ids(db))[0]
    revoked = datetime(2026, 1, 2, tzinfo=UTC)
    async with db.atomic(), db.write() as conn:
        await conn.execute(t.api_tokens.update().where(t.api_tokens.c.id == token_id)
                           .values(revoked_at=revoked))
        (row,) = await db.fetch(_AUTHENTICATE, {"token_id": token_id})
        assert row.revoked_at is not None  # the transaction's own change, not the file's
        # The same read through the SQLite file (beneath SQLAlchemy) does not see it yet.
        if db.is_sqlite:
            assert db._direct is not None
            (outside,) = db._direct.fetch(_AUTHENTICATE, {"token_id": token_id})
            assert outside.revoked_at is None
    (row,) = await db.fetch(_AUTHENTICATE, {"token_id": token_id})
    assert row.revoked_at is not None  # committed now
    with pytest.raises(tokens.TokenRevoked):
        await authn.authenticate(db, tf.admin_token)


async def test_a_failed_direct_read_falls_back_and_the_next_reopens(db: Database) -> None:
    if not db.is_sqlite:
        pytest.skip("reads beneath SQLAlchemy are SQLite's")
    await make_tenant(db)
    token_id = (await _token_ids(db))[0]
    expected = await _through_sqlalchemy(db, token_id)
    reader = db._direct
    assert reader is not None
    await db.fetch(_AUTHENTICATE, {"token_id": token_id})  # opens its connection
    broken = reader._conn
    assert broken is not None
    broken.close()  # any sqlite3 error: a closed connection raises ProgrammingError
    assert [tuple(r) for r in await db.fetch(_AUTHENTICATE, {"token_id": token_id})] == expected
    assert reader._conn is None  # forgotten, not reused
    assert [tuple(r) for r in await db.fetch(_AUTHENTICATE, {"token_id": token_id})] == expected
    assert reader._conn is not None and reader._conn is not broken


async def test_the_direct_connection_cannot_write(db: Database) -> None:
    if not db.is_sqlite:
        pytest.skip("reads beneath SQLAlchemy are SQLite's")
    await make_tenant(db)
    reader = db._direct
    assert reader is not None
    await db.fetch(_AUTHENTICATE, {"token_id": "0" * 32})
    assert reader._conn is not None
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        reader._conn.execute("DELETE FROM api_tokens")


async def test_an_in_memory_database_reads_through_sqlalchemy() -> None:
    db = Database("sqlite+aiosqlite:///:memory:")
    try:
        assert db._direct is None  # a second connection would open another, empty database
        async with db.write() as conn:
            await conn.run_sync(t.metadata.create_all)
        assert await db.fetch(_AUTHENTICATE, {"token_id": "0" * 32}) == []
    finally:
        await db.dispose()


def test_prepare_refuses_what_it_would_run_differently(tmp_path: Path) -> None:
    dialect = Database(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}").engine.dialect
    with pytest.raises(ValueError, match="default"):  # instance_owner's default is Python's
        prepare(t.users.insert().values(id=sa.bindparam("id")), dialect)
    with pytest.raises(ValueError, match="RETURNING"):
        prepare(t.tenants.delete().returning(t.tenants.c.id), dialect)
    with pytest.raises(ValueError, match="unique"):
        prepare(sa.select(t.api_tokens.c.id, t.users.c.id), dialect)


_AUDIT_BACK = sa.select(t.audit_events).order_by(t.audit_events.c.id)
_TENANT_INSERT = t.tenants.insert().values(
    id=sa.bindparam("id"), name=sa.bindparam("name"),
    created_at=sa.bindparam("created_at", type_=t.tenants.c.created_at.type))


async def test_a_write_beneath_sqlalchemy_stores_what_sqlalchemy_would(db: Database) -> None:
    """The audit INSERT (a datetime and JSON among its parameters) run both ways: the rows read
    back are the same but for the id."""
    at = datetime(2026, 3, 4, 5, 6, 7, 890123, tzinfo=UTC)
    values = {"tenant_id": None, "at": at, "actor_type": "system", "actor_id": "a",
              "actor_label": "A", "via": "cli", "action": "x.y", "resource_type": "x",
              "resource_id": "1", "summary": {"k": [1, "two", None], "n": {"é": True}}}
    async with db.write() as conn:
        await sqlite_direct.execute(conn, audit._INSERT, values)
        await conn.execute(audit._INSERT, values)
    async with db.read() as conn:
        first, second = [tuple(r)[1:] for r in await conn.execute(_AUDIT_BACK)]
    assert first == second
    assert audit._utc(first[1]) == at and first[-1] == values["summary"]  # SQLite: naive UTC


async def test_a_write_beneath_sqlalchemy_is_part_of_its_transaction(db: Database) -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    with pytest.raises(RuntimeError):
        async with db.write() as conn:
            await sqlite_direct.execute(conn, _TENANT_INSERT,
                                        {"id": "gone", "name": "gone", "created_at": now})
            raise RuntimeError("roll back")
    async with db.write() as conn:
        outcome = await sqlite_direct.execute(conn, _TENANT_INSERT,
                                              {"id": "kept", "name": "kept", "created_at": now})
        assert outcome.rowcount == 1
    async with db.read() as conn:
        ids = set((await conn.scalars(sa.select(t.tenants.c.id))).all())
    assert "kept" in ids and "gone" not in ids


async def test_a_constraint_violation_beneath_sqlalchemy_is_sqlalchemys_error(
    db: Database,
) -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    row = {"id": "dup", "name": "dup", "created_at": now}
    async with db.write() as conn:
        await sqlite_direct.execute(conn, _TENANT_INSERT, row)
    with pytest.raises(sa.exc.IntegrityError):
        async with db.write() as conn:
            await sqlite_direct.execute(conn, _TENANT_INSERT, row)


async def test_literals_in_the_statement_are_bound_as_compiled(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'lit.db'}")
    try:
        await migrate.upgrade(db)
        now = datetime(2026, 1, 1, tzinfo=UTC)
        async with db.write() as conn:
            await conn.execute(t.tenants.insert(), [
                {"id": "a", "name": "alpha", "created_at": now},
                {"id": "b", "name": "beta", "created_at": now}])
        stmt = (sa.select(t.tenants.c.id, t.tenants.c.created_at)
                .where(t.tenants.c.name == "beta", t.tenants.c.id != sa.bindparam("not_id")))
        (row,) = await db.fetch(stmt, {"not_id": "x"})
        assert row.id == "b" and isinstance(row.created_at, datetime)
        assert await db.fetch(stmt, {"not_id": "b"}) == []
    finally:
        await db.dispose()
