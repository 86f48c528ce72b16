"""Transactions per SCIM request. Each costs a connection checkout, BEGIN and COMMIT, which the
bench measured as a large share of a request's CPU (four per request before: authentication,
the operation, the user's groups, the request log).

A read (GET, POST .search) runs in one transaction; a write runs one transaction for the
change and the user's groups. Authentication is one statement before either: on SQLite it
runs beneath SQLAlchemy with no transaction (``sqlite_direct``), on PostgreSQL in the read's
transaction or, before a write, in one of its own. The request log
commits later, many requests' rows in one transaction (the long linger below keeps its timer
out of these counts)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from backend.persistence.db import Database
from tests.scim.conftest import Scim, open_scim, patch_body, user_body


@pytest.fixture
async def scim(db: Database) -> AsyncIterator[Scim]:
    s = await open_scim(db, request_log_linger_ms=1000)
    yield s
    await s.client.aclose()


@asynccontextmanager
async def _transactions(db: Database, *, settle: bool = True) -> AsyncIterator[list[int]]:
    """Transactions begun inside the block. With ``settle``, earlier requests' log rows are
    committed first, and a request's own row waits for its timer (1 s): neither is counted."""
    if settle:
        await db.flush_buffers()
    began: list[int] = []

    def on_begin(conn: Any) -> None:
        began.append(1)

    sa.event.listen(db.engine.sync_engine, "begin", on_begin)
    try:
        yield began
    finally:
        sa.event.remove(db.engine.sync_engine, "begin", on_begin)


async def test_a_read_and_a_write_each_run_one_transaction_and_the_log_none(
    db: Database, scim: Scim
) -> None:
    created = await scim.post("/Users", user_body("tx@example.com"))  # also stamps last_used
    user_id = created.json()["id"]
    search = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"]}
    reads: list[Callable[[], Awaitable[httpx.Response]]] = [
        lambda: scim.get("/Users", params={"filter": 'userName eq "tx@example.com"'}),
        lambda: scim.get(f"/Users/{user_id}"),
        lambda: scim.post("/.search", search),
    ]
    for read in reads:
        async with _transactions(db) as began:
            response = await read()
        assert response.status_code == 200, response.text
        assert len(began) == 1, response.request.url  # the request's; its log row is queued
    async with _transactions(db) as began:
        response = await scim.patch(f"/Users/{user_id}", patch_body(
            {"op": "replace", "path": "displayName", "value": "Tx"}))
    assert response.status_code == 200 and response.json()["groups"] == []
    # The change (with its groups); on PostgreSQL authentication's transaction before it.
    assert len(began) == (1 if db.is_sqlite else 2)
    async with _transactions(db, settle=False) as began:
        await db.flush_buffers()
    assert len(began) == 1  # the PATCH's queued log row, committed by the flush


async def test_creating_an_empty_group_reads_no_members_afterwards(
    db: Database, scim: Scim
) -> None:
    await scim.get("/Groups")  # stamps the token's last use
    async with _transactions(db) as began:
        response = await scim.post("/Groups", {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Tx"})
    assert response.status_code == 201, response.text
    assert response.json().get("members", []) == []
    assert len(began) == (1 if db.is_sqlite else 2)  # the create (and authentication's)


@asynccontextmanager
async def _statements(db: Database) -> AsyncIterator[list[str]]:
    """SQL statements run inside the block (earlier requests' log rows committed first),
    through SQLAlchemy or beneath it (``Database.fetch``)."""
    await db.flush_buffers()
    seen: list[str] = []

    def on_direct(statement: str) -> None:
        seen.append(" ".join(statement.split()))

    def on_execute(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        on_direct(statement)

    sa.event.listen(db.engine.sync_engine, "before_cursor_execute", on_execute)
    stop_direct = db.listen_direct(on_direct)
    try:
        yield seen
    finally:
        stop_direct()
        sa.event.remove(db.engine.sync_engine, "before_cursor_execute", on_execute)


def _touching(statements: list[str], table: str) -> list[str]:
    return [s for s in statements if f" {table} " in f"{s} " or f"{table}." in s]


async def test_a_scim_request_reads_its_grants_with_its_token(db: Database, scim: Scim) -> None:
    await scim.get("/Groups")  # stamps the token's last use
    async with _statements(db) as seen:
        response = await scim.post("/Users", user_body("grants@example.com"))
    assert response.status_code == 201, response.text
    # The authentication statement is the only one that reads roles: authz asks no more.
    roles = _touching(seen, "roles")
    assert len(roles) == 1 and "api_tokens" in roles[0], seen
    if db.is_sqlite:  # authentication's one statement is its own transaction: no BEGIN
        assert [s for s in seen if s.startswith("BEGIN")] == ["BEGIN IMMEDIATE"], seen


async def test_a_user_delete_leaves_its_groups_through_the_database(
    db: Database, scim: Scim
) -> None:
    user_id = (await scim.post("/Users", user_body("leaver@example.com"))).json()["id"]
    group = await scim.post("/Groups", {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Leavers",
        "members": [{"value": user_id}]})
    assert group.status_code == 201, group.text
    async with _statements(db) as seen:
        response = await scim.delete(f"/Users/{user_id}")
    assert response.status_code == 204, response.text
    # No statement of the application's touches group_members: the trigger on memberships
    # (migration 0005) removes the rows, which the group's member list confirms.
    assert _touching(seen, "group_members") == [], seen
    members = (await scim.get(f"/Groups/{group.json()['id']}")).json().get("members", [])
    assert members == []
