"""Bearer authentication: the actor must be the service account of exactly this integration."""

from __future__ import annotations

from backend.domain.errors import IntegrationDisabled, Unauthenticated
from backend.domain.models import Actor
from backend.services import authn
from backend.services.context import Clock, Database, utc_now
from backend.services.tokens import TokenExpired, TokenRevoked
from scim_adapter.errors import to_scim, unauthorized


def bearer(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


async def actor_for(db: Database, header: str | None, tenant: str, integration_id: str,
                    clock: Clock = utc_now) -> Actor:
    """Resolve the caller or raise a 401 ScimError that reveals nothing about the URL.

    Expired and revoked tokens get their own detail: those are only reported after the secret
    matched, so they tell nothing to anyone but the token's holder. Unknown or malformed tokens
    share one generic answer."""
    try:
        actor = await authn.authenticate(db, bearer(header), clock=clock)
    except IntegrationDisabled as exc:
        raise to_scim(exc) from None
    except (TokenExpired, TokenRevoked) as exc:
        raise unauthorized(exc.message) from None
    except Unauthenticated:
        raise unauthorized() from None
    if actor.integration_id is None or actor.integration_id != integration_id \
            or actor.tenant_id != tenant:
        raise unauthorized()
    return actor

