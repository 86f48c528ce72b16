"""GraphQL errors: every error carries ``extensions.code``; unexpected ones are masked.

Codes: UNAUTHENTICATED, FORBIDDEN, NOT_FOUND, CONFLICT, INVALID (domain errors and malformed or
over-limit documents) and INTERNAL (anything unexpected: message "internal error", no details).
"""

from __future__ import annotations

from collections.abc import Iterator

from graphql import ExecutionResult as GraphQLExecutionResult
from graphql.error import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.types.execution import ExecutionResult

from backend.domain.errors import DomainError, InvalidValue
from backend.domain.filters import FilterError

CODES = frozenset({"UNAUTHENTICATED", "FORBIDDEN", "NOT_FOUND", "CONFLICT", "INVALID"})
_DOMAIN_CODES = {"PRECONDITION_FAILED": "CONFLICT"}


def code_of(error: GraphQLError) -> str:
    original = error.original_error
    if isinstance(original, DomainError):
        code = _DOMAIN_CODES.get(original.code, original.code)
        return code if code in CODES else "INVALID"
    if isinstance(original, FilterError):
        return "INVALID"
    if original is None or isinstance(original, GraphQLError):
        existing = (error.extensions or {}).get("code")
        return existing if isinstance(existing, str) else "INVALID"
    return "INTERNAL"


def is_expected(error: GraphQLError) -> bool:
    return code_of(error) != "INTERNAL"


def shape(error: GraphQLError) -> GraphQLError:
    """The client-facing form of one error: the message (or a mask) and a code, nothing else."""
    code = code_of(error)
    original = error.original_error
    extensions: dict[str, object] = {"code": code}
    if isinstance(original, InvalidValue) and original.field:
        extensions["field"] = original.field
    if code == "INTERNAL":
        message = "internal error"
    elif isinstance(original, DomainError):
        message = original.message
    elif isinstance(original, FilterError):
        message = f"invalid filter: {original}"
    else:
        message = error.message
    return GraphQLError(message, nodes=error.nodes, source=error.source,
                        positions=error.positions, path=error.path, extensions=extensions)


class ErrorCodes(SchemaExtension):
    """Rewrite the errors of every operation (validation, execution) into their public form."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if isinstance(result, (GraphQLExecutionResult, ExecutionResult)) and result.errors:
            result.errors = [shape(e) for e in result.errors]
