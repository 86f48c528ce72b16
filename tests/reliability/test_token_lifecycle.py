"""Integration secrets: several at once, expiry, revocation, lastUsedAt, clear 401 details."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.reliability.conftest import Rel

ADD = """mutation($t: ID!, $id: ID!, $exp: DateTime) {
  addProvisioningIntegrationSecret(tenant: $t, id: $id, expiresAt: $exp) {
    secretToken secret { id expiresAt revokedAt } } }"""
REVOKE = """mutation($t: ID!, $id: ID!, $s: ID!) {
  revokeProvisioningIntegrationSecret(tenant: $t, id: $id, secretId: $s) {
    secret { id revokedAt } } }"""
SECRETS = """query($t: ID!) { tenant(id: $t) { integrations {
  secrets { id prefix createdAt expiresAt lastUsedAt revokedAt } } } }"""
ROTATE = """mutation($t: ID!, $id: ID!) {
  rotateProvisioningIntegrationToken(tenant: $t, id: $id) { secretToken } }"""


async def _get(rel: Rel, token: str) -> httpx.Response:
    return await rel.scim.client.get(rel.scim.url("/Users"),
                                     headers={"Authorization": f"Bearer {token}"})


def _detail(r: httpx.Response) -> str:
    assert r.status_code == 401, r.text
    assert r.headers["www-authenticate"].startswith("Bearer")
    detail: str = r.json()["detail"]
    return detail


async def _secrets(rel: Rel) -> list[dict[str, Any]]:
    data = await rel.data(SECRETS, t=rel.scim.tenant.tenant)
    found: list[dict[str, Any]] = data["tenant"]["integrations"][0]["secrets"]
    return found


async def test_two_active_secrets_then_revoke_the_old_one(rel: Rel) -> None:
    ids = {"t": rel.scim.tenant.tenant, "id": rel.scim.integration_id}
    added = (await rel.data(ADD, **ids))["addProvisioningIntegrationSecret"]
    new = added["secretToken"]
    assert len(new) == 200 and added["secret"]["revokedAt"] is None
    assert (await _get(rel, rel.scim.secret)).status_code == 200
    assert (await _get(rel, new)).status_code == 200
    listed = await _secrets(rel)
    assert len(listed) == 2 and all(s["lastUsedAt"] is not None for s in listed)
    assert set(listed[0]) == {"id", "prefix", "createdAt", "expiresAt", "lastUsedAt",
                              "revokedAt"}
    old_id = next(s["id"] for s in listed if s["id"] != added["secret"]["id"])
    revoked = await rel.data(REVOKE, **ids, s=old_id)
    assert revoked["revokeProvisioningIntegrationSecret"]["secret"]["revokedAt"]
    assert _detail(await _get(rel, rel.scim.secret)) == "token revoked"
    assert (await _get(rel, new)).status_code == 200


async def test_expired_secret_gets_a_clear_401(rel: Rel) -> None:
    expires = datetime.now(UTC) + timedelta(days=1)
    added = await rel.data(ADD, t=rel.scim.tenant.tenant, id=rel.scim.integration_id,
                           exp=expires.isoformat())
    token = added["addProvisioningIntegrationSecret"]["secretToken"]
    assert (await _get(rel, token)).status_code == 200
    rel.scim.client._transport.app.state.scim_auth_clock = (  # type: ignore[attr-defined]
        lambda: expires + timedelta(seconds=1))
    assert _detail(await _get(rel, token)) == "token expired"
    assert (await _get(rel, rel.scim.secret)).status_code == 200  # no expiry on the first


async def test_unknown_and_malformed_tokens_share_one_generic_answer(rel: Rel) -> None:
    generic = {_detail(await _get(rel, token)) for token in (
        "nope", "tsr_0123456789abcdef_" + "x" * 40, rel.scim.secret[:-3] + "abc",
        rel.scim.secret[:20] + "_" + "y" * 30)}
    assert generic == {"missing or invalid bearer token"}


async def test_revoking_the_last_secret_stops_the_integration(rel: Rel) -> None:
    ids = {"t": rel.scim.tenant.tenant, "id": rel.scim.integration_id}
    (only,) = await _secrets(rel)
    await rel.data(REVOKE, **ids, s=only["id"])
    assert _detail(await _get(rel, rel.scim.secret)) == "token revoked"
    rotated = (await rel.data(ROTATE, **ids))["rotateProvisioningIntegrationToken"]
    assert (await _get(rel, rotated["secretToken"])).status_code == 200


async def test_rotation_keeps_its_contract_and_secret_ops_are_audited(rel: Rel) -> None:
    ids = {"t": rel.scim.tenant.tenant, "id": rel.scim.integration_id}
    added = (await rel.data(ADD, **ids))["addProvisioningIntegrationSecret"]["secretToken"]
    rotated = (await rel.data(ROTATE, **ids))["rotateProvisioningIntegrationToken"]
    for old in (rel.scim.secret, added):  # rotation still revokes every earlier secret
        assert _detail(await _get(rel, old)) == "token revoked"
    assert (await _get(rel, rotated["secretToken"])).status_code == 200
    foreign = await rel.gql(REVOKE, **ids, s="0123456789abcdef")
    assert foreign["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    events = await rel.data("""query($t: ID!) { tenant(id: $t) {
      auditEvents(first: 10) { edges { node { action summary } } } } }""",
                            t=rel.scim.tenant.tenant)
    actions = [e["node"]["action"] for e in events["tenant"]["auditEvents"]["edges"]]
    assert actions[:2] == ["integration.rotate_token", "integration.add_secret"]
    assert added not in str(events) and rotated["secretToken"] not in str(events)
