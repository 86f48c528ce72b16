"""Row -> domain object mapping, in one place."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from backend.domain.models import (
    ActorType,
    ApiToken,
    Binding,
    Group,
    Integration,
    Role,
    ServiceAccount,
    SubjectType,
    Tenant,
    TenantUser,
    User,
)


def aware(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; everything in Tessera is UTC."""
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def ts(value: datetime) -> datetime:
    out = aware(value)
    assert out is not None
    return out


def tenant(row: sa.Row[Any]) -> Tenant:
    return Tenant(id=row.id, name=row.name, created_at=ts(row.created_at))


def user(row: sa.Row[Any]) -> User:
    return User(
        id=row.id, user_name=row.user_name, profile=dict(row.profile or {}),
        instance_owner=bool(row.instance_owner), has_password=row.password_hash is not None,
        version=row.version, created_at=ts(row.created_at), updated_at=ts(row.updated_at),
    )


def tenant_user(row: sa.Row[Any]) -> TenantUser:
    """Expects user columns plus ``m_*`` membership columns (see queries.TENANT_USER_COLUMNS)."""
    return TenantUser(
        user=user(row), tenant_id=row.m_tenant_id,
        active=None if row.m_active is None else bool(row.m_active),
        external_id=row.m_external_id, managed_by=row.m_integration_id, version=row.m_version,
        created_at=ts(row.m_created_at), updated_at=ts(row.m_updated_at),
    )


def group(row: sa.Row[Any]) -> Group:
    return Group(
        id=row.id, tenant_id=row.tenant_id, display_name=row.display_name,
        external_id=row.external_id, managed_by=row.integration_id, version=row.version,
        created_at=ts(row.created_at), updated_at=ts(row.updated_at),
    )


def role(row: sa.Row[Any]) -> Role:
    return Role(
        id=row.id, tenant_id=row.tenant_id, name=row.name, description=row.description,
        permissions=frozenset(row.permissions or []), managed=bool(row.managed),
        created_at=ts(row.created_at), updated_at=ts(row.updated_at),
    )


def binding(row: sa.Row[Any]) -> Binding:
    return Binding(
        id=row.id, tenant_id=row.tenant_id, role_id=row.role_id,
        subject_type=SubjectType(row.subject_type), subject_id=row.subject_id,
        namespace=row.namespace, created_at=ts(row.created_at),
    )


def service_account(row: sa.Row[Any]) -> ServiceAccount:
    return ServiceAccount(
        id=row.id, tenant_id=row.tenant_id, name=row.name, description=row.description,
        created_at=ts(row.created_at),
    )


def api_token(row: sa.Row[Any]) -> ApiToken:
    return ApiToken(
        id=row.id, owner_type=ActorType(row.owner_type), owner_id=row.owner_id,
        tenant_id=row.tenant_id, name=row.name, prefix=row.prefix, created_at=ts(row.created_at),
        expires_at=aware(row.expires_at), last_used_at=aware(row.last_used_at),
        revoked_at=aware(row.revoked_at),
    )


def integration(row: sa.Row[Any]) -> Integration:
    return Integration(
        id=row.id, tenant_id=row.tenant_id, name=row.name, description=row.description,
        type=row.type, enabled=bool(row.enabled), service_account_id=row.service_account_id,
        created_at=ts(row.created_at), updated_at=ts(row.updated_at),
    )
