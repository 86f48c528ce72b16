"""SQLite query plans of the lookups IdPs make, pinned with EXPLAIN QUERY PLAN.

Tessera ships no planner statistics, so SQLite plans from the schema alone, the same at 10 users
as at 100,000. The 100k bench found two lookups walking the whole tenant (an externalId lookup:
316 ms CPU instead of about 1 ms) and deep startIndex pages joining every row they skipped.
These tests fail if a plan goes back to a scan, without timing anything."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from backend.domain.filters import parse_filter
from backend.domain.queries import ListQuery, UserDraft
from backend.persistence.db import Database
from backend.persistence.migrate import upgrade
from backend.services import users
from tests.factories import make_tenant


async def _plans(tmp_path: Path, flt: str | None, start: int = 1) -> list[str]:
    """The plan lines of each SELECT that listing users with this filter runs."""
    path = tmp_path / "plans.db"
    db = Database(f"sqlite+aiosqlite:///{path}")
    caught: list[tuple[str, Any]] = []
    try:
        await upgrade(db)
        tf = await make_tenant(db)
        for n in range(3):
            await users.create_user(tf.ctx(), UserDraft(
                f"u{n}@example.com", {"emails": [{"value": f"u{n}@example.com",
                                                  "type": "work"}]}, f"ext{n}", True))

        def spy(conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
            if statement.startswith("SELECT users.id") or statement.startswith("SELECT count"):
                caught.append((statement, params))

        sa.event.listen(db.engine.sync_engine, "before_cursor_execute", spy)
        query = ListQuery(parse_filter(flt) if flt else None, None, False, start, 2)
        await users.list_users(tf.ctx(), query)
    finally:
        await db.dispose()
    raw = sqlite3.connect(path)
    try:
        return [" | ".join(row[3] for row in raw.execute(f"EXPLAIN QUERY PLAN {stmt}", params))
                for stmt, params in caught]
    finally:
        raw.close()


async def test_an_external_id_lookup_seeks_its_index(tmp_path: Path) -> None:
    (plan,) = await _plans(tmp_path, 'externalId eq "ext1"')
    assert "ix_memberships_tenant_id_external_id_user_id (tenant_id=? AND external_id=?)" in plan


async def test_an_email_lookup_starts_from_the_email_index(tmp_path: Path) -> None:
    (plan,) = await _plans(tmp_path, 'emails[type eq "work"].value eq "u1@example.com"')
    assert "user_emails USING INDEX ix_user_emails_value_norm (value_norm=?)" in plan
    assert "CORRELATED" not in plan  # not probed once per member of the tenant


async def test_a_deep_unfiltered_page_skips_on_the_membership_index_alone(
    tmp_path: Path,
) -> None:
    page, count = await _plans(tmp_path, None, start=2)  # a full page: the total is counted
    assert "LIST SUBQUERY" in page and "COVERING INDEX sqlite_autoindex_memberships_1" in page
    assert "COVERING INDEX sqlite_autoindex_memberships_1 (tenant_id=?)" in count
