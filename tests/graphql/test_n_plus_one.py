"""Listing groups with members and bindings costs a constant number of SQL statements."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event

from backend.domain.models import SubjectType
from backend.domain.queries import UserDraft
from backend.services import bindings, groups, roles, users
from tests.factories import TenantFixture, make_tenant

from .conftest import Client

QUERY = """query($t: ID!, $first: Int!) { tenant(id: $t) { groups(first: $first) {
  totalCount
  edges { node { id displayName managedBy { integration { id name } }
    members(first: 20) { totalCount pageInfo { hasNextPage } edges { node { id userName } } }
    bindings { id namespace role { id name permissions } } } } } } }"""


async def _populate(tf: TenantFixture, n_groups: int, n_members: int) -> None:
    ctx = tf.ctx()
    member_ids = tuple([
        (await users.create_user(ctx, UserDraft(f"u{i}@{tf.tenant}.test", {}))).id
        for i in range(n_members)])
    async with tf.db.read() as conn:
        viewer = await roles.find_by_name(conn, tf.tenant, "Viewer")
    assert viewer is not None
    for i in range(n_groups):
        group = await groups.create_group(ctx, f"group-{i:03d}", members=member_ids)
        await bindings.create_binding(ctx, viewer.id, SubjectType.GROUP, group.id)
        await bindings.create_binding(ctx, viewer.id, SubjectType.GROUP, group.id, "prod")


async def _count(gql: Client, tf: TenantFixture, first: int) -> tuple[int, dict[str, Any]]:
    statements: list[str] = []

    def on_execute(*args: Any) -> None:
        statements.append(args[2])

    await gql("{ me { id } }", tf.admin_token)  # warm up (token last-used bookkeeping)
    engine = tf.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", on_execute)
    stop_direct = tf.db.listen_direct(statements.append)  # authentication's, on SQLite
    try:
        body = await gql(QUERY, tf.admin_token, t=tf.tenant, first=first)
    finally:
        stop_direct()
        event.remove(engine, "before_cursor_execute", on_execute)
    assert "errors" not in body, body
    return len(statements), body


async def test_group_listing_is_not_n_plus_one(gql: Client, tf: TenantFixture) -> None:
    await _populate(tf, n_groups=10, n_members=3)
    big = await make_tenant(tf.db, "big", email="admin@big.test")
    await _populate(big, n_groups=100, n_members=25)

    small_count, small = await _count(gql, tf, first=10)
    big_count, body = await _count(gql, big, first=100)

    page = body["data"]["tenant"]["groups"]
    assert page["totalCount"] == 100 and len(page["edges"]) == 100
    node = page["edges"][0]["node"]
    assert node["members"]["totalCount"] == 25
    assert len(node["members"]["edges"]) == 20 and node["members"]["pageInfo"]["hasNextPage"]
    assert len(node["bindings"]) == 2 and node["bindings"][0]["role"]["name"] == "Viewer"
    assert len(small["data"]["tenant"]["groups"]["edges"]) == 10

    assert big_count == small_count
    assert big_count <= 25  # 13 on PostgreSQL, 20 on SQLite (BEGINs and PRAGMAs count)
