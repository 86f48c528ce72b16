"""One permission matrix for both doors: role x operation x door (GraphQL, SCIM) agree.

For each role under test, a SCIM actor (a provisioning integration whose SCIMProvisioner role is
narrowed or widened to the role's permission set) and a GraphQL actor (a service account bound to
a custom role with the same set) perform the same operations on fresh objects. Each door must
give the same allow/deny, and that answer must match the table below (docs/permissions.md).

Deactivating a user is left out: GraphQL has no mutation for it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from backend.app import create_app
from backend.config import Settings
from backend.domain.models import ActorType, SubjectType
from backend.domain.roles import (
    ADMIN,
    MANAGED_ROLES,
    SCIM_PROVISIONER,
    SCIM_PROVISIONER_PERMISSIONS,
    VIEWER,
)
from backend.persistence.db import Database
from backend.services import bindings, groups, roles, service_accounts, tokens, users
from backend.services.context import ServiceContext
from tests.factories import TenantFixture, draft, make_integration, make_tenant

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    "Admin": MANAGED_ROLES[ADMIN][1],
    "Viewer": MANAGED_ROLES[VIEWER][1],
    "ProvisionerLike": SCIM_PROVISIONER_PERMISSIONS,
    "UserReader": frozenset({"USER:VIEW", "USER:LIST"}),
}

OPERATIONS = ["list_users", "create_user", "remove_user", "create_group", "add_member",
              "delete_group"]

# Expected allow (True) / deny (False), per role and operation. Needed permissions:
# list_users USER:LIST, create_user USER:CREATE, remove_user USER:UPDATE,
# create_group GROUP:CREATE, add_member GROUP:MANAGE_MEMBERS, delete_group GROUP:DELETE.
EXPECTED: dict[str, dict[str, bool]] = {
    "Admin": {"list_users": True, "create_user": True, "remove_user": True,
              "create_group": True, "add_member": True, "delete_group": True},
    "Viewer": {"list_users": False, "create_user": False, "remove_user": False,
               "create_group": False, "add_member": False, "delete_group": False},
    "ProvisionerLike": {"list_users": True, "create_user": True, "remove_user": True,
                        "create_group": True, "add_member": True, "delete_group": True},
    "UserReader": {"list_users": True, "create_user": False, "remove_user": False,
                   "create_group": False, "add_member": False, "delete_group": False},
}



PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def test_expected_table_follows_the_permission_rules() -> None:
    """The hand-written table agrees with the documented permission of each operation."""
    needs = {"list_users": "USER:LIST", "create_user": "USER:CREATE",
             "remove_user": "USER:UPDATE", "create_group": "GROUP:CREATE",
             "add_member": "GROUP:MANAGE_MEMBERS", "delete_group": "GROUP:DELETE"}
    for role, perms in ROLE_PERMISSIONS.items():
        assert set(EXPECTED[role]) == set(OPERATIONS)
        for op in OPERATIONS:
            assert EXPECTED[role][op] == (needs[op] in perms), (role, op)


@dataclass
class Doors:
    http: httpx.AsyncClient
    tf: TenantFixture
    scim_base: str
    scim_secret: str
    gql_token: str
    n: int = 0

    @property
    def admin(self) -> ServiceContext:
        return self.tf.ctx()

    def fresh(self, what: str) -> str:
        self.n += 1
        return f"{what}-{self.n}"

    async def scim(self, method: str, path: str, body: Any = None) -> bool:
        response = await self.http.request(
            method, self.scim_base + path, json=body,
            headers={"Authorization": f"Bearer {self.scim_secret}"})
        if 200 <= response.status_code < 300:
            return True
        assert response.status_code == 403, response.text
        return False

    async def gql(self, query: str, **variables: Any) -> bool:
        response = await self.http.post(
            "/graphql", json={"query": query, "variables": {"t": self.tf.tenant, **variables}},
            headers={"Authorization": f"Bearer {self.gql_token}"})
        assert response.status_code == 200, response.text
        errors = response.json().get("errors") or []
        if not errors:
            return True
        assert [e["extensions"]["code"] for e in errors] == ["FORBIDDEN"], errors
        return False

    async def user(self) -> str:
        name = self.fresh("target") + "@example.com"
        return (await users.create_user(self.admin, draft(name))).id

    async def group(self) -> str:
        return (await groups.create_group(self.admin, self.fresh("Target group"))).id


Op = Callable[[Doors], Awaitable[tuple[bool, bool]]]


async def list_users(d: Doors) -> tuple[bool, bool]:
    scim = await d.scim("GET", "/Users")
    gql = await d.gql("query($t: ID!) { tenant(id: $t) { users { totalCount } } }")
    return scim, gql


async def create_user(d: Doors) -> tuple[bool, bool]:
    name = d.fresh("scim-new") + "@example.com"
    scim = await d.scim("POST", "/Users", {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": name,
        "emails": [{"value": name, "type": "work", "primary": True}], "active": True})
    gql = await d.gql("mutation($t: ID!, $u: String!) { grantTenantAccess(tenant: $t, "
                      "userName: $u) { user { id } } }",
                      u=d.fresh("gql-new") + "@example.com")
    return scim, gql


async def remove_user(d: Doors) -> tuple[bool, bool]:
    scim = await d.scim("DELETE", f"/Users/{await d.user()}")
    gql = await d.gql("mutation($t: ID!, $id: ID!) { revokeTenantAccess(tenant: $t, "
                      "userId: $id) { id } }", id=await d.user())
    return scim, gql


async def create_group(d: Doors) -> tuple[bool, bool]:
    scim = await d.scim("POST", "/Groups", {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
        "displayName": d.fresh("SCIM group")})
    gql = await d.gql("mutation($t: ID!, $n: String!) { createGroup(tenant: $t, "
                      "input: {displayName: $n}) { group { id } } }", n=d.fresh("GQL group"))
    return scim, gql


async def add_member(d: Doors) -> tuple[bool, bool]:
    group_id, user_id = await d.group(), await d.user()
    scim = await d.scim("PATCH", f"/Groups/{group_id}", {
        "schemas": [PATCH],
        "Operations": [{"op": "add", "path": "members", "value": [{"value": user_id}]}]})
    group_id, user_id = await d.group(), await d.user()
    gql = await d.gql("mutation($t: ID!, $g: ID!, $u: [ID!]!) { addGroupMembers(tenant: $t, "
                      "groupId: $g, userIds: $u) { group { id } } }", g=group_id, u=[user_id])
    return scim, gql


async def delete_group(d: Doors) -> tuple[bool, bool]:
    scim = await d.scim("DELETE", f"/Groups/{await d.group()}")
    gql = await d.gql("mutation($t: ID!, $id: ID!) { deleteGroup(tenant: $t, id: $id) { id } }",
                      id=await d.group())
    return scim, gql


OPS: dict[str, Op] = {
    "list_users": list_users, "create_user": create_user, "remove_user": remove_user,
    "create_group": create_group, "add_member": add_member, "delete_group": delete_group,
}


@pytest.fixture
async def http(db: Database) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(Settings(database_url=db.url, public_url="http://testserver"), db=db)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://testserver") as client:
        yield client


async def open_doors(db: Database, http: httpx.AsyncClient, role: str) -> Doors:
    tf = await make_tenant(db, "acme")
    admin = tf.ctx()
    perms = sorted(ROLE_PERMISSIONS[role])
    # SCIM side: the integration's service account is bound to SCIMProvisioner; give that role
    # exactly the permission set under test.
    integration_id, secret = await make_integration(tf, "Entra")
    async with db.read() as conn:
        provisioner = await roles.find_by_name(conn, tf.tenant, SCIM_PROVISIONER)
    assert provisioner is not None
    await roles.update_role(admin, provisioner.id, permissions=perms)
    # GraphQL side: a service account bound to a custom role with the same set.
    custom = await roles.create_role(admin, f"Matrix {role}", permissions=perms)
    account = await service_accounts.create_service_account(admin, f"matrix-{role.lower()}")
    await bindings.create_binding(admin, custom.id, SubjectType.SERVICE_ACCOUNT, account.id)
    issued = await tokens.create_api_token(admin, owner_type=ActorType.SERVICE_ACCOUNT,
                                           owner_id=account.id, name="matrix")
    base = f"/api/v1/{tf.tenant}/integrations/{integration_id}/scim/v2"
    return Doors(http, tf, base, secret, issued.secret)


@pytest.mark.parametrize("role", list(ROLE_PERMISSIONS))
async def test_both_doors_give_the_same_answer(
    db: Database, http: httpx.AsyncClient, role: str
) -> None:
    doors = await open_doors(db, http, role)
    seen: dict[str, tuple[bool, bool]] = {}
    for op in OPERATIONS:
        seen[op] = await OPS[op](doors)
    expected = {op: (EXPECTED[role][op], EXPECTED[role][op]) for op in OPERATIONS}
    assert seen == expected, f"{role}: (scim, graphql) per operation"
