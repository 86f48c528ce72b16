"""Accidental-deletion guard: an integration deprovisioning too much is held back."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from backend.persistence.db import Database
from tests.reliability.conftest import Rel, open_rel
from tests.scim.conftest import patch_body, scim_app, user_body

GUARD = {"deprovision_guard_percent": 20.0, "deprovision_guard_min_count": 2,
         "deprovision_guard_window_seconds": 3600}
STATE = """query($t: ID!) { tenant(id: $t) { integrations {
  deletionGuard { tripped trippedAt count windowStart held } } } }"""
RELEASE = """mutation($t: ID!, $id: ID!) {
  releaseProvisioningIntegrationGuard(tenant: $t, id: $id) {
    deletionGuard { tripped count held } } }"""


async def _users(rel: Rel, n: int) -> list[str]:
    return [(await rel.scim.post("/Users", user_body(f"u{i}@example.com"))).json()["id"]
            for i in range(n)]


async def _state(rel: Rel) -> dict[str, Any]:
    data = await rel.data(STATE, t=rel.scim.tenant.tenant)
    state: dict[str, Any] = data["tenant"]["integrations"][0]["deletionGuard"]
    return state


def _tenant_counts(db: Database) -> list[str]:
    """The count(*) statements over memberships (the tenant's size) that run from now on."""
    counted: list[str] = []

    def spy(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        if "count(" in statement.lower() and "memberships" in statement:
            counted.append(statement)

    sa.event.listen(db.engine.sync_engine, "before_cursor_execute", spy)
    return counted


def _held(r: httpx.Response) -> None:
    assert r.status_code == 403, r.text
    assert "accidental-deletion guard" in r.json()["detail"]


async def test_trips_holds_every_deprovisioning_door_and_is_released(db: Database) -> None:
    rel = await open_rel(db, **GUARD)
    users = await _users(rel, 10)  # joined before the window opens, so they count
    assert (await rel.scim.delete(f"/Users/{users[0]}")).status_code == 204
    assert (await rel.scim.delete(f"/Users/{users[1]}")).status_code == 204
    _held(await rel.scim.delete(f"/Users/{users[2]}"))  # 3 > max(2, 20% of 10)
    deactivate = patch_body({"op": "replace", "path": "active", "value": False})
    _held(await rel.scim.patch(f"/Users/{users[3]}", deactivate))
    _held(await rel.scim.put(f"/Users/{users[4]}", user_body("u4@example.com", active=False)))
    bulk = await rel.scim.post("/Bulk", {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
        "Operations": [{"method": "DELETE", "path": f"/Users/{users[5]}"}]})
    assert bulk.json()["Operations"][0]["status"] == "403"
    # Everything that is not deprovisioning keeps flowing.
    assert (await rel.scim.post("/Users", user_body("new@example.com"))).status_code == 201
    state = await _state(rel)
    assert state["tripped"] and state["trippedAt"] and state["count"] == 2
    assert state["held"] == 4
    assert (await rel.scim.get(f"/Users/{users[2]}")).status_code == 200  # not removed
    ids = {"t": rel.scim.tenant.tenant, "id": rel.scim.integration_id}
    released = (await rel.data(RELEASE, **ids))["releaseProvisioningIntegrationGuard"]
    assert released["deletionGuard"] == {"tripped": False, "count": 0, "held": 0}
    assert (await rel.scim.delete(f"/Users/{users[2]}")).status_code == 204
    events = await rel.data("""query($t: ID!) { tenant(id: $t) {
      auditEvents(first: 50, filter: {resourceType: "integration"}) {
        edges { node { action via } } } } }""", t=rel.scim.tenant.tenant)
    actions = [(e["node"]["action"], e["node"]["via"])
               for e in events["tenant"]["auditEvents"]["edges"]]
    assert ("integration.deletion_guard_tripped", "scim") in actions
    assert ("integration.release_deletion_guard", "graphql") in actions
    await rel.scim.client.aclose()


async def test_the_count_is_shared_by_several_server_processes(db: Database) -> None:
    rel = await open_rel(db, **GUARD)
    users = await _users(rel, 10)
    # A second app over the same database stands for a second server process.
    other = httpx.AsyncClient(transport=httpx.ASGITransport(app=scim_app(db, **GUARD)),
                              base_url="http://testserver",
                              headers={"Authorization": f"Bearer {rel.scim.secret}"})
    assert (await rel.scim.delete(f"/Users/{users[0]}")).status_code == 204
    assert (await other.delete(rel.scim.url(f"/Users/{users[1]}"))).status_code == 204
    _held(await other.delete(rel.scim.url(f"/Users/{users[2]}")))
    _held(await rel.scim.delete(f"/Users/{users[3]}"))
    await other.aclose()
    await rel.scim.client.aclose()


async def test_churn_of_users_created_in_the_window_and_admins_are_not_held(
    db: Database,
) -> None:
    rel = await open_rel(db, **GUARD)
    (first,) = await _users(rel, 1)
    assert (await rel.scim.delete(f"/Users/{first}")).status_code == 204  # opens the window
    for i in range(5):  # created and deleted inside the window: churn, not the population
        made = (await rel.scim.post("/Users", user_body(f"c{i}@example.com"))).json()["id"]
        assert (await rel.scim.delete(f"/Users/{made}")).status_code == 204
    assert not (await _state(rel))["tripped"]
    await rel.scim.client.aclose()


async def test_guard_state_is_tenant_scoped(rel: Rel) -> None:
    globex = await open_rel(rel.scim.db, tenant="globex")
    body = await globex.gql(RELEASE, t="globex", id=rel.scim.integration_id)
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    body = await globex.gql(RELEASE, token=globex.scim.tenant.admin_token, t="acme",
                            id=rel.scim.integration_id)
    assert body["errors"][0]["extensions"]["code"] in ("NOT_FOUND", "FORBIDDEN")
    await globex.scim.client.aclose()


async def test_deprovisioning_under_the_floor_does_not_count_the_tenant(db: Database) -> None:
    """Below min_count the limit is known without the tenant's size: no count(*) over its
    memberships, so a delete costs the same in a tenant of 10 or 100,000 users."""
    rel = await open_rel(db, **{**GUARD, "deprovision_guard_min_count": 3})
    users = await _users(rel, 6)
    counted = _tenant_counts(db)
    assert (await rel.scim.delete(f"/Users/{users[0]}")).status_code == 204
    assert (await rel.scim.delete(f"/Users/{users[1]}")).status_code == 204
    assert (await rel.scim.delete(f"/Users/{users[2]}")).status_code == 204
    assert counted == []
    _held(await rel.scim.delete(f"/Users/{users[3]}"))  # 4 > max(3, 20% of 6): counted now
    assert counted


async def test_the_tenant_is_counted_once_per_window(db: Database) -> None:
    """Past min_count the limit needs the tenant's size: it is counted once and kept with the
    window, so later deprovisions stay flat in tenant size and the base does not shrink."""
    rel = await open_rel(db, **{**GUARD, "deprovision_guard_percent": 50.0})
    users = await _users(rel, 8)
    counted = _tenant_counts(db)
    for user in users[:4]:  # 4 <= max(2, 50% of 8)
        assert (await rel.scim.delete(f"/Users/{user}")).status_code == 204
    assert len(counted) == 1  # at the third, the first past min_count
    _held(await rel.scim.delete(f"/Users/{users[4]}"))  # 5 > 50% of 8 (not of the 4 left)
    assert len(counted) == 1
    assert (await _state(rel))["count"] == 4


async def test_a_new_window_starts_the_count_again(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.scim import conftest as scim_conftest

    rel = await open_rel(db, **{**GUARD, "deprovision_guard_percent": 50.0})
    users = await _users(rel, 8)
    for user in users[:3]:  # within max(2, 50% of 8); the tenant is counted at the third
        assert (await rel.scim.delete(f"/Users/{user}")).status_code == 204
    first = await _state(rel)
    assert first["count"] == 3
    # Two hours on (the window is one): the count starts again from these three.
    monkeypatch.setattr(scim_conftest, "FIXED", scim_conftest.FIXED + timedelta(hours=2))
    for user in users[3:6]:
        assert (await rel.scim.delete(f"/Users/{user}")).status_code == 204
    second = await _state(rel)
    assert second["count"] == 3 and second["windowStart"] > first["windowStart"]


async def test_a_deprovision_in_an_open_window_is_one_guard_statement(db: Database) -> None:
    rel = await open_rel(db, **GUARD)
    users = await _users(rel, 10)
    assert (await rel.scim.delete(f"/Users/{users[0]}")).status_code == 204  # opens the window
    seen: list[str] = []

    def on_direct(statement: str) -> None:
        if "deletion_guards" in statement:
            seen.append(statement.split()[0])

    def spy(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        on_direct(statement)

    # Through SQLAlchemy or beneath it (sqlite_direct, on SQLite).
    sa.event.listen(db.engine.sync_engine, "before_cursor_execute", spy)
    stop_direct = db.listen_direct(on_direct)
    try:
        assert (await rel.scim.delete(f"/Users/{users[1]}")).status_code == 204
    finally:
        stop_direct()
        sa.event.remove(db.engine.sync_engine, "before_cursor_execute", spy)
    assert seen == ["UPDATE"]
    assert (await _state(rel))["count"] == 2
