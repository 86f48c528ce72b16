"""Groups of one tenant, and their members (users of the same tenant).

Member changes are row inserts and deletes: adding one member to a 50,000-member group touches
one row plus the group's version, never the whole member list.
"""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from backend.domain import limits
from backend.domain.errors import Conflict, Forbidden, InvalidValue, NotFound, PreconditionFailed
from backend.domain.models import Group, GroupMember, Page, SubjectType
from backend.domain.permissions import Action, Resource
from backend.domain.queries import GroupChange, ListQuery
from backend.domain.text import fold
from backend.persistence import filter_sql, paging, rows
from backend.persistence import group_store as store
from backend.services import audit, authz, bindings
from backend.services.context import ServiceContext

MAX_NAME = 255


def _check_name(name: str | None) -> str:
    name = (name or "").strip()
    if not name:
        raise InvalidValue("displayName is required", field="displayName")
    if len(name) > MAX_NAME:
        raise InvalidValue(f"displayName must be at most {MAX_NAME} characters",
                           field="displayName")
    limits.check_identifier(name, "displayName")  # the SCIM door's character rules
    return name


async def _load(conn: AsyncConnection, tenant_id: str, group_id: str, lock: bool) -> Group:
    group = await store.get(conn, tenant_id, group_id, lock=lock)
    if group is None:
        raise NotFound(f"group {group_id!r} not found")
    return group


async def _load_for_write(
    conn: AsyncConnection, tenant_id: str, group_id: str, if_match: str | None
) -> Group:
    """The locked row, checked against ``If-Match``. A conditional write that finds the group
    gone (a concurrent DELETE won) is 412, not 404: its condition is false (RFC 7232 §3.1)."""
    group = await store.get(conn, tenant_id, group_id, lock=True)
    if group is None and if_match:
        raise PreconditionFailed("the group no longer exists (ETag mismatch)")
    if group is None:
        raise NotFound(f"group {group_id!r} not found")
    if if_match and if_match.strip() not in ("*", group.etag):
        raise PreconditionFailed("the group has changed since it was read (ETag mismatch)")
    return group


def _guard_managed(ctx: ServiceContext, group: Group, what: str) -> None:
    """Fields an IdP owns may only be changed by that IdP, which would overwrite them anyway."""
    if group.managed_by is not None and ctx.actor.integration_id != group.managed_by:
        raise Forbidden(
            f"group {group.display_name!r} is managed by provisioning integration "
            f"{group.managed_by}; {what} it in the identity provider instead")


async def _check_members(conn: AsyncConnection, tenant_id: str, ids: tuple[str, ...]) -> None:
    unknown = await store.unknown_users(conn, tenant_id, ids)
    if unknown:
        shown = ", ".join(unknown[:5]) + (" ..." if len(unknown) > 5 else "")
        raise InvalidValue(f"unknown member id(s): {shown}", field="members")


async def create_group(
    ctx: ServiceContext, display_name: str, external_id: str | None = None,
    members: tuple[str, ...] = (),
) -> Group:
    name = _check_name(display_name)
    try:
        async with ctx.db.write() as conn:
            tenant_id = await authz.require(ctx, conn, Resource.GROUP, Action.CREATE)
            if members:
                await authz.require(ctx, conn, Resource.GROUP, Action.MANAGE_MEMBERS)
            if await store.name_taken(conn, tenant_id, name):
                raise Conflict(f"a group named {name!r} already exists")
            await _check_members(conn, tenant_id, members)
            group_id, now = ctx.ids(), ctx.now()
            await conn.execute(store.INSERT_GROUP, dict(
                id=group_id, tenant_id=tenant_id, display_name=name,
                display_name_norm=fold(name), external_id=external_id,
                integration_id=ctx.actor.integration_id, version=1,
                created_at=now, updated_at=now))
            await store.add_members(conn, tenant_id, group_id, members, now)
            await audit.record(ctx, conn, "group.create", "group", group_id, {
                "displayName": name, "externalId": external_id, "members": len(set(members))})
            return await _load(conn, tenant_id, group_id, lock=False)
    except IntegrityError:
        raise Conflict(f"a group named {name!r} already exists") from None


async def get_group(ctx: ServiceContext, group_id: str) -> Group:
    async with ctx.db.read() as conn:
        tenant_id = await authz.require(ctx, conn, Resource.GROUP, Action.VIEW)
        return await _load(conn, tenant_id, group_id, lock=False)


async def get_groups(ctx: ServiceContext, group_ids: list[str]) -> dict[str, Group]:
    async with ctx.db.read() as conn:
        tenant_id = await authz.require(ctx, conn, Resource.GROUP, Action.VIEW)
        return await store.get_many(conn, tenant_id, group_ids)


async def list_groups(
    ctx: ServiceContext, query: ListQuery, *, default_size: int = 100, max_size: int = 1000
) -> Page[Group]:
    async with ctx.db.read() as conn:
        tenant_id = await authz.require(ctx, conn, Resource.GROUP, Action.LIST)
        base, sort_col = filter_sql.GROUPS.apply(store.tenant_groups(tenant_id), query.filter,
                                                 query.sort_by)
        window = await paging.fetch(conn, base, store.G.c.id, query, sort_col=sort_col,
                                    default_size=default_size, max_size=max_size)
    return Page([rows.group(r) for r in window.rows], window.total, window.next_cursor)


