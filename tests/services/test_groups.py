"""Groups: per-tenant names, one row per member, targeted changes, IdP-managed fields."""

from __future__ import annotations

import pytest

from backend.domain.errors import Conflict, Forbidden, InvalidValue, PreconditionFailed
from backend.domain.models import SubjectType
from backend.domain.queries import GroupChange
from backend.persistence.db import Database
from backend.services import authn, bindings, groups, roles, users
from tests.factories import draft, make_integration, make_tenant


async def test_display_name_unique_per_tenant_case_insensitively(db: Database) -> None:
    tf = await make_tenant(db)
    await groups.create_group(tf.ctx(), "Engineering")
    with pytest.raises(Conflict):
        await groups.create_group(tf.ctx(), "engineering")


async def test_member_add_remove_replace(db: Database) -> None:
    tf = await make_tenant(db)
    ctx = tf.ctx()
    a, b, c = [await users.create_user(ctx, draft(f"{n}@acme.test")) for n in "abc"]
    group = await groups.create_group(ctx, "team", members=(a.id,))
    await groups.update_group(ctx, group.id, GroupChange(add_members=(b.id, a.id)))
    assert {m.user_id for m in (await groups.members(ctx, [group.id]))[group.id]} == {a.id, b.id}
    await groups.update_group(ctx, group.id, GroupChange(remove_members=(a.id,)))
    await groups.update_group(ctx, group.id, GroupChange(replace_members=(c.id, b.id)))
    got = (await groups.members(ctx, [group.id]))[group.id]
    assert sorted(m.user_id for m in got) == sorted([b.id, c.id])
    await groups.update_group(ctx, group.id, GroupChange(replace_members=()))
    assert (await groups.members(ctx, [group.id]))[group.id] == []
    assert (await groups.get_group(ctx, group.id)).version == 5


async def test_unknown_member_is_an_invalid_value(db: Database) -> None:
    tf = await make_tenant(db)
    group = await groups.create_group(tf.ctx(), "team")
    with pytest.raises(InvalidValue, match="unknown member"):
        await groups.update_group(tf.ctx(), group.id, GroupChange(add_members=("nobody",)))
    with pytest.raises(InvalidValue):
        await groups.create_group(tf.ctx(), "other", members=("ghost",))


async def test_etag_precondition(db: Database) -> None:
    tf = await make_tenant(db)
    group = await groups.create_group(tf.ctx(), "team")
    with pytest.raises(PreconditionFailed):
        await groups.update_group(tf.ctx(), group.id, GroupChange(display_name="x"),
                                  if_match='W/"42"')


async def test_managed_group_fields_are_owned_by_the_idp(db: Database) -> None:
    tf = await make_tenant(db)
    integration_id, secret = await make_integration(tf)
    scim = tf.ctx()
    scim.actor = await authn.authenticate(db, secret)
    user = await users.create_user(scim, draft("m@acme.test"))
    group = await groups.create_group(scim, "synced", external_id="aad-1")
    assert group.managed_by == integration_id
    admin = tf.ctx()
    with pytest.raises(Forbidden, match="identity provider"):
        await groups.update_group(admin, group.id, GroupChange(display_name="renamed"))
    with pytest.raises(Forbidden):
        await groups.update_group(admin, group.id, GroupChange(add_members=(user.id,)))
    with pytest.raises(Forbidden):
        await groups.delete_group(admin, group.id)
    # Binding roles to a synced group is the point of syncing it.
    viewer = next(r for r in await roles.list_roles(admin) if r.name == "Viewer")
    binding = await bindings.create_binding(admin, viewer.id, SubjectType.GROUP, group.id)
    assert binding.subject_id == group.id
    # The IdP itself may change what it owns.
    renamed = await groups.update_group(scim, group.id, GroupChange(display_name="renamed"))
    assert renamed.display_name == "renamed"


async def test_delete_group_removes_its_bindings(db: Database) -> None:
    tf = await make_tenant(db)
    group = await groups.create_group(tf.ctx(), "temp")
    viewer = next(r for r in await roles.list_roles(tf.ctx()) if r.name == "Viewer")
    await bindings.create_binding(tf.ctx(), viewer.id, SubjectType.GROUP, group.id, "dev")
    await groups.delete_group(tf.ctx(), group.id)
    assert await bindings.list_bindings(tf.ctx(), subject_type=SubjectType.GROUP) == []
