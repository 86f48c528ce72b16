"""No token, password or secret in the logs, the audit log, the request log, or anywhere in
the database (which holds hashes only): a provisioning flow, then a grep for each secret."""

from __future__ import annotations

import logging
from typing import Any

import pytest
import sqlalchemy as sa

from backend.persistence import tables as t
from backend.persistence.db import Database
from tests.reliability.conftest import Rel
from tests.scim.conftest import patch_body, user_body

PASSWORDS = ["Corr3ct-Horse-Battery!", "Tr0ub4dor&3-rotated"]


async def _flow(rel: Rel) -> list[str]:
    """Every kind of secret the system hands out or receives, once each."""
    t_ = {"t": rel.scim.tenant.tenant}
    created = await rel.data("""mutation($t: ID!) { createProvisioningIntegration(tenant: $t,
        input: {name: "okta"}) { secretToken integration { id } } }""", **t_)
    integration = created["createProvisioningIntegration"]["integration"]["id"]
    secrets = [rel.scim.secret, rel.scim.tenant.admin_token,
               created["createProvisioningIntegration"]["secretToken"]]
    user = await rel.scim.post("/Users", user_body(password=PASSWORDS[0]))
    assert user.status_code == 201
    changed = await rel.scim.patch(f"/Users/{user.json()['id']}", patch_body(
        {"op": "replace", "path": "password", "value": PASSWORDS[1]}))
    assert changed.status_code in (200, 204)
    rotated = await rel.data("""mutation($t: ID!, $id: ID!) {
        rotateProvisioningIntegrationToken(tenant: $t, id: $id) { secretToken } }""",
                             **t_, id=rel.scim.integration_id)
    added = await rel.data("""mutation($t: ID!, $id: ID!) {
        addProvisioningIntegrationSecret(tenant: $t, id: $id) { secretToken } }""",
                           **t_, id=integration)
    token = await rel.data("""mutation($t: ID!) { createApiToken(tenant: $t,
        input: {name: "ci"}) { secret } }""", **t_)
    secrets += [rotated["rotateProvisioningIntegrationToken"]["secretToken"],
                added["addProvisioningIntegrationSecret"]["secretToken"],
                token["createApiToken"]["secret"]]
    # The old, now revoked secret presented again: refused, and logged as a 401.
    assert (await rel.scim.get("/Users")).status_code == 401
    return secrets


def _fragments(secret: str) -> list[str]:
    """The whole token and its secret part (what remains after ``tsr_<id>_``)."""
    return [secret, secret.split("_", 2)[-1]] if secret.startswith("tsr_") else [secret]


async def _dump(db: Database) -> dict[str, str]:
    out = {}
    await db.flush_buffers()  # the request log's queued rows too
    async with db.read() as conn:
        for table in t.ALL_TABLES:
            out[table.name] = repr([tuple(r) for r in await conn.execute(sa.select(table))])
    return out


async def test_no_secret_in_logs_audit_request_log_or_database(
    rel: Rel, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # every logger
    caplog.set_level(logging.DEBUG, logger="sqlalchemy.engine")  # SQL and its parameters too
    secrets = await _flow(rel)
    dump = await _dump(rel.scim.db)
    assert "[]" not in (dump["audit_events"], dump["provisioning_requests"])
    logs = caplog.text + repr([(r.args, r.msg) for r in caplog.records])
    assert "provisioning_requests" in logs  # SQL logging did capture the statements
    for value in [*PASSWORDS, *(f for s in secrets for f in _fragments(s))]:
        assert value not in logs, "a secret reached the logs"
        for table, rows in dump.items():
            assert value not in rows, f"a secret is stored in {table}"


async def test_database_holds_only_hashes(rel: Rel) -> None:
    secrets = await _flow(rel)
    async with rel.scim.db.read() as conn:
        hashes = set((await conn.execute(sa.select(t.api_tokens.c.secret_hash))).scalars())
        passwords: list[Any] = list((await conn.execute(
            sa.select(t.users.c.password_hash).where(t.users.c.password_hash.is_not(None))
        )).scalars())
    assert all(len(h) == 64 and all(c in "0123456789abcdef" for c in h) for h in hashes)
    assert len(hashes) >= len(secrets)
    assert passwords and all(p.startswith("$argon2") for p in passwords)
