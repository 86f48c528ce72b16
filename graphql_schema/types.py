"""GraphQL object types and their mapping from domain objects (no logic beyond shaping)."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from enum import Enum
from typing import Generic, TypeVar, cast

import strawberry
from strawberry.scalars import JSON

from backend.domain import models as m
from backend.domain.errors import InvalidValue
from backend.services import deletion_guard, request_log
from backend.services import integrations as integration_service
from graphql_schema.context import GraphQLContext

T = TypeVar("T")
Info = strawberry.Info[GraphQLContext, None]

MAX_PAGE = 100
DEFAULT_PAGE = 50
MAX_MEMBER_PAGE = 100
DEFAULT_MEMBER_PAGE = 20


@strawberry.enum
class SubjectType(Enum):
    USER = "USER"
    GROUP = "GROUP"
    SERVICE_ACCOUNT = "SERVICE_ACCOUNT"

    def domain(self) -> m.SubjectType:
        return m.SubjectType(self.value)


def check_first(first: int, maximum: int = MAX_PAGE) -> int:
    if first < 1 or first > maximum:
        raise InvalidValue(f"first must be between 1 and {maximum} (got {first})",
                           field="first")
    return first


def id_cursor(object_id: str) -> str:
    """Same shape as the list cursors of the service layer (base64url of ``id:<id>``)."""
    return base64.urlsafe_b64encode(f"id:{object_id}".encode()).decode().rstrip("=")


def member_cursor(user_id: str) -> str:
    return base64.urlsafe_b64encode(f"member:{user_id}".encode()).decode().rstrip("=")


def decode_member_cursor(cursor: str) -> str:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidValue("invalid cursor", field="after") from None
    kind, sep, value = raw.partition(":")
    if kind != "member" or not sep or not value:
        raise InvalidValue("invalid cursor", field="after")
    return value


# --- connections --------------------------------------------------------------------------------

@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class Edge(Generic[T]):
    cursor: str
    node: T


@strawberry.type
class Connection(Generic[T]):
    edges: list[Edge[T]]
    page_info: PageInfo
    total_count: int


# --- leaf types ---------------------------------------------------------------------------------

@strawberry.type
class TenantRef:
    id: strawberry.ID
    name: str


@strawberry.type
class Me:
    id: strawberry.ID
    label: str
    type: str
    instance_owner: bool
    tenants: list[TenantRef]


@strawberry.type
class ProvisioningRequest:
    """One SCIM request of an integration: what the IdP did and how it went (no bodies)."""

    id: strawberry.ID
    request_id: str = strawberry.field(description="Also sent as the X-Request-Id header.")
    at: datetime
    method: str
    path: str
    status: int
    scim_type: str | None
    duration_ms: int
    summary: JSON

    @staticmethod
    def of(r: request_log.ProvisioningRequest) -> ProvisioningRequest:
        return ProvisioningRequest(
            id=strawberry.ID(str(r.id)), request_id=r.request_id, at=r.at, method=r.method,
            path=r.path, status=r.status, scim_type=r.scim_type, duration_ms=r.duration_ms,
            summary=cast(JSON, r.summary))


@strawberry.type
class ProvisioningRequestEdge:
    cursor: str
    node: ProvisioningRequest


@strawberry.type
class ProvisioningRequestConnection:
    """Newest first."""

    edges: list[ProvisioningRequestEdge]
    page_info: PageInfo


@strawberry.type
class IntegrationSecret:
    """A secret of an integration, never its value or hash."""

    id: strawberry.ID
    prefix: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None

    @staticmethod
    def of(token: m.ApiToken) -> IntegrationSecret:
        return IntegrationSecret(id=strawberry.ID(token.id), prefix=token.prefix,
                                 created_at=token.created_at, expires_at=token.expires_at,
                                 last_used_at=token.last_used_at, revoked_at=token.revoked_at)


@strawberry.type
class DeletionGuard:
    tripped: bool
    tripped_at: datetime | None
    count: int = strawberry.field(description="Users deprovisioned in the current window.")
    window_start: datetime | None
    held: int = strawberry.field(description="Deprovisioning requests refused since the trip.")

    @staticmethod
    def of(state: deletion_guard.GuardState) -> DeletionGuard:
        return DeletionGuard(tripped=state.tripped, tripped_at=state.tripped_at,
                             count=state.count, window_start=state.window_start,
                             held=state.held)


def _request_log_cursor(after: str | None) -> int | None:
    if after is not None and not after.isdigit():
        raise InvalidValue("invalid cursor", field="after")
    return int(after) if after is not None else None


@strawberry.type
class Integration:
    id: strawberry.ID
    name: str
    description: str
    type: str
    enabled: bool
    endpoint_url: str
    created_at: datetime
    tenant_id: strawberry.Private[str]

    @staticmethod
    def of(integration: m.Integration, public_url: str) -> Integration:
        return Integration(
            id=strawberry.ID(integration.id), name=integration.name,
            description=integration.description, type=integration.type,
            enabled=integration.enabled,
            endpoint_url=integration_service.endpoint_url(public_url, integration),
            created_at=integration.created_at, tenant_id=integration.tenant_id)

    @strawberry.field
    async def request_log(
        self, info: Info, first: int | None = 20, after: str | None = None,
        status: int | None = None,
    ) -> ProvisioningRequestConnection:
        first = check_first(20 if first is None else first)  # the console's contract: Int = 20
        found = await request_log.list_requests(
            info.context.service(self.tenant_id), self.id, first=first + 1,
            after=_request_log_cursor(after), status=status)
        edges = [ProvisioningRequestEdge(cursor=str(r.id), node=ProvisioningRequest.of(r))
                 for r in found[:first]]
        return ProvisioningRequestConnection(edges=edges, page_info=PageInfo(
            has_next_page=len(found) > first, end_cursor=edges[-1].cursor if edges else None))

    @strawberry.field
    async def secrets(self, info: Info) -> list[IntegrationSecret]:
        found = await integration_service.list_secrets(info.context.service(self.tenant_id),
                                                       self.id)
        return [IntegrationSecret.of(s) for s in found]

    @strawberry.field
    async def deletion_guard(self, info: Info) -> DeletionGuard:
        return DeletionGuard.of(await deletion_guard.get_state(
            info.context.service(self.tenant_id), self.id))


@strawberry.type
class ManagedBy:
    tenant_id: strawberry.Private[str]
    integration_id: strawberry.Private[str]

    @strawberry.field
    async def integration(self, info: Info) -> Integration | None:
        found = await info.context.integrations.load((self.tenant_id, self.integration_id))
        return None if found is None else Integration.of(found, info.context.settings.public_url)


def managed_by(tenant_id: str, integration_id: str | None) -> ManagedBy | None:
    return None if integration_id is None else ManagedBy(tenant_id=tenant_id,
                                                         integration_id=integration_id)


@strawberry.type
class Role:
    id: strawberry.ID
    name: str
    description: str
    managed: bool
    permissions: list[str]

    @staticmethod
    def of(role: m.Role) -> Role:
        return Role(id=strawberry.ID(role.id), name=role.name, description=role.description,
                    managed=role.managed, permissions=sorted(role.permissions))


@strawberry.type
class Binding:
    id: strawberry.ID
    tenant_id: strawberry.Private[str]
    role_id: strawberry.ID
    subject_type: SubjectType
    subject_id: strawberry.ID
    namespace: str | None
    created_at: datetime

    @strawberry.field
    async def role(self, info: Info) -> Role | None:
        found = await info.context.roles.load((self.tenant_id, str(self.role_id)))
        return None if found is None else Role.of(found)

    @staticmethod
    def of(binding: m.Binding) -> Binding:
        return Binding(id=strawberry.ID(binding.id), tenant_id=binding.tenant_id,
                       role_id=strawberry.ID(binding.role_id),
                       subject_type=SubjectType(binding.subject_type.value),
                       subject_id=strawberry.ID(binding.subject_id),
                       namespace=binding.namespace, created_at=binding.created_at)


async def load_bindings(
    info: Info, tenant_id: str, subject_type: m.SubjectType, subject_id: str
) -> list[Binding]:
    found = await info.context.bindings.load((tenant_id, subject_type, subject_id))
    return [Binding.of(b) for b in found]


@strawberry.type
class User:
    id: strawberry.ID
    tenant_id: strawberry.Private[str]
    user_name: str
    display_name: str | None
    emails: list[str]
    active: bool
    external_id: str | None
    managed_by: ManagedBy | None
    created_at: datetime

    @strawberry.field
    async def bindings(self, info: Info) -> list[Binding]:
        return await load_bindings(info, self.tenant_id, m.SubjectType.USER, str(self.id))

    @strawberry.field
    async def groups(self, info: Info) -> list[Group]:
        found = await info.context.user_groups.load((self.tenant_id, str(self.id)))
        return [Group.of(g) for g in found]

    @staticmethod
    def of(user: m.TenantUser) -> User:
        return User(id=strawberry.ID(user.id), tenant_id=user.tenant_id,
                    user_name=user.user.user_name, display_name=user.user.display_name,
                    emails=user.user.emails, active=user.is_active, external_id=user.external_id,
                    managed_by=managed_by(user.tenant_id, user.managed_by),
                    created_at=user.created_at)


@strawberry.type
class GroupMember:
    id: strawberry.ID
    user_name: str
    display_name: str | None


@strawberry.type
class Group:
    id: strawberry.ID
    tenant_id: strawberry.Private[str]
    display_name: str
    external_id: str | None
    managed_by: ManagedBy | None
    created_at: datetime

    @strawberry.field
    async def members(
        self, info: Info, first: int = DEFAULT_MEMBER_PAGE, after: str | None = None
    ) -> Connection[GroupMember]:
        check_first(first, MAX_MEMBER_PAGE)
        after_id = decode_member_cursor(after) if after else None
        ctx = info.context
        # One row more than asked tells whether a next page exists.
        found = await ctx.members.load((self.tenant_id, str(self.id), first + 1, after_id))
        total = await ctx.member_counts.load((self.tenant_id, str(self.id)))
        page = found[:first]
        edges = [Edge(cursor=member_cursor(x.user_id),
                      node=GroupMember(id=strawberry.ID(x.user_id), user_name=x.user_name,
                                       display_name=x.display_name)) for x in page]
        return Connection(edges=edges, total_count=total, page_info=PageInfo(
            has_next_page=len(found) > first,
            end_cursor=edges[-1].cursor if edges else None))

    @strawberry.field
    async def bindings(self, info: Info) -> list[Binding]:
        return await load_bindings(info, self.tenant_id, m.SubjectType.GROUP, str(self.id))

    @staticmethod
    def of(group: m.Group) -> Group:
        return Group(id=strawberry.ID(group.id), tenant_id=group.tenant_id,
                     display_name=group.display_name, external_id=group.external_id,
                     managed_by=managed_by(group.tenant_id, group.managed_by),
                     created_at=group.created_at)


@strawberry.type
class ServiceAccount:
    id: strawberry.ID
    tenant_id: strawberry.Private[str]
    name: str
    description: str
    created_at: datetime

    @strawberry.field
    async def bindings(self, info: Info) -> list[Binding]:
        return await load_bindings(info, self.tenant_id, m.SubjectType.SERVICE_ACCOUNT,
                                   str(self.id))

    @staticmethod
    def of(account: m.ServiceAccount) -> ServiceAccount:
        return ServiceAccount(id=strawberry.ID(account.id), tenant_id=account.tenant_id,
                              name=account.name, description=account.description,
                              created_at=account.created_at)


@strawberry.type
class AuditEvent:
    id: strawberry.ID
    at: datetime
    actor_type: str
    actor_id: str
    actor_label: str
    via: str
    action: str
    resource_type: str
    resource_id: str
    summary: JSON

    @staticmethod
    def of(event: m.AuditEvent) -> AuditEvent:
        return AuditEvent(id=strawberry.ID(str(event.id)), at=event.at,
                          actor_type=event.actor_type, actor_id=event.actor_id,
                          actor_label=event.actor_label, via=event.via, action=event.action,
                          resource_type=event.resource_type, resource_id=event.resource_id,
                          summary=cast(JSON, event.summary))


@strawberry.type
class AuditEventEdge:
    cursor: str
    node: AuditEvent


@strawberry.type
class AuditEventConnection:
    """Newest first; no total (the audit log is append-only and large)."""

    edges: list[AuditEventEdge]
    page_info: PageInfo


@strawberry.type
class EffectivePermission:
    permission: str
    namespace: str | None = strawberry.field(
        description="null: tenant-wide; else the namespace subtree the grant is limited to")


@strawberry.type
class PermissionResource:
    resource: str
    actions: list[str]
    namespaced: bool


@strawberry.type
class ApiToken:
    id: strawberry.ID
    name: str
    prefix: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None

    @staticmethod
    def of(token: m.ApiToken) -> ApiToken:
        return ApiToken(id=strawberry.ID(token.id), name=token.name, prefix=token.prefix,
                        created_at=token.created_at, expires_at=token.expires_at,
                        revoked_at=token.revoked_at)
