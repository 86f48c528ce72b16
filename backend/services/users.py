"""Users as one tenant sees them: create-or-link, read, list, update, suspend, remove access.

Users are global; a tenant's view is a membership. Removing a user from a tenant removes the
membership with its group memberships and bindings there; the global user stays.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any, TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from backend.domain import limits
from backend.domain.errors import Conflict, Forbidden, InvalidValue, NotFound, PreconditionFailed
from backend.domain.models import Page, SubjectType, TenantUser
from backend.domain.permissions import Action, Resource
from backend.domain.queries import ListQuery, UserDraft
from backend.domain.text import fold
from backend.persistence import filter_sql, group_store, paging, rows
from backend.persistence import user_store as store
from backend.services import audit, authz, bindings, deletion_guard, passwords
from backend.services.context import ServiceContext

_T = TypeVar("_T")

UserChange = Callable[[UserDraft], UserDraft]


def _validate(draft: UserDraft) -> UserDraft:
    user_name = draft.user_name.strip() if isinstance(draft.user_name, str) else ""
    if not user_name:
        raise InvalidValue("userName is required", field="userName")
    # The same character and length rules as the SCIM door's (backend.domain.limits), so
    # GraphQL and the CLI cannot store what SCIM would refuse.
    limits.check_identifier(user_name, "userName")
    if draft.password is not None and len(draft.password) > passwords.MAX_PASSWORD_LENGTH:
        raise InvalidValue("password is too long", field="password")
    if draft.external_id is not None:
        limits.check_identifier(draft.external_id, "externalId")
    limits.check_document(draft.profile, "profile")
    return UserDraft(user_name, draft.profile, draft.external_id, draft.active, draft.password)


def _not_found(user_id: str) -> NotFound:
    return NotFound(f"user {user_id!r} not found")


async def _load(conn: AsyncConnection, tenant_id: str, user_id: str, lock: bool) -> TenantUser:
    found = await store.get(conn, tenant_id, user_id, lock=lock)
    if found is None:
        raise _not_found(user_id)
    return found


def _check_etag(etag: str, if_match: str | None) -> None:
    if if_match and if_match.strip() != "*" and if_match.strip() != etag:
        raise PreconditionFailed("the user has changed since it was read (ETag mismatch)")


async def _load_for_write(
    conn: AsyncConnection, tenant_id: str, user_id: str, if_match: str | None
) -> TenantUser:
    """The locked row, checked against ``If-Match``."""
    found = _found(await store.get(conn, tenant_id, user_id, lock=True), user_id, if_match)
    _check_etag(found.etag, if_match)
    return found


def _found(found: _T | None, user_id: str, if_match: str | None) -> _T:
    """A conditional write that finds the user gone (a concurrent DELETE won) is 412, not 404:
    its condition is false (RFC 7232 §3.1)."""
    if found is None:
        if if_match:
            raise PreconditionFailed("the user no longer exists (ETag mismatch)")
        raise _not_found(user_id)
    return found


async def _attach_groups(
    ctx: ServiceContext, conn: AsyncConnection, tenant_id: str, found: list[TenantUser]
) -> list[TenantUser]:
    """Fill ``groups`` from the same transaction (a SCIM User carries its groups). Group
    memberships are part of viewing a user, so they need ``USER:VIEW``; without it they stay
    unloaded (None) rather than failing a write that has already been made."""
    if not found or not await authz.can(ctx, conn, Resource.USER, Action.VIEW):
        return found
    by_user = await group_store.groups_of_users(conn, tenant_id, [u.id for u in found])
    return [replace(u, groups=tuple(by_user.get(u.id, ()))) for u in found]


async def _load_result(
    ctx: ServiceContext, conn: AsyncConnection, tenant_id: str, user_id: str, with_groups: bool
) -> TenantUser:
    found = await _load(conn, tenant_id, user_id, lock=False)
    return (await _attach_groups(ctx, conn, tenant_id, [found]))[0] if with_groups else found


async def get_user(ctx: ServiceContext, user_id: str, *, with_groups: bool = False) -> TenantUser:
    async with ctx.db.read() as conn:
        tenant_id = await authz.require(ctx, conn, Resource.USER, Action.VIEW)
        return await _load_result(ctx, conn, tenant_id, user_id, with_groups)


async def get_users(ctx: ServiceContext, user_ids: list[str]) -> dict[str, TenantUser]:
    """Batch read for DataLoaders and SCIM Bulk: one permission check, one query."""
    async with ctx.db.read() as conn:
        tenant_id = await authz.require(ctx, conn, Resource.USER, Action.VIEW)
        return await store.get_many(conn, tenant_id, user_ids)


async def list_users(
    ctx: ServiceContext, query: ListQuery, *, default_size: int = 100, max_size: int = 1000,
    with_groups: bool = False,
) -> Page[TenantUser]:
    async with ctx.db.read() as conn:
        tenant_id = await authz.require(ctx, conn, Resource.USER, Action.LIST)
        base, sort_col = filter_sql.USERS.apply(store.tenant_users(tenant_id), query.filter,
                                                query.sort_by)
        # memberships.user_id (= users.id) orders along the (tenant_id, user_id) key, so a page
        # walks that index instead of sorting every member of the tenant.
        # Unfiltered, every membership of the tenant is a row: count and skip on that index
        # alone (a deep startIndex page at 100k users otherwise joined every row it skipped).
        unfiltered = query.filter is None
        window = await paging.fetch(
            conn, base, store.M.c.user_id, query, sort_col=sort_col,
            default_size=default_size, max_size=max_size,
            count=store.count_tenant_members(tenant_id) if unfiltered else None,
            narrow=store.tenant_member_ids(tenant_id) if unfiltered else None)
        items = [rows.tenant_user(r) for r in window.rows]
        if with_groups:
            items = await _attach_groups(ctx, conn, tenant_id, items)
    return Page(items, window.total, window.next_cursor)


async def _hash(password: str | None) -> str | None:
    return None if password is None else await passwords.hash_password(password)


async def create_user(
    ctx: ServiceContext, draft: UserDraft, *, with_groups: bool = False
) -> TenantUser:
    """Create the global user, or link an existing one (same userName) into this tenant."""
    draft = _validate(draft)
    if draft.password is not None:
        await _refuse_known_duplicate(ctx, draft.user_name)
    password_hash = await _hash(draft.password)
    try:
        return await _create(ctx, draft, password_hash, with_groups)
    except IntegrityError:
        # A concurrent create committed this userName first (unique index; PostgreSQL only
        # fails once it has committed). A second attempt sees that user: a duplicate here
        # (409), or another tenant's user to link, as if the requests had not overlapped.
        pass
    try:
        return await _create(ctx, draft, password_hash, with_groups)
    except IntegrityError:
        raise Conflict(f"userName {draft.user_name!r} already exists in this tenant") from None


async def _refuse_known_duplicate(ctx: ServiceContext, user_name: str) -> None:
    """Answer a retried create's 409 before paying for the password hash (argon2 is costly on
    purpose, and IdPs retry creates). Advisory only: ``_create`` re-checks under the lock."""
    async with ctx.db.read() as conn:
        tenant_id = await authz.require(ctx, conn, Resource.USER, Action.CREATE)
        existing = await store.find_global(conn, user_name)
        if existing is not None and await store.get(conn, tenant_id, existing.id) is not None:
            raise Conflict(f"userName {user_name!r} already exists in this tenant")


async def _create(
    ctx: ServiceContext, draft: UserDraft, password_hash: str | None, with_groups: bool
) -> TenantUser:
    async with ctx.db.write() as conn:
        tenant_id = await authz.require(ctx, conn, Resource.USER, Action.CREATE)
        existing = await store.find_global(conn, draft.user_name, lock=True)
        now = ctx.now()
        if existing is None:
            user_id = ctx.ids()
            await store.insert_user(conn, user_id, draft.user_name, draft.profile,
                                    password_hash, now)
            action = "user.create"
        else:
            user_id = existing.id
            if await store.get(conn, tenant_id, user_id) is not None:
                raise Conflict(f"userName {draft.user_name!r} already exists in this tenant")
            await _link_existing(conn, existing, tenant_id, draft, password_hash, now)
            action = "user.link"
        await store.insert_membership(
            conn, tenant_id, user_id, active=draft.active, external_id=draft.external_id,
            integration_id=ctx.actor.integration_id, now=now)
        created = await _load(conn, tenant_id, user_id, lock=False)
        if existing is None and with_groups:
            created = replace(created, groups=())  # inserted just now: in no group yet
        elif with_groups:
            created = (await _attach_groups(ctx, conn, tenant_id, [created]))[0]
        await audit.record(ctx, conn, action, "user", user_id, {
            "userName": draft.user_name, "active": draft.active,
            "externalId": draft.external_id})
        return created


async def _link_existing(
    conn: AsyncConnection, existing: Any, tenant_id: str, draft: UserDraft,
    password_hash: str | None, now: Any,
) -> None:
    """Adopt the IdP's profile, but never rewrite identity fields owned by other tenants."""
    shared = bool(existing.instance_owner) or bool(
        await store.other_tenants(conn, existing.id, tenant_id))
    profile = dict(draft.profile)
    if shared:
        profile["emails"] = (existing.profile or {}).get("emails", [])
        password_hash = None
    await store.update_user(conn, existing.id, existing.user_name, profile, password_hash, now,
                            emails_changed=not shared)


