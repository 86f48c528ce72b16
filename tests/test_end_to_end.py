"""End to end over HTTP against a live server: admin -> integration -> IdP -> binding -> access.

1. bootstrap an admin; 2. create an integration by GraphQL mutation; 3. call the returned
``endpointUrl`` with the returned ``secretToken`` and provision a user and a group over SCIM;
4. bind a role to that group by mutation; 5. ``can(...)`` for the user becomes true.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from backend.domain.models import ActorType, Door
from backend.persistence.db import Database
from backend.services import tokens
from backend.services.bootstrap import bootstrap
from backend.services.context import ServiceContext
from tests.conftest import _truncate
from tests.live_server import live_server

SCIM = "application/scim+json"
CAN = """query($t: ID!) { tenant(id: $t) {
  can(resource: "FLOW", action: "EXECUTE", namespace: "prod.payments") } }"""


def _gql(client: httpx.Client, token: str, query: str, **variables: Any) -> dict[str, Any]:
    response = client.post("/graphql", json={"query": query, "variables": variables},
                           headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert "errors" not in body, body
    return body["data"]  # type: ignore[no-any-return]


async def _reset_and_bootstrap(url: str, schema: str | None) -> str:
    db = Database(url, pg_schema=schema)
    try:
        if schema is not None:
            await _truncate(db)
        return (await bootstrap(db, "acme", "admin@acme.test")).token
    finally:
        await db.dispose()


async def _login_token(url: str, schema: str | None, user_id: str) -> str:
    """Tessera has no interactive login yet; issue the user a token as login would."""
    db = Database(url, pg_schema=schema)
    try:
        from backend.domain.models import Actor

        ctx = ServiceContext(db=db, actor=Actor.system(), tenant_id=None, via=Door.CLI)
        async with db.write() as conn:
            issued = await tokens.issue(ctx, conn, owner_type=ActorType.USER, owner_id=user_id,
                                        tenant_id=None, name="login")
        return issued.secret
    finally:
        await db.dispose()


def test_admin_integration_idp_binding_access(database_url: tuple[str, str | None]) -> None:
    url, schema = database_url
    admin_token = asyncio.run(_reset_and_bootstrap(url, schema))
    with live_server(url, schema) as base, httpx.Client(base_url=base, timeout=30) as client:
        created = _gql(client, admin_token, """mutation($t: ID!) {
            createProvisioningIntegration(tenant: $t, input: {name: "Entra", description: "e2e"})
            { integration { id endpointUrl enabled } secretToken } }""", t="acme")
        payload = created["createProvisioningIntegration"]
        endpoint, secret = payload["integration"]["endpointUrl"], payload["secretToken"]
        assert endpoint.startswith(base) and len(secret) == 200

        idp = {"Authorization": f"Bearer {secret}", "Content-Type": SCIM}
        user = client.post(f"{endpoint}/Users", headers=idp, json={
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": "pat@acme.test", "externalId": "aad-pat", "active": True,
            "name": {"givenName": "Pat", "familyName": "Doe"},
            "emails": [{"value": "pat@acme.test", "type": "work", "primary": True}]})
        assert user.status_code == 201, user.text
        user_id = user.json()["id"]
        group = client.post(f"{endpoint}/Groups", headers=idp, json={
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "displayName": "Payments", "externalId": "aad-payments",
            "members": [{"value": user_id}]})
        assert group.status_code == 201, group.text
        group_id = group.json()["id"]

        user_token = asyncio.run(_login_token(url, schema, user_id))
        assert _gql(client, user_token, CAN, t="acme")["tenant"]["can"] is False

        roles = _gql(client, admin_token, 'query($t: ID!) { tenant(id: $t) { roles { id name } } }',
                     t="acme")["tenant"]["roles"]
        launcher = next(r["id"] for r in roles if r["name"] == "Launcher")
        bound = _gql(client, admin_token, """mutation($t: ID!, $r: ID!, $g: ID!) {
            createBinding(tenant: $t, input: {roleId: $r, subjectType: GROUP, subjectId: $g,
                                              namespace: "prod"}) { binding { id } } }""",
                     t="acme", r=launcher, g=group_id)
        assert bound["createBinding"]["binding"]["id"]

        assert _gql(client, user_token, CAN, t="acme")["tenant"]["can"] is True
        outside = _gql(client, user_token, """query($t: ID!) { tenant(id: $t) {
            can(resource: "FLOW", action: "EXECUTE", namespace: "dev") } }""", t="acme")
        assert outside["tenant"]["can"] is False

        # The IdP removes the user from the group: access goes with it.
        patched = client.patch(f"{endpoint}/Groups/{group_id}", headers=idp, json={
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "Remove", "path": "members", "value": [{"value": user_id}]}]})
        assert patched.status_code in (200, 204), patched.text
        assert _gql(client, user_token, CAN, t="acme")["tenant"]["can"] is False
