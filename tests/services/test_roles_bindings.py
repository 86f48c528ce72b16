"""Roles (managed and custom) and immutable bindings, including last-Admin protection."""

from __future__ import annotations

import pytest

from backend.domain.errors import Conflict, Forbidden, InvalidValue, NotFound
from backend.domain.models import SubjectType
from backend.persistence.db import Database
from backend.services import bindings, roles, service_accounts, users
from tests.factories import draft, make_tenant


async def test_each_tenant_gets_the_five_managed_roles(db: Database) -> None:
    tf = await make_tenant(db)
    managed = sorted(r.name for r in await roles.list_roles(tf.ctx()) if r.managed)
    assert managed == ["Admin", "Developer", "Editor", "Launcher", "Viewer"]


async def test_managed_roles_cannot_be_edited_or_deleted(db: Database) -> None:
    tf = await make_tenant(db)
    admin_role = next(r for r in await roles.list_roles(tf.ctx()) if r.name == "Admin")
    with pytest.raises(Forbidden, match="managed"):
        await roles.update_role(tf.ctx(), admin_role.id, description="mine now")
    with pytest.raises(Forbidden, match="managed"):
        await roles.delete_role(tf.ctx(), admin_role.id)


async def test_custom_role_with_2_0_and_1_x_permissions(db: Database) -> None:
    tf = await make_tenant(db)
    role = await roles.create_role(tf.ctx(), "Auditor", permissions=["auditlog:list"],
                                   legacy_permissions={"USERS": ["READ"]})
    assert role.permissions == {"AUDITLOG:LIST", "USER:VIEW", "USER:LIST"}
    with pytest.raises(InvalidValue):
        await roles.create_role(tf.ctx(), "Bad", permissions=["FLOW:FLY"])
    with pytest.raises(Conflict):
        await roles.create_role(tf.ctx(), "auditor")
    updated = await roles.update_role(tf.ctx(), role.id, permissions=["FLOW:VIEW"])
    assert updated.permissions == {"FLOW:VIEW"}


async def test_bindings_validate_subject_role_and_namespace(db: Database) -> None:
    tf = await make_tenant(db)
    viewer = next(r for r in await roles.list_roles(tf.ctx()) if r.name == "Viewer")
    user = await users.create_user(tf.ctx(), draft("b@acme.test"))
    with pytest.raises(NotFound):
        await bindings.create_binding(tf.ctx(), viewer.id, SubjectType.USER, "ghost")
    with pytest.raises(NotFound):
        await bindings.create_binding(tf.ctx(), "no-role", SubjectType.USER, user.id)
    with pytest.raises(InvalidValue):
        await bindings.create_binding(tf.ctx(), viewer.id, SubjectType.USER, user.id, "bad ns!")
    b = await bindings.create_binding(tf.ctx(), viewer.id, SubjectType.USER, user.id, "prod")
    with pytest.raises(Conflict):
        await bindings.create_binding(tf.ctx(), viewer.id, SubjectType.USER, user.id, "prod")
    with pytest.raises(Conflict, match="still has"):
        custom = await roles.create_role(tf.ctx(), "c", permissions=["FLOW:VIEW"])
        await bindings.create_binding(tf.ctx(), custom.id, SubjectType.USER, user.id)
        await roles.delete_role(tf.ctx(), custom.id)
    await bindings.delete_binding(tf.ctx(), b.id)


async def test_last_admin_binding_cannot_be_removed(db: Database) -> None:
    tf = await make_tenant(db)
    admin_binding = next(b for b in await bindings.list_bindings(tf.ctx())
                         if b.subject_id == tf.admin.id)
    with pytest.raises(Conflict, match="last Admin"):
        await bindings.delete_binding(tf.ctx(), admin_binding.id)
    with pytest.raises(Conflict, match="last Admin"):
        await users.remove_from_tenant(tf.ctx(), tf.admin.id)
    second = await users.create_user(tf.ctx(), draft("two@acme.test"))
    admin_role = next(r for r in await roles.list_roles(tf.ctx()) if r.name == "Admin")
    await bindings.create_binding(tf.ctx(), admin_role.id, SubjectType.USER, second.id)
    await bindings.delete_binding(tf.ctx(), admin_binding.id)  # now allowed


async def test_service_account_names_are_dns_labels(db: Database) -> None:
    tf = await make_tenant(db)
    for bad in ["Robot", "-robot", "robot-", "ro_bot", "a" * 64, ""]:
        with pytest.raises(InvalidValue):
            await service_accounts.create_service_account(tf.ctx(), bad)
    ok = await service_accounts.create_service_account(tf.ctx(), "ci-robot-1")
    assert ok.name == "ci-robot-1"
