"""Bearer authentication: the actor must be the service account of exactly this integration."""

from __future__ import annotations

from backend.domain.errors import IntegrationDisabled, Unauthenticated
from backend.domain.models import Actor
from backend.services import authn
from backend.services.context import Database
from scim_adapter.errors import to_scim, unauthorized


def bearer(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


async def actor_for(db: Database, header: str | None, tenant: str, integration_id: str) -> Actor:
    """Resolve the caller or raise a 401 ScimError that reveals nothing about the URL."""
    try:
        actor = await authn.authenticate(db, bearer(header))
    except IntegrationDisabled as exc:
        raise to_scim(exc) from None
    except Unauthenticated:
        raise unauthorized() from None
    if actor.integration_id is None or actor.integration_id != integration_id \
            or actor.tenant_id != tenant:
        raise unauthorized()
    return actor