def _identity_changes(current: TenantUser, new: UserDraft) -> list[str]:

    changed = []
    if fold(new.user_name) != fold(current.user.user_name):
        changed.append("userName")
    if (new.profile.get("emails") or []) != (current.user.profile.get("emails") or []):
        changed.append("emails")
    if new.password is not None:
        changed.append("password")
    return changed


async def update_user(
    ctx: ServiceContext, user_id: str, change: UserChange, *, if_match: str | None = None,
    with_groups: bool = False,
) -> TenantUser:
    """Apply ``change`` (a PUT or PATCH computed by a door) to the current state, atomically."""
    return await deletion_guard.guarded(ctx, lambda: _update_user(ctx, user_id, change,
                                                                  if_match, with_groups))


async def _update_user(
    ctx: ServiceContext, user_id: str, change: UserChange, if_match: str | None,
    with_groups: bool,
) -> TenantUser:
    refused: list[str] = []
    async with ctx.db.write() as conn:
        tenant_id = await authz.require(ctx, conn, Resource.USER, Action.UPDATE)
        current = await _load_for_write(conn, tenant_id, user_id, if_match)
        before = UserDraft(current.user.user_name, current.user.profile, current.external_id,
                           current.active)
        new = _validate(change(before))
        identity = _identity_changes(current, new)
        if identity and (current.user.instance_owner
                         or await store.other_tenants(conn, user_id, tenant_id)):
            # No cross-tenant takeover: record the attempt (committed) and refuse.
            refused = identity
            await audit.record(ctx, conn, "user.takeover_refused", "user", user_id,
                               {"attributes": identity})
        else:
            if current.active is not False and new.active is False:
                await deletion_guard.count_deprovision(ctx, conn, tenant_id,
                                                       current.created_at)
            await _apply(ctx, conn, tenant_id, current, new, identity)
            await audit.record(ctx, conn, "user.update", "user", user_id,
                               _summary(before, new))
            return await _load_result(ctx, conn, tenant_id, user_id, with_groups)
    raise Forbidden(
        f"cannot change {', '.join(refused)} of a user who also belongs to another tenant")


