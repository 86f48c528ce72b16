"""Authentication: only live tokens of live owners work, and only hashes are stored."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from backend.domain.errors import IntegrationDisabled, Unauthenticated
from backend.domain.models import ActorType
from backend.persistence import tables as t
from backend.persistence.db import Database
from backend.services import authn, integrations, service_accounts, tokens
from tests.factories import make_integration, make_tenant


async def test_valid_token_resolves_actor_and_records_last_use(db: Database) -> None:
    tf = await make_tenant(db)
    actor = await authn.authenticate(db, tf.admin_token)
    assert actor.type is ActorType.USER and actor.instance_owner
    async with db.read() as conn:
        last_used = (await conn.execute(sa.select(t.api_tokens.c.last_used_at))).scalars().all()
    assert any(v is not None for v in last_used)


@pytest.mark.parametrize("token", ["", "nope", "tsr_0123456789abcdef_wrong", "tsr_zz"])
async def test_malformed_or_unknown_tokens_are_rejected(db: Database, token: str) -> None:
    await make_tenant(db)
    with pytest.raises(Unauthenticated):
        await authn.authenticate(db, token)


async def test_wrong_secret_for_a_real_token_id_is_rejected(db: Database) -> None:
    tf = await make_tenant(db)
    forged = tf.admin_token[:21] + "x" * (len(tf.admin_token) - 21)
    with pytest.raises(Unauthenticated, match="invalid"):
        await authn.authenticate(db, forged)


async def test_expired_token_is_rejected(db: Database) -> None:
    tf = await make_tenant(db)
    issued = await tokens.create_api_token(
        tf.ctx(), owner_type=ActorType.USER, owner_id=tf.admin.id, name="short",
        expires_at=datetime.now(UTC) + timedelta(minutes=5))
    assert (await authn.authenticate(db, issued.secret)).id == tf.admin.id
    later = datetime.now(UTC) + timedelta(minutes=6)
    with pytest.raises(Unauthenticated, match="expired"):
        await authn.authenticate(db, issued.secret, clock=lambda: later)


async def test_revoked_token_is_rejected(db: Database) -> None:
    tf = await make_tenant(db)
    issued = await tokens.create_api_token(tf.ctx(), owner_type=ActorType.USER,
                                           owner_id=tf.admin.id, name="temp")
    await tokens.revoke_api_token(tf.ctx(), issued.token.id)
    with pytest.raises(Unauthenticated, match="revoked"):
        await authn.authenticate(db, issued.secret)


async def test_token_of_a_deleted_owner_is_rejected(db: Database) -> None:
    tf = await make_tenant(db)
    account = await service_accounts.create_service_account(tf.ctx(), "robot")
    issued = await tokens.create_api_token(tf.ctx(), owner_type=ActorType.SERVICE_ACCOUNT,
                                           owner_id=account.id, name="ci")
    assert (await authn.authenticate(db, issued.secret)).id == account.id
    # Remove the owner row directly, leaving the token behind, as a crash or bug might.
    async with db.write() as conn:
        await conn.execute(t.service_accounts.delete().where(t.service_accounts.c.id == account.id))
    with pytest.raises(Unauthenticated, match="owner"):
        await authn.authenticate(db, issued.secret)


async def test_disabled_integration_token_is_rejected(db: Database) -> None:
    tf = await make_tenant(db)
    integration_id, secret = await make_integration(tf)
    actor = await authn.authenticate(db, secret)
    assert actor.integration_id == integration_id and actor.tenant_id == tf.tenant
    await integrations.update_integration(tf.ctx(), integration_id, enabled=False)
    with pytest.raises(IntegrationDisabled, match="disabled"):
        await authn.authenticate(db, secret)
    await integrations.update_integration(tf.ctx(), integration_id, enabled=True)
    assert (await authn.authenticate(db, secret)).integration_id == integration_id


async def test_database_holds_no_plaintext_token(db: Database) -> None:
    tf = await make_tenant(db)
    _, secret = await make_integration(tf)
    secrets_shown = [tf.admin_token, secret]
    async with db.read() as conn:
        raw = (await conn.execute(sa.select(t.api_tokens))).all()
    dump = repr([tuple(r) for r in raw])
    for token in secrets_shown:
        _, secret_part = tokens.split_token(token) or ("", "")
        assert token not in dump and secret_part not in dump
    assert all(len(r.secret_hash) == 64 for r in raw)


def test_integration_secret_is_about_200_characters() -> None:
    import secrets as s

    secret = f"tsr_{'0' * 16}_{s.token_urlsafe(tokens.INTEGRATION_SECRET_BYTES)}"
    assert 190 <= len(secret) <= 210
