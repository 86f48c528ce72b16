"""``POST /graphql``: the strawberry router with per-request authentication and context."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from strawberry.fastapi import GraphQLRouter

from backend.config import Settings
from backend.domain.errors import Unauthenticated
from backend.services import authn
from backend.services.context import new_id, utc_now
from graphql_schema.context import GraphQLContext
from graphql_schema.schema import schema


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def build_router(settings: Settings, db: Any) -> GraphQLRouter[GraphQLContext, None]:
    """``db`` is the backend Database. Tests may set ``app.state.service_clock`` and
    ``app.state.service_ids`` to make times and ids deterministic."""

    async def get_context(request: Request) -> GraphQLContext:
        state = request.app.state
        clock = getattr(state, "service_clock", None) or utc_now
        ids = getattr(state, "service_ids", None) or new_id
        try:
            actor = await authn.authenticate(db, _bearer(request), clock=clock)
        except Unauthenticated as exc:
            return GraphQLContext(settings, db, None, exc, clock=clock, ids=ids)
        return GraphQLContext(settings, db, actor, None, clock=clock, ids=ids)

    return GraphQLRouter(schema, path="/graphql", context_getter=get_context,
                         graphql_ide="graphiql" if settings.graphiql else None)
