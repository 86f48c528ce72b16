"""The GraphQL schema: queries and mutations as thin calls into the service layer.

Resolvers authenticate (``info.context.actor``), turn arguments into one service call and map
the result. Tenant scoping and permission checks live in the services, never here.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

import strawberry
from graphql.error import GraphQLError
from strawberry.extensions import (
    AddValidationRules,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
)
from strawberry.types import ExecutionContext

from backend.domain.errors import InvalidValue
from backend.domain.filters import parse_filter
from backend.domain.models import ActorType, Page
from backend.domain.permissions import CATALOGUE, NAMESPACED, Action, Resource
from backend.domain.queries import GroupChange, ListQuery, UserDraft
from backend.services import (
    audit,
    authz,
    bindings,
    deletion_guard,
    groups,
    integrations,
    roles,
    service_accounts,
    tenants,
    tokens,
    users,
)
from graphql_schema.cost import cost_rule
from graphql_schema.errors import ErrorCodes, is_expected
from graphql_schema.types import (
    DEFAULT_PAGE,
    MAX_PAGE,
    ApiToken,
    AuditEvent,
    AuditEventConnection,
    AuditEventEdge,
    Binding,
    Connection,
    DeletionGuard,
    Edge,
    EffectivePermission,
    Group,
    Info,
    Integration,
    IntegrationSecret,
    Me,
    PageInfo,
    PermissionResource,
    Role,
    ServiceAccount,
    SubjectType,
    TenantRef,
    User,
    check_first,
    id_cursor,
)

MAX_DEPTH = 10
MAX_TOKENS = 2000
MAX_ALIASES = 15
MAX_COST = 20_000  # estimated nodes; see graphql_schema/cost.py
N = TypeVar("N")


def _list_query(first: int, after: str | None, filter: str | None) -> ListQuery:
    check_first(first)
    return ListQuery(filter=parse_filter(filter) if filter else None, cursor=after or "",
                     count=first)


def _connection(page: Page[Any], node: Callable[[Any], N]) -> Connection[N]:
    """A service page as a connection; the service's cursor says whether more follow."""
    edges = [Edge(cursor=id_cursor(item.id), node=node(item)) for item in page.items]
    return Connection(edges=edges, total_count=page.total, page_info=PageInfo(
        has_next_page=page.next_cursor is not None, end_cursor=page.next_cursor))


# --- inputs -------------------------------------------------------------------------------------

@strawberry.input
class SubjectInput:
    type: SubjectType
    id: strawberry.ID


@strawberry.input
class AuditEventFilter:
    action: str | None = None
    resource_type: str | None = None
    via: str | None = None
    actor_id: str | None = None
    resource_id: str | None = None
    since: datetime | None = strawberry.field(default=None, description="inclusive")
    until: datetime | None = strawberry.field(default=None, description="exclusive")


@strawberry.input
class CreateIntegrationInput:
    name: str
    description: str | None = None
    enabled: bool = True


@strawberry.input
class UpdateIntegrationInput:
    name: str | None = None
    description: str | None = None
    enabled: bool | None = None


@strawberry.input
class LegacyPermissionInput:
    """A 1.x grant: a permission name (e.g. ``FLOW``) and CRUD actions."""

    permission: str
    actions: list[str]


@strawberry.input
class RoleInput:
    name: str
    description: str | None = None
    permissions: list[str] | None = None
    legacy_permissions: list[LegacyPermissionInput] | None = None


@strawberry.input
class UpdateRoleInput:
    name: str | None = None
    description: str | None = None
    permissions: list[str] | None = None
    legacy_permissions: list[LegacyPermissionInput] | None = None


@strawberry.input
class BindingInput:
    role_id: strawberry.ID
    subject_type: SubjectType
    subject_id: strawberry.ID
    namespace: str | None = None


@strawberry.input
class CreateGroupInput:
    display_name: str
    external_id: str | None = None
    member_ids: list[strawberry.ID] | None = None


@strawberry.input
class UpdateGroupInput:
    display_name: str | None = None
    external_id: str | None = None


@strawberry.input
class ServiceAccountInput:
    name: str
    description: str | None = None


@strawberry.input
class ApiTokenInput:
    service_account_id: strawberry.ID | None = None
    name: str
    expires_at: datetime | None = None


def _legacy(items: list[LegacyPermissionInput] | None) -> dict[str, list[str]] | None:
    return None if items is None else {i.permission: list(i.actions) for i in items}


