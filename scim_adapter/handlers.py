"""SCIM operations as plain async functions: ``Call`` in, ``Result`` out (no HTTP objects).

The router and Bulk both dispatch through :func:`dispatch`, so every operation has exactly one
implementation. Services do tenant scoping and permission checks.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from backend.domain.errors import InvalidFilter, InvalidValue
from backend.domain.models import Group, TenantUser
from backend.domain.queries import GroupChange, ListQuery, UserDraft
from backend.services import groups, users
from backend.services.context import ServiceContext
from scim_adapter import discovery, mapping, patch, projection
from scim_adapter.errors import ScimError, invalid_value
from scim_adapter.listing import ListParams, list_body, parse_params
from scim_adapter.meta_schemas import meta_schema, meta_schemas


@dataclass
class Call:
    ctx: ServiceContext
    urls: mapping.Urls
    limits: discovery.ServiceLimits
    default_page_size: int
    method: str
    path: str  # relative to the SCIM base, e.g. "/Users/123"
    query: dict[str, Any] = field(default_factory=dict)
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names
    params: dict[str, str] = field(default_factory=dict)


@dataclass
class Result:
    status: int
    body: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[[Call], Awaitable[Result]]


def _body(call: Call) -> dict[str, Any]:
    if not isinstance(call.body, dict):
        raise ScimError(400, "the request body must be a JSON object", "invalidSyntax")
    return call.body


def _list_params(call: Call, source: dict[str, Any]) -> ListParams:
    return parse_params(source, call.limits.max_results)


def _not_modified(call: Call, etag: str) -> Result | None:
    """``If-None-Match`` on GET: 304 when the client's version is current."""
    if call.headers.get("if-none-match", "").strip() in (etag, "*"):
        return Result(304, None, {"ETag": etag})
    return None


def _attrs(call: Call) -> tuple[list[str], list[str]]:
    return (projection.parse_list(call.query.get("attributes")),
            projection.parse_list(call.query.get("excludedAttributes")))


# -------------------------------------------------------------------------------- users


def _wants_groups(excluded: list[str], attributes: list[str]) -> bool:
    return not (projection.wants(excluded, "groups") or (
        bool(attributes) and not projection.wants(attributes, "groups")))


def _render_users(call: Call, items: list[TenantUser], excluded: list[str],
                  attributes: list[str]) -> list[dict[str, Any]]:
    """Users as SCIM resources; ``groups`` when the service loaded them (``with_groups``)."""
    return [projection.project(mapping.user_resource(u, call.urls, u.groups), attributes,
                               excluded) for u in items]


def _user_result(call: Call, user: TenantUser, status: int = 200) -> Result:
    attributes, excluded = _attrs(call)
    doc = _render_users(call, [user], excluded, attributes)[0]
    headers = {"ETag": user.etag}
    if status == 201:
        headers["Location"] = call.urls.user(user.id)
    return Result(status, doc, headers)


def _call_wants_groups(call: Call) -> bool:
    attributes, excluded = _attrs(call)
    return _wants_groups(excluded, attributes)


async def list_users(call: Call, params: ListParams) -> Result:
    page = await users.list_users(call.ctx, params.query, default_size=call.default_page_size,
                                  max_size=call.limits.max_results,
                                  with_groups=_wants_groups(params.excluded, params.attributes))
    docs = _render_users(call, page.items, params.excluded, params.attributes)
    return Result(200, list_body(docs, page.total, params.query.start_index, page.next_cursor))


async def users_collection(call: Call) -> Result:
    if call.method == "GET":
        return await list_users(call, _list_params(call, call.query))
    draft = mapping.user_draft(_body(call))
    return _user_result(call, await users.create_user(
        call.ctx, draft, with_groups=_call_wants_groups(call)), 201)


async def users_search(call: Call) -> Result:
    return await list_users(call, _list_params(call, _body(call)))


async def user_item(call: Call) -> Result:
    user_id = call.params["id"]
    if_match = call.headers.get("if-match")
    if call.method == "GET":
        user = await users.get_user(call.ctx, user_id, with_groups=_call_wants_groups(call))
        return _not_modified(call, user.etag) or _user_result(call, user)
    if call.method == "DELETE":
        await users.remove_from_tenant(call.ctx, user_id, if_match=if_match)
        return Result(204)
    body = _body(call)
    if call.method == "PUT":
        def replace(before: UserDraft) -> UserDraft:
            return mapping.user_draft(body, before)
        change = replace
    else:
        ops = patch.parse_ops(body)

        def apply(before: UserDraft) -> UserDraft:
            return patch.apply_user_patch(before, ops, user_id)
        change = apply
    user = await users.update_user(call.ctx, user_id, change, if_match=if_match,
                                   with_groups=_call_wants_groups(call))
    return _user_result(call, user)


