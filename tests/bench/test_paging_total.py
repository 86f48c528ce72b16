"""A list page reports the right total whether it counts or the page itself proves the total.

The bench showed a count(*) over the filtered set on every page, eq lookups included; a short
page now proves the total instead. These tests hold the totals exact at every page position and
show which pages still count.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event

from backend.domain.filters import parse_filter
from backend.domain.queries import ListQuery
from backend.persistence.db import Database
from backend.services import users
from tests.factories import draft, make_tenant


@contextmanager
def counted(db: Database) -> Iterator[list[str]]:
    """The SQL statements that ran inside the block."""
    seen: list[str] = []

    def hook(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement.lower())

    event.listen(db.engine.sync_engine, "before_cursor_execute", hook)
    try:
        yield seen
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", hook)


def counts(statements: list[str]) -> int:
    return sum("count(" in s for s in statements)


@pytest.mark.parametrize(("start", "count", "cursor"), [
    (1, 100, None), (1, 7, None), (1, 3, None), (4, 3, None), (6, 3, None), (7, 3, None),
    (8, 3, None), (50, 3, None), (1, 0, None), (1, 3, ""), (1, 100, ""),
])
async def test_total_is_exact_at_every_page_position(
    db: Database, start: int, count: int, cursor: str | None,
) -> None:
    tf = await make_tenant(db)
    for i in range(6):
        await users.create_user(tf.ctx(), draft(f"u{i}@acme.test"))
    everyone = await users.list_users(tf.ctx(), ListQuery(count=1000))
    page = await users.list_users(tf.ctx(), ListQuery(start_index=start, count=count,
                                                      cursor=cursor))
    assert page.total == everyone.total == 7  # six users and the tenant's admin
    assert len(page.items) == max(0, min(count, 7 - (start - 1)))


async def test_a_short_page_skips_the_count_and_a_full_one_does_not(db: Database) -> None:
    tf = await make_tenant(db)
    for i in range(5):
        await users.create_user(tf.ctx(), draft(f"u{i}@acme.test"))
    lookup = ListQuery(filter=parse_filter('userName eq "u3@acme.test"'))
    with counted(db) as seen:
        page = await users.list_users(tf.ctx(), lookup)
    assert page.total == 1 and counts(seen) == 0
    with counted(db) as seen:
        page = await users.list_users(tf.ctx(), ListQuery(count=2))
    assert page.total == 6 and counts(seen) == 1
    with counted(db) as seen:  # past the end: the empty page proves nothing
        page = await users.list_users(tf.ctx(), ListQuery(start_index=20, count=2))
    assert page.total == 6 and page.items == [] and counts(seen) == 1
    missing = ListQuery(filter=parse_filter('userName eq "nobody@acme.test"'))
    with counted(db) as seen:
        page = await users.list_users(tf.ctx(), missing)
    assert page.total == 0 and counts(seen) == 0
