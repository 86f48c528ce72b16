"""The provisioning request log: one row per SCIM request, counts only, never secrets."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from backend.domain.errors import NotFound
from backend.persistence import tables as t
from backend.persistence.db import Database
from backend.services import request_log
from tests.reliability.conftest import Rel, open_rel
from tests.scim.conftest import patch_body, user_body

LOG = """query($t: ID!, $first: Int, $after: String, $status: Int) {
  tenant(id: $t) { integrations { id requestLog(first: $first, after: $after, status: $status) {
    edges { cursor node { id requestId at method path status scimType durationMs summary } }
    pageInfo { hasNextPage endCursor } } } } }"""


async def _log(rel: Rel, **variables: Any) -> dict[str, Any]:
    data = await rel.data(LOG, t=rel.scim.tenant.tenant, **variables)
    conn: dict[str, Any] = data["tenant"]["integrations"][0]["requestLog"]
    return conn


async def _rows(db: Database, *, flush: bool = True) -> list[Any]:
    if flush:  # what a reader through list_requests sees: this process's queue committed
        await db.flush_buffers()
    async with db.read() as conn:
        return list(await conn.execute(sa.select(t.provisioning_requests)
                                       .order_by(t.provisioning_requests.c.id)))


async def test_each_request_is_logged_with_its_request_id(rel: Rel) -> None:
    created = await rel.scim.post("/Users", user_body(password="Sup3r-Secret-Pw!"))
    assert created.status_code == 201
    user_id = created.json()["id"]
    missing = await rel.scim.get("/Users/nope")
    log = await _log(rel)
    nodes = [e["node"] for e in log["edges"]]
    assert [n["status"] for n in nodes] == [404, 201]  # newest first
    assert nodes[1]["requestId"] == created.headers["x-request-id"]
    assert nodes[0]["requestId"] == missing.headers["x-request-id"]
    assert nodes[1]["method"] == "POST" and nodes[1]["path"] == rel.scim.url("/Users")
    assert nodes[1]["summary"] == {"resourceType": "User", "resourceId": user_id}
    assert nodes[1]["scimType"] is None and nodes[1]["durationMs"] >= 0
    raw = str([tuple(r) for r in await _rows(rel.scim.db)])
    assert "Sup3r-Secret-Pw!" not in raw and rel.scim.secret not in raw


async def test_error_rows_carry_scim_type_and_query_is_dropped(rel: Rel) -> None:
    r = await rel.scim.get("/Users", params={"filter": "userName eq", "token": "abc123"})
    assert r.status_code == 400
    node = (await _log(rel))["edges"][0]["node"]
    assert node["scimType"] == "invalidFilter"
    assert node["path"] == rel.scim.url("/Users")  # no query string, whatever it held


async def test_summary_counts_members_and_bulk(rel: Rel) -> None:
    users = [(await rel.scim.post("/Users", user_body(f"u{i}@example.com"))).json()["id"]
             for i in range(3)]
    group = (await rel.scim.post("/Groups", {"displayName": "eng"})).json()["id"]
    r = await rel.scim.patch(f"/Groups/{group}", patch_body(
        {"op": "add", "path": "members", "value": [{"value": u} for u in users]},
        {"op": "remove", "path": f'members[value eq "{users[0]}"]'}))
    assert r.status_code in (200, 204)
    bulk = await rel.scim.post("/Bulk", {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
        "Operations": [{"method": "POST", "path": "/Users", "bulkId": "a",
                        "data": user_body("b1@example.com")},
                       {"method": "DELETE", "path": "/Users/nope"}]})
    assert bulk.status_code == 200
    nodes = [e["node"] for e in (await _log(rel))["edges"]]
    assert nodes[0]["summary"] == {"resourceType": "Bulk", "operations": 2, "failed": 1}
    assert nodes[1]["summary"] == {"resourceType": "Group", "resourceId": group,
                                   "operations": 2, "membersAdded": 3, "membersRemoved": 1}


async def test_401_for_a_known_integration_is_logged_without_the_token(rel: Rel) -> None:
    wrong = "tsr_0123456789abcdef_" + "x" * 40
    r = await rel.scim.client.get(rel.scim.url("/Users"),
                                  headers={"Authorization": f"Bearer {wrong}"})
    assert r.status_code == 401 and r.headers["x-request-id"]
    other = rel.scim.base.replace(rel.scim.integration_id, "unknown-integration")
    assert (await rel.scim.client.get(other + "/Users")).status_code == 401
    rows = await _rows(rel.scim.db)
    assert [(row.status, row.integration_id) for row in rows] == [
        (401, rel.scim.integration_id)]
    assert wrong not in str(tuple(rows[0])) and "x" * 40 not in str(tuple(rows[0]))


async def test_paging_and_status_filter(rel: Rel) -> None:
    for _ in range(3):
        await rel.scim.get("/Users")
        await rel.scim.get("/Users/nope")
    first = await _log(rel, first=4)
    assert len(first["edges"]) == 4 and first["pageInfo"]["hasNextPage"]
    rest = await _log(rel, first=4, after=first["pageInfo"]["endCursor"])
    assert len(rest["edges"]) == 2 and not rest["pageInfo"]["hasNextPage"]
    ids = [e["node"]["id"] for e in first["edges"] + rest["edges"]]
    assert ids == sorted(ids, key=int, reverse=True) and len(set(ids)) == 6
    only_404 = await _log(rel, status=404)
    assert [e["node"]["status"] for e in only_404["edges"]] == [404, 404, 404]


async def test_needs_integration_view_and_stays_in_its_tenant(rel: Rel) -> None:
    from tests.graphql.conftest import user_with_role

    _, viewer = await user_with_role(rel.scim.tenant, "viewer@acme.test", "Viewer")
    denied = await rel.gql(LOG, viewer, t=rel.scim.tenant.tenant)
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    await rel.scim.get("/Users")
    globex = await open_rel(rel.scim.db, tenant="globex")
    assert (await _log(globex))["edges"] == []  # acme's request is not in globex's log
    with pytest.raises(NotFound):  # acme's integration seen from globex does not exist
        await request_log.list_requests(globex.scim.tenant.ctx(), rel.scim.integration_id,
                                        first=5)
    await globex.scim.client.aclose()


async def test_retention_by_rows_and_age(db: Database) -> None:
    rel = await open_rel(db, request_log_max_rows=10, request_log_prune_every=1,
                         request_log_retention_days=1)
    now = [datetime(2026, 3, 1, tzinfo=UTC)]
    rel.scim.client._transport.app.state.request_log_clock = lambda: now[0]  # type: ignore
    for _ in range(15):
        await rel.scim.get("/Users")
    assert len(await _rows(db)) == 10
    now[0] += timedelta(days=2)
    await rel.scim.get("/Users")
    assert len(await _rows(db)) == 1
    await rel.scim.client.aclose()


def _entries(tenant_id: str, integration_id: str, n: int, tag: str = "req"
             ) -> list[request_log.Entry]:
    return [request_log.Entry(tenant_id, integration_id, f"{tag}-{i}", "GET", "/Users", 200,
                              None, 1, {}) for i in range(n)]


def _log_inserts(db: Database) -> list[str]:
    """The request log's INSERT statements run on ``db`` from now on."""
    inserts: list[str] = []
    sa.event.listen(db.engine.sync_engine, "before_cursor_execute",
                    lambda conn, cursor, sql, *rest: inserts.append(sql)
                    if sql.startswith("INSERT INTO provisioning_requests") else None)
    return inserts


