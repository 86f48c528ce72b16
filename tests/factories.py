"""Small builders for tests: contexts, tenants with an admin, integrations."""

from __future__ import annotations

from dataclasses import dataclass

from backend.domain.models import Actor, Door
from backend.domain.queries import UserDraft
from backend.persistence.db import Database
from backend.services import authn, integrations
from backend.services.bootstrap import bootstrap
from backend.services.context import ServiceContext


@dataclass
class TenantFixture:
    tenant: str
    admin: Actor
    admin_token: str
    db: Database

    def ctx(self, via: Door = Door.GRAPHQL) -> ServiceContext:
        return ServiceContext(db=self.db, actor=self.admin, tenant_id=self.tenant, via=via)


async def make_tenant(
    db: Database, tenant: str = "acme", email: str | None = None
) -> TenantFixture:
    result = await bootstrap(db, tenant, email or f"admin@{tenant}.test")
    actor = await authn.authenticate(db, result.token)
    return TenantFixture(tenant, actor, result.token, db)


async def actor_ctx(db: Database, token: str, tenant: str, via: Door = Door.SCIM) -> ServiceContext:
    actor = await authn.authenticate(db, token)
    return ServiceContext(db=db, actor=actor, tenant_id=tenant, via=via)


async def make_integration(tf: TenantFixture, name: str = "Entra") -> tuple[str, str]:
    integration, secret = await integrations.create_integration(tf.ctx(), name, "test")
    return integration.id, secret


def draft(user_name: str, **profile: object) -> UserDraft:
    base: dict[str, object] = {"name": {"givenName": "Ada", "familyName": "Lovelace"},
                               "emails": [{"value": user_name, "type": "work", "primary": True}]}
    base.update(profile)
    return UserDraft(user_name=user_name, profile=base, external_id=f"ext-{user_name}")
