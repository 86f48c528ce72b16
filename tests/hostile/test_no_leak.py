"""An unexpected exception deep inside either door reaches the client as a bare error with no
exception text, type, stack trace or driver name."""

from __future__ import annotations

import pytest

from backend.services import users
from tests.hostile.support import LEAKS, assert_no_leak
from tests.scim.conftest import Scim, user_body

SECRET = 'Traceback (most recent call last):\n  File "/srv/app.py" sqlalchemy asyncpg boom'


def _explode(*_args: object, **_kwargs: object) -> None:
    raise RuntimeError(SECRET)


async def test_scim_500_leaks_nothing(scim: Scim, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(users, "create_user", _explode)
    r = await scim.post("/Users", user_body("boom@example.com"))
    assert r.status_code == 500
    assert r.json() == {"schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
                        "status": "500", "detail": "internal error"}
    assert_no_leak(r)
    assert "RuntimeError" not in r.text and "boom" not in r.text


async def test_graphql_internal_error_leaks_nothing(
    scim: Scim, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(users, "create_user", _explode)
    r = await scim.client.post("/graphql", json={
        "query": "mutation($t: ID!) { grantTenantAccess(tenant: $t, userName: \"b@x.io\") "
                 "{ user { id } } }", "variables": {"t": scim.tenant.tenant}},
        headers={"Authorization": f"Bearer {scim.tenant.admin_token}"})
    assert [e["extensions"]["code"] for e in r.json()["errors"]] == ["INTERNAL"]
    assert_no_leak(r)
    assert not any(marker in r.text for marker in (*LEAKS, "RuntimeError", "boom"))