async def test_queued_rows_are_committed_by_the_timer_in_one_transaction(db: Database) -> None:
    rel = await open_rel(db)
    tenant_id, integration_id = rel.scim.tenant.tenant, rel.scim.integration_id
    writer = request_log.RequestLog(db, request_log.Retention(30, 10_000, 1_000), linger=0)
    inserts = _log_inserts(db)
    for entry in _entries(tenant_id, integration_id, 30):
        writer.add(entry)  # as the SCIM door does after each response; nothing is awaited
    assert await _rows(db, flush=False) == []  # queued, not yet committed
    for _ in range(200):  # the timer fires on its own, without any flush
        if await _rows(db, flush=False):
            break
        await asyncio.sleep(0.01)
    assert len(inserts) == 1, len(inserts)  # all 30 rows in one statement, one transaction
    logged = await request_log.list_requests(rel.scim.tenant.ctx(), integration_id, first=100)
    assert sorted(r.request_id for r in logged) == sorted(f"req-{i}" for i in range(30))
    await rel.scim.client.aclose()


async def test_sequential_requests_share_a_commit_and_readers_see_them_all(
    db: Database,
) -> None:
    """Concurrency 1 was one log transaction per request; with a linger they share one. The
    long linger here keeps the timer out of the test: only the reader's flush commits."""
    rel = await open_rel(db, request_log_linger_ms=1000)
    inserts = _log_inserts(db)
    sent = [(await rel.scim.get("/Users")).headers["x-request-id"] for _ in range(5)]
    assert inserts == []  # five requests answered, their rows still queued
    log = await _log(rel, first=10)  # list_requests flushes the queue first
    assert [e["node"]["requestId"] for e in log["edges"]] == sent[::-1]
    assert len(inserts) == 1  # all five in one statement (one per request before)
    await rel.scim.client.aclose()


