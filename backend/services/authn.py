"""Authentication: a bearer API token resolves to an actor, or is refused."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from backend.domain.errors import IntegrationDisabled, Unauthenticated
from backend.domain.models import Actor, ActorType, ApiToken, SubjectType
from backend.persistence import tables as t
from backend.persistence.db import Database
from backend.services import tokens
from backend.services.context import Clock, utc_now


def _authenticate_statement() -> sa.Select[Any]:
    """The token row and its owner (user, or service account with its integration and its
    grants in its tenant) in one statement, one row per grant. Built once: authentication runs
    on every request, and reading a SCIM integration's grants here saves every SCIM request
    the statement ``authz`` would otherwise run."""
    tok, u, acct, integ = t.api_tokens, t.users, t.service_accounts, t.integrations
    b, role = t.bindings, t.roles
    owned_by_user = tok.c.owner_type == ActorType.USER.value
    owned_by_account = tok.c.owner_type == ActorType.SERVICE_ACCOUNT.value
    return (
        sa.select(tok, u.c.user_name.label("owner_user_name"),
                  u.c.instance_owner.label("owner_instance_owner"),
                  acct.c.id.label("account_id"), acct.c.name.label("account_name"),
                  acct.c.tenant_id.label("account_tenant_id"),
                  integ.c.id.label("integration_id"), integ.c.enabled.label("integration_enabled"),
                  u.c.id.label("user_id"), b.c.id.label("grant_binding_id"),
                  role.c.permissions.label("grant_permissions"),
                  b.c.namespace.label("grant_namespace"))
        .select_from(
            tok.outerjoin(u, sa.and_(owned_by_user, u.c.id == tok.c.owner_id))
            .outerjoin(acct, sa.and_(owned_by_account, acct.c.id == tok.c.owner_id))
            .outerjoin(integ, integ.c.service_account_id == acct.c.id)
            # The same bindings authz.subject_grants reads for a service account.
            .outerjoin(b, sa.and_(b.c.tenant_id == acct.c.tenant_id,
                                  b.c.subject_type == SubjectType.SERVICE_ACCOUNT.value,
                                  b.c.subject_id == acct.c.id))
            .outerjoin(role, role.c.id == b.c.role_id))
        .where(tok.c.id == sa.bindparam("token_id"))
    )


_AUTHENTICATE = _authenticate_statement()


async def authenticate(db: Database, token: str | None, clock: Clock = utc_now) -> Actor:
    """Resolve a bearer token. Expired, revoked, orphaned or disabled-integration tokens fail."""
    if not token:
        raise Unauthenticated("missing bearer token")
    parts = tokens.split_token(token)
    if parts is None:
        raise Unauthenticated("malformed token")
    now = clock()
    found = await db.fetch(_AUTHENTICATE, {"token_id": parts[0]})
    row = found[0] if found else None
    api_token = tokens.check(row, parts[1], now)
    assert row is not None  # check() refuses a missing row
    actor = _actor(api_token, row, found)
    last = api_token.last_used_at
    if last is None or now - last >= tokens.LAST_USED_RESOLUTION:
        async with db.write() as conn:
            await tokens.touch(conn, api_token, now)
    return actor


def _actor(api_token: ApiToken, row: sa.Row[Any], rows: list[sa.Row[Any]]) -> Actor:
    if api_token.owner_type is ActorType.USER:
        if row.user_id is None:
            raise Unauthenticated("the token's owner no longer exists")
        return Actor(ActorType.USER, row.user_id, row.owner_user_name,
                     instance_owner=bool(row.owner_instance_owner))
    if row.account_id is None:
        raise Unauthenticated("the token's owner no longer exists")
    if row.integration_id is not None and not row.integration_enabled:
        raise IntegrationDisabled("this provisioning integration is disabled")
    # Read in the token's snapshot, as the token and the integration's enabled flag are: a
    # binding removed while this request runs applies from the next request on.
    grants = tuple((frozenset(r.grant_permissions or []), r.grant_namespace)
                   for r in rows if r.grant_binding_id is not None)
    return Actor(ActorType.SERVICE_ACCOUNT, row.account_id, row.account_name,
                 tenant_id=row.account_tenant_id, integration_id=row.integration_id,
                 grants=grants)
