"""Tenant isolation: asked from tenant B about an object of tenant A, every service says 404."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from backend.domain.errors import NotFound
from backend.domain.models import ActorType, SubjectType
from backend.domain.queries import GroupChange, ListQuery
from backend.persistence.db import Database
from backend.services import (
    bindings,
    groups,
    integrations,
    roles,
    service_accounts,
    tenants,
    tokens,
    users,
)
from backend.services.context import ServiceContext
from tests.factories import draft, make_integration, make_tenant


async def _two_tenants(db: Database) -> tuple[ServiceContext, dict[str, str]]:
    a = await make_tenant(db, "alpha")
    await tenants.create_tenant(a.ctx(), "bravo")
    b = await make_tenant(db, "bravo", a.admin.label)
    ctx_a = a.ctx()
    user = await users.create_user(ctx_a, draft("only-alpha@a.test"))
    group = await groups.create_group(ctx_a, "alpha-team", members=(user.id,))
    role = await roles.create_role(ctx_a, "alpha-role", permissions=["FLOW:VIEW"])
    binding = await bindings.create_binding(ctx_a, role.id, SubjectType.GROUP, group.id)
    account = await service_accounts.create_service_account(ctx_a, "alpha-bot")
    token = await tokens.create_api_token(ctx_a, owner_type=ActorType.SERVICE_ACCOUNT,
                                          owner_id=account.id, name="t")
    integration_id, _ = await make_integration(a)
    ids = {"user": user.id, "group": group.id, "role": role.id, "binding": binding.id,
           "sa": account.id, "token": token.token.id, "integration": integration_id}
    return b.ctx(), ids


Probe = Callable[[ServiceContext, dict[str, str]], Awaitable[Any]]
PROBES: dict[str, Probe] = {
    "get_user": lambda c, i: users.get_user(c, i["user"]),
    "update_user": lambda c, i: users.update_user(c, i["user"], lambda d: d),
    "remove_user": lambda c, i: users.remove_from_tenant(c, i["user"]),
    "get_group": lambda c, i: groups.get_group(c, i["group"]),
    "update_group": lambda c, i: groups.update_group(c, i["group"],
                                                     GroupChange(display_name="x")),
    "delete_group": lambda c, i: groups.delete_group(c, i["group"]),
    "get_role": lambda c, i: roles.get_role(c, i["role"]),
    "update_role": lambda c, i: roles.update_role(c, i["role"], description="x"),
    "delete_role": lambda c, i: roles.delete_role(c, i["role"]),
    "delete_binding": lambda c, i: bindings.delete_binding(c, i["binding"]),
    "bind_foreign_group": lambda c, i: bindings.create_binding(
        c, i["role"], SubjectType.GROUP, i["group"]),
    "delete_sa": lambda c, i: service_accounts.delete_service_account(c, i["sa"]),
    "token_for_foreign_sa": lambda c, i: tokens.create_api_token(
        c, owner_type=ActorType.SERVICE_ACCOUNT, owner_id=i["sa"], name="x"),
    "revoke_foreign_token": lambda c, i: tokens.revoke_api_token(c, i["token"]),
    "get_integration": lambda c, i: integrations.get_integration(c, i["integration"]),
    "update_integration": lambda c, i: integrations.update_integration(
        c, i["integration"], enabled=False),
    "rotate_integration": lambda c, i: integrations.rotate_token(c, i["integration"]),
    "delete_integration": lambda c, i: integrations.delete_integration(c, i["integration"]),
}


@pytest.mark.parametrize("probe", list(PROBES))
async def test_other_tenant_objects_are_not_found(db: Database, probe: str) -> None:
    ctx_b, ids = await _two_tenants(db)
    with pytest.raises(NotFound):
        await PROBES[probe](ctx_b, ids)


async def test_lists_and_batches_never_cross_tenants(db: Database) -> None:
    ctx_b, ids = await _two_tenants(db)
    assert ids["user"] not in [u.id for u in (await users.list_users(ctx_b, ListQuery())).items]
    assert (await groups.list_groups(ctx_b, ListQuery())).items == []
    assert await users.get_users(ctx_b, [ids["user"]]) == {}
    assert await groups.get_groups(ctx_b, [ids["group"]]) == {}
    assert (await groups.members(ctx_b, [ids["group"]]))[ids["group"]] == []
    assert await roles.get_roles(ctx_b, [ids["role"]]) == {}
    assert await bindings.list_bindings(ctx_b, subject_ids=[ids["group"]]) == []
