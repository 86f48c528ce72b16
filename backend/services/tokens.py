"""API tokens: random bearer secrets of which only a display prefix and a hash are stored.

Format: ``tsr_<16 hex id>_<secret>``. The id finds the row; the secret's SHA-256 is compared in
constant time. Secrets carry 256+ bits of entropy, so a fast hash is the right tool (a slow
password hash would only add per-request CPU).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from backend.domain.errors import Forbidden, InvalidValue, NotFound, Unauthenticated
from backend.domain.models import ActorType, ApiToken, IssuedToken
from backend.domain.permissions import Action, Resource
from backend.persistence import rows
from backend.persistence import tables as t
from backend.services import audit, authz
from backend.services.context import ServiceContext

PREFIX = "tsr_"
_ID_HEX = 16
INTEGRATION_SECRET_BYTES = 134  # -> 179 url-safe chars; with the prefix and id, 200 in all
API_TOKEN_SECRET_BYTES = 32
LAST_USED_RESOLUTION = timedelta(seconds=60)  # avoid a write on every request


class TokenRevoked(Unauthenticated):
    """The secret matched, so only its holder learns this: safe to say so."""


class TokenExpired(Unauthenticated):
    """The secret matched, so only its holder learns this: safe to say so."""


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def split_token(token: str) -> tuple[str, str] | None:
    """Return (id, secret) for a well-formed token, else None."""
    head = len(PREFIX) + _ID_HEX
    if len(token) < head + 2 or not token.startswith(PREFIX) or token[head] != "_":
        return None
    token_id = token[len(PREFIX):head]
    if any(c not in "0123456789abcdef" for c in token_id):
        return None
    return token_id, token[head + 1:]


async def issue(
    ctx: ServiceContext,
    conn: AsyncConnection,
    *,
    owner_type: ActorType,
    owner_id: str,
    tenant_id: str | None,
    name: str,
    expires_at: datetime | None = None,
    secret_bytes: int = API_TOKEN_SECRET_BYTES,
) -> IssuedToken:
    """Create a token inside the caller's transaction and return it with its one-time secret."""
    token_id = secrets.token_hex(_ID_HEX // 2)
    secret = secrets.token_urlsafe(secret_bytes)
    full = f"{PREFIX}{token_id}_{secret}"
    values: dict[str, Any] = dict(
        id=token_id, owner_type=owner_type.value, owner_id=owner_id, tenant_id=tenant_id,
        name=name, prefix=full[:12], secret_hash=hash_secret(secret), created_at=ctx.now(),
        expires_at=expires_at, last_used_at=None, revoked_at=None,
    )
    await conn.execute(t.api_tokens.insert().values(**values))
    row = (await conn.execute(sa.select(t.api_tokens).where(t.api_tokens.c.id == token_id))).one()
    return IssuedToken(token=rows.api_token(row), secret=full)


async def revoke_all_for_owner(
    ctx: ServiceContext, conn: AsyncConnection, owner_type: ActorType, owner_id: str
) -> None:
    await conn.execute(
        t.api_tokens.update()
        .where(t.api_tokens.c.owner_type == owner_type.value,
               t.api_tokens.c.owner_id == owner_id,
               t.api_tokens.c.revoked_at.is_(None))
        .values(revoked_at=ctx.now())
    )


def check(row: sa.Row[Any] | None, secret: str, now: datetime) -> ApiToken:
    """Check the secret against a fetched token row (None: no such token id)."""
    # Compare even when the row is missing, so timing does not tell which ids exist.
    expected = row.secret_hash if row is not None else hash_secret("x" * 8)
    if not hmac.compare_digest(expected, hash_secret(secret)) or row is None:
        raise Unauthenticated("invalid token")
    api_token = rows.api_token(row)
    if api_token.revoked_at is not None:
        raise TokenRevoked("token revoked")
    if api_token.expires_at is not None and api_token.expires_at <= now:
        raise TokenExpired("token expired")
    return api_token


async def touch(conn: AsyncConnection, api_token: ApiToken, now: datetime) -> None:
    last = api_token.last_used_at
    if last is None or now - last >= LAST_USED_RESOLUTION:
        await conn.execute(
            t.api_tokens.update().where(t.api_tokens.c.id == api_token.id)
            .values(last_used_at=now)
        )


# --- service operations (both doors) -----------------------------------------------------------

async def _require_owner_rights(
    ctx: ServiceContext, conn: AsyncConnection, owner_type: ActorType, owner_id: str
) -> str | None:
    """Users manage their own tokens; service-account tokens need SERVICE_ACCOUNT:UPDATE."""
    if owner_type is ActorType.USER:
        if owner_id != ctx.actor.id:
            raise Forbidden("you may only manage your own tokens")
        return None
    tenant_id = await authz.require(ctx, conn, Resource.SERVICE_ACCOUNT, Action.UPDATE)
    found = (await conn.execute(
        sa.select(t.service_accounts.c.id).where(
            t.service_accounts.c.id == owner_id, t.service_accounts.c.tenant_id == tenant_id
        )
    )).first()
    if found is None:
        raise NotFound(f"service account {owner_id!r} not found")
    return tenant_id


async def create_api_token(
    ctx: ServiceContext,
    *,
    owner_type: ActorType,
    owner_id: str,
    name: str,
    expires_at: datetime | None = None,
) -> IssuedToken:
    if not name.strip():
        raise InvalidValue("token name must not be empty", field="name")
    if expires_at is not None and expires_at <= ctx.now():
        raise InvalidValue("expiry must be in the future", field="expiresAt")
    async with ctx.db.write() as conn:
        tenant_id = await _require_owner_rights(ctx, conn, owner_type, owner_id)
        issued = await issue(ctx, conn, owner_type=owner_type, owner_id=owner_id,
                             tenant_id=tenant_id, name=name.strip(), expires_at=expires_at)
        await audit.record(ctx, conn, "token.create", "api_token", issued.token.id,
                           {"owner": f"{owner_type.value}:{owner_id}", "name": name},
                           tenant_id=tenant_id)
    return issued


async def revoke_api_token(ctx: ServiceContext, token_id: str) -> ApiToken:
    async with ctx.db.write() as conn:
        row = (await conn.execute(
            sa.select(t.api_tokens).where(t.api_tokens.c.id == token_id)
        )).first()
        if row is None:
            raise NotFound(f"token {token_id!r} not found")
        api_token = rows.api_token(row)
        if api_token.tenant_id is not None and api_token.tenant_id != ctx.tenant_id:
            raise NotFound(f"token {token_id!r} not found")
        tenant_id = await _require_owner_rights(ctx, conn, api_token.owner_type,
                                                api_token.owner_id)
        await conn.execute(t.api_tokens.update().where(t.api_tokens.c.id == token_id)
                           .values(revoked_at=ctx.now()))
        await audit.record(ctx, conn, "token.revoke", "api_token", token_id, {},
                           tenant_id=tenant_id)
    return api_token


async def list_tokens(ctx: ServiceContext, owner_type: ActorType, owner_id: str) -> list[ApiToken]:
    async with ctx.db.read() as conn:
        await _require_owner_rights(ctx, conn, owner_type, owner_id)
        result = await conn.execute(
            sa.select(t.api_tokens).where(t.api_tokens.c.owner_type == owner_type.value,
                                          t.api_tokens.c.owner_id == owner_id)
            .order_by(t.api_tokens.c.created_at, t.api_tokens.c.id)
        )
        return [rows.api_token(r) for r in result]
