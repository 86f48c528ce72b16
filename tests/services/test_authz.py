"""The permission rules, decided by one function, proven as a matrix."""

from __future__ import annotations

import pytest

from backend.domain import roles as catalogue
from backend.domain.errors import Forbidden, InvalidValue, NotFound
from backend.domain.models import Actor, ActorType, Door, SubjectType
from backend.domain.permissions import ALL_PERMISSIONS, Action, Resource, perm
from backend.domain.queries import ListQuery
from backend.persistence.db import Database
from backend.services import authz, bindings, roles, tenants, users
from backend.services.authz import grants_allow
from backend.services.context import ServiceContext
from tests.factories import TenantFixture, draft, make_tenant

R, A = Resource, Action

# role -> operation -> allowed; operations are (resource, action, namespace).
OPERATIONS = [
    (R.FLOW, A.VIEW, "prod"), (R.FLOW, A.EXECUTE, "prod"), (R.FLOW, A.UPDATE, "prod"),
    (R.SECRET, A.VIEW, "prod"), (R.NAMESPACE, A.MANAGE_FILES, "prod"),
    (R.EXECUTION, A.ACCESS_LOGS, "prod"), (R.EXECUTION, A.KILL, "prod"),
    (R.USER, A.CREATE, None), (R.GROUP, A.MANAGE_MEMBERS, None), (R.BINDING, A.DELETE, None),
    (R.ROLE, A.CREATE, None), (R.AUDITLOG, A.LIST, None), (R.INTEGRATION, A.CREATE, None),
]
EXPECTED = {
    "Admin": [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1],
    "Developer": [1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0],
    "Editor": [1, 1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0],
    "Launcher": [1, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0],
    "Viewer": [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0],
    "SCIMProvisioner": [0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 0, 0, 0],
}


@pytest.mark.parametrize("role_name", list(EXPECTED))
def test_role_matrix(role_name: str) -> None:
    permissions = (catalogue.MANAGED_ROLES[role_name][1] if role_name in catalogue.MANAGED_ROLES
                   else catalogue.SCIM_PROVISIONER_PERMISSIONS)
    got = [int(grants_allow([(permissions, None)], r, a, ns)) for r, a, ns in OPERATIONS]
    assert got == EXPECTED[role_name]


@pytest.mark.parametrize(
    ("binding_ns", "target_ns", "resource", "allowed"),
    [
        (None, "prod", R.FLOW, True),
        ("prod", "prod", R.FLOW, True),
        ("prod", "prod.eng", R.FLOW, True),
        ("prod", "prod.eng.team", R.FLOW, True),
        ("prod", "production", R.FLOW, False),
        ("prod.eng", "prod", R.FLOW, False),
        ("prod", None, R.FLOW, False),
        # A namespace-limited binding never reaches tenant-level resources.
        ("prod", None, R.GROUP, False),
        ("prod", "prod", R.GROUP, False),
    ],
)
def test_namespace_inheritance(
    binding_ns: str | None, target_ns: str | None, resource: Resource, allowed: bool
) -> None:
    admin = catalogue.MANAGED_ROLES["Admin"][1]
    assert grants_allow([(admin, binding_ns)], resource, A.VIEW, target_ns) is allowed


def test_scim_provisioner_grants_exactly_the_seeded_permissions() -> None:
    # Seeds: GROUPS C,R,U,D; USERS C,R,U (no DELETE); BINDINGS C,R,U,D, in 2.0 terms.
    assert {
        "GROUP:CREATE", "GROUP:VIEW", "GROUP:LIST", "GROUP:UPDATE", "GROUP:MANAGE_MEMBERS",
        "GROUP:DELETE",
        "USER:CREATE", "USER:VIEW", "USER:LIST", "USER:UPDATE", "USER:MANAGE_GROUP_MEMBERSHIP",
        "BINDING:CREATE", "BINDING:VIEW", "BINDING:LIST", "BINDING:UPDATE", "BINDING:DELETE",
    } == catalogue.SCIM_PROVISIONER_PERMISSIONS
    assert "USER:DELETE" not in catalogue.SCIM_PROVISIONER_PERMISSIONS


def test_admin_has_the_whole_catalogue() -> None:
    assert catalogue.MANAGED_ROLES["Admin"][1] == ALL_PERMISSIONS


