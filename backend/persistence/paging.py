"""Paging for list queries: SCIM index paging (startIndex/count) and RFC 9865 cursors.

With the default order (by id) a cursor is the last id seen, so the next page is an index seek
(no OFFSET) and does not drift when rows are inserted or deleted between pages.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from backend.domain.errors import InvalidValue
from backend.domain.queries import ListQuery


@dataclass(frozen=True, slots=True)
class Window:
    rows: list[sa.Row[Any]]
    total: int
    start_index: int
    next_cursor: str | None


def encode_cursor(kind: str, value: str) -> str:
    return base64.urlsafe_b64encode(f"{kind}:{value}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[str, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidValue("invalid cursor", field="cursor") from None
    kind, sep, value = raw.partition(":")
    if not sep or kind not in ("id", "ix"):
        raise InvalidValue("invalid cursor", field="cursor")
    return kind, value


def page_size(query: ListQuery, default: int, maximum: int) -> int:
    size = default if query.count is None else query.count
    return max(0, min(size, maximum))


async def fetch(
    conn: AsyncConnection, base: sa.Select[Any], id_col: Any, query: ListQuery,
    *, sort_col: Any = None, default_size: int = 100, max_size: int = 1000,
    count: sa.Select[Any] | None = None, narrow: sa.Select[Any] | None = None,
) -> Window:
    """Run ``base`` (already filtered and tenant-scoped) for one page. ``count``: a cheaper
    statement that counts the same rows (an unfiltered list counts one index, not the join).
    ``narrow``: the same rows' ids from one index, in id order (unfiltered, unsorted lists): an
    OFFSET then skips index entries only, and only the page's rows are joined and read."""
    size = page_size(query, default_size, max_size)
    order = [] if sort_col is None else [sort_col.desc() if query.descending else sort_col.asc()]
    stmt = base.order_by(*order, id_col)
    start = max(1, query.start_index)
    if query.cursor:
        kind, value = decode_cursor(query.cursor)
        if kind == "id" and sort_col is None:
            stmt = stmt.where(id_col > value)
        elif kind == "ix" and value.isdigit():
            start = max(1, int(value))
            stmt = stmt.offset(start - 1)
        else:
            raise InvalidValue("cursor does not match this query", field="cursor")
    elif narrow is not None and sort_col is None and start > 1:
        page_ids = narrow.order_by(id_col).offset(start - 1).limit(size)
        stmt = stmt.where(id_col.in_(page_ids))
    else:
        stmt = stmt.offset(start - 1)
    rows = list((await conn.execute(stmt.limit(size))).all()) if size else []
    total = _proven_total(query, start, size, len(rows))
    if total is None:
        if count is None:
            count = sa.select(sa.func.count()).select_from(base.order_by(None).subquery())
        total = (await conn.execute(count)).scalar_one()
    next_cursor = None
    if query.cursor is not None and rows and len(rows) == size:
        next_cursor = (encode_cursor("id", rows[-1].id) if sort_col is None
                       else encode_cursor("ix", str(start + len(rows))))
    return Window(rows, total, start, next_cursor)


def _proven_total(query: ListQuery, start: int, size: int, got: int) -> int | None:
    """The total when an index page proves it, else None (and the caller counts).

    A short page (fewer rows than asked for) at offset ``start - 1`` ends the result set, so the
    total is ``start - 1 + got``, provided the page is not empty past the end or the very first
    one. This spares the count(*) over the whole filtered set on every eq lookup (one row) and
    on small lists; a cursor page (an id seek) proves nothing about the rows before it.
    """
    if query.cursor or size == 0 or got >= size:
        return None
    if got == 0 and start > 1:
        return None
    return start - 1 + got
