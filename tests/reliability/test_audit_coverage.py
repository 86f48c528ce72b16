"""Every write through every door records an audit event: GraphQL mutations, SCIM write
routes and CLI write commands are enumerated, so a new one without an event fails here."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from typer.main import get_command
from typer.testing import CliRunner

from backend import cli
from backend.config import get_settings
from backend.persistence import tables as t
from backend.persistence.db import Database
from graphql_schema.schema import schema
from scim_adapter import handlers
from tests.reliability.conftest import Rel
from tests.scim.conftest import patch_body, user_body

Vars = Callable[[dict[str, Any]], dict[str, Any]]
# (mutation, document, variables from the state, where the new id is in the answer)
STEPS: list[tuple[str, str, Vars, str | None]] = [
    ("createProvisioningIntegration", "(tenant: $t, input: {name: \"okta\"}) "
     "{ integration { id } }", lambda s: {}, "integration"),
    ("updateProvisioningIntegration", "(tenant: $t, id: $id, input: {description: \"d\"}) "
     "{ integration { id } }", lambda s: {"id": s["integration"]}, None),
    ("rotateProvisioningIntegrationToken", "(tenant: $t, id: $id) { integration { id } }",
     lambda s: {"id": s["integration"]}, None),
    ("addProvisioningIntegrationSecret", "(tenant: $t, id: $id) { secret { id } }",
     lambda s: {"id": s["integration"]}, "secret"),
    ("revokeProvisioningIntegrationSecret", "(tenant: $t, id: $id, secretId: $s) "
     "{ secret { id } }", lambda s: {"id": s["integration"], "s": s["secret"]}, None),
    ("releaseProvisioningIntegrationGuard", "(tenant: $t, id: $id) "
     "{ deletionGuard { tripped } }", lambda s: {"id": s["integration"]}, None),
    ("deleteProvisioningIntegration", "(tenant: $t, id: $id) { id }",
     lambda s: {"id": s["integration"]}, None),
    ("createRole", "(tenant: $t, input: {name: \"ops\", permissions: [\"FLOW:VIEW\"]}) "
     "{ role { id } }", lambda s: {}, "role"),
    ("updateRole", "(tenant: $t, id: $id, input: {description: \"d\"}) { role { id } }",
     lambda s: {"id": s["role"]}, None),
    ("grantTenantAccess", "(tenant: $t, userName: \"g@example.com\") { user { id } }",
     lambda s: {}, "user"),
    ("createBinding", "(tenant: $t, input: {roleId: $id, subjectType: USER, subjectId: $s}) "
     "{ binding { id } }", lambda s: {"id": s["role"], "s": s["user"]}, "binding"),
    ("deleteBinding", "(tenant: $t, id: $id) { id }", lambda s: {"id": s["binding"]}, None),
    ("deleteRole", "(tenant: $t, id: $id) { id }", lambda s: {"id": s["role"]}, None),
    ("createGroup", "(tenant: $t, input: {displayName: \"g\"}) { group { id } }",
     lambda s: {}, "group"),
    ("updateGroup", "(tenant: $t, id: $id, input: {displayName: \"g2\"}) { group { id } }",
     lambda s: {"id": s["group"]}, None),
    ("addGroupMembers", "(tenant: $t, groupId: $id, userIds: [$s]) { group { id } }",
     lambda s: {"id": s["group"], "s": s["user"]}, None),
    ("removeGroupMembers", "(tenant: $t, groupId: $id, userIds: [$s]) { group { id } }",
     lambda s: {"id": s["group"], "s": s["user"]}, None),
    ("deleteGroup", "(tenant: $t, id: $id) { id }", lambda s: {"id": s["group"]}, None),
    ("setUserActive", "(tenant: $t, id: $id, active: false) { user { id } }",
     lambda s: {"id": s["user"]}, None),
    ("revokeTenantAccess", "(tenant: $t, userId: $id) { id }", lambda s: {"id": s["user"]},
     None),
    ("createServiceAccount", "(tenant: $t, input: {name: \"bot\"}) { serviceAccount { id } }",
     lambda s: {}, "serviceAccount"),
    ("createApiToken", "(tenant: $t, input: {name: \"mine\"}) { token { id } }",
     lambda s: {}, "token"),
    ("revokeApiToken", "(tenant: $t, id: $id) { token { id } }", lambda s: {"id": s["token"]},
     None),
    ("deleteServiceAccount", "(tenant: $t, id: $id) { id }",
     lambda s: {"id": s["serviceAccount"]}, None),
    ("createTenant", "(id: \"globex\") { tenant { id } }", lambda s: {}, None),
]


def _document(name: str, body: str, variables: dict[str, Any]) -> str:
    declared = ", ".join(["$t: ID!"] * ("$t" in body) + [f"${k}: ID!" for k in variables])
    return f"mutation({declared}) {{ {name}{body} }}" if declared else \
        f"mutation {{ {name}{body} }}"


async def _events(db: Database) -> list[Any]:
    async with db.read() as conn:
        return list(await conn.execute(sa.select(t.audit_events)
                                       .order_by(t.audit_events.c.id)))


async def test_every_graphql_mutation_is_audited(rel: Rel) -> None:
    mutations = set(schema._schema.mutation_type.fields)  # type: ignore[union-attr]
    assert {name for name, *_ in STEPS} == mutations, "cover the new mutation here"
    state: dict[str, Any] = {}
    for name, body, make_vars, keep in STEPS:
        variables = make_vars(state)
        before = len(await _events(rel.scim.db))
        data = await rel.data(_document(name, body, variables), t="acme", **variables)
        if keep is not None:
            state[keep] = data[name][keep]["id"]
        new = (await _events(rel.scim.db))[before:]
        assert new, f"{name} recorded no audit event"
        assert {(e.via, e.actor_id) for e in new} == {("graphql", rel.scim.tenant.admin.id)}


def _scim_write_routes() -> set[tuple[str, str]]:
    reads = {handlers.users_search, handlers.groups_search, handlers.root_search, handlers.me}
    return {(pattern.pattern, method) for pattern, methods in handlers.ROUTES
            for method, handler in methods.items()
            if method in ("POST", "PUT", "PATCH", "DELETE") and handler not in reads}


async def test_every_scim_write_route_is_audited(rel: Rel) -> None:
    s = rel.scim
    user = (await s.post("/Users", user_body())).json()["id"]
    group = (await s.post("/Groups", {"displayName": "eng"})).json()["id"]
    calls: list[tuple[str, str, Callable[[], Awaitable[httpx.Response]]]] = [
        (r"/Users/?", "POST", lambda: s.post("/Users", user_body("b@example.com"))),
        (r"/Users/(?P<id>[^/]+)", "PUT", lambda: s.put(f"/Users/{user}",
                                                        user_body(displayName="A"))),
        (r"/Users/(?P<id>[^/]+)", "PATCH", lambda: s.patch(f"/Users/{user}", patch_body(
            {"op": "replace", "path": "displayName", "value": "B"}))),
        (r"/Groups/?", "POST", lambda: s.post("/Groups", {"displayName": "ops"})),
        (r"/Groups/(?P<id>[^/]+)", "PUT", lambda: s.put(f"/Groups/{group}",
                                                         {"displayName": "eng2"})),
        (r"/Groups/(?P<id>[^/]+)", "PATCH", lambda: s.patch(f"/Groups/{group}", patch_body(
            {"op": "add", "path": "members", "value": [{"value": user}]}))),
        (r"/Groups/(?P<id>[^/]+)", "DELETE", lambda: s.delete(f"/Groups/{group}")),
        (r"/Users/(?P<id>[^/]+)", "DELETE", lambda: s.delete(f"/Users/{user}")),
    ]
    assert {(p, m) for p, m, _ in calls} == _scim_write_routes(), "cover the new route here"
    for _, method, call in [*calls, ("/Bulk", "POST", lambda: s.post("/Bulk", {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
            "Operations": [{"method": "POST", "path": "/Users", "bulkId": "c",
                            "data": user_body("c@example.com")}]}))]:
        before = len(await _events(s.db))
        response = await call()
        assert response.status_code < 300, (method, response.text)
        new = (await _events(s.db))[before:]
        assert new and {e.via for e in new} == {"scim"}, (method, response.text)


READ_ONLY_COMMANDS = {"migrate", "serve", "list"}


def _commands(group: Any) -> set[str]:
    found: set[str] = set()
    for name, command in group.commands.items():
        found |= _commands(command) if hasattr(command, "commands") else {name}
    return found


def test_every_cli_write_command_is_audited(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TESSERA_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
    get_settings.cache_clear()
    runner = CliRunner()

    def run(*args: str) -> str:
        result = runner.invoke(cli.app, list(args))
        assert result.exit_code == 0, result.output
        return result.output

    def count() -> int:
        engine = sa.create_engine(f"sqlite:///{tmp_path / 'cli.db'}")
        with engine.connect() as conn:
            vias = [r.via for r in conn.execute(sa.select(t.audit_events.c.via))]
        engine.dispose()
        return len(vias)

    steps: list[tuple[str, Callable[[dict[str, str]], list[str]]]] = [
        ("bootstrap", lambda s: ["bootstrap", "--tenant", "main", "--admin-email", "r@x.test"]),
        ("create", lambda s: ["integrations", "create", "--tenant", "main", "--name", "okta",
                              "--json"]),
        ("disable", lambda s: ["integrations", "disable", "--tenant", "main", "--id", s["id"]]),
        ("enable", lambda s: ["integrations", "enable", "--tenant", "main", "--id", s["id"]]),
        ("add-secret", lambda s: ["integrations", "add-secret", "--tenant", "main", "--id",
                                  s["id"], "--expires-in-days", "3", "--json"]),
        ("revoke-secret", lambda s: ["integrations", "revoke-secret", "--tenant", "main",
                                     "--id", s["id"], "--secret-id", s["secret_id"]]),
        ("release-guard", lambda s: ["integrations", "release-guard", "--tenant", "main",
                                     "--id", s["id"]]),
    ]
    commands = _commands(get_command(cli.app)) - READ_ONLY_COMMANDS
    assert {name for name, _ in steps} == commands, "cover the new CLI command here"
    state: dict[str, str] = {}
    try:
        for name, args in steps:
            before = count() if name != "bootstrap" else 0
            output = run(*args(state))
            if name in ("create", "add-secret"):
                state.update(json.loads(output))
            assert count() > before, f"{name} recorded no audit event"
    finally:
        get_settings.cache_clear()
