"""Provisioning integrations over GraphQL: secrets shown once, rotation, managed objects."""

from __future__ import annotations

import pytest

from backend.domain.errors import Unauthenticated
from backend.domain.models import Door
from backend.services import authn, groups
from backend.services.context import ServiceContext
from tests.factories import TenantFixture, make_integration

from .conftest import Client, errors_of

CREATE = """mutation($t: ID!) {
  createProvisioningIntegration(tenant: $t, input: {name: "Entra", description: "IdP"}) {
    secretToken integration { id name description type enabled endpointUrl } } }"""
ROTATE = """mutation($t: ID!, $id: ID!) {
  rotateProvisioningIntegrationToken(tenant: $t, id: $id) { secretToken integration { id } } }"""
LIST = """query($t: ID!) { tenant(id: $t) { integrations { id name enabled endpointUrl } } }"""


async def test_secret_shown_once_and_rotation_invalidates(
    gql: Client, tf: TenantFixture
) -> None:
    body = await gql(CREATE, tf.admin_token, t=tf.tenant)
    created = body["data"]["createProvisioningIntegration"]
    integration, secret = created["integration"], created["secretToken"]
    assert len(secret) == 200
    assert integration["endpointUrl"] == (
        f"https://iam.example/api/v1/acme/integrations/{integration['id']}/scim/v2")
    assert (await authn.authenticate(tf.db, secret)).integration_id == integration["id"]

    listed = await gql(LIST, tf.admin_token, t=tf.tenant)
    assert secret not in str(listed)
    assert listed["data"]["tenant"]["integrations"] == [
        {"id": integration["id"], "name": "Entra", "enabled": True,
         "endpointUrl": integration["endpointUrl"]}]
    audit = await gql('query($t: ID!) { tenant(id: $t) { auditEvents(first: 100) '
                      '{ edges { node { action summary } } } } }', tf.admin_token, t=tf.tenant)
    assert secret not in str(audit)

    rotated = (await gql(ROTATE, tf.admin_token, t=tf.tenant, id=integration["id"])
               )["data"]["rotateProvisioningIntegrationToken"]
    assert rotated["secretToken"] != secret
    with pytest.raises(Unauthenticated):
        await authn.authenticate(tf.db, secret)
    assert (await authn.authenticate(tf.db, rotated["secretToken"])).integration_id

    updated = await gql("""mutation($t: ID!, $id: ID!) { updateProvisioningIntegration(
        tenant: $t, id: $id, input: {enabled: false}) { integration { enabled name } } }""",
                        tf.admin_token, t=tf.tenant, id=integration["id"])
    assert updated["data"]["updateProvisioningIntegration"]["integration"] == {
        "enabled": False, "name": "Entra"}
    assert "secretToken" not in str(updated)

    deleted = await gql("""mutation($t: ID!, $id: ID!) {
        deleteProvisioningIntegration(tenant: $t, id: $id) { id } }""",
                        tf.admin_token, t=tf.tenant, id=integration["id"])
    assert deleted["data"]["deleteProvisioningIntegration"]["id"] == integration["id"]
    assert (await gql(LIST, tf.admin_token, t=tf.tenant))["data"]["tenant"]["integrations"] == []


async def test_managed_group(gql: Client, tf: TenantFixture) -> None:
    integration_id, secret = await make_integration(tf, "Okta")
    idp = ServiceContext(tf.db, await authn.authenticate(tf.db, secret), tf.tenant, Door.SCIM)
    group = await groups.create_group(idp, "Engineering")

    body = await gql("""query($t: ID!, $g: ID!) { tenant(id: $t) { group(id: $g) {
        displayName managedBy { integration { id name } } } } }""",
                     tf.admin_token, t=tf.tenant, g=group.id)
    assert body["data"]["tenant"]["group"] == {
        "displayName": "Engineering",
        "managedBy": {"integration": {"id": integration_id, "name": "Okta"}}}

    renamed = await gql("""mutation($t: ID!, $g: ID!) { updateGroup(tenant: $t, id: $g,
        input: {displayName: "Eng"}) { group { id } } }""", tf.admin_token, t=tf.tenant,
                        g=group.id)
    [(code, message)] = errors_of(renamed)
    assert code == "FORBIDDEN"
    assert message == (f"group 'Engineering' is managed by provisioning integration "
                       f"{integration_id}; rename it in the identity provider instead")
    deleted = await gql("""mutation($t: ID!, $g: ID!) { deleteGroup(tenant: $t, id: $g)
        { id } }""", tf.admin_token, t=tf.tenant, g=group.id)
    [(code, message)] = errors_of(deleted)
    assert code == "FORBIDDEN" and "delete it in the identity provider" in message
    members = await gql("""mutation($t: ID!, $g: ID!, $u: [ID!]!) { addGroupMembers(
        tenant: $t, groupId: $g, userIds: $u) { group { id } } }""",
                        tf.admin_token, t=tf.tenant, g=group.id, u=[tf.admin.id])
    assert errors_of(members)[0][0] == "FORBIDDEN"

    roles = await gql('query($t: ID!) { tenant(id: $t) { roles { id name } } }',
                      tf.admin_token, t=tf.tenant)
    viewer = next(r for r in roles["data"]["tenant"]["roles"] if r["name"] == "Viewer")
    bound = await gql("""mutation($t: ID!, $r: ID!, $g: ID!) { createBinding(tenant: $t,
        input: {roleId: $r, subjectType: GROUP, subjectId: $g, namespace: "prod"})
        { binding { subjectType subjectId namespace role { name } } } }""",
                      tf.admin_token, t=tf.tenant, r=viewer["id"], g=group.id)
    assert bound["data"]["createBinding"]["binding"] == {
        "subjectType": "GROUP", "subjectId": group.id, "namespace": "prod",
        "role": {"name": "Viewer"}}