# ------------------------------------------------------------------------------- groups


async def _render_groups(call: Call, items: list[Group], excluded: list[str],
                         attributes: list[str], *, no_members: bool = False,
                         ) -> list[dict[str, Any]]:
    """``no_members``: the groups are known to be empty (just created without members), so
    their members need no read."""
    skip = projection.wants(excluded, "members") or (
        bool(attributes) and not projection.wants(attributes, "members")
        and not _names(attributes, "members.display"))
    # members.display is only rendered when asked for (attributes=members.display): clients
    # compare members exactly as they wrote them (value, $ref, type).
    display = _names(attributes, "members.display")
    members = {} if skip or no_members or not items else await groups.members(
        call.ctx, [g.id for g in items])
    return [projection.project(
        mapping.group_resource(g, call.urls, None if skip else members.get(g.id, []), display),
        attributes, excluded) for g in items]


def _names(attributes: list[str], dotted: str) -> bool:
    return any(a.lower().rpartition(":")[2] == dotted for a in attributes)


async def _group_result(call: Call, group: Group, status: int = 200, *,
                        no_members: bool = False) -> Result:
    attributes, excluded = _attrs(call)
    doc = (await _render_groups(call, [group], excluded, attributes, no_members=no_members))[0]
    headers = {"ETag": group.etag}
    if status == 201:
        headers["Location"] = call.urls.group(group.id)
    return Result(status, doc, headers)


async def list_groups(call: Call, params: ListParams) -> Result:
    page = await groups.list_groups(call.ctx, params.query, default_size=call.default_page_size,
                                    max_size=call.limits.max_results)
    docs = await _render_groups(call, page.items, params.excluded, params.attributes)
    return Result(200, list_body(docs, page.total, params.query.start_index, page.next_cursor))


def _group_input(body: dict[str, Any]) -> tuple[str, str | None, list[str]]:
    low = {str(k).lower(): v for k, v in body.items()}
    name = low.get("displayname")
    if not isinstance(name, str):
        raise InvalidValue("displayName is required", field="displayName")
    external = low.get("externalid")
    if external is not None and not isinstance(external, str):
        raise InvalidValue("externalId must be a string", field="externalId")
    return name, external, mapping.member_ids(low.get("members"))


async def groups_collection(call: Call) -> Result:
    if call.method == "GET":
        return await list_groups(call, _list_params(call, call.query))
    name, external, members = _group_input(_body(call))
    group = await groups.create_group(call.ctx, name, external, tuple(members))
    return await _group_result(call, group, 201, no_members=not members)


async def groups_search(call: Call) -> Result:
    return await list_groups(call, _list_params(call, _body(call)))


async def group_item(call: Call) -> Result:
    group_id = call.params["id"]
    if_match = call.headers.get("if-match")
    if call.method == "GET":
        group = await groups.get_group(call.ctx, group_id)
        return _not_modified(call, group.etag) or await _group_result(call, group)
    if call.method == "DELETE":
        await groups.delete_group(call.ctx, group_id, if_match=if_match)
        return Result(204)
    body = _body(call)
    if call.method == "PUT":
        name, external, members = _group_input(body)
        change = GroupChange(display_name=name, external_id=external, set_external_id=True,
                             replace_members=tuple(members))
    else:
        change = patch.group_change(patch.parse_ops(body), group_id)
    group = await groups.update_group(call.ctx, group_id, change, if_match=if_match)
    if call.method == "PATCH" and "attributes" not in call.query:
        # 204: answering with the group would mean loading every member, so the cost of a
        # one-member PATCH would grow with the group (Entra expects 204 anyway).
        return Result(204, None, {"ETag": group.etag})
    return await _group_result(call, group)


# ------------------------------------------------------------------------ root search


