"""The bench end to end at a tiny size against a real Tessera process (no peer, no timings).

It proves the bench drives every phase, that Tessera passes its verification (exact member sets,
no lost updates at concurrency 2), that the verifier does flag a wrong member set, and that the
report has the promised shape. Timing is never asserted.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bench import report, servers
from bench.__main__ import run_once
from bench.graphql_probe import QUERY, statement_count
from bench.servers import Target
from bench.workload import Config, Run

PHASES = ["create_users", "create_groups", "add_members", "big_group_fill", "lookup_username",
          "lookup_externalid", "lookup_group", "list_users", "list_users_cursor",
          "patch_member_small", "patch_member_big", "graphql_groups", "patch_user_replace",
          "deactivate", "delete_users", "delete_groups"]
TINY = Config(users=30, groups=10, members=5, batch=10, page=10, lookups=5, incremental=6,
              big_ops=3, concurrency=2, graphql=3)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def target(request: pytest.FixtureRequest) -> Iterator[Target]:
    if request.param == "postgresql":
        request.getfixturevalue("pg_schema")  # skips (or fails under CI) without PostgreSQL
    with servers.tessera(pg=request.param == "postgresql") as found:
        yield found


def test_every_phase_runs_verified_and_reports(target: Target, tmp_path: Path) -> None:
    result = run_once(target, TINY, 1)
    assert result["failures"] == []
    assert list(result["phases"]) == PHASES
    phases = result["phases"]
    counts = {name: phases[name]["requests"] for name in PHASES}
    assert counts["create_users"] == 30
    assert counts["create_groups"] == 11  # ten small groups and the big one
    assert counts["add_members"] == 10
    assert counts["big_group_fill"] == 3  # 30 members in batches of 10
    assert counts["lookup_group"] == counts["lookup_username"] == 5
    assert counts["list_users"] == 4  # 30 users and the bootstrap admin, 10 per page
    assert counts["list_users_cursor"] >= 4
    assert counts["patch_member_big"] == 6  # 3 remove + re-add pairs
    assert 0 < counts["patch_member_small"] <= 6 and counts["patch_member_small"] % 2 == 0
    assert counts["patch_user_replace"] == counts["deactivate"] == 6
    assert counts["delete_users"] == 3 and counts["delete_groups"] == 1
    assert result["observations"]["dangling_members_after_delete"] == 0
    assert counts["graphql_groups"] == 3 and result["observations"]["graphql_statements"] > 0
    for summary in phases.values():
        assert summary["errors"] == {}
        assert summary["server_cpu_ms_per_req"] is not None and summary["server_rss_mib"] > 0
        for key in ("req_per_s", "p50_ms", "p95_ms", "p99_ms"):
            assert summary[key] is not None and summary[key] > 0
    assert len(phases["big_group_fill"]["series"]) == 3
    doc = report.build({"users": 30}, [result])
    path = tmp_path / "report.json"
    path.write_text(json.dumps(doc))
    loaded = json.loads(path.read_text())
    assert loaded["verified"] is True and set(loaded["median"]["tessera"]) == set(PHASES)
    assert loaded["scaling"]["tessera"][0]["patch_big_over_small_p50"] is not None
    assert "delete_groups" in report.table(loaded)


def test_the_verifier_flags_a_member_set_that_differs(target: Target) -> None:
    run = Run(target, TINY, "verifier")

    async def go() -> None:
        async with httpx.AsyncClient() as client:
            await run.create_users(client)
            await run.create_groups(client)
            gid = run.group_ids[0]
            await run.call(client, "PATCH", f"/Groups/{gid}", expect=204,
                           body={"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                                 "Operations": [{"op": "add", "path": "members",
                                                 "value": [{"value": run.user_ids[0]}]}]})
            run.members[gid] = {run.user_ids[1]}  # what a lost update would leave expected
            await run.expect_members(client, gid, "probe")

    asyncio.run(go())
    assert len(run.failures) == 1 and "1 unexpected, 1 missing" in run.failures[0]


def test_graphql_group_listing_statements_do_not_grow_with_the_directory(target: Target) -> None:
    """100 groups with members and bindings: the statement count is the same at 2 and 12 groups
    and at 1 and 6 members each (DataLoaders batch per level, no query per group)."""
    run = Run(target, Config(users=12, groups=2, members=1, batch=10, concurrency=2), "gq")
    extra = target.extra
    headers = {"Authorization": f"Bearer {extra['admin_token']}"}
    payload = {"query": QUERY, "variables": {"t": "bench"}}

    async def go() -> tuple[int, int]:
        async with httpx.AsyncClient() as client:
            await run.create_users(client)
            await run.create_groups(client)
            await run.add_members(client)
            small = await statement_count(extra["database_url"], headers, payload)
            run.config.groups, run.config.members, run.tag = 10, 6, "gq2"
            await run.create_groups(client)
            await run.add_members(client)
            return small, await statement_count(extra["database_url"], headers, payload)

    small, large = asyncio.run(go())
    assert run.failures == []
    assert small == large > 0
