"""Per-request GraphQL context: the actor, a ServiceContext per tenant, and fresh DataLoaders.

DataLoader keys start with the tenant id; each batch is split per tenant and handed to the
batch services, which do the tenant scoping and permission checks themselves.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Hashable, Sequence
from typing import Any, TypeVar

from strawberry.dataloader import DataLoader
from strawberry.fastapi import BaseContext

from backend.config import Settings
from backend.domain.errors import DomainError
from backend.domain.models import (
    Actor,
    Binding,
    Door,
    Group,
    GroupMember,
    Integration,
    Role,
    SubjectType,
)
from backend.services import bindings, groups, integrations, roles
from backend.services.context import Clock, IdFactory, ServiceContext, new_id, utc_now

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
G = TypeVar("G", bound=Hashable)

MembersKey = tuple[str, str, int, str | None]  # tenant, group id, limit, after (user id)
BindingsKey = tuple[str, SubjectType, str]  # tenant, subject type, subject id
TenantKey = tuple[str, str]  # tenant, object id


def _grouped(
    keys: Sequence[K], group_of: Callable[[K], G],
    fetch: Callable[[G, list[K]], Awaitable[dict[K, V]]],
) -> Callable[[], Awaitable[list[V | BaseException]]]:
    async def run() -> list[V | BaseException]:
        batches: dict[G, list[K]] = defaultdict(list)
        for key in keys:
            batches[group_of(key)].append(key)
        found: dict[K, V | BaseException] = {}
        for group, batch in batches.items():
            try:
                found.update(await fetch(group, batch))
            except DomainError as exc:  # e.g. no permission in that tenant: fail that batch
                found.update({key: exc for key in batch})
        return [found[key] for key in keys]

    return run


class GraphQLContext(BaseContext):
    def __init__(
        self, settings: Settings, db: Any, actor: Actor | None,
        auth_error: DomainError | None, clock: Clock = utc_now, ids: IdFactory = new_id,
    ) -> None:
        super().__init__()
        # db is the backend Database, only handed on to services (never queried here).
        self.settings = settings
        self.db = db
        self._actor = actor
        self._auth_error = auth_error
        self.clock = clock
        self.ids = ids
        self._services: dict[str | None, ServiceContext] = {}
        self.members = DataLoader[MembersKey, list[GroupMember]](self._load_members)
        self.member_counts = DataLoader[TenantKey, int](self._load_member_counts)
        self.bindings = DataLoader[BindingsKey, list[Binding]](self._load_bindings)
        self.roles = DataLoader[TenantKey, Role | None](self._load_roles)
        self.integrations = DataLoader[TenantKey, Integration | None](self._load_integrations)
        self.user_groups = DataLoader[TenantKey, list[Group]](self._load_user_groups)

    @property
    def actor(self) -> Actor:
        """The authenticated actor; raises UNAUTHENTICATED when the request has none."""
        if self._actor is None:
            assert self._auth_error is not None
            raise self._auth_error
        return self._actor

    def service(self, tenant_id: str | None) -> ServiceContext:
        """One ServiceContext per tenant and request (its permission cache lives as long)."""
        if tenant_id not in self._services:
            self._services[tenant_id] = ServiceContext(
                self.db, self.actor, tenant_id, Door.GRAPHQL, clock=self.clock, ids=self.ids)
        return self._services[tenant_id]

    # --- batch loaders ------------------------------------------------------------------------

    async def _load_members(self, keys: list[MembersKey]) -> list[Any]:
        async def fetch(
            group: tuple[str, int, str | None], batch: list[MembersKey]
        ) -> dict[MembersKey, list[GroupMember]]:
            tenant, limit, after = group
            found = await groups.members(self.service(tenant), [k[1] for k in batch],
                                         limit=limit, after=after)
            return {k: found.get(k[1], []) for k in batch}

        return await _grouped(keys, lambda k: (k[0], k[2], k[3]), fetch)()

    async def _load_member_counts(self, keys: list[TenantKey]) -> list[Any]:
        async def fetch(tenant: str, batch: list[TenantKey]) -> dict[TenantKey, int]:
            found = await groups.member_counts(self.service(tenant), [k[1] for k in batch])
            return {k: found.get(k[1], 0) for k in batch}

        return await _grouped(keys, lambda k: k[0], fetch)()

    async def _load_bindings(self, keys: list[BindingsKey]) -> list[Any]:
        async def fetch(
            group: tuple[str, SubjectType], batch: list[BindingsKey]
        ) -> dict[BindingsKey, list[Binding]]:
            tenant, subject_type = group
            found = await bindings.list_bindings(
                self.service(tenant), subject_type=subject_type, subject_ids=[k[2] for k in batch])
            out: dict[BindingsKey, list[Binding]] = {k: [] for k in batch}
            for b in found:
                out[(tenant, subject_type, b.subject_id)].append(b)
            return out

        return await _grouped(keys, lambda k: (k[0], k[1]), fetch)()

    async def _load_user_groups(self, keys: list[TenantKey]) -> list[Any]:
        async def fetch(tenant: str, batch: list[TenantKey]) -> dict[TenantKey, list[Group]]:
            found = await groups.groups_of_users(self.service(tenant), [k[1] for k in batch])
            return {k: found.get(k[1], []) for k in batch}

        return await _grouped(keys, lambda k: k[0], fetch)()

    async def _load_roles(self, keys: list[TenantKey]) -> list[Any]:
        async def fetch(tenant: str, batch: list[TenantKey]) -> dict[TenantKey, Role | None]:
            found = await roles.get_roles(self.service(tenant), sorted({k[1] for k in batch}))
            return {k: found.get(k[1]) for k in batch}

        return await _grouped(keys, lambda k: k[0], fetch)()

    async def _load_integrations(
        self, keys: list[TenantKey]
    ) -> list[Any]:
        async def fetch(
            tenant: str, batch: list[TenantKey]
        ) -> dict[TenantKey, Integration | None]:
            found = {i.id: i for i in
                     await integrations.list_integrations(self.service(tenant))}
            return {k: found.get(k[1]) for k in batch}

        return await _grouped(keys, lambda k: k[0], fetch)()