async def root_search(call: Call) -> Result:
    """``POST /.search``: Users then Groups, paged as one list."""
    params = _list_params(call, _body(call))
    q = params.query
    size = call.default_page_size if q.count is None else q.count
    size = min(size, call.limits.max_results)
    docs: list[dict[str, Any]] = []
    total = 0
    failures = 0
    user_total = 0
    try:
        uq = ListQuery(q.filter, q.sort_by, q.descending, q.start_index, size)
        page = await users.list_users(call.ctx, uq, max_size=call.limits.max_results,
                                      with_groups=_wants_groups(params.excluded,
                                                                params.attributes))
        user_total = page.total
        total += page.total
        docs += _render_users(call, page.items, params.excluded, params.attributes)
    except InvalidFilter:
        failures += 1
    try:
        left = size - len(docs)
        gq = ListQuery(q.filter, q.sort_by, q.descending,
                       max(1, q.start_index - user_total), left)
        gpage = await groups.list_groups(call.ctx, gq, max_size=call.limits.max_results)
        total += gpage.total
        docs += await _render_groups(call, gpage.items, params.excluded, params.attributes)
    except InvalidFilter:
        failures += 1
    if failures == 2:
        raise InvalidFilter("the filter applies to no resource type")
    return Result(200, list_body(docs, total, q.start_index))


# --------------------------------------------------------------------------- discovery


async def spc(call: Call) -> Result:
    return Result(200, discovery.service_provider_config(call.urls.base, call.limits))


async def resource_types(call: Call) -> Result:
    if "id" in call.params:
        doc = discovery.resource_type(call.urls.base, call.params["id"])
        if doc is None:
            raise ScimError(404, f"resource type {call.params['id']!r} not found")
        return Result(200, doc)
    return Result(200, discovery.list_response(discovery.resource_types(call.urls.base)))


async def schemas(call: Call) -> Result:
    if "id" in call.params:
        doc = (discovery.schema_document(call.urls.base, call.params["id"])
               or meta_schema(call.urls.base, call.params["id"]))
        if doc is None:
            raise ScimError(404, f"schema {call.params['id']!r} not found")
        return Result(200, doc)
    docs = discovery.schemas(call.urls.base) + meta_schemas(call.urls.base)
    return Result(200, discovery.list_response(docs))


async def me(call: Call) -> Result:
    raise ScimError(501, "/Me is not supported: provisioning integrations are not users")


# ------------------------------------------------------------------------------ routing

ROUTES: list[tuple[re.Pattern[str], dict[str, Handler]]] = [
    (re.compile(r"/Users/?"), {"GET": users_collection, "POST": users_collection}),
    (re.compile(r"/Users/\.search"), {"POST": users_search}),
    (re.compile(r"/Users/(?P<id>[^/]+)"), {m: user_item for m in
                                            ("GET", "PUT", "PATCH", "DELETE")}),
    (re.compile(r"/Groups/?"), {"GET": groups_collection, "POST": groups_collection}),
    (re.compile(r"/Groups/\.search"), {"POST": groups_search}),
    (re.compile(r"/Groups/(?P<id>[^/]+)"), {m: group_item for m in
                                             ("GET", "PUT", "PATCH", "DELETE")}),
    (re.compile(r"/\.search"), {"POST": root_search}),
    (re.compile(r"/ServiceProviderConfig/?"), {"GET": spc}),
    (re.compile(r"/ResourceTypes/?"), {"GET": resource_types}),
    (re.compile(r"/ResourceTypes/(?P<id>[^/]+)"), {"GET": resource_types}),
    (re.compile(r"/Schemas/?"), {"GET": schemas}),
    (re.compile(r"/Schemas/(?P<id>[^/]+)"), {"GET": schemas}),
    (re.compile(r"/Me(/.*)?"), {m: me for m in ("GET", "POST", "PUT", "PATCH", "DELETE")}),
]


def resolve(method: str, path: str) -> tuple[Handler, dict[str, str]]:
    for pattern, methods in ROUTES:
        found = pattern.fullmatch(path)
        if found is None:
            continue
        handler = methods.get(method.upper())
        if handler is None:
            allow = ", ".join(sorted(methods))
            raise ScimError(405, f"method {method} not allowed here", headers={"Allow": allow})
        return handler, {k: v for k, v in found.groupdict().items() if v is not None}
    raise ScimError(404, f"no SCIM endpoint at {path!r}")


async def dispatch(call: Call) -> Result:
    handler, params = resolve(call.method, call.path)
    call.params = params
    if call.method.upper() in ("POST", "PUT", "PATCH") and call.body is None \
            and handler is not me:
        raise invalid_value("a request body is required")
    return await handler(call)