async def members(
    ctx: ServiceContext, group_ids: list[str], *, limit: int | None = None,
    after: str | None = None,
) -> dict[str, list[GroupMember]]:
    """Members of several groups at once (tenant-checked); ``limit`` applies per group."""
    async with ctx.db.read() as conn:
        tenant_id = await authz.require(ctx, conn, Resource.GROUP, Action.VIEW)
        visible = await store.get_many(conn, tenant_id, group_ids)
        if not visible:
            return {g: [] for g in group_ids}
        found = await store.members_of(conn, list(visible), limit=limit, after=after)
    return {g: found.get(g, []) for g in group_ids}


async def member_counts(ctx: ServiceContext, group_ids: list[str]) -> dict[str, int]:
    async with ctx.db.read() as conn:
        tenant_id = await authz.require(ctx, conn, Resource.GROUP, Action.VIEW)
        visible = await store.get_many(conn, tenant_id, group_ids)
        counts = await store.count_members(conn, list(visible)) if visible else {}
    return {g: counts.get(g, 0) for g in group_ids}


async def groups_of_users(ctx: ServiceContext, user_ids: list[str]) -> dict[str, list[Group]]:
    """The groups each user belongs to in this tenant (SCIM's read-only ``groups``).

    A user's memberships are part of viewing the user, so this needs ``USER:VIEW``: reading
    users costs the same permission through either door."""
    async with ctx.db.read() as conn:
        tenant_id = await authz.require(ctx, conn, Resource.USER, Action.VIEW)
        return await store.groups_of_users(conn, tenant_id, user_ids)


async def update_group(
    ctx: ServiceContext, group_id: str, change: GroupChange, *, if_match: str | None = None
) -> Group:
    """Rename and/or change members as targeted row changes, in one transaction."""
    async with ctx.db.write() as conn:
        needed = [Action.MANAGE_MEMBERS] if change.touches_members else []
        if change.touches_attributes or not needed:
            needed.append(Action.UPDATE)
        for action in needed:
            await authz.require(ctx, conn, Resource.GROUP, action)
        tenant_id = ctx.require_tenant()
        group = await _load_for_write(conn, tenant_id, group_id, if_match)
        summary = await _apply(ctx, conn, tenant_id, group, change)
        if summary:
            await audit.record(ctx, conn, "group.update", "group", group_id, summary)
        return await _load(conn, tenant_id, group_id, lock=False)


async def _apply(
    ctx: ServiceContext, conn: AsyncConnection, tenant_id: str, group: Group, change: GroupChange
) -> dict[str, object]:
    summary: dict[str, object] = {}
    values: dict[str, object] = {}
    if change.display_name is not None and change.display_name != group.display_name:
        _guard_managed(ctx, group, "rename")
        name = _check_name(change.display_name)
        if await store.name_taken(conn, tenant_id, name, except_id=group.id):
            raise Conflict(f"a group named {name!r} already exists")
        values.update(display_name=name, display_name_norm=fold(name))
        summary["displayName"] = {"before": group.display_name, "after": name}
    if change.set_external_id and change.external_id != group.external_id:
        _guard_managed(ctx, group, "change")
        values["external_id"] = change.external_id
        summary["externalId"] = {"before": group.external_id, "after": change.external_id}
    if change.touches_members:
        _guard_managed(ctx, group, "change the members of")
        summary.update(await _apply_members(ctx, conn, tenant_id, group.id, change))
    if values or change.touches_members:
        await store.bump(conn, group.id, ctx.now(), **values)
    return summary


async def _apply_members(
    ctx: ServiceContext, conn: AsyncConnection, tenant_id: str, group_id: str, change: GroupChange
) -> dict[str, object]:
    now = ctx.now()
    add, remove = set(change.add_members), set(change.remove_members)
    if change.replace_members is not None:  # a full list, applied as a difference
        wanted = set(change.replace_members)
        current = await store.member_ids(conn, group_id)
        add |= wanted - current
        remove |= current - wanted
    await _check_members(conn, tenant_id, tuple(add))
    await store.remove_members(conn, group_id, remove - add)
    await store.add_members(conn, tenant_id, group_id, add, now)
    return {"membersAdded": sorted(add)[:100], "membersRemoved": sorted(remove - add)[:100],
            "added": len(add), "removed": len(remove - add)}


async def delete_group(
    ctx: ServiceContext, group_id: str, *, if_match: str | None = None
) -> Group:
    async with ctx.db.write() as conn:
        tenant_id = await authz.require(ctx, conn, Resource.GROUP, Action.DELETE)
        group = await _load_for_write(conn, tenant_id, group_id, if_match)
        _guard_managed(ctx, group, "delete")
        await bindings.delete_where(conn, tenant_id, SubjectType.GROUP, group_id)
        await store.delete_group(conn, group_id)
        await audit.record(ctx, conn, "group.delete", "group", group_id,
                           {"displayName": group.display_name})
        return group

