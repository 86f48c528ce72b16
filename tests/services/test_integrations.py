"""Provisioning integrations: one transaction creates role, account, binding and secret."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from backend.domain.errors import Unauthenticated
from backend.domain.models import SubjectType
from backend.domain.roles import SCIM_PROVISIONER, SCIM_PROVISIONER_PERMISSIONS
from backend.persistence import tables as t
from backend.persistence.db import Database
from backend.services import authn, bindings, integrations, roles, service_accounts, tokens, users
from tests.factories import draft, make_integration, make_tenant


async def _count(db: Database, table: sa.Table) -> int:
    async with db.read() as conn:
        return int((await conn.execute(sa.select(sa.func.count()).select_from(table))).scalar_one())


async def test_create_integration_builds_everything(db: Database) -> None:
    tf = await make_tenant(db)
    integration, secret = await integrations.create_integration(tf.ctx(), "Entra", "prod sync")
    assert integration.type == "SCIM2" and integration.enabled
    assert len(secret) == 200
    role = next(r for r in await roles.list_roles(tf.ctx()) if r.name == SCIM_PROVISIONER)
    assert role.permissions == SCIM_PROVISIONER_PERMISSIONS and not role.managed
    account = next(a for a in await service_accounts.list_service_accounts(tf.ctx())
                   if a.id == integration.service_account_id)
    assert account.name.startswith("scim-entra-")
    bound = await bindings.list_bindings(tf.ctx(), subject_type=SubjectType.SERVICE_ACCOUNT,
                                         subject_ids=[account.id])
    assert [(b.role_id, b.namespace) for b in bound] == [(role.id, None)]
    actor = await authn.authenticate(db, secret)
    assert actor.id == account.id and actor.integration_id == integration.id
    url = integrations.endpoint_url("http://h:1", integration)
    assert url == f"http://h:1/api/v1/acme/integrations/{integration.id}/scim/v2"


async def test_second_integration_shares_the_scim_provisioner_role(db: Database) -> None:
    tf = await make_tenant(db)
    await make_integration(tf, "Entra")
    await make_integration(tf, "Okta")
    names = [r.name for r in await roles.list_roles(tf.ctx())]
    assert names.count(SCIM_PROVISIONER) == 1


async def test_creation_is_atomic(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    tf = await make_tenant(db)
    before = {tbl.name: await _count(db, tbl) for tbl in
              (t.integrations, t.service_accounts, t.roles, t.bindings, t.api_tokens,
               t.audit_events)}

    async def explode(*_a: object, **_k: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(tokens, "issue", explode)
    with pytest.raises(RuntimeError):
        await integrations.create_integration(tf.ctx(), "Entra")
    after = {tbl.name: await _count(db, tbl) for tbl in
             (t.integrations, t.service_accounts, t.roles, t.bindings, t.api_tokens,
              t.audit_events)}
    assert after == before


async def test_rotate_revokes_the_old_secret(db: Database) -> None:
    tf = await make_tenant(db)
    integration_id, old = await make_integration(tf)
    _, new = await integrations.rotate_token(tf.ctx(), integration_id)
    assert new != old
    assert (await authn.authenticate(db, new)).integration_id == integration_id
    with pytest.raises(Unauthenticated):
        await authn.authenticate(db, old)


async def test_delete_revokes_secret_and_keeps_provisioned_users(db: Database) -> None:
    tf = await make_tenant(db)
    integration_id, secret = await make_integration(tf)
    scim_ctx = tf.ctx()
    scim_ctx.actor = await authn.authenticate(db, secret)
    user = await users.create_user(scim_ctx, draft("bob@acme.test"))
    assert user.managed_by == integration_id
    await integrations.delete_integration(tf.ctx(), integration_id)
    with pytest.raises(Unauthenticated):
        await authn.authenticate(db, secret)
    kept = await users.get_user(tf.ctx(), user.id)
    assert kept.user.user_name == "bob@acme.test" and kept.managed_by is None
    assert await integrations.list_integrations(tf.ctx()) == []
    assert all(not a.name.startswith("scim-") for a in
               await service_accounts.list_service_accounts(tf.ctx()))