def test_legacy_mapping() -> None:
    assert catalogue.from_legacy({"FLOW": ["READ"]}) == {"FLOW:VIEW", "FLOW:LIST", "FLOW:EXPORT"}
    assert catalogue.from_legacy({"executions": ["update"]}) >= {
        "EXECUTION:UPDATE", "EXECUTION:KILL", "EXECUTION:RESTART"}
    assert catalogue.from_legacy({"GROUP_MEMBERSHIP": ["CREATE"]}) == {"GROUP:MANAGE_MEMBERS"}
    assert catalogue.from_legacy({"TENANT_ACCESS": ["DELETE"]}) == {"USER:UPDATE"}
    assert catalogue.from_legacy({"SETTING": ["READ"]}) == {"TENANT_SETTINGS:VIEW"}


@pytest.mark.parametrize("bad", [{"TEMPLATE": ["READ"]}, {"NOPE": ["READ"]}, {"FLOW": ["RUN"]}])
def test_legacy_mapping_refuses_what_it_cannot_map(bad: dict[str, list[str]]) -> None:
    with pytest.raises(InvalidValue, match=r"1\.x|unknown"):
        catalogue.from_legacy(bad)


async def _user_with_role(
    tf: TenantFixture, role_name: str, user_name: str, namespace: str | None = None
) -> ServiceContext:
    ctx = tf.ctx()
    user = await users.create_user(ctx, draft(user_name))
    role = next(r for r in await roles.list_roles(ctx) if r.name == role_name)
    await bindings.create_binding(ctx, role.id, SubjectType.USER, user.id, namespace)
    actor = Actor(ActorType.USER, user.id, user_name)
    return ServiceContext(db=tf.db, actor=actor, tenant_id=tf.tenant, via=Door.GRAPHQL)


async def test_group_bindings_grant_to_members(db: Database) -> None:
    from backend.services import groups

    tf = await make_tenant(db)
    ctx = tf.ctx()
    user = await users.create_user(ctx, draft("eve@acme.test"))
    group = await groups.create_group(ctx, "operators", members=(user.id,))
    viewer = next(r for r in await roles.list_roles(ctx) if r.name == "Viewer")
    await bindings.create_binding(ctx, viewer.id, SubjectType.GROUP, group.id, "prod")
    eve = ServiceContext(db=db, actor=Actor(ActorType.USER, user.id, "eve"), tenant_id="acme",
                         via=Door.GRAPHQL)
    async with db.read() as conn:
        assert await authz.can(eve, conn, R.FLOW, A.VIEW, "prod.eng")
        assert not await authz.can(eve, conn, R.FLOW, A.VIEW, "dev")
        assert not await authz.can(eve, conn, R.FLOW, A.UPDATE, "prod")


async def test_service_level_denial(db: Database) -> None:
    tf = await make_tenant(db)
    viewer = await _user_with_role(tf, "Viewer", "val@acme.test")
    with pytest.raises(Forbidden, match="USER:CREATE"):
        await users.create_user(viewer, draft("new@acme.test"))
    with pytest.raises(Forbidden):
        await roles.create_role(viewer, "custom", permissions=["FLOW:VIEW"])


async def test_instance_owner_gets_nothing_in_a_tenant_without_binding(db: Database) -> None:
    tf = await make_tenant(db)
    await tenants.create_tenant(tf.ctx(), "other")
    owner_in_other = tf.ctx().for_tenant("other")
    with pytest.raises(NotFound):
        await users.list_users(owner_in_other, ListQuery())


async def test_suspended_member_is_denied(db: Database) -> None:
    tf = await make_tenant(db)
    admin2 = await _user_with_role(tf, "Admin", "second@acme.test")
    await users.set_active(tf.ctx(), admin2.actor.id, False)
    with pytest.raises(Forbidden, match="suspended"):
        await roles.list_roles(admin2)
    await users.set_active(tf.ctx(), admin2.actor.id, True)
    assert await roles.list_roles(admin2)


def test_every_catalogue_permission_is_well_formed() -> None:
    for permission in ALL_PERMISSIONS:
        resource, action = permission.split(":")
        assert perm(Resource(resource), Action(action)) == permission
