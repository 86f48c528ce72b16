"""SCIM errors: the ONE place where domain errors become SCIM error bodies (RFC 7644 §3.12)."""

from __future__ import annotations

from typing import Any

from backend.domain import errors as d
from scim_adapter.schema import ERROR

SCIM_CONTENT_TYPE = "application/scim+json"
WWW_AUTHENTICATE = 'Bearer realm="tessera"'


class ScimError(Exception):
    """An error answered as a SCIM Error body."""

    def __init__(
        self, status: int, detail: str, scim_type: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.scim_type = scim_type
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"schemas": [ERROR], "status": str(self.status)}
        if self.scim_type:
            doc["scimType"] = self.scim_type
        doc["detail"] = self.detail
        return doc


def unauthorized(detail: str = "missing or invalid bearer token") -> ScimError:
    return ScimError(401, detail, headers={"WWW-Authenticate": WWW_AUTHENTICATE})


def invalid_value(detail: str) -> ScimError:
    return ScimError(400, detail, "invalidValue")


def invalid_path(detail: str) -> ScimError:
    return ScimError(400, detail, "invalidPath")


def to_scim(exc: BaseException) -> ScimError:
    """Translate any exception to a ScimError; unknown ones become a bare 500."""
    if isinstance(exc, ScimError):
        return exc
    if isinstance(exc, d.IntegrationDisabled):
        return unauthorized("this provisioning integration is disabled")
    if isinstance(exc, d.Unauthenticated):
        return unauthorized()
    if isinstance(exc, d.Forbidden):
        return ScimError(403, exc.message)
    if isinstance(exc, d.NotFound):
        return ScimError(404, exc.message)
    if isinstance(exc, d.Conflict):
        return ScimError(409, exc.message, "uniqueness")
    if isinstance(exc, d.PreconditionFailed):
        return ScimError(412, exc.message)
    if isinstance(exc, d.InvalidFilter):
        return ScimError(400, exc.message, "invalidFilter")
    if isinstance(exc, d.Mutability):
        return ScimError(400, exc.message, "mutability")
    if isinstance(exc, d.InvalidValue):
        return ScimError(400, exc.message, "invalidValue")
    if isinstance(exc, d.DomainError):
        return ScimError(400, exc.message, "invalidValue")
    return ScimError(500, "internal error")
