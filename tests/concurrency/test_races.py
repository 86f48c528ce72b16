"""Races over real HTTP against a real server process, on SQLite and PostgreSQL.

Threads are released together by a barrier; the race decides who wins, never whether the
invariant holds, so every assertion is exact.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest

from tests.concurrency.clients import (
    GROUP_URN,
    Integration,
    Scim,
    create_users,
    members_of,
    open_integration,
    patch,
    race,
    user_body,
)
from tests.concurrency.conftest import Cluster

CLIENTS = 16
_names = itertools.count(1)


@pytest.fixture
def integration(cluster: Cluster) -> Integration:
    return open_integration(cluster.url, cluster.schema, cluster.procs[0].base, "race")


@pytest.fixture
def scim(cluster: Cluster, integration: Integration) -> Iterator[Scim]:
    client = integration.client(cluster.procs[0].base)
    yield client
    client.close()


def _clients(cluster: Cluster, integration: Integration, count: int,
             spread: bool = False) -> list[Scim]:
    """One HTTP client per racer; ``spread`` alternates them over the server processes."""
    procs = cluster.procs if spread else cluster.procs[:1]
    return [integration.client(procs[i % len(procs)].base) for i in range(count)]


def _member_race(cluster: Cluster, integration: Integration, scim: Scim, spread: bool) -> None:
    per = 2  # each client adds 2 new members and removes 2 of the initial ones, one by one
    ids = create_users(scim, [f"m{next(_names)}@race.test" for _ in range(CLIENTS * per * 2)])
    initial, fresh = ids[:CLIENTS * per], ids[CLIENTS * per:]
    group = scim.ok("POST", "/Groups", {"schemas": [GROUP_URN], "displayName": "Racers",
                                        "members": [{"value": u} for u in initial]}, 201)
    gid = group["id"]
    clients = _clients(cluster, integration, CLIENTS, spread)

    def work(i: int) -> list[int]:
        mine_add, mine_remove = fresh[i * per:(i + 1) * per], initial[i * per:(i + 1) * per]
        statuses = []
        for add, remove in zip(mine_add, mine_remove, strict=True):
            statuses.append(clients[i]("PATCH", f"/Groups/{gid}", patch(
                {"op": "add", "path": "members", "value": [{"value": add}]})).status_code)
            statuses.append(clients[i]("PATCH", f"/Groups/{gid}", patch(
                {"op": "remove", "path": f'members[value eq "{remove}"]'})).status_code)
        return statuses

    try:
        results = race(CLIENTS, work)
    finally:
        for c in clients:
            c.close()
    assert all(s == 204 for statuses in results for s in statuses), results
    assert members_of(scim, gid) == set(fresh)  # every add and every remove landed
    # Every PATCH bumped the version once: none was applied on a stale copy of the row.
    final = scim("GET", f"/Groups/{gid}")
    assert final.headers["etag"] == f'W/"{1 + CLIENTS * per * 2}"'


def test_concurrent_member_adds_and_removes_lose_nothing(
        cluster: Cluster, integration: Integration, scim: Scim) -> None:
    _member_race(cluster, integration, scim, spread=False)


def test_two_server_processes_patching_one_group_lose_nothing(
        cluster: Cluster, integration: Integration, scim: Scim) -> None:
    """Stateless API processes sharing one database: clients on both PATCH one group."""
    assert len(cluster.procs) == 2 and cluster.procs[0].base != cluster.procs[1].base
    _member_race(cluster, integration, scim, spread=True)


def test_concurrent_creates_of_one_user_name_give_one_201(
        cluster: Cluster, integration: Integration, scim: Scim) -> None:
    clients = _clients(cluster, integration, CLIENTS, spread=True)
    try:
        for _round in range(3):
            name = f"same{next(_names)}@race.test"
            # Case variants too: uniqueness is on the normalised userName.
            variants = [name, name.upper(), name.capitalize(), name.swapcase()]
            bodies = [user_body(variants[i % len(variants)]) for i in range(CLIENTS)]
            responses = race(CLIENTS, lambda i, b=bodies: clients[i]("POST", "/Users", b[i]))
            statuses = sorted(r.status_code for r in responses)
            assert statuses == [201] + [409] * (CLIENTS - 1), [r.text for r in responses]
            for r in responses:
                if r.status_code == 409:
                    assert r.json()["scimType"] == "uniqueness", r.text
            winner = next(r.json() for r in responses if r.status_code == 201)
            found = scim("GET", "/Users", params={"filter": f'userName eq "{name}"'}).json()
            assert [u["id"] for u in found.get("Resources", [])] == [winner["id"]], found
    finally:
        for c in clients:
            c.close()


def test_concurrent_creates_of_one_user_name_in_two_tenants_give_one_201_each(
        cluster: Cluster, integration: Integration) -> None:
    """Users are global: the tenant that loses the race for the new user links it instead."""
    other = open_integration(cluster.url, cluster.schema, cluster.procs[1].base, "race")
    tenants = [integration, other]
    clients = [tenants[i % 2].client(cluster.procs[i % 2].base) for i in range(CLIENTS)]
    try:
        for _round in range(3):
            name = f"both{next(_names)}@race.test"
            responses = race(CLIENTS, lambda i, n=name: clients[i](
                "POST", "/Users", user_body(n)))
            ids = set()
            for side in (0, 1):
                mine = [r for i, r in enumerate(responses) if i % 2 == side]
                statuses = sorted(r.status_code for r in mine)
                assert statuses == [201] + [409] * (len(mine) - 1), [r.text for r in mine]
                ids |= {r.json()["id"] for r in mine if r.status_code == 201}
            assert len(ids) == 1  # one global user, a member of both tenants
    finally:
        for c in clients:
            c.close()
