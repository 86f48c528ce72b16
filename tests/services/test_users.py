"""Users: global identities, tenant memberships, and the rules between them."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from backend.domain.errors import Conflict, Forbidden, InvalidValue, NotFound, PreconditionFailed
from backend.domain.queries import ListQuery, UserDraft
from backend.persistence import tables as t
from backend.persistence.db import Database
from backend.services import audit, groups, passwords, tenants, users
from tests.factories import draft, make_tenant


async def test_create_then_read(db: Database) -> None:
    tf = await make_tenant(db)
    created = await users.create_user(tf.ctx(), draft("Ada@Acme.test"))
    got = await users.get_user(tf.ctx(), created.id)
    assert got.user.user_name == "Ada@Acme.test" and got.active
    assert got.external_id == "ext-Ada@Acme.test" and got.etag == 'W/"1.1"'


async def test_user_name_is_unique_case_insensitively(db: Database) -> None:
    tf = await make_tenant(db)
    await users.create_user(tf.ctx(), draft("ada@acme.test"))
    with pytest.raises(Conflict, match="already exists in this tenant"):
        await users.create_user(tf.ctx(), draft("ADA@ACME.TEST"))


async def test_unicode_lookalikes_collide(db: Database) -> None:
    tf = await make_tenant(db)
    await users.create_user(tf.ctx(), draft("\uff53tra\u00dfe@acme.test"))  # fullwidth s, sharp s
    with pytest.raises(Conflict):
        await users.create_user(tf.ctx(), draft("STRASSE@acme.test"))


async def test_retried_create_with_password_is_409_before_hashing(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    tf = await make_tenant(db)
    d = draft("okta@acme.test")
    await users.create_user(tf.ctx(), UserDraft(d.user_name, d.profile, password="s3cret!"))
    hashed: list[str] = []

    async def counting_hash(password: str) -> str:
        hashed.append(password)
        return "never-stored"

    monkeypatch.setattr(passwords, "hash_password", counting_hash)
    with pytest.raises(Conflict, match="already exists in this tenant"):
        await users.create_user(tf.ctx(), UserDraft(d.user_name, d.profile, password="s3cret!"))
    assert hashed == []


async def test_existing_global_user_is_linked_into_another_tenant(db: Database) -> None:
    tf = await make_tenant(db)
    await tenants.create_tenant(tf.ctx(), "beta")
    other = await make_tenant(db, "beta", tf.admin.label)
    first = await users.create_user(tf.ctx(), draft("ada@acme.test"))
    linked = await users.create_user(other.ctx(), draft("ADA@acme.test"))
    assert linked.id == first.id
    # Removing access in one tenant leaves the global user and the other tenant's access.
    await users.remove_from_tenant(other.ctx(), linked.id)
    with pytest.raises(NotFound):
        await users.get_user(other.ctx(), linked.id)
    assert (await users.get_user(tf.ctx(), first.id)).user.user_name == "ada@acme.test"


async def test_remove_from_tenant_drops_groups_and_bindings_but_keeps_user(db: Database) -> None:
    tf = await make_tenant(db)
    user = await users.create_user(tf.ctx(), draft("gone@acme.test"))
    group = await groups.create_group(tf.ctx(), "team", members=(user.id,))
    await users.remove_from_tenant(tf.ctx(), user.id)
    with pytest.raises(NotFound):
        await users.get_user(tf.ctx(), user.id)
    assert (await groups.members(tf.ctx(), [group.id]))[group.id] == []
    page = await users.list_users(tf.ctx(), ListQuery())
    assert user.id not in [u.id for u in page.items]
    async with db.read() as conn:
        still = (await conn.execute(sa.select(t.users.c.id).where(t.users.c.id == user.id))).first()
    assert still is not None
    # Re-provisioning links the same global user again.
    again = await users.create_user(tf.ctx(), draft("gone@acme.test"))
    assert again.id == user.id


async def test_deactivate_keeps_user_visible(db: Database) -> None:
    tf = await make_tenant(db)
    user = await users.create_user(tf.ctx(), draft("sleepy@acme.test"))
    suspended = await users.set_active(tf.ctx(), user.id, False)
    assert not suspended.active and suspended.etag != user.etag
    assert not (await users.get_user(tf.ctx(), user.id)).active


async def test_password_is_hashed_with_argon2_and_never_returned(db: Database) -> None:
    tf = await make_tenant(db)
    d = draft("pw@acme.test")
    user = await users.create_user(tf.ctx(), UserDraft(d.user_name, d.profile, password="s3cret!"))
    assert user.user.has_password and "s3cret!" not in repr(user)
    async with db.read() as conn:
        stored = (await conn.execute(sa.select(t.users.c.password_hash)
                                     .where(t.users.c.id == user.id))).scalar_one()
    assert stored.startswith("$argon2id$") and "s3cret!" not in stored


async def test_if_match_is_enforced(db: Database) -> None:
    tf = await make_tenant(db)
    user = await users.create_user(tf.ctx(), draft("etag@acme.test"))
    with pytest.raises(PreconditionFailed):
        await users.update_user(tf.ctx(), user.id, lambda d: d, if_match='W/"9.9"')
    unchanged = await users.update_user(tf.ctx(), user.id, lambda d: d, if_match=user.etag)
    assert unchanged.etag == user.etag  # nothing changed, so the version did not either
    updated = await users.update_user(
        tf.ctx(), user.id, lambda d: UserDraft(d.user_name, d.profile, "ext-1", d.active),
        if_match=user.etag)
    assert updated.version == user.version + 1
    with pytest.raises(PreconditionFailed):  # the old ETag no longer matches
        await users.update_user(tf.ctx(), user.id, lambda d: d, if_match=user.etag)


async def test_invalid_user_names_are_refused(db: Database) -> None:
    tf = await make_tenant(db)
    for bad in ["", "   ", "x" * 300, "nul\x00byte"]:
        with pytest.raises(InvalidValue):
            await users.create_user(tf.ctx(), draft(bad))


async def test_no_cross_tenant_takeover(db: Database) -> None:
    tf = await make_tenant(db)
    await tenants.create_tenant(tf.ctx(), "beta")
    beta = await make_tenant(db, "beta", tf.admin.label)
    victim = await users.create_user(tf.ctx(), draft("victim@acme.test"))
    await users.create_user(beta.ctx(), draft("victim@acme.test"))

    def steal(d: UserDraft) -> UserDraft:
        profile = dict(d.profile, emails=[{"value": "attacker@evil.test", "type": "work"}])
        return UserDraft("attacker@evil.test", profile, d.external_id, d.active)

    with pytest.raises(Forbidden, match="another tenant"):
        await users.update_user(beta.ctx(), victim.id, steal)
    with pytest.raises(Forbidden, match="password"):
        await users.update_user(beta.ctx(), victim.id, lambda d: UserDraft(
            d.user_name, d.profile, d.external_id, d.active, password="pwned"))
    assert (await users.get_user(tf.ctx(), victim.id)).user.user_name == "victim@acme.test"
    events = await audit.list_events(beta.ctx(), action="user.takeover_refused")
    assert len(events) == 2 and events[0].resource_id == victim.id
    # Non-identity attributes may still change.
    renamed = await users.update_user(beta.ctx(), victim.id, lambda d: UserDraft(
        d.user_name, dict(d.profile, title="CTO"), d.external_id, d.active))
    assert renamed.user.profile["title"] == "CTO"


async def test_user_name_change_checks_global_uniqueness(db: Database) -> None:
    tf = await make_tenant(db)
    await users.create_user(tf.ctx(), draft("one@acme.test"))
    two = await users.create_user(tf.ctx(), draft("two@acme.test"))
    with pytest.raises(Conflict):
        await users.update_user(tf.ctx(), two.id, lambda d: UserDraft(
            "ONE@acme.test", d.profile, d.external_id, d.active))


async def test_writes_are_audited(db: Database) -> None:
    tf = await make_tenant(db)
    user = await users.create_user(tf.ctx(), draft("aud@acme.test"))
    await users.set_active(tf.ctx(), user.id, False)
    events = await audit.list_events(tf.ctx())
    actions = [e.action for e in events]
    assert actions[:2] == ["user.update", "user.create"]
    assert events[0].via == "graphql" and events[0].actor_id == tf.admin.id
    assert events[0].summary["active"] == {"before": True, "after": False}


async def test_unset_active_is_per_tenant_and_counts_as_active(db: Database) -> None:
    tf = await make_tenant(db)
    await tenants.create_tenant(tf.ctx(), "beta")
    beta = await make_tenant(db, "beta", tf.admin.label)
    user = await users.create_user(tf.ctx(), draft("unset@acme.test"))
    await users.create_user(beta.ctx(), draft("unset@acme.test"))
    unset = await users.update_user(tf.ctx(), user.id, lambda d: UserDraft(
        d.user_name, d.profile, d.external_id, None))
    assert unset.active is None and unset.is_active
    assert (await users.get_user(beta.ctx(), user.id)).active is True
    assert "active" not in str(unset.user.profile)  # nothing leaks into the global profile
