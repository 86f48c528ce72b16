"""Filters translated to SQL through the whitelist, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import pytest

from backend.domain.errors import InvalidFilter
from backend.domain.filters import parse_filter
from backend.domain.queries import ListQuery, UserDraft
from backend.persistence.db import Database
from backend.services import groups, users
from tests.factories import TenantFixture, make_tenant

PEOPLE = [
    ("alice@x.test", "Alice", "Smith", "work", "Engineer", True, "E1"),
    ("Bob@x.test", "Bob", "Jones", "home", "Manager", True, "E2"),
    ("carol@y.test", "Carol", "O'Malley", "work", None, False, "E3"),
    ("dan_100%@y.test", "Dan", "Smithers", "work", "Engineer", True, None),
]


async def _seed(db: Database) -> TenantFixture:
    tf = await make_tenant(db, email="root@admin.test")
    for user_name, given, family, etype, title, active, emp in PEOPLE:
        profile: dict[str, object] = {
            "name": {"givenName": given, "familyName": family},
            "emails": [{"value": user_name, "type": etype, "primary": True}],
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": (
                {"employeeNumber": emp} if emp else {}),
        }
        if title:
            profile["title"] = title
        await users.create_user(tf.ctx(), UserDraft(user_name, profile, f"X-{given}", active))
    return tf


async def _names(tf: TenantFixture, text: str, **kw: object) -> list[str]:
    page = await users.list_users(tf.ctx(), ListQuery(filter=parse_filter(text), **kw))  # type: ignore[arg-type]
    return sorted(u.user.user_name for u in page.items if "admin" not in u.user.user_name)


CASES = [
    ('userName eq "ALICE@x.test"', ["alice@x.test"]),  # caseExact false
    ('userName eq alice@x.test', ["alice@x.test"]),  # authentik's unquoted value
    ('externalId eq "X-Bob"', ["Bob@x.test"]),
    ('externalId eq "x-bob"', []),  # caseExact true
    ('userName sw "b"', ["Bob@x.test"]),
    ('userName ew "@y.test"', ["carol@y.test", "dan_100%@y.test"]),
    ('userName co "_100%"', ["dan_100%@y.test"]),  # LIKE wildcards are escaped
    ('name.familyName co "O\'Malley"', ["carol@y.test"]),
    ('title pr', ["Bob@x.test", "alice@x.test", "dan_100%@y.test"]),
    ('not (title pr)', ["carol@y.test"]),
    ('active eq false', ["carol@y.test"]),
    ('active eq "False"', ["carol@y.test"]),
    ('title eq "engineer" and name.familyName sw "smith"', ["alice@x.test", "dan_100%@y.test"]),
    ('title eq "manager" or active eq false', ["Bob@x.test", "carol@y.test"]),
    ('emails[type eq "work" and value co "@y"]', ["carol@y.test", "dan_100%@y.test"]),
    ('emails.value eq "BOB@X.TEST"', ["Bob@x.test"]),
    # Entra matches users on this: read as emails[type eq "work" and value eq "..."]
    ('emails[type eq "work"].value eq "alice@x.test"', ["alice@x.test"]),
    ('emails[type eq "home"].value eq "alice@x.test"', []),  # one element must match both
    ('urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "E2"',
     ["Bob@x.test"]),
    ('urn:ietf:params:scim:schemas:core:2.0:User:userName eq "carol@y.test"', ["carol@y.test"]),
    ('title ne "Engineer"', ["Bob@x.test", "carol@y.test"]),
    ('meta.created gt "2000-01-01T00:00:00Z"', [p[0] for p in sorted(PEOPLE)]),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
async def test_user_filters(db: Database, text: str, expected: list[str] | None) -> None:
    tf = await _seed(db)
    if expected is None:
        with pytest.raises((InvalidFilter, ValueError)):
            await _names(tf, text)
        return
    assert await _names(tf, text) == sorted(expected)


@pytest.mark.parametrize("text", [
    'nickName eq "x"', 'emails.display eq "x"', 'urn:acme:foo:1.0:User:bar eq "1"',
    'active gt true', 'meta.created eq "yesterday"', 'userName gt null',
])
async def test_unknown_or_invalid_filters_are_refused(db: Database, text: str) -> None:
    tf = await _seed(db)
    with pytest.raises(InvalidFilter):
        await _names(tf, text)


async def test_sort_and_paging(db: Database) -> None:
    tf = await _seed(db)
    q = ListQuery(filter=parse_filter('userName ne "root@admin.test"'), sort_by="userName",
                  descending=True, start_index=2, count=2)
    page = await users.list_users(tf.ctx(), q)
    assert page.total == 4
    assert [u.user.user_name for u in page.items] == ["carol@y.test", "Bob@x.test"]
    assert (await users.list_users(tf.ctx(), ListQuery(count=0))).items == []


async def test_cursor_paging_walks_every_user_once(db: Database) -> None:
    tf = await _seed(db)
    seen: list[str] = []
    cursor: str | None = ""
    while cursor is not None:
        page = await users.list_users(tf.ctx(), ListQuery(cursor=cursor, count=2))
        seen += [u.id for u in page.items]
        cursor = page.next_cursor
    assert len(seen) == len(set(seen)) == 5


async def test_group_filters(db: Database) -> None:
    tf = await _seed(db)
    alice = (await users.list_users(tf.ctx(), ListQuery(
        filter=parse_filter('userName eq "alice@x.test"')))).items[0]
    await groups.create_group(tf.ctx(), "Engineering", external_id="g-1", members=(alice.id,))
    await groups.create_group(tf.ctx(), "Sales")
    for text, expected in [('displayName eq "engineering"', ["Engineering"]),
                           (f'members[value eq "{alice.id}"]', ["Engineering"]),
                           ('externalId eq "g-1"', ["Engineering"]),
                           ('displayName sw "S"', ["Sales"])]:
        page = await groups.list_groups(tf.ctx(), ListQuery(filter=parse_filter(text)))
        assert [g.display_name for g in page.items] == expected, text
