"""Domain objects handed to the doors. Plain frozen dataclasses, never database rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class Door(StrEnum):
    GRAPHQL = "graphql"
    SCIM = "scim"
    CLI = "cli"


class SubjectType(StrEnum):
    USER = "USER"
    GROUP = "GROUP"
    SERVICE_ACCOUNT = "SERVICE_ACCOUNT"


class ActorType(StrEnum):
    USER = "USER"
    SERVICE_ACCOUNT = "SERVICE_ACCOUNT"
    SYSTEM = "SYSTEM"


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is calling: a user, a service account, or the system (CLI bootstrap)."""

    type: ActorType
    id: str
    label: str
    instance_owner: bool = False
    tenant_id: str | None = None  # service accounts belong to one tenant
    integration_id: str | None = None  # set when the service account is an integration's
    # A service account's grants in its tenant (role permissions, binding namespace), read in
    # the same statement as its token; None means not read, and authz reads them itself.
    grants: tuple[tuple[frozenset[str], str | None], ...] | None = field(
        default=None, compare=False, repr=False)

    @staticmethod
    def system(label: str = "system") -> Actor:
        return Actor(ActorType.SYSTEM, "system", label, instance_owner=True)


@dataclass(frozen=True, slots=True)
class Tenant:
    id: str
    name: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class User:
    """A global user. ``profile`` holds the SCIM-shaped attributes (names, emails, ...)."""

    id: str
    user_name: str
    profile: dict[str, Any]
    instance_owner: bool
    has_password: bool
    version: int
    created_at: datetime
    updated_at: datetime

    @property
    def display_name(self) -> str | None:
        value = self.profile.get("displayName")
        return value if isinstance(value, str) else None

    @property
    def emails(self) -> list[str]:
        raw = self.profile.get("emails") or []
        return [e["value"] for e in raw if isinstance(e, dict) and isinstance(e.get("value"), str)]


def tenant_user_etag(user_version: int, membership_version: int) -> str:
    """A user's ETag in one tenant: either the global user or the membership may change."""
    return f'W/"{user_version}.{membership_version}"'


@dataclass(frozen=True, slots=True)
class TenantUser:
    """A user as one tenant sees them: the global user plus the tenant membership."""

    user: User
    tenant_id: str
    active: bool | None  # None: never set (SCIM "remove active"); counts as active
    external_id: str | None
    managed_by: str | None  # integration id that provisioned them
    version: int
    created_at: datetime
    updated_at: datetime
    # The user's groups in this tenant, when the service was asked for them (``with_groups``),
    # read in the same transaction as the user; None when not loaded.
    groups: tuple[Group, ...] | None = None

    @property
    def id(self) -> str:
        return self.user.id

    @property
    def is_active(self) -> bool:
        return self.active is not False

    @property
    def etag(self) -> str:
        return tenant_user_etag(self.user.version, self.version)

    @property
    def last_modified(self) -> datetime:
        return max(self.updated_at, self.user.updated_at)


@dataclass(frozen=True, slots=True)
class Group:
    id: str
    tenant_id: str
    display_name: str
    external_id: str | None
    managed_by: str | None
    version: int
    created_at: datetime
    updated_at: datetime

    @property
    def etag(self) -> str:
        return f'W/"{self.version}"'


@dataclass(frozen=True, slots=True)
class GroupMember:
    group_id: str
    user_id: str
    user_name: str
    display_name: str | None


@dataclass(frozen=True, slots=True)
class Role:
    id: str
    tenant_id: str
    name: str
    description: str
    permissions: frozenset[str]
    managed: bool
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Binding:
    id: str
    tenant_id: str
    role_id: str
    subject_type: SubjectType
    subject_id: str
    namespace: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ServiceAccount:
    id: str
    tenant_id: str
    name: str
    description: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ApiToken:
    id: str
    owner_type: ActorType
    owner_id: str
    tenant_id: str | None
    name: str
    prefix: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A token as shown once, at creation."""

    token: ApiToken
    secret: str


@dataclass(frozen=True, slots=True)
class Integration:
    id: str
    tenant_id: str
    name: str
    description: str
    type: str
    enabled: bool
    service_account_id: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class AuditEvent:
    id: int
    tenant_id: str | None
    at: datetime
    actor_type: str
    actor_id: str
    actor_label: str
    via: str
    action: str
    resource_type: str
    resource_id: str
    summary: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a list, with the total and an opaque cursor for the next page."""

    items: list[T]
    total: int
    next_cursor: str | None = None