async def _apply(
    ctx: ServiceContext, conn: AsyncConnection, tenant_id: str, current: TenantUser,
    new: UserDraft, identity: list[str],
) -> None:
    now = ctx.now()
    if "userName" in identity:
        other = await store.find_global(conn, new.user_name)
        if other is not None and other.id != current.id:
            raise Conflict(f"userName {new.user_name!r} is already taken")
    if new.user_name != current.user.user_name or new.profile != current.user.profile or (
        new.password is not None
    ):
        password_hash = await _hash(new.password)
        await store.update_user(conn, current.id, new.user_name, new.profile, password_hash,
                                now, emails_changed="emails" in identity)
    if (new.active, new.external_id) != (current.active, current.external_id):
        await store.update_membership(conn, tenant_id, current.id, active=new.active,
                                      external_id=new.external_id, now=now)


def _summary(before: UserDraft, after: UserDraft) -> dict[str, Any]:
    changed = [k for k in ("user_name", "external_id", "active")
               if getattr(before, k) != getattr(after, k)]
    keys = sorted(set(before.profile) | set(after.profile))
    changed += [k for k in keys if before.profile.get(k) != after.profile.get(k)]
    if after.password is not None:
        changed.append("password")
    out: dict[str, Any] = {"changed": changed}
    if before.active != after.active:
        out["active"] = {"before": before.active, "after": after.active}
    return out


async def set_active(ctx: ServiceContext, user_id: str, active: bool) -> TenantUser:
    def change(draft: UserDraft) -> UserDraft:
        return UserDraft(draft.user_name, draft.profile, draft.external_id, active)

    return await update_user(ctx, user_id, change)


async def remove_from_tenant(
    ctx: ServiceContext, user_id: str, *, if_match: str | None = None
) -> None:
    """Remove the user's access to this tenant (SCIM DELETE, revokeTenantAccess): the
    membership, and with it the user's groups and role bindings here. The user remains."""
    await deletion_guard.guarded(ctx, lambda: _remove(ctx, user_id, if_match))


async def _remove(ctx: ServiceContext, user_id: str, if_match: str | None) -> None:
    async with ctx.db.write() as conn:
        tenant_id = await authz.require(ctx, conn, Resource.USER, Action.UPDATE)
        found = _found(await store.get_for_removal(conn, tenant_id, user_id), user_id, if_match)
        _check_etag(found.etag, if_match)
        await deletion_guard.count_deprovision(ctx, conn, tenant_id, found.member_since)
        removed = 0
        if found.has_bindings:
            removed = await bindings.delete_where(conn, tenant_id, SubjectType.USER, user_id)
        await store.delete_membership(conn, tenant_id, user_id)
        await audit.record(ctx, conn, "user.remove_access", "user", user_id,
                           {"userName": found.user_name, "bindingsRemoved": removed})
