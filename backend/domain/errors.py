"""Domain errors. Each door translates them once (SCIM error bodies, GraphQL error codes)."""

from __future__ import annotations


class DomainError(Exception):
    """Base class; ``code`` is stable and door-neutral."""

    code = "INVALID"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Unauthenticated(DomainError):
    code = "UNAUTHENTICATED"


class Forbidden(DomainError):
    code = "FORBIDDEN"


class NotFound(DomainError):
    code = "NOT_FOUND"


class Conflict(DomainError):
    """A uniqueness rule would be broken (SCIM ``uniqueness``)."""

    code = "CONFLICT"


class InvalidValue(DomainError):
    """Bad input (SCIM ``invalidValue``); ``field`` names the culprit when known."""

    code = "INVALID"

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class Mutability(DomainError):
    """An attempt to change something that may not change (SCIM ``mutability``)."""

    code = "INVALID"


class PreconditionFailed(DomainError):
    """An ``If-Match`` / expected version did not match."""

    code = "PRECONDITION_FAILED"


class IntegrationDisabled(Unauthenticated):
    """The integration behind a token is switched off."""


class InvalidFilter(InvalidValue):
    """A filter that does not parse, or names an attribute that cannot be filtered on."""