async def test_dispose_commits_what_is_queued(db: Database) -> None:
    """``Database.dispose`` commits registered buffers before it closes the engine (the app's
    lifespan also flushes them itself, for a database it does not own: test_graceful_shutdown)."""
    flushed: list[str] = []

    class Buffer:
        async def flush(self) -> None:
            flushed.append("flushed")

    other = Database("sqlite+aiosqlite:///:memory:")
    buffer = Buffer()
    other.register_buffer(buffer)
    await other.dispose()
    assert flushed == ["flushed"]


async def test_a_flush_commits_its_snapshot_and_rows_queued_meanwhile_get_their_own(
    db: Database,
) -> None:
    """Under load, rows keep arriving while a commit runs. A flush takes the rows queued when
    it starts; the rest wait for the timer they started, so no flush runs without end."""
    writer = request_log.RequestLog(db, request_log.Retention(30, 10_000, 1_000), linger=0)
    commits: list[list[str]] = []
    late = iter(_entries("acme", "i1", 6, "late"))

    async def commit(batch: list[tuple[request_log.Entry, Any]]) -> None:
        commits.append([entry.request_id for entry, _ in batch])
        for _ in range(3):  # three requests finish during each commit
            entry = next(late, None)
            if entry is not None:
                writer.add(entry)
        await asyncio.sleep(0)

    writer._commit = commit  # type: ignore[method-assign]
    for entry in _entries("acme", "i1", 2):
        writer.add(entry)
    await writer.flush()
    assert commits == [["req-0", "req-1"]]
    for _ in range(100):
        if sum(len(c) for c in commits) == 8:
            break
        await asyncio.sleep(0.01)
    assert commits[1:] == [["late-0", "late-1", "late-2"], ["late-3", "late-4", "late-5"]]


async def test_the_queue_is_bounded_when_commits_cannot_keep_up(
    db: Database, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(request_log, "MAX_PENDING", 5)
    writer = request_log.RequestLog(db, request_log.Retention(30, 10_000, 1_000), linger=3600)
    committed: list[str] = []

    async def commit(batch: list[tuple[request_log.Entry, Any]]) -> None:
        committed.extend(entry.request_id for entry, _ in batch)

    writer._commit = commit  # type: ignore[method-assign]
    for entry in _entries("acme", "i1", 8):
        writer.add(entry)
    await writer.flush()
    assert committed == [f"req-{i}" for i in range(5)]
    assert "dropped 3 SCIM request log row(s)" in caplog.text


async def test_after_a_flush_the_next_row_starts_a_timer_of_its_own(db: Database) -> None:
    """A flush takes the timer's rows, so it retires the timer: a row queued afterwards must
    not wait on a timer that has nothing left to do (or that belongs to a closed loop)."""
    writer = request_log.RequestLog(db, request_log.Retention(30, 10_000, 1_000), linger=3600)
    committed: list[str] = []

    async def commit(batch: list[tuple[request_log.Entry, Any]]) -> None:
        committed.extend(entry.request_id for entry, _ in batch)

    writer._commit = commit  # type: ignore[method-assign]
    first, second = _entries("acme", "i1", 2)
    writer.add(first)  # starts the hour-long timer
    await writer.flush()
    writer.linger = 0
    writer.add(second)
    for _ in range(100):
        if len(committed) == 2:
            break
        await asyncio.sleep(0.01)
    assert committed == ["req-0", "req-1"]
