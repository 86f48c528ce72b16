"""Every error carries extensions.code; nothing internal leaks; limits are enforced."""

from __future__ import annotations

import pytest

from backend.services import groups
from tests.factories import TenantFixture, make_tenant

from .conftest import Client, errors_of, user_with_role

CREATE_ROLE = """mutation($t: ID!) {
  createRole(tenant: $t, input: {name: "Ops", permissions: ["FLOW:VIEW"]}) { role { id } }
}"""


async def test_unauthenticated(gql: Client, tf: TenantFixture) -> None:
    body = await gql("{ me { id } }")
    assert errors_of(body) == [("UNAUTHENTICATED", "missing bearer token")]
    body = await gql("{ me { id } }", token="tsr_0000000000000000_nope")
    assert errors_of(body)[0][0] == "UNAUTHENTICATED"


async def test_forbidden_for_viewer(gql: Client, tf: TenantFixture) -> None:
    _, token = await user_with_role(tf, "viewer@acme.test", "Viewer")
    body = await gql(CREATE_ROLE, token, t=tf.tenant)
    assert errors_of(body) == [("FORBIDDEN", "missing permission ROLE:CREATE")]
    assert body["data"] is None


async def test_not_found_in_other_tenant(gql: Client, tf: TenantFixture) -> None:
    other = await make_tenant(tf.db, "globex", email="admin@globex.test")
    theirs = await groups.create_group(other.ctx(), "Secret")
    _, token = await user_with_role(tf, "ops@acme.test", "Admin")
    body = await gql("query($t: ID!, $g: ID!) { tenant(id: $t) { group(id: $g) { id } } }",
                     token, t=tf.tenant, g=theirs.id)
    assert errors_of(body) == [("NOT_FOUND", f"group {theirs.id!r} not found")]
    body = await gql("query($t: ID!) { tenant(id: $t) { id } }", token, t="globex")
    assert errors_of(body) == [("NOT_FOUND", "tenant 'globex' not found")]


async def test_conflict(gql: Client, tf: TenantFixture) -> None:
    assert "errors" not in await gql(CREATE_ROLE, tf.admin_token, t=tf.tenant)
    body = await gql(CREATE_ROLE, tf.admin_token, t=tf.tenant)
    assert errors_of(body) == [("CONFLICT", "a role named 'Ops' already exists")]


@pytest.mark.parametrize(("query", "message"), [
    ('{ tenant(id: "acme") { users(filter: "userName zz \\"x\\"") { totalCount } } }',
     "invalid filter"),
    ('{ tenant(id: "acme") { users(after: "!!!") { totalCount } } }', "invalid cursor"),
    ('{ tenant(id: "acme") { can(resource: "NOPE", action: "VIEW") } }', "unknown permission"),
    ('mutation { createRole(tenant: "acme", input: {name: "X", permissions: ["FLOW:FLY"]}) '
     "{ role { id } } }", "FLOW:FLY"),
    ("{ nope }", "Cannot query field 'nope'"),
    ("{ me { id ", "Syntax Error"),
])
async def test_invalid(gql: Client, tf: TenantFixture, query: str, message: str) -> None:
    [(code, got)] = errors_of(await gql(query, tf.admin_token))
    assert code == "INVALID"
    assert message in got


async def test_page_size_limit(gql: Client, tf: TenantFixture) -> None:
    body = await gql('{ tenant(id: "acme") { groups(first: 101) { totalCount } } }',
                     tf.admin_token)
    assert errors_of(body) == [("INVALID", "first must be between 1 and 100 (got 101)")]
    body = await gql('{ tenant(id: "acme") { users(first: 0) { totalCount } } }',
                     tf.admin_token)
    assert errors_of(body)[0][0] == "INVALID"
    body = await gql('{ tenant(id: "acme") { groups { edges { node { members(first: 500) '
                     "{ totalCount } } } } } }", tf.admin_token)
    assert "errors" not in body  # no groups: the member page size is never resolved


async def test_depth_limit(gql: Client, tf: TenantFixture) -> None:
    deep = ('{ tenant(id: "acme") { groups { edges { node { managedBy { integration '
            "{ id } } bindings { role { id } } members { edges { node { id } } } } } } } }")
    assert "errors" not in await gql(deep, tf.admin_token)
    # Deeper than any real path: the limiter refuses it before anything runs.
    ridiculous = "{ me " + "{ tenants " * 12 + "{ id }" + " }" * 12 + " }"
    found = errors_of(await gql(ridiculous, tf.admin_token))
    assert ("INVALID", "'anonymous' exceeds maximum operation depth of 10") in found


async def test_alias_and_token_limits(gql: Client, tf: TenantFixture) -> None:
    aliases = "{ " + " ".join(f"a{i}: me {{ id }}" for i in range(20)) + " }"
    [(code, message)] = errors_of(await gql(aliases, tf.admin_token))
    assert code == "INVALID" and "aliases" in message
    tokens = "{ me { " + "id " * 3000 + "} }"
    [(code, message)] = errors_of(await gql(tokens, tf.admin_token))
    assert code == "INVALID" and "token" in message.lower()


async def test_unexpected_errors_are_masked(
    gql: Client, tf: TenantFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def boom(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("password=hunter2 at /srv/secret.py line 3")

    monkeypatch.setattr(groups, "list_groups", boom)
    body = await gql('{ tenant(id: "acme") { groups { totalCount } } }', tf.admin_token)
    assert errors_of(body) == [("INTERNAL", "internal error")]
    assert "hunter2" not in str(body)


GRANT = """mutation($t: ID!, $u: String!, $d: String) {
  grantTenantAccess(tenant: $t, userName: $u, displayName: $d) { user { id } } }"""


@pytest.mark.parametrize(("user_name", "display_name"), [
    ("a\tb@acme.test", None),            # control character in userName
    ("a\u200bb@acme.test", None),        # zero-width space: an invisible look-alike
    ("a\ud800b@acme.test", None),        # lone surrogate
    ("x" * 256, None),                   # over the identifier length
    ("ok@acme.test", "Ada\x00Lovelace"),  # NUL in a profile string
])
async def test_graphql_refuses_what_the_scim_door_refuses(
    gql: Client, tf: TenantFixture, user_name: str, display_name: str | None
) -> None:
    body = await gql(GRANT, tf.admin_token, t=tf.tenant, u=user_name, d=display_name)
    assert errors_of(body)[0][0] == "INVALID", body
    listed = await gql("""query($t: ID!) { tenant(id: $t) { users(first: 100) {
        edges { node { userName } } } } }""", tf.admin_token, t=tf.tenant)
    assert "ok@acme.test" not in str(listed)


async def test_graphql_group_names_follow_the_scim_rules(gql: Client, tf: TenantFixture) -> None:
    for name in ("ops\x00", "ops\nteam", "ops\ud800"):
        body = await gql("""mutation($t: ID!, $n: String!) { createGroup(tenant: $t,
            input: {displayName: $n}) { group { id } } }""", tf.admin_token, t=tf.tenant, n=name)
        assert errors_of(body)[0][0] == "INVALID", (name, body)
