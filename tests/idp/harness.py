"""Shared harness for the IdP suites: a live server, one integration per test, both doors.

Each provider module replays what that IdP sends over real HTTP (loopback uvicorn), then reads
the state back twice: SCIM GET (what the IdP sees) and the GraphQL admin view (what an admin
sees). A tolerance that stores the wrong thing fails in one of the two.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from dataclasses import dataclass, field
from typing import Any

import httpx

from backend.domain.models import Actor, ActorType, Door
from backend.domain.permissions import Action, Resource
from backend.persistence.db import Database
from backend.services import authn, authz, tokens
from backend.services.bootstrap import bootstrap
from backend.services.context import ServiceContext

USER_URN = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_URN = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENT_URN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PATCH_URN = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ERROR_URN = "urn:ietf:params:scim:api:messages:2.0:Error"
LIST_URN = "urn:ietf:params:scim:api:messages:2.0:ListResponse"

_tenants = itertools.count(1)

USER_Q = """query($t: ID!, $id: ID!) { tenant(id: $t) { user(id: $id) {
  id userName displayName emails active externalId managedBy { integration { id } } } } }"""
USERS_Q = """query($t: ID!, $f: String!) { tenant(id: $t) { users(filter: $f) {
  totalCount edges { node { id active } } } } }"""
GROUP_Q = """query($t: ID!, $id: ID!) { tenant(id: $t) { group(id: $id) {
  id displayName externalId managedBy { integration { id } }
  members(first: 100) { totalCount edges { node { id userName } } } } } }"""
GROUPS_Q = """query($t: ID!, $f: String!) { tenant(id: $t) { groups(filter: $f) {
  totalCount edges { node { id displayName } } } } }"""
CAN_Q = """query($t: ID!) { tenant(id: $t) { can(resource: "USER", action: "VIEW") } }"""
LIST_Q = """query($t: ID!) { tenant(id: $t) { users(first: 1) { totalCount } } }"""


def patch_op(*ops: dict[str, Any]) -> dict[str, Any]:
    return {"schemas": [PATCH_URN], "Operations": list(ops)}


@dataclass
class Server:
    """One live server per module and database; each test gets its own tenant on it."""

    url: str
    schema: str | None
    base: str

    async def _bootstrap(self, tenant: str) -> str:
        db = Database(self.url, pg_schema=self.schema)
        try:
            return (await bootstrap(db, tenant, f"admin@{tenant}.test")).token
        finally:
            await db.dispose()

    async def _login(self, user_id: str) -> str:
        """Tessera has no interactive login; issue the user a global token as login would."""
        db = Database(self.url, pg_schema=self.schema)
        try:
            ctx = ServiceContext(db=db, actor=Actor.system(), tenant_id=None, via=Door.CLI)
            async with db.write() as conn:
                issued = await tokens.issue(ctx, conn, owner_type=ActorType.USER,
                                            owner_id=user_id, tenant_id=None, name="login")
            return issued.secret
        finally:
            await db.dispose()

    def login_token(self, user_id: str) -> str:
        return asyncio.run(self._login(user_id))

    async def _can(self, token: str, tenant: str) -> bool:
        db = Database(self.url, pg_schema=self.schema)
        try:
            actor = await authn.authenticate(db, token)
            ctx = ServiceContext(db=db, actor=actor, tenant_id=tenant, via=Door.GRAPHQL)
            return await authz.check(ctx, Resource.USER, Action.VIEW)
        finally:
            await db.dispose()

    def can(self, token: str, tenant: str) -> bool:
        """The one permission function, asked directly as the token's owner."""
        return asyncio.run(self._can(token, tenant))

    def open(self, provider: str, headers: dict[str, str]) -> Idp:
        tenant = f"{provider}-{next(_tenants)}"
        admin = asyncio.run(self._bootstrap(tenant))
        client = httpx.Client(base_url=self.base, timeout=30)
        idp = Idp(client=client, server=self, tenant=tenant, admin_token=admin,
                  provider_headers=headers)
        created = idp.gql("""mutation($t: ID!, $n: String!) {
            createProvisioningIntegration(tenant: $t, input: {name: $n})
            { integration { id endpointUrl } secretToken } }""", t=tenant, n=provider)
        payload = created["createProvisioningIntegration"]
        idp.endpoint = payload["integration"]["endpointUrl"]
        idp.integration_id = payload["integration"]["id"]
        idp.secret = payload["secretToken"]
        return idp