# --- payloads -----------------------------------------------------------------------------------

@strawberry.type
class IntegrationSecretPayload:
    integration: Integration
    secret_token: str = strawberry.field(description="Shown only in this response.")


@strawberry.type
class IntegrationPayload:
    integration: Integration


@strawberry.type
class NewIntegrationSecretPayload:
    integration: Integration
    secret: IntegrationSecret
    secret_token: str = strawberry.field(description="Shown only in this response.")


@strawberry.type
class IntegrationSecretRevokedPayload:
    integration: Integration
    secret: IntegrationSecret


@strawberry.type
class DeletionGuardPayload:
    integration: Integration
    deletion_guard: DeletionGuard


@strawberry.type
class RolePayload:
    role: Role


@strawberry.type
class BindingPayload:
    binding: Binding


@strawberry.type
class GroupPayload:
    group: Group


@strawberry.type
class UserPayload:
    user: User


@strawberry.type
class ServiceAccountPayload:
    service_account: ServiceAccount


@strawberry.type
class ApiTokenSecretPayload:
    token: ApiToken
    secret: str = strawberry.field(description="Shown only in this response.")


@strawberry.type
class ApiTokenPayload:
    token: ApiToken


@strawberry.type
class DeletedPayload:
    id: strawberry.ID


@strawberry.type
class TenantPayload:
    tenant: TenantRef


# --- the tenant ---------------------------------------------------------------------------------

@strawberry.type
class Tenant:
    id: strawberry.ID
    name: str

    @strawberry.field
    async def integrations(self, info: Info) -> list[Integration]:
        found = await integrations.list_integrations(info.context.service(self.id))
        return [Integration.of(i, info.context.settings.public_url) for i in found]

    @strawberry.field
    async def integration(self, info: Info, id: strawberry.ID) -> Integration:
        found = await integrations.get_integration(info.context.service(self.id), id)
        return Integration.of(found, info.context.settings.public_url)

    @strawberry.field
    async def roles(self, info: Info) -> list[Role]:
        return [Role.of(r) for r in await roles.list_roles(info.context.service(self.id))]

    @strawberry.field
    async def users(
        self, info: Info, first: int = DEFAULT_PAGE, after: str | None = None,
        filter: str | None = None,
    ) -> Connection[User]:
        page = await users.list_users(info.context.service(self.id),
                                      _list_query(first, after, filter))
        return _connection(page, User.of)

    @strawberry.field
    async def user(self, info: Info, id: strawberry.ID) -> User:
        return User.of(await users.get_user(info.context.service(self.id), id))

    @strawberry.field
    async def groups(
        self, info: Info, first: int = DEFAULT_PAGE, after: str | None = None,
        filter: str | None = None,
    ) -> Connection[Group]:
        page = await groups.list_groups(info.context.service(self.id),
                                        _list_query(first, after, filter))
        return _connection(page, Group.of)

    @strawberry.field
    async def group(self, info: Info, id: strawberry.ID) -> Group:
        return Group.of(await groups.get_group(info.context.service(self.id), id))

    @strawberry.field
    async def bindings(self, info: Info, role_id: strawberry.ID | None = None) -> list[Binding]:
        found = await bindings.list_bindings(info.context.service(self.id), role_id=role_id)
        return [Binding.of(b) for b in found]

    @strawberry.field
    async def service_accounts(self, info: Info) -> list[ServiceAccount]:
        found = await service_accounts.list_service_accounts(info.context.service(self.id))
        return [ServiceAccount.of(a) for a in found]

    @strawberry.field
    async def audit_events(
        self, info: Info, first: int = DEFAULT_PAGE, after: str | None = None,
        filter: AuditEventFilter | None = None,
    ) -> AuditEventConnection:
        check_first(first)
        if after is not None and not after.isdigit():
            raise InvalidValue("invalid cursor", field="after")
        f = filter or AuditEventFilter()
        found = await audit.list_events(
            info.context.service(self.id), first=first + 1,
            after=int(after) if after is not None else None, action=f.action,
            resource_type=f.resource_type, via=f.via, actor_id=f.actor_id,
            resource_id=f.resource_id, since=f.since, until=f.until)
        edges = [AuditEventEdge(cursor=str(e.id), node=AuditEvent.of(e)) for e in found[:first]]
        return AuditEventConnection(edges=edges, page_info=PageInfo(
            has_next_page=len(found) > first, end_cursor=edges[-1].cursor if edges else None))

    @strawberry.field
    async def effective_permissions(
        self, info: Info, subject: SubjectInput
    ) -> list[EffectivePermission]:
        found = await authz.effective_permissions(info.context.service(self.id),
                                                  subject.type.domain(), subject.id)
        return [EffectivePermission(permission=p, namespace=ns) for p, ns in found]

    @strawberry.field
    async def can(
        self, info: Info, resource: str, action: str, namespace: str | None = None
    ) -> bool:
        """Whether the caller may do this (false when not allowed)."""
        try:
            res, act = Resource(resource), Action(action)
        except ValueError:
            raise InvalidValue(f"unknown permission {resource}:{action}") from None
        return await authz.check(info.context.service(self.id), res, act, namespace)


