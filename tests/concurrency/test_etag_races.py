"""Conditional writes under races: of N writes carrying the same ETag, exactly one wins.

The others get 412 (RFC 7232 §3.1: a false If-Match refuses the method, also when the winner
deleted the resource), and the final state is the winner's write, ETag included.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest

from tests.concurrency.clients import (
    GROUP_URN,
    Integration,
    Scim,
    create_users,
    open_integration,
    patch,
    race,
    user_body,
)
from tests.concurrency.conftest import Cluster

WRITERS = 8
ROUNDS = {"PUT": ["PUT"] * WRITERS, "PATCH": ["PATCH"] * WRITERS,
          "DELETE": ["DELETE"] * WRITERS,
          "mixed": [("PUT", "PATCH", "DELETE")[i % 3] for i in range(WRITERS)]}


@pytest.fixture(scope="module")
def setup(cluster: Cluster) -> Iterator[tuple[Integration, Scim, list[Scim]]]:
    integration = open_integration(cluster.url, cluster.schema, cluster.procs[0].base, "etag")
    main = integration.client(cluster.procs[0].base)
    # Racers alternate over both server processes: the database must arbitrate.
    racers = [integration.client(cluster.procs[i % 2].base) for i in range(WRITERS)]
    yield integration, main, racers
    for c in [main, *racers]:
        c.close()


Write = Callable[[Scim, int, str, str], httpx.Response]


def _race(racers: list[Scim], kinds: list[str], etag: str, write: Write,
          success: dict[str, int]) -> int:
    """Run the conditional writes; asserts one success and 412 for the rest; returns the
    winner's index. ``success`` is each method's success status."""
    responses = race(WRITERS, lambda i: write(racers[i], i, kinds[i], etag))
    winners = [i for i, r in enumerate(responses) if r.status_code < 300]
    assert len(winners) == 1, [(r.status_code, r.text) for r in responses]
    for i, r in enumerate(responses):
        if i != winners[0]:
            assert r.status_code == 412, (kinds[i], r.status_code, r.text)
    won = responses[winners[0]]
    assert won.status_code == success[kinds[winners[0]]], won.text
    return winners[0]


@pytest.mark.parametrize("round_", list(ROUNDS))
def test_conditional_user_writes_have_one_winner(
        setup: tuple[Integration, Scim, list[Scim]], round_: str) -> None:
    _, main, racers = setup
    name = f"etag-{round_}@race.test"
    created = main("POST", "/Users", user_body(name, displayName="start"))
    assert created.status_code == 201, created.text
    uid, etag = created.json()["id"], created.headers["etag"]
    answers: dict[int, httpx.Response] = {}

    def write(scim: Scim, i: int, kind: str, tag: str) -> httpx.Response:
        headers = {"If-Match": tag}
        if kind == "PUT":
            r = scim("PUT", f"/Users/{uid}", user_body(name, displayName=f"w{i}"), headers)
        elif kind == "PATCH":
            r = scim("PATCH", f"/Users/{uid}", patch(
                {"op": "replace", "path": "displayName", "value": f"w{i}"}), headers)
        else:
            r = scim("DELETE", f"/Users/{uid}", None, headers)
        answers[i] = r
        return r

    winner = _race(racers, ROUNDS[round_], etag, write, {"PUT": 200, "PATCH": 200, "DELETE": 204})
    final = main("GET", f"/Users/{uid}")
    if ROUNDS[round_][winner] == "DELETE":
        assert final.status_code == 404, final.text
        return
    assert final.status_code == 200 and final.json()["displayName"] == f"w{winner}", final.text
    assert final.headers["etag"] == answers[winner].headers["etag"] != etag


@pytest.mark.parametrize("round_", list(ROUNDS))
def test_conditional_group_writes_have_one_winner(
        setup: tuple[Integration, Scim, list[Scim]], round_: str) -> None:
    _, main, racers = setup
    tag = round_
    users = create_users(main, [f"g{tag}-{i}@race.test" for i in range(WRITERS + 1)])
    created = main("POST", "/Groups", {"schemas": [GROUP_URN], "displayName": f"G-{tag}",
                                       "members": [{"value": users[-1]}]})
    assert created.status_code == 201, created.text
    gid, etag = created.json()["id"], created.headers["etag"]
    answers: dict[int, httpx.Response] = {}

    def write(scim: Scim, i: int, kind: str, tag_: str) -> httpx.Response:
        headers = {"If-Match": tag_}
        if kind == "PUT":  # replaces the members with the writer's own user
            r = scim("PUT", f"/Groups/{gid}", {
                "schemas": [GROUP_URN], "displayName": f"G-{tag}-w{i}",
                "members": [{"value": users[i]}]}, headers)
        elif kind == "PATCH":  # adds the writer's own user
            r = scim("PATCH", f"/Groups/{gid}", patch(
                {"op": "replace", "path": "displayName", "value": f"G-{tag}-w{i}"},
                {"op": "add", "path": "members", "value": [{"value": users[i]}]}), headers)
        else:
            r = scim("DELETE", f"/Groups/{gid}", None, headers)
        answers[i] = r
        return r

    # A group PATCH answers 204 (see scim_adapter.handlers.group_item).
    winner = _race(racers, ROUNDS[round_], etag, write, {"PUT": 200, "PATCH": 204, "DELETE": 204})
    final = main("GET", f"/Groups/{gid}")
    kind = ROUNDS[round_][winner]
    if kind == "DELETE":
        assert final.status_code == 404, final.text
        return
    doc = final.json()
    want = {users[winner]} if kind == "PUT" else {users[winner], users[-1]}
    assert doc["displayName"] == f"G-{tag}-w{winner}", doc
    assert {m["value"] for m in doc["members"]} == want, doc
    assert final.headers["etag"] == answers[winner].headers["etag"] != etag


def test_conditional_write_after_the_resource_was_deleted_is_412(
        setup: tuple[Integration, Scim, list[Scim]]) -> None:
    """What a race's losers see, in sequence: If-Match on a deleted resource is 412 (its
    condition is false); without If-Match the same request stays a 404."""
    _, main, _ = setup
    user = main("POST", "/Users", user_body("gone@race.test"))
    group = main("POST", "/Groups", {"schemas": [GROUP_URN], "displayName": "Gone"})
    for doc, path in ((user, f"/Users/{user.json()['id']}"),
                      (group, f"/Groups/{group.json()['id']}")):
        assert doc.status_code == 201, doc.text
        tag = {"If-Match": doc.headers["etag"]}
        assert main("DELETE", path, None, tag).status_code == 204
        body = patch({"op": "replace", "path": "displayName", "value": "x"})
        assert main("PATCH", path, body, tag).status_code == 412
        assert main("DELETE", path, None, tag).status_code == 412
        assert main("DELETE", path, None, {"If-Match": "*"}).status_code == 412
        assert main("PATCH", path, body).status_code == 404
        assert main("DELETE", path).status_code == 404
