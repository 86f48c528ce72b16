"""Representative responses, snapshotted with a fixed clock and sequential ids."""

from __future__ import annotations

from syrupy.assertion import SnapshotAssertion

from tests.factories import TenantFixture

from .conftest import Client, normalise

SETUP = """mutation($t: ID!) {
  role: createRole(tenant: $t, input: {name: "Flow operators", description: "ops",
    permissions: ["FLOW:VIEW", "FLOW:EXECUTE"],
    legacyPermissions: [{permission: "EXECUTION", actions: ["READ"]}]}) {
    role { id name description managed permissions } }
  ada: grantTenantAccess(tenant: $t, userName: "ada@acme.test", displayName: "Ada",
    emails: ["ada@acme.test"], externalId: "ext-ada") {
    user { id userName displayName emails active externalId managedBy { integration { id } } } }
  bob: grantTenantAccess(tenant: $t, userName: "bob@acme.test") { user { id userName } }
  robot: createServiceAccount(tenant: $t, input: {name: "ci-robot", description: "CI"}) {
    serviceAccount { id name description createdAt } }
}"""

READ = """query($t: ID!) {
  me { label type instanceOwner tenants { id name } }
  tenant(id: $t) {
    id name
    users(first: 2) { totalCount pageInfo { hasNextPage }
      edges { node { userName displayName emails active externalId } } }
    groups(first: 10, filter: "displayName sw \\"Eng\\"") { totalCount
      edges { cursor node { id displayName externalId managedBy { integration { id } }
        members(first: 1) { totalCount pageInfo { hasNextPage endCursor }
          edges { cursor node { id userName displayName } } }
        bindings { subjectType namespace createdAt role { name } } } } }
    serviceAccounts { name description }
    effectivePermissions(subject: {type: GROUP, id: "id-0005"}) { permission namespace }
    canRun: can(resource: "FLOW", action: "EXECUTE", namespace: "prod")
    auditEvents(first: 3, filter: {via: "graphql"}) { pageInfo { hasNextPage }
      edges { node { action resourceType resourceId via actorLabel at summary } } }
  }
}"""


async def test_representative_responses(
    fixed_gql: Client, tf: TenantFixture, snapshot: SnapshotAssertion
) -> None:
    setup = await fixed_gql(SETUP, tf.admin_token, t=tf.tenant)
    assert "errors" not in setup, setup
    role_id = setup["data"]["role"]["role"]["id"]
    ada, bob = setup["data"]["ada"]["user"]["id"], setup["data"]["bob"]["user"]["id"]
    group = await fixed_gql("""mutation($t: ID!, $u: [ID!]!) { createGroup(tenant: $t,
        input: {displayName: "Engineering", externalId: "eng", memberIds: $u})
        { group { id displayName } } }""", tf.admin_token, t=tf.tenant, u=[ada, bob])
    group_id = group["data"]["createGroup"]["group"]["id"]
    assert group_id == "id-0005"
    binding = await fixed_gql("""mutation($t: ID!, $r: ID!, $g: ID!) { createBinding(
        tenant: $t, input: {roleId: $r, subjectType: GROUP, subjectId: $g, namespace: "prod"})
        { binding { id subjectType subjectId namespace role { name } } } }""",
                              tf.admin_token, t=tf.tenant, r=role_id, g=group_id)
    read = await fixed_gql(READ, tf.admin_token, t=tf.tenant)
    assert "errors" not in read, read
    assert normalise({"setup": setup, "group": group, "binding": binding, "read": read}) \
        == snapshot


async def test_permission_catalogue(fixed_gql: Client, tf: TenantFixture,
                                    snapshot: SnapshotAssertion) -> None:
    body = await fixed_gql("{ permissionCatalogue { resource actions namespaced } }",
                           tf.admin_token)
    assert body == snapshot