# --- root types ---------------------------------------------------------------------------------

@strawberry.type
class Query:
    @strawberry.field
    async def me(self, info: Info) -> Me:
        actor = info.context.actor
        visible = await tenants.visible_tenants(info.context.service(None))
        return Me(id=strawberry.ID(actor.id), label=actor.label, type=actor.type.value,
                  instance_owner=actor.instance_owner,
                  tenants=[TenantRef(id=strawberry.ID(t.id), name=t.name) for t in visible])

    @strawberry.field
    async def tenant(self, info: Info, id: strawberry.ID) -> Tenant:
        found = await tenants.get_tenant(info.context.service(None), id)
        return Tenant(id=strawberry.ID(found.id), name=found.name)

    @strawberry.field
    def permission_catalogue(self) -> list[PermissionResource]:
        return [PermissionResource(resource=r.value, actions=[a.value for a in actions],
                                   namespaced=r in NAMESPACED)
                for r, actions in CATALOGUE.items()]


@strawberry.type
class Mutation:
    # provisioning integrations
    @strawberry.mutation
    async def create_provisioning_integration(
        self, info: Info, tenant: strawberry.ID, input: CreateIntegrationInput
    ) -> IntegrationSecretPayload:
        found, secret = await integrations.create_integration(
            info.context.service(tenant), input.name, input.description or "", input.enabled)
        return IntegrationSecretPayload(
            integration=Integration.of(found, info.context.settings.public_url),
            secret_token=secret)

    @strawberry.mutation
    async def update_provisioning_integration(
        self, info: Info, tenant: strawberry.ID, id: strawberry.ID, input: UpdateIntegrationInput
    ) -> IntegrationPayload:
        found = await integrations.update_integration(
            info.context.service(tenant), id, name=input.name, description=input.description,
            enabled=input.enabled)
        return IntegrationPayload(integration=Integration.of(found,
                                                             info.context.settings.public_url))

    @strawberry.mutation
    async def rotate_provisioning_integration_token(
        self, info: Info, tenant: strawberry.ID, id: strawberry.ID
    ) -> IntegrationSecretPayload:
        found, secret = await integrations.rotate_token(info.context.service(tenant), id)
        return IntegrationSecretPayload(
            integration=Integration.of(found, info.context.settings.public_url),
            secret_token=secret)

    @strawberry.mutation
    async def add_provisioning_integration_secret(
        self, info: Info, tenant: strawberry.ID, id: strawberry.ID,
        expires_at: datetime | None = None,
    ) -> NewIntegrationSecretPayload:
        """One more active secret, for rotation without downtime; earlier ones keep working."""
        ctx = info.context.service(tenant)
        issued = await integrations.add_secret(ctx, id, expires_at)
        found = await integrations.get_integration(ctx, id)
        return NewIntegrationSecretPayload(
            integration=Integration.of(found, info.context.settings.public_url),
            secret=IntegrationSecret.of(issued.token), secret_token=issued.secret)

    @strawberry.mutation
    async def revoke_provisioning_integration_secret(
        self, info: Info, tenant: strawberry.ID, id: strawberry.ID, secret_id: strawberry.ID
    ) -> IntegrationSecretRevokedPayload:
        """Revoking the last active secret is allowed: the integration then refuses everything."""
        ctx = info.context.service(tenant)
        secret = await integrations.revoke_secret(ctx, id, secret_id)
        found = await integrations.get_integration(ctx, id)
        return IntegrationSecretRevokedPayload(
            integration=Integration.of(found, info.context.settings.public_url),
            secret=IntegrationSecret.of(secret))

    @strawberry.mutation
    async def release_provisioning_integration_guard(
        self, info: Info, tenant: strawberry.ID, id: strawberry.ID
    ) -> DeletionGuardPayload:
        """After review: let the integration deprovision again (audited)."""
        ctx = info.context.service(tenant)
        state = await deletion_guard.release(ctx, id)
        found = await integrations.get_integration(ctx, id)
        return DeletionGuardPayload(
            integration=Integration.of(found, info.context.settings.public_url),
            deletion_guard=DeletionGuard.of(state))

    @strawberry.mutation
    async def delete_provisioning_integration(
        self, info: Info, tenant: strawberry.ID, id: strawberry.ID
    ) -> DeletedPayload:
        found = await integrations.delete_integration(info.context.service(tenant), id)
        return DeletedPayload(id=strawberry.ID(found.id))

    # roles
    @strawberry.mutation
    async def create_role(self, info: Info, tenant: strawberry.ID, input: RoleInput) -> RolePayload:
        found = await roles.create_role(
            info.context.service(tenant), input.name, input.description or "",
            permissions=input.permissions, legacy_permissions=_legacy(input.legacy_permissions))
        return RolePayload(role=Role.of(found))

    @strawberry.mutation
    async def update_role(
        self, info: Info, tenant: strawberry.ID, id: strawberry.ID, input: UpdateRoleInput
    ) -> RolePayload:
        found = await roles.update_role(
            info.context.service(tenant), id, name=input.name, description=input.description,
            permissions=input.permissions, legacy_permissions=_legacy(input.legacy_permissions))
        return RolePayload(role=Role.of(found))

    @strawberry.mutation
    async def delete_role(
        self, info: Info, tenant: strawberry.ID, id: strawberry.ID
    ) -> DeletedPayload:
        found = await roles.delete_role(info.context.service(tenant), id)
        return DeletedPayload(id=strawberry.ID(found.id))

    # bindings
    @strawberry.mutation
    async def create_binding(
        self, info: Info, tenant: strawberry.ID, input: BindingInput
    ) -> BindingPayload:
        found = await bindings.create_binding(
            info.context.service(tenant), input.role_id, input.subject_type.domain(),
            input.subject_id, input.namespace)
        return BindingPayload(binding=Binding.of(found))

    @strawberry.mutation
    async def delete_binding(
        self, info: Info, tenant: strawberry.ID, id: strawberry.ID
    ) -> DeletedPayload:
        found = await bindings.delete_binding(info.context.service(tenant), id)
        return DeletedPayload(id=strawberry.ID(found.id))

    # users
    # Suspend (false) or reactivate (true) a user in this tenant, as SCIM `active` does; an
    # identity provider that manages the user may set it back on its next sync.
    @strawberry.mutation
    async def set_user_active(
        self, info: Info, tenant: strawberry.ID, id: strawberry.ID, active: bool
    ) -> UserPayload:
        found = await users.set_active(info.context.service(tenant), id, active)
        return UserPayload(user=User.of(found))

    # groups
    @strawberry.mutation
    async def create_group(
        self, info: Info, tenant: strawberry.ID, input: CreateGroupInput
    ) -> GroupPayload:
        found = await groups.create_group(
            info.context.service(tenant), input.display_name, input.external_id,
            tuple(input.member_ids or ()))
        return GroupPayload(group=Group.of(found))

    @strawberry.mutation
    async def update_group(
        self, info: Info, tenant: strawberry.ID, id: strawberry.ID, input: UpdateGroupInput
    ) -> GroupPayload:
        change = GroupChange(display_name=input.display_name, external_id=input.external_id,
                             set_external_id=input.external_id is not None)
        found = await groups.update_group(info.context.service(tenant), id, change)
        return GroupPayload(group=Group.of(found))

    @strawberry.mutation
    async def delete_group(
        self, info: Info, tenant: strawberry.ID, id: strawberry.ID
    ) -> DeletedPayload:
        found = await groups.delete_group(info.context.service(tenant), id)
        return DeletedPayload(id=strawberry.ID(found.id))

    @strawberry.mutation
    async def add_group_members(
        self, info: Info, tenant: strawberry.ID, group_id: strawberry.ID,
        user_ids: list[strawberry.ID],
    ) -> GroupPayload:
        found = await groups.update_group(info.context.service(tenant), group_id,
                                          GroupChange(add_members=tuple(user_ids)))
        return GroupPayload(group=Group.of(found))

    @strawberry.mutation
    async def remove_group_members(
        self, info: Info, tenant: strawberry.ID, group_id: strawberry.ID,
        user_ids: list[strawberry.ID],
    ) -> GroupPayload:
        found = await groups.update_group(info.context.service(tenant), group_id,
                                          GroupChange(remove_members=tuple(user_ids)))
        return GroupPayload(group=Group.of(found))

    # users
    @strawberry.mutation
    async def grant_tenant_access(
        self, info: Info, tenant: strawberry.ID, user_name: str,
        display_name: str | None = None, emails: list[str] | None = None,
        external_id: str | None = None, active: bool = True,
    ) -> UserPayload:
        profile: dict[str, object] = {}
        if display_name is not None:
            profile["displayName"] = display_name
        if emails:
            profile["emails"] = [{"value": e, "primary": i == 0} for i, e in enumerate(emails)]
        draft = UserDraft(user_name=user_name, profile=profile, external_id=external_id,
                          active=active)
        return UserPayload(user=User.of(await users.create_user(info.context.service(tenant),
                                                                draft)))

    @strawberry.mutation
    async def revoke_tenant_access(
        self, info: Info, tenant: strawberry.ID, user_id: strawberry.ID
    ) -> DeletedPayload:
        await users.remove_from_tenant(info.context.service(tenant), user_id)
        return DeletedPayload(id=user_id)

    # service accounts and tokens
    @strawberry.mutation
    async def create_service_account(
        self, info: Info, tenant: strawberry.ID, input: ServiceAccountInput
    ) -> ServiceAccountPayload:
        found = await service_accounts.create_service_account(
            info.context.service(tenant), input.name, input.description or "")
        return ServiceAccountPayload(service_account=ServiceAccount.of(found))

    @strawberry.mutation
    async def delete_service_account(
        self, info: Info, tenant: strawberry.ID, id: strawberry.ID
    ) -> DeletedPayload:
        """Also deletes its API tokens and bindings; an integration's account is refused."""
        found = await service_accounts.delete_service_account(info.context.service(tenant), id)
        return DeletedPayload(id=strawberry.ID(found.id))

    @strawberry.mutation
    async def create_api_token(
        self, info: Info, tenant: strawberry.ID, input: ApiTokenInput
    ) -> ApiTokenSecretPayload:
        """Without serviceAccountId: a token for the caller's own user."""
        ctx = info.context.service(tenant)
        if input.service_account_id is not None:
            owner_type, owner_id = ActorType.SERVICE_ACCOUNT, str(input.service_account_id)
        else:
            owner_type, owner_id = ctx.actor.type, ctx.actor.id
        issued = await tokens.create_api_token(ctx, owner_type=owner_type, owner_id=owner_id,
                                               name=input.name, expires_at=input.expires_at)
        return ApiTokenSecretPayload(token=ApiToken.of(issued.token), secret=issued.secret)

    @strawberry.mutation
    async def revoke_api_token(
        self, info: Info, tenant: strawberry.ID, id: strawberry.ID
    ) -> ApiTokenPayload:
        found = await tokens.revoke_api_token(info.context.service(tenant), id)
        return ApiTokenPayload(token=ApiToken.of(found))

    # tenants
    @strawberry.mutation
    async def create_tenant(
        self, info: Info, id: strawberry.ID, name: str | None = None
    ) -> TenantPayload:
        found = await tenants.create_tenant(info.context.service(None), id, name or "")
        return TenantPayload(tenant=TenantRef(id=strawberry.ID(found.id), name=found.name))


class TesseraSchema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        """Log only unexpected errors (domain errors are the client's business)."""
        unexpected = [e for e in errors if not is_expected(e)]
        if unexpected:
            super().process_errors(unexpected, execution_context)


def build_schema() -> strawberry.Schema:
    return TesseraSchema(
        query=Query, mutation=Mutation,
        extensions=[
            lambda: QueryDepthLimiter(max_depth=MAX_DEPTH),
            lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
            lambda: MaxAliasesLimiter(max_alias_count=MAX_ALIASES),
            lambda: AddValidationRules([cost_rule(MAX_COST, variable_first=MAX_PAGE)]),
            ErrorCodes,
        ],
    )


schema = build_schema()
