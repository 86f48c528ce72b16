"""GraphQL probe (Tessera only): 100 groups with their first 20 members and bindings.

Latency is measured over HTTP against the server under test. The statement count comes from
one extra execution of the same query in-process against the same database, with a cursor hook:
it must not grow with the number of groups, members or users (DataLoaders batch per level).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:
    from bench.workload import Run

QUERY = """query($t: ID!) { tenant(id: $t) { groups(first: 100) { totalCount edges { node {
  id displayName members(first: 20) { totalCount edges { node { id userName } } }
  bindings { id role { id name } } } } } } }"""


def _check(run: Run, body: dict[str, Any]) -> None:
    if body.get("errors"):
        run.check(False, f"graphql errors: {body['errors'][:1]}")
        return
    groups = body["data"]["tenant"]["groups"]
    run.check(len(groups["edges"]) == min(100, groups["totalCount"]),
              f"graphql returned {len(groups['edges'])} of {groups['totalCount']} groups")
    for edge in groups["edges"]:
        node = edge["node"]
        want = run.members.get(node["id"])
        members = node["members"]
        if want is not None:
            run.check(members["totalCount"] == len(want)
                      and {e["node"]["id"] for e in members["edges"]} <= want
                      and len(members["edges"]) == min(20, len(want)),
                      f"graphql members of {node['id']}: {members['totalCount']} != {len(want)}")


async def probe(run: Run, client: httpx.AsyncClient, requests: int = 20) -> None:
    extra = run.target.extra
    headers = {"Authorization": f"Bearer {extra['admin_token']}"}
    payload = {"query": QUERY, "variables": {"t": "bench"}}
    url = f"{extra['root']}/graphql"

    async def once() -> None:
        body = await run.timed(client.post(url, json=payload, headers=headers))
        if body is not None:
            _check(run, body)

    async with run.phase("graphql_groups"):
        await run.pool([once for _ in range(requests)])
    run.observations["graphql_statements"] = await statement_count(
        extra["database_url"], headers, payload)


async def statement_count(url: str, headers: dict[str, str], payload: dict[str, Any]) -> int:
    """SQL statements one execution of the query runs, counted in-process."""
    from sqlalchemy import event

    from backend.app import create_app
    from backend.config import Settings
    from backend.persistence.db import Database

    db = Database(url)
    seen: list[str] = []

    def hook(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    try:
        app = create_app(Settings(database_url=url, scim_rate_per_second=0), db)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://probe") as local:
            # The first run warms caches and writes the token's lastUsedAt.
            await local.post("/graphql", json=payload, headers=headers)
            event.listen(db.engine.sync_engine, "before_cursor_execute", hook)
            stop_direct = db.listen_direct(seen.append)  # authentication, beneath SQLAlchemy
            response = await local.post("/graphql", json=payload, headers=headers)
            stop_direct()
            event.remove(db.engine.sync_engine, "before_cursor_execute", hook)
        if response.status_code != 200 or response.json().get("errors"):
            raise RuntimeError(f"graphql probe failed in-process: {response.text[:200]}")
        return len(seen)
    finally:
        await db.dispose()