@dataclass
class Idp:
    """Speaks SCIM as one provider would, and reads results through both doors."""

    client: httpx.Client
    server: Server
    tenant: str
    admin_token: str
    provider_headers: dict[str, str]
    endpoint: str = ""
    integration_id: str = ""
    secret: str = ""
    log: list[str] = field(default_factory=list)

    # ------------------------------------------------------------------------- SCIM door

    def scim(self, method: str, path: str, body: Any = None, *, expect: int | None = None,
             params: dict[str, Any] | str | None = None,
             headers: dict[str, str] | None = None) -> httpx.Response:
        """One request with the provider's headers; the body is sent as its raw JSON."""
        sent = {"Authorization": f"Bearer {self.secret}", **self.provider_headers,
                **(headers or {})}
        content = None if body is None else json.dumps(body).encode()
        url = self.endpoint + path
        if isinstance(params, str):  # a query string exactly as the IdP encodes it
            url, params = f"{url}?{params}", None
        response = self.client.request(method, url, content=content, params=params,
                                       headers=sent)
        self.log.append(f"{method} {path} -> {response.status_code}")
        if expect is not None:
            assert response.status_code == expect, f"{method} {path}: {response.text}"
        return response

    def json(self, method: str, path: str, body: Any = None, *, expect: int,
             params: dict[str, Any] | str | None = None) -> dict[str, Any]:
        response = self.scim(method, path, body, expect=expect, params=params)
        assert response.headers["content-type"].startswith("application/scim+json")
        doc: dict[str, Any] = response.json()
        return doc

    def listing(self, path: str, params: dict[str, Any] | str) -> dict[str, Any]:
        doc = self.json("GET", path, expect=200, params=params)
        assert doc["schemas"] == [LIST_URN]
        for key in ("totalResults", "startIndex", "itemsPerPage"):
            assert isinstance(doc[key], int), doc  # Okta's spec test wants integers
        return doc

    # ---------------------------------------------------------------------- GraphQL door

    def gql_raw(self, query: str, token: str | None = None, **variables: Any) -> dict[str, Any]:
        response = self.client.post(
            "/graphql", json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {token or self.admin_token}"})
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def gql(self, query: str, token: str | None = None, **variables: Any) -> dict[str, Any]:
        body = self.gql_raw(query, token, **variables)
        assert "errors" not in body, body
        data: dict[str, Any] = body["data"]
        return data

    def gql_error_code(self, query: str, token: str | None = None, **variables: Any) -> str:
        body = self.gql_raw(query, token, **variables)
        assert body.get("errors"), body
        code: str = body["errors"][0]["extensions"]["code"]
        return code

    # ---------------------------------------------------------------- state, both doors

    def assert_user(self, uid: str, *, user_name: str, active: bool,
                    external_id: str | None = None, **scim_attrs: Any) -> dict[str, Any]:
        """The user as SCIM GET and the admin view show it; returns the SCIM document."""
        doc = self.json("GET", f"/Users/{uid}", expect=200)
        assert doc["id"] == uid and doc["userName"] == user_name, doc
        assert doc["active"] is active, doc
        assert doc.get("externalId") == external_id, doc
        assert "password" not in doc
        for key, want in scim_attrs.items():
            assert doc.get(key) == want, (key, doc)
        admin = self.gql(USER_Q, t=self.tenant, id=uid)["tenant"]["user"]
        assert admin["userName"] == user_name and admin["active"] is active, admin
        assert admin["externalId"] == external_id, admin
        assert admin["managedBy"] == {"integration": {"id": self.integration_id}}, admin
        if "displayName" in scim_attrs:
            assert admin["displayName"] == scim_attrs["displayName"], admin
        if "emails" in scim_attrs:
            assert admin["emails"] == [e["value"] for e in scim_attrs["emails"]], admin
        return doc

    def assert_user_gone(self, uid: str, user_name: str) -> None:
        """Gone from this tenant through both doors (404 and no filter match)."""
        error = self.json("GET", f"/Users/{uid}", expect=404)
        assert error["schemas"] == [ERROR_URN] and error["status"] == "404", error
        found = self.listing("/Users", {"filter": f'userName eq "{user_name}"'})
        assert found["totalResults"] == 0 and found.get("Resources", []) == [], found
        assert self.gql_error_code(USER_Q, t=self.tenant, id=uid) == "NOT_FOUND"
        admin = self.gql(USERS_Q, t=self.tenant, f=f'userName eq "{user_name}"')
        assert admin["tenant"]["users"]["totalCount"] == 0

    def assert_group(self, gid: str, *, name: str, members: set[str],
                     external_id: str | None = None) -> None:
        doc = self.json("GET", f"/Groups/{gid}", expect=200)
        assert doc["displayName"] == name and doc.get("externalId") == external_id, doc
        assert {m["value"] for m in doc.get("members", [])} == members, doc
        assert all(m["$ref"].endswith(f"/Users/{m['value']}") for m in doc.get("members", []))
        admin = self.gql(GROUP_Q, t=self.tenant, id=gid)["tenant"]["group"]
        assert admin["displayName"] == name and admin["externalId"] == external_id, admin
        assert admin["managedBy"] == {"integration": {"id": self.integration_id}}, admin
        assert admin["members"]["totalCount"] == len(members), admin
        assert {e["node"]["id"] for e in admin["members"]["edges"]} == members, admin

    def assert_group_gone(self, gid: str, name: str) -> None:
        self.json("GET", f"/Groups/{gid}", expect=404)
        found = self.listing("/Groups", {"filter": f'displayName eq "{name}"'})
        assert found["totalResults"] == 0, found
        assert self.gql_error_code(GROUP_Q, t=self.tenant, id=gid) == "NOT_FOUND"
        admin = self.gql(GROUPS_Q, t=self.tenant, f=f'displayName eq "{name}"')
        assert admin["tenant"]["groups"]["totalCount"] == 0

    def assert_conflict(self, response: httpx.Response) -> None:
        """RFC 7644 §3.3: a duplicate is 409 with scimType uniqueness (authentik relies on it)."""
        assert response.status_code == 409, response.text
        body = response.json()
        assert body["schemas"] == [ERROR_URN] and body["status"] == "409", body
        assert body["scimType"] == "uniqueness", body

    # ------------------------------------------------------------------ deprovisioning

    def grant_reader(self, subject_id: str, subject_type: str = "USER") -> None:
        """Bind a user or group to a role that may list users, so access is observable."""
        role = self.gql("""mutation($t: ID!) { createRole(tenant: $t, input: {
            name: "Directory reader", permissions: ["USER:LIST", "USER:VIEW"]})
            { role { id } } }""", t=self.tenant)["createRole"]["role"]["id"]
        self.gql("""mutation($t: ID!, $r: ID!, $s: ID!, $k: SubjectType!) {
            createBinding(tenant: $t, input: {roleId: $r, subjectType: $k, subjectId: $s})
            { binding { id } } }""", t=self.tenant, r=role, s=subject_id, k=subject_type)

    def assert_access(self, token: str, allowed: bool) -> None:
        """The user's own token works in this tenant, or not at all: the tenant drops out of
        ``me.tenants``, queries answer NOT_FOUND, and the permission check (``can``) denies."""
        tenants = self.gql("{ me { tenants { id } } }", token)["me"]["tenants"]
        assert (self.tenant in [t["id"] for t in tenants]) is allowed, tenants
        if allowed:
            assert self.gql(CAN_Q, token, t=self.tenant)["tenant"]["can"] is True
            assert self.gql(LIST_Q, token, t=self.tenant)["tenant"]["users"]["totalCount"] >= 1
        else:
            assert self.gql_error_code(LIST_Q, token, t=self.tenant) == "NOT_FOUND"
        assert self.server.can(token, self.tenant) is allowed
