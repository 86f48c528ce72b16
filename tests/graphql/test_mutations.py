"""Mutations and paging through the GraphQL door, end to end over HTTP."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from backend.app import create_app
from backend.config import Settings
from backend.domain.errors import Unauthenticated
from backend.persistence.db import Database
from backend.services import authn
from tests.factories import TenantFixture

from .conftest import Client, errors_of, user_with_role


def data(body: dict[str, Any]) -> Any:
    assert "errors" not in body, body
    return body["data"]


async def _role_id(gql: Client, tf: TenantFixture, name: str) -> str:
    roles = data(await gql('query($t: ID!) { tenant(id: $t) { roles { id name } } }',
                           tf.admin_token, t=tf.tenant))["tenant"]["roles"]
    return str(next(r["id"] for r in roles if r["name"] == name))


async def test_role_lifecycle(gql: Client, tf: TenantFixture) -> None:
    created = data(await gql("""mutation($t: ID!) { createRole(tenant: $t, input: {
        name: "Auditors", legacyPermissions: [{permission: "AUDITLOG", actions: ["READ"]}]})
        { role { id permissions managed } } }""", tf.admin_token, t=tf.tenant))
    role = created["createRole"]["role"]
    assert role["permissions"] == ["AUDITLOG:EXPORT", "AUDITLOG:LIST", "AUDITLOG:VIEW"]
    updated = data(await gql("""mutation($t: ID!, $id: ID!) { updateRole(tenant: $t, id: $id,
        input: {name: "Auditors 2", permissions: ["AUDITLOG:VIEW"]})
        { role { name permissions } } }""", tf.admin_token, t=tf.tenant, id=role["id"]))
    assert updated["updateRole"]["role"] == {"name": "Auditors 2",
                                             "permissions": ["AUDITLOG:VIEW"]}
    deleted = data(await gql("""mutation($t: ID!, $id: ID!) { deleteRole(tenant: $t, id: $id)
        { id } }""", tf.admin_token, t=tf.tenant, id=role["id"]))
    assert deleted["deleteRole"]["id"] == role["id"]

    admin_role = await _role_id(gql, tf, "Admin")
    body = await gql("""mutation($t: ID!, $id: ID!) { updateRole(tenant: $t, id: $id,
        input: {description: "mine"}) { role { id } } }""", tf.admin_token, t=tf.tenant,
                     id=admin_role)
    assert errors_of(body) == [("FORBIDDEN", "Admin is a managed role and cannot be edited")]
    body = await gql("""mutation($t: ID!, $id: ID!) { deleteRole(tenant: $t, id: $id)
        { id } }""", tf.admin_token, t=tf.tenant, id=admin_role)
    assert errors_of(body) == [("FORBIDDEN", "Admin is a managed role and cannot be deleted")]


async def test_bindings_and_last_admin(gql: Client, tf: TenantFixture) -> None:
    bindings = data(await gql('query($t: ID!) { tenant(id: $t) { bindings { id subjectId '
                              'role { name } } } }', tf.admin_token, t=tf.tenant))
    [admin_binding] = bindings["tenant"]["bindings"]
    assert admin_binding["subjectId"] == tf.admin.id
    body = await gql("""mutation($t: ID!, $id: ID!) { deleteBinding(tenant: $t, id: $id)
        { id } }""", tf.admin_token, t=tf.tenant, id=admin_binding["id"])
    assert errors_of(body) == [("CONFLICT", "this would remove the tenant's last Admin binding")]
    effective = data(await gql("""query($t: ID!, $u: ID!) { tenant(id: $t) {
        effectivePermissions(subject: {type: USER, id: $u}) { permission namespace } } }""",
                               tf.admin_token, t=tf.tenant, u=tf.admin.id))
    assert {"permission": "ROLE:CREATE", "namespace": None} in \
        effective["tenant"]["effectivePermissions"]
    body = await gql("""query($t: ID!) { tenant(id: $t) {
        effectivePermissions(subject: {type: GROUP, id: "nope"}) { permission } } }""",
                     tf.admin_token, t=tf.tenant)
    assert errors_of(body) == [("NOT_FOUND", "group 'nope' not found")]


async def test_viewer_can_and_cannot(gql: Client, tf: TenantFixture) -> None:
    _, token = await user_with_role(tf, "viewer@acme.test", "Viewer")
    body = data(await gql("""query($t: ID!) { tenant(id: $t) {
        flow: can(resource: "FLOW", action: "VIEW", namespace: "prod")
        role: can(resource: "ROLE", action: "CREATE") } }""", token, t=tf.tenant))
    assert body["tenant"] == {"flow": True, "role": False}


async def test_groups_members_and_paging(gql: Client, tf: TenantFixture) -> None:
    ids = []
    for i in range(5):
        body = data(await gql("""mutation($t: ID!, $n: String!) { grantTenantAccess(
            tenant: $t, userName: $n) { user { id } } }""", tf.admin_token, t=tf.tenant,
                              n=f"user{i}@acme.test"))
        ids.append(body["grantTenantAccess"]["user"]["id"])
    group = data(await gql("""mutation($t: ID!) { createGroup(tenant: $t,
        input: {displayName: "Team"}) { group { id } } }""", tf.admin_token,
                           t=tf.tenant))["createGroup"]["group"]["id"]
    added = data(await gql("""mutation($t: ID!, $g: ID!, $u: [ID!]!) { addGroupMembers(
        tenant: $t, groupId: $g, userIds: $u) { group { members { totalCount } } } }""",
                           tf.admin_token, t=tf.tenant, g=group, u=ids))
    assert added["addGroupMembers"]["group"]["members"]["totalCount"] == 5

    member_query = """query($t: ID!, $g: ID!, $a: String) { tenant(id: $t) { group(id: $g) {
        members(first: 2, after: $a) { pageInfo { hasNextPage endCursor }
        edges { node { id } } } } } }"""
    seen: list[str] = []
    after = None
    while True:
        page = data(await gql(member_query, tf.admin_token, t=tf.tenant, g=group, a=after)
                    )["tenant"]["group"]["members"]
        seen += [e["node"]["id"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == sorted(ids)

    user_query = """query($t: ID!, $a: String) { tenant(id: $t) { users(first: 2, after: $a,
        filter: "userName sw \\"user\\"") { totalCount pageInfo { hasNextPage endCursor }
        edges { node { id } } } } }"""
    users: list[str] = []
    after = None
    while True:
        page = data(await gql(user_query, tf.admin_token, t=tf.tenant, a=after)
                    )["tenant"]["users"]
        assert page["totalCount"] == 5
        users += [e["node"]["id"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert users == sorted(ids)

    removed = data(await gql("""mutation($t: ID!, $g: ID!, $u: [ID!]!) { removeGroupMembers(
        tenant: $t, groupId: $g, userIds: $u) { group { members { totalCount } } } }""",
                             tf.admin_token, t=tf.tenant, g=group, u=ids[:2]))
    assert removed["removeGroupMembers"]["group"]["members"]["totalCount"] == 3
    renamed = data(await gql("""mutation($t: ID!, $g: ID!) { updateGroup(tenant: $t, id: $g,
        input: {displayName: "Team B", externalId: "tb"}) { group { displayName externalId }
        } }""", tf.admin_token, t=tf.tenant, g=group))
    assert renamed["updateGroup"]["group"] == {"displayName": "Team B", "externalId": "tb"}
    revoked = data(await gql("""mutation($t: ID!, $u: ID!) { revokeTenantAccess(tenant: $t,
        userId: $u) { id } }""", tf.admin_token, t=tf.tenant, u=ids[2]))
    assert revoked["revokeTenantAccess"]["id"] == ids[2]
    data(await gql("""mutation($t: ID!, $g: ID!) { deleteGroup(tenant: $t, id: $g) { id } }""",
                   tf.admin_token, t=tf.tenant, g=group))
    body = await gql("""query($t: ID!, $g: ID!) { tenant(id: $t) { group(id: $g) { id } } }""",
                     tf.admin_token, t=tf.tenant, g=group)
    assert errors_of(body)[0][0] == "NOT_FOUND"
    dup = await gql("""mutation($t: ID!) { grantTenantAccess(tenant: $t,
        userName: "user0@acme.test") { user { id } } }""", tf.admin_token, t=tf.tenant)
    assert errors_of(dup)[0][0] == "CONFLICT"


async def test_tokens(gql: Client, tf: TenantFixture) -> None:
    account = data(await gql("""mutation($t: ID!) { createServiceAccount(tenant: $t,
        input: {name: "deployer"}) { serviceAccount { id name } } }""", tf.admin_token,
                             t=tf.tenant))["createServiceAccount"]["serviceAccount"]
    issued = data(await gql("""mutation($t: ID!, $sa: ID!) { createApiToken(tenant: $t,
        input: {serviceAccountId: $sa, name: "deploy", expiresAt: "2099-01-01T00:00:00Z"})
        { token { id name prefix expiresAt } secret } }""", tf.admin_token, t=tf.tenant,
                            sa=account["id"]))["createApiToken"]
    assert issued["secret"].startswith(issued["token"]["prefix"])
    assert issued["token"]["expiresAt"].startswith("2099-01-01T00:00:00")
    actor = await authn.authenticate(tf.db, issued["secret"])
    assert actor.id == account["id"]

    own = data(await gql("""mutation($t: ID!) { createApiToken(tenant: $t,
        input: {name: "laptop"}) { token { id name } secret } }""", tf.admin_token,
                         t=tf.tenant))["createApiToken"]
    me = data(await gql("{ me { id } }", own["secret"]))
    assert me["me"]["id"] == tf.admin.id

    revoked = data(await gql("""mutation($t: ID!, $id: ID!) { revokeApiToken(tenant: $t,
        id: $id) { token { id revokedAt } } }""", tf.admin_token, t=tf.tenant,
                             id=issued["token"]["id"]))
    assert revoked["revokeApiToken"]["token"]["id"] == issued["token"]["id"]
    with pytest.raises(Unauthenticated):
        await authn.authenticate(tf.db, issued["secret"])
    body = await gql("""mutation($t: ID!) { createApiToken(tenant: $t, input: {name: "x",
        expiresAt: "2000-01-01T00:00:00Z"}) { secret } }""", tf.admin_token, t=tf.tenant)
    assert errors_of(body) == [("INVALID", "expiry must be in the future")]


async def test_create_tenant(gql: Client, tf: TenantFixture) -> None:
    created = data(await gql("""mutation { createTenant(id: "initech", name: "Initech")
        { tenant { id name } } }""", tf.admin_token))
    assert created["createTenant"]["tenant"] == {"id": "initech", "name": "Initech"}
    me = data(await gql("{ me { instanceOwner tenants { id } } }", tf.admin_token))
    assert me["me"] == {"instanceOwner": True, "tenants": [{"id": "acme"}, {"id": "initech"}]}
    _, token = await user_with_role(tf, "dev@acme.test", "Developer")
    body = await gql('mutation { createTenant(id: "evil") { tenant { id } } }', token)
    assert errors_of(body) == [("FORBIDDEN", "only the instance owner may do this")]
    body = await gql('mutation { createTenant(id: "initech") { tenant { id } } }',
                     tf.admin_token)
    assert errors_of(body) == [("CONFLICT", "tenant 'initech' already exists")]


async def test_graphiql_served(gql: Client) -> None:
    response = await gql.http.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200 and "graphiql" in response.text.lower()


async def test_graphiql_can_be_switched_off(db: Database) -> None:
    app = create_app(Settings(database_url=db.url, graphiql=False), db=db)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://test") as http:
        response = await http.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 404


async def test_set_user_active_suspends_and_restores_access(
    gql: Client, tf: TenantFixture
) -> None:
    """setUserActive is SCIM's `active` through the admin door: a suspended user's token
    stops reaching the tenant, reactivation restores it, and both are audited."""
    user_id, token = await user_with_role(tf, "viewer@acme.test", "Viewer")
    probe = "{ me { tenants { id } } }"

    async def tenants() -> list[str]:
        return [x["id"] for x in data(await gql(probe, token))["me"]["tenants"]]

    assert await tenants() == [tf.tenant]
    toggle = """mutation($t: ID!, $id: ID!, $a: Boolean!) { setUserActive(tenant: $t, id: $id,
        active: $a) { user { id active } } }"""
    suspended = data(await gql(toggle, tf.admin_token, t=tf.tenant, id=user_id, a=False))
    assert suspended["setUserActive"]["user"] == {"id": user_id, "active": False}
    assert await tenants() == []
    # A suspended user cannot reactivate themselves.
    body = await gql(toggle, token, t=tf.tenant, id=user_id, a=True)
    assert "errors" in body
    restored = data(await gql(toggle, tf.admin_token, t=tf.tenant, id=user_id, a=True))
    assert restored["setUserActive"]["user"]["active"] is True
    assert await tenants() == [tf.tenant]
    events = data(await gql("""query($t: ID!, $id: String) { tenant(id: $t) {
        auditEvents(filter: {resourceId: $id}) { edges { node { action via } } } } }""",
                            tf.admin_token, t=tf.tenant, id=user_id))
    actions = [e["node"] for e in events["tenant"]["auditEvents"]["edges"]]
    assert actions.count({"action": "user.update", "via": "graphql"}) == 2


async def test_user_groups_and_single_integration(gql: Client, tf: TenantFixture) -> None:
    user_id, _ = await user_with_role(tf, "member@acme.test", None)
    group = data(await gql("""mutation($t: ID!, $u: [ID!]) { createGroup(tenant: $t,
        input: {displayName: "Ops", memberIds: $u}) { group { id } } }""", tf.admin_token,
                           t=tf.tenant, u=[user_id]))["createGroup"]["group"]["id"]
    found = data(await gql("""query($t: ID!, $id: ID!) { tenant(id: $t) { user(id: $id) {
        groups { id displayName } } } }""", tf.admin_token, t=tf.tenant, id=user_id))
    assert found["tenant"]["user"]["groups"] == [{"id": group, "displayName": "Ops"}]

    created = data(await gql("""mutation($t: ID!) { createProvisioningIntegration(tenant: $t,
        input: {name: "Okta"}) { integration { id name } } }""", tf.admin_token, t=tf.tenant))
    integration = created["createProvisioningIntegration"]["integration"]
    one = data(await gql("""query($t: ID!, $id: ID!) { tenant(id: $t) { integration(id: $id) {
        id name } } }""", tf.admin_token, t=tf.tenant, id=integration["id"]))
    assert one["tenant"]["integration"] == integration
    missing = await gql("""query($t: ID!) { tenant(id: $t) { integration(id: "nope") { id } } }""",
                        tf.admin_token, t=tf.tenant)
    assert errors_of(missing)[0][0] == "NOT_FOUND"


async def test_delete_service_account_removes_its_tokens(gql: Client, tf: TenantFixture) -> None:
    account = data(await gql("""mutation($t: ID!) { createServiceAccount(tenant: $t,
        input: {name: "short-lived"}) { serviceAccount { id } } }""", tf.admin_token,
                             t=tf.tenant))["createServiceAccount"]["serviceAccount"]
    issued = data(await gql("""mutation($t: ID!, $sa: ID!) { createApiToken(tenant: $t,
        input: {serviceAccountId: $sa, name: "t"}) { secret } }""", tf.admin_token,
                            t=tf.tenant, sa=account["id"]))["createApiToken"]
    assert (await authn.authenticate(tf.db, issued["secret"])).id == account["id"]
    deleted = data(await gql("""mutation($t: ID!, $id: ID!) { deleteServiceAccount(tenant: $t,
        id: $id) { id } }""", tf.admin_token, t=tf.tenant, id=account["id"]))
    assert deleted["deleteServiceAccount"]["id"] == account["id"]
    with pytest.raises(Unauthenticated):
        await authn.authenticate(tf.db, issued["secret"])
    again = await gql("""mutation($t: ID!, $id: ID!) { deleteServiceAccount(tenant: $t,
        id: $id) { id } }""", tf.admin_token, t=tf.tenant, id=account["id"])
    assert errors_of(again)[0][0] == "NOT_FOUND"


async def test_an_integrations_service_account_cannot_be_deleted_alone(
    gql: Client, tf: TenantFixture
) -> None:
    created = data(await gql("""mutation($t: ID!) { createProvisioningIntegration(tenant: $t,
        input: {name: "entra"}) { integration { id } } }""", tf.admin_token, t=tf.tenant))
    assert created["createProvisioningIntegration"]["integration"]["id"]
    accounts = data(await gql("""query($t: ID!) { tenant(id: $t) { serviceAccounts { id } } }""",
                              tf.admin_token, t=tf.tenant))["tenant"]["serviceAccounts"]
    assert len(accounts) == 1
    body = await gql("""mutation($t: ID!, $id: ID!) { deleteServiceAccount(tenant: $t,
        id: $id) { id } }""", tf.admin_token, t=tf.tenant, id=accounts[0]["id"])
    assert errors_of(body)[0][0] == "FORBIDDEN"


async def test_deleting_the_service_account_holding_the_last_admin_binding_is_refused(
    gql: Client, tf: TenantFixture
) -> None:
    account = data(await gql("""mutation($t: ID!) { createServiceAccount(tenant: $t,
        input: {name: "root-bot"}) { serviceAccount { id } } }""", tf.admin_token,
                             t=tf.tenant))["createServiceAccount"]["serviceAccount"]
    listed = data(await gql("""query($t: ID!) { tenant(id: $t) { roles { id name }
        bindings { id subjectType role { name } } } }""", tf.admin_token, t=tf.tenant))["tenant"]
    admin_role = next(r["id"] for r in listed["roles"] if r["name"] == "Admin")
    data(await gql("""mutation($t: ID!, $r: ID!, $s: ID!) { createBinding(tenant: $t,
        input: {roleId: $r, subjectType: SERVICE_ACCOUNT, subjectId: $s}) { binding { id } } }""",
                   tf.admin_token, t=tf.tenant, r=admin_role, s=account["id"]))
    sa_token = data(await gql("""mutation($t: ID!, $sa: ID!) { createApiToken(tenant: $t,
        input: {serviceAccountId: $sa, name: "t"}) { secret } }""", tf.admin_token,
                              t=tf.tenant, sa=account["id"]))["createApiToken"]["secret"]
    for binding in listed["bindings"]:
        if binding["subjectType"] == "USER" and binding["role"]["name"] == "Admin":
            data(await gql("""mutation($t: ID!, $id: ID!) { deleteBinding(tenant: $t, id: $id)
                { id } }""", tf.admin_token, t=tf.tenant, id=binding["id"]))
    body = await gql("""mutation($t: ID!, $id: ID!) { deleteServiceAccount(tenant: $t,
        id: $id) { id } }""", sa_token, t=tf.tenant, id=account["id"])
    assert errors_of(body) == [("CONFLICT", "this would remove the tenant's last Admin binding")]
    still = data(await gql("""query($t: ID!) { tenant(id: $t) { serviceAccounts { id } } }""",
                           sa_token, t=tf.tenant))["tenant"]["serviceAccounts"]
    assert [a["id"] for a in still] == [account["id"]]
