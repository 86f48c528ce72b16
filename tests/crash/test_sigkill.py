"""SIGKILL a real server in the middle of a provisioning run, restart it, and audit the data.

Promises checked, on a SQLite file and on PostgreSQL:
- every write that was answered 2xx is present after the restart;
- a multi-operation PATCH (50 members in 5 operations) is entirely present or entirely absent;
- a Bulk request is one transaction with a savepoint per operation (scim_adapter.bulk), so it
  is entirely present or entirely absent; an answered Bulk is present.
Where the kill lands is up to the scheduler; the assertions hold wherever it lands.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.concurrency.clients import (
    BULK_URN,
    GROUP_URN,
    Integration,
    Scim,
    create_users,
    open_integration,
    patch,
    user_body,
)
from tests.concurrency.procs import spawn, start
from tests.conftest import fresh_database

WORKERS = 4
KILL_AFTER = 24  # answered requests before the kill; workers keep sending meanwhile
PATCH_OPS, PER_OP = 5, 10


@dataclass
class Ledger:
    """What one client sent and what was answered (``answered`` is shared by all clients)."""

    answered: list[int]
    users: list[tuple[str, str | None]] = field(default_factory=list)  # (userName, id if 201)
    groups: list[tuple[str, bool, bool]] = field(default_factory=list)  # (name, created, patched)
    bulks: list[tuple[str, bool]] = field(default_factory=list)  # (tag, answered whole)


def _check(ledger: Ledger, r: httpx.Response, *ok: int) -> bool:
    ledger.answered.append(r.status_code)
    assert r.status_code in ok, r.text  # nothing may fail before the kill
    return True


def _bulk(tag: str, pool: list[str]) -> dict[str, Any]:
    """Two users, a group holding the first, then one PATCH of several operations."""
    adds = [{"op": "add", "path": "members",
             "value": [{"value": u} for u in pool[i * PER_OP:(i + 1) * PER_OP]]}
            for i in range(3)]
    adds.append({"op": "add", "path": "members", "value": [{"value": "bulkId:b"}]})
    return {"schemas": [BULK_URN], "Operations": [
        {"method": "POST", "path": "/Users", "bulkId": "a", "data": user_body(f"{tag}-a")},
        {"method": "POST", "path": "/Users", "bulkId": "b", "data": user_body(f"{tag}-b")},
        {"method": "POST", "path": "/Groups", "bulkId": "g", "data": {
            "schemas": [GROUP_URN], "displayName": tag, "members": [{"value": "bulkId:a"}]}},
        {"method": "PATCH", "path": "/Groups/bulkId:g", "data": patch(*adds)},
    ]}


def _step(scim: Scim, ledger: Ledger, pool: list[str], w: int, k: int) -> None:
    tag = f"w{w}-{k}"
    kind = k % 3
    if kind == 0:
        ledger.users.append((f"{tag}@crash.test", None))
        r = scim("POST", "/Users", user_body(f"{tag}@crash.test"))
        if _check(ledger, r, 201):
            ledger.users[-1] = (f"{tag}@crash.test", r.json()["id"])
    elif kind == 1:
        entry = len(ledger.groups)
        ledger.groups.append((tag, False, False))
        r = scim("POST", "/Groups", {"schemas": [GROUP_URN], "displayName": tag})
        _check(ledger, r, 201)
        ledger.groups[entry] = (tag, True, False)
        ops = [{"op": "add", "path": "members",
                "value": [{"value": u} for u in pool[i * PER_OP:(i + 1) * PER_OP]]}
               for i in range(PATCH_OPS)]
        r = scim("PATCH", f"/Groups/{r.json()['id']}", patch(*ops))
        _check(ledger, r, 204)
        ledger.groups[entry] = (tag, True, True)
    else:
        entry = len(ledger.bulks)
        ledger.bulks.append((tag, False))
        r = scim("POST", "/Bulk", _bulk(tag, pool))
        _check(ledger, r, 200)
        statuses = [o["status"] for o in r.json()["Operations"]]
        assert statuses == ["201", "201", "201", "204"], r.text
        ledger.bulks[entry] = (tag, True)


def _provision_until_killed(integration: Integration, base: str, pool: list[str],
                            kill: Any) -> list[Ledger]:
    answered: list[int] = []
    ledgers = [Ledger(answered) for _ in range(WORKERS)]
    errors: list[BaseException] = []

    def worker(w: int) -> None:
        scim, ledger = integration.client(base), ledgers[w]
        try:
            for k in range(w, 10_000):  # staggered: the kill finds each kind in flight
                _step(scim, ledger, pool, w, k)
        except httpx.TransportError:
            return  # the server is gone: this request is unanswered
        except BaseException as exc:  # reported by the test thread
            errors.append(exc)
        finally:
            scim.close()

    threads = [threading.Thread(target=worker, args=(w,)) for w in range(WORKERS)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 60
    while len(answered) < KILL_AFTER and not errors and time.monotonic() < deadline:
        time.sleep(0.01)
    kill()
    for t in threads:
        t.join(timeout=60)
    if errors:
        raise errors[0]
    assert len(answered) >= KILL_AFTER, "the run never got going"
    return ledgers


def _all(scim: Scim, path: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    while True:
        doc = scim.ok("GET", path + f"?count=500&startIndex={len(out) + 1}")
        out += doc.get("Resources", [])
        if len(out) >= doc["totalResults"]:
            return out


def _audit(scim: Scim, ledgers: list[Ledger], pool: list[str]) -> None:
    users = {u["userName"]: u["id"] for u in _all(scim, "/Users")}
    groups = {g["displayName"]: {m["value"] for m in g.get("members", [])}
              for g in _all(scim, "/Groups")}
    for name, answered_id in (u for ledger in ledgers for u in ledger.users):
        if answered_id is not None:
            assert users.get(name) == answered_id, name
    patch_members = set(pool[:PATCH_OPS * PER_OP])
    for name, created, patched in (g for ledger in ledgers for g in ledger.groups):
        if created:
            assert name in groups, name
        if name in groups:  # all 50 members or none: never a part of the PATCH
            assert groups[name] in (set(), patch_members), (name, len(groups[name]))
        if patched:
            assert groups[name] == patch_members, name
    for tag, whole in (b for ledger in ledgers for b in ledger.bulks):
        a, b = users.get(f"{tag}-a"), users.get(f"{tag}-b")
        members = groups.get(tag)
        # All four operations took effect, or none did.
        done = [a is not None, b is not None, members is not None,
                members is not None and b is not None and members == {a, b, *pool[:30]}]
        assert done in ([True] * 4, [False] * 4), (tag, done)
        if whole:
            assert all(done), tag


def test_sigkill_mid_provisioning_loses_no_answered_write_and_leaves_nothing_partial(
        backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    url, schema = fresh_database(backend, request, tmp_path)
    proc = start(url, schema, tmp_path)
    # The replacement imports during the run but opens the database only after the kill.
    again = spawn(url, schema, tmp_path, held=True)
    try:
        integration = open_integration(url, schema, proc.base, "crash")
        setup = integration.client(proc.base)
        pool = create_users(setup, [f"pool{i}@crash.test" for i in range(PATCH_OPS * PER_OP)])
        setup.close()
        ledgers = _provision_until_killed(integration, proc.base, pool, proc.kill)
        assert proc.popen.returncode == -9  # it really was SIGKILLed, not shut down
        again.release()
        scim = integration.client(again.base)
        _audit(scim, ledgers, pool)
        # The restarted server writes normally: no lock or journal was left behind.
        scim.ok("POST", "/Users", user_body("after@crash.test"), 201)
        scim.close()
    finally:
        proc.stop()
        again.stop()
    for server in (proc, again):
        assert not server.problems(), server.problems()[-3000:]
