"""Provisioning integrations (SCIM 2.0).

Creating one is a single transaction: the integration, the tenant's SCIMProvisioner role (if
missing), a service account bound to it, and the ~200-character secret that is its API token.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from backend.domain.errors import InvalidValue, NotFound
from backend.domain.models import ActorType, ApiToken, Integration, IssuedToken, SubjectType
from backend.domain.permissions import Action, Resource
from backend.persistence import rows
from backend.persistence import tables as t
from backend.services import audit, authz, bindings, roles, service_accounts, tokens
from backend.services.context import ServiceContext

SCIM2 = "SCIM2"


def endpoint_url(public_url: str, integration: Integration) -> str:
    base = public_url.rstrip("/")
    return f"{base}/api/v1/{integration.tenant_id}/integrations/{integration.id}/scim/v2"


def _service_account_name(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40].strip("-") or "integration"
    return f"scim-{slug}-{secrets.token_hex(3)}"


def _check_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > 255:
        raise InvalidValue("integration name must be 1-255 characters", field="name")
    return name


async def _get(conn: AsyncConnection, tenant_id: str, integration_id: str) -> Integration:
    row = (await conn.execute(sa.select(t.integrations).where(
        t.integrations.c.tenant_id == tenant_id, t.integrations.c.id == integration_id))).first()
    if row is None:
        raise NotFound(f"integration {integration_id!r} not found")
    return rows.integration(row)


async def _issue_secret(
    ctx: ServiceContext, conn: AsyncConnection, integration: Integration,
    expires_at: datetime | None = None,
) -> IssuedToken:
    return await tokens.issue(
        ctx, conn, owner_type=ActorType.SERVICE_ACCOUNT, owner_id=integration.service_account_id,
        tenant_id=integration.tenant_id, name=f"integration {integration.name}",
        expires_at=expires_at, secret_bytes=tokens.INTEGRATION_SECRET_BYTES,
    )


async def create_integration(
    ctx: ServiceContext, name: str, description: str = "", enabled: bool = True
) -> tuple[Integration, str]:
    """Return the integration and its secret token (shown this once)."""
    name = _check_name(name)
    async with ctx.db.write() as conn:
        tenant_id = await authz.require(ctx, conn, Resource.INTEGRATION, Action.CREATE)
        role = await roles.ensure_scim_provisioner(ctx, conn, tenant_id)
        account = await service_accounts.insert(
            ctx, conn, tenant_id, _service_account_name(name),
            f"Service account of provisioning integration {name}")
        await bindings.insert(ctx, conn, tenant_id, role.id, SubjectType.SERVICE_ACCOUNT,
                              account.id, None)
        integration_id, now = ctx.ids(), ctx.now()
        await conn.execute(t.integrations.insert().values(
            id=integration_id, tenant_id=tenant_id, name=name, description=description,
            type=SCIM2, enabled=enabled, service_account_id=account.id,
            created_at=now, updated_at=now))
        integration = Integration(integration_id, tenant_id, name, description, SCIM2, enabled,
                                  account.id, now, now)
        issued = await _issue_secret(ctx, conn, integration)
        await audit.record(ctx, conn, "integration.create", "integration", integration_id,
                           {"name": name, "enabled": enabled, "serviceAccount": account.name})
    return integration, issued.secret


async def list_integrations(ctx: ServiceContext) -> list[Integration]:
    async with ctx.db.read() as conn:
        tenant_id = await authz.require(ctx, conn, Resource.INTEGRATION, Action.LIST)
        result = await conn.execute(sa.select(t.integrations).where(
            t.integrations.c.tenant_id == tenant_id)
            .order_by(t.integrations.c.created_at, t.integrations.c.id))
        return [rows.integration(r) for r in result]


async def get_integration(ctx: ServiceContext, integration_id: str) -> Integration:
    async with ctx.db.read() as conn:
        tenant_id = await authz.require(ctx, conn, Resource.INTEGRATION, Action.VIEW)
        return await _get(conn, tenant_id, integration_id)


async def update_integration(
    ctx: ServiceContext, integration_id: str, *, name: str | None = None,
    description: str | None = None, enabled: bool | None = None,
) -> Integration:
    async with ctx.db.write() as conn:
        tenant_id = await authz.require(ctx, conn, Resource.INTEGRATION, Action.UPDATE)
        before = await _get(conn, tenant_id, integration_id)
        values: dict[str, object] = {"updated_at": ctx.now()}
        if name is not None:
            values["name"] = _check_name(name)
        if description is not None:
            values["description"] = description
        if enabled is not None:
            values["enabled"] = enabled
        await conn.execute(t.integrations.update()
                           .where(t.integrations.c.id == integration_id).values(**values))
        after = await _get(conn, tenant_id, integration_id)
        await audit.record(ctx, conn, "integration.update", "integration", integration_id, {
            "before": {"name": before.name, "enabled": before.enabled},
            "after": {"name": after.name, "enabled": after.enabled}})
        return after


async def rotate_token(ctx: ServiceContext, integration_id: str) -> tuple[Integration, str]:
    """Issue a new secret; every earlier secret of the integration stops working."""
    async with ctx.db.write() as conn:
        tenant_id = await authz.require(ctx, conn, Resource.INTEGRATION, Action.UPDATE)
        integration = await _get(conn, tenant_id, integration_id)
        await tokens.revoke_all_for_owner(ctx, conn, ActorType.SERVICE_ACCOUNT,
                                          integration.service_account_id)
        issued = await _issue_secret(ctx, conn, integration)
        await audit.record(ctx, conn, "integration.rotate_token", "integration", integration_id,
                           {"tokenPrefix": issued.token.prefix})
    return integration, issued.secret


# --- secrets: several may be active at once, so an IdP can switch without downtime ------------

async def add_secret(
    ctx: ServiceContext, integration_id: str, expires_at: datetime | None = None
) -> IssuedToken:
    """Issue one more secret (shown once); the existing ones keep working until revoked."""
    if expires_at is not None and expires_at <= ctx.now():
        raise InvalidValue("expiry must be in the future", field="expiresAt")
    async with ctx.db.write() as conn:
        tenant_id = await authz.require(ctx, conn, Resource.INTEGRATION, Action.UPDATE)
        integration = await _get(conn, tenant_id, integration_id)
        issued = await _issue_secret(ctx, conn, integration, expires_at)
        await audit.record(ctx, conn, "integration.add_secret", "integration", integration_id, {
            "secretId": issued.token.id, "tokenPrefix": issued.token.prefix,
            "expiresAt": expires_at.isoformat() if expires_at else None})
    return issued


async def _secret(conn: AsyncConnection, integration: Integration, secret_id: str) -> ApiToken:
    row = (await conn.execute(sa.select(t.api_tokens).where(
        t.api_tokens.c.id == secret_id,
        t.api_tokens.c.owner_type == ActorType.SERVICE_ACCOUNT.value,
        t.api_tokens.c.owner_id == integration.service_account_id))).first()
    if row is None:
        raise NotFound(f"secret {secret_id!r} not found")
    return rows.api_token(row)


async def revoke_secret(ctx: ServiceContext, integration_id: str, secret_id: str) -> ApiToken:
    """Revoke one secret. Revoking the last active one is allowed on purpose: it is the
    emergency stop after a leak, and the integration then refuses every request until an admin
    adds a new secret."""
    async with ctx.db.write() as conn:
        tenant_id = await authz.require(ctx, conn, Resource.INTEGRATION, Action.UPDATE)
        integration = await _get(conn, tenant_id, integration_id)
        secret = await _secret(conn, integration, secret_id)
        if secret.revoked_at is None:
            await conn.execute(t.api_tokens.update().where(t.api_tokens.c.id == secret_id)
                               .values(revoked_at=ctx.now()))
            await audit.record(ctx, conn, "integration.revoke_secret", "integration",
                               integration_id, {"secretId": secret_id})
        return await _secret(conn, integration, secret_id)


async def list_secrets(ctx: ServiceContext, integration_id: str) -> list[ApiToken]:
    async with ctx.db.read() as conn:
        tenant_id = await authz.require(ctx, conn, Resource.INTEGRATION, Action.VIEW)
        integration = await _get(conn, tenant_id, integration_id)
        result = await conn.execute(sa.select(t.api_tokens).where(
            t.api_tokens.c.owner_type == ActorType.SERVICE_ACCOUNT.value,
            t.api_tokens.c.owner_id == integration.service_account_id)
            .order_by(t.api_tokens.c.created_at, t.api_tokens.c.id))
        return [rows.api_token(r) for r in result]


async def delete_integration(ctx: ServiceContext, integration_id: str) -> Integration:
    """Revoke the secret and remove the service account; provisioned users and groups stay."""
    async with ctx.db.write() as conn:
        tenant_id = await authz.require(ctx, conn, Resource.INTEGRATION, Action.DELETE)
        integration = await _get(conn, tenant_id, integration_id)
        for table in (t.memberships, t.groups):  # they stay, no longer managed
            await conn.execute(table.update().where(table.c.integration_id == integration_id)
                               .values(integration_id=None))
        await conn.execute(t.integrations.delete().where(t.integrations.c.id == integration_id))
        await service_accounts.remove(conn, tenant_id, integration.service_account_id)
        await audit.record(ctx, conn, "integration.delete", "integration", integration_id,
                           {"name": integration.name})
    return integration
