"""Assertions shared by the hostile-input tests."""

from __future__ import annotations

from typing import Any

import httpx

ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
LEAKS = ("Traceback", 'File "', "sqlalchemy", "asyncpg", "aiosqlite", "Exception:")


def assert_no_leak(response: httpx.Response) -> None:
    """No stack trace, Python exception text or driver name reaches a client."""
    text = response.text
    for marker in LEAKS:
        assert marker not in text, (marker, response.status_code, text[:500])


def assert_scim_error(response: httpx.Response, status: int | None = None,
                      scim_type: str | None = None, label: str = "") -> dict[str, Any]:
    """A SCIM Error body (RFC 7644 §3.12); ``status``/``scim_type`` when given must match."""
    assert_no_leak(response)
    seen = (label, response.request.method, response.status_code, response.text[:300])
    assert 400 <= response.status_code < 500, seen
    if status is not None:
        assert response.status_code == status, seen
    body: dict[str, Any] = response.json()
    assert body["schemas"] == [ERROR], seen
    assert body["status"] == str(response.status_code), seen
    assert response.headers["content-type"].startswith("application/scim+json"), seen
    if scim_type is not None:
        assert body.get("scimType") == scim_type, seen
    return body
