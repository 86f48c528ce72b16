"""Okta (OIN SCIM 2.0 template; AIW apps where noted), replayed over HTTP.

Request shapes follow idp-behaviors.md §2 (sources S4, S5, S6, S25, S26).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.idp.harness import ERROR_URN, GROUP_URN, USER_URN, Idp, Server, patch_op

HEADERS = {  # captured Okta headers (S4, S6)
    "User-Agent": "Okta SCIM Client 1.0.0",
    "Accept": "application/scim+json",
    "Accept-Charset": "utf-8",
    "Content-Type": "application/scim+json; charset=utf-8",
}


@pytest.fixture
def okta(server: Server) -> Iterator[Idp]:
    idp = server.open("okta", HEADERS)
    yield idp
    idp.client.close()


def okta_user(login: str, okta_id: str, **extra: Any) -> dict[str, Any]:
    """The create body of S4: locale, externalId (Okta id), groups: [] and a password."""
    body: dict[str, Any] = {
        "schemas": [USER_URN], "userName": login,
        "name": {"givenName": "Jane", "familyName": "Doe"},
        "emails": [{"primary": True, "value": login, "type": "work"}],
        "displayName": "Jane Doe", "locale": "en-US", "externalId": okta_id,
        "groups": [], "password": "t1meMa$heen", "active": True,
    }
    body.update(extra)
    return body


def _spec_test(okta: Idp, uid: str) -> None:
    """Okta's SCIM spec test (S5), once its user exists."""
    page = okta.listing("/Users", "count=1&startIndex=1")
    assert page["itemsPerPage"] == 1 and page["startIndex"] == 1
    assert len(page["Resources"]) == 1 and page["Resources"][0]["id"]
    user = okta.json("GET", f"/Users/{uid}", expect=200)
    assert user["id"] == uid and user["userName"] and isinstance(user["active"], bool)
    assert user["name"]["givenName"] and user["name"]["familyName"]
    assert user["emails"][0]["value"]
    assert okta.listing("/Users", 'filter=userName eq "f2bb1e8c-not-there"')["totalResults"] == 0
    missing = okta.json("GET", "/Users/00u-unknown", expect=404)
    assert missing["schemas"] == [ERROR_URN] and missing["status"] == "404"
    assert missing["detail"]
    bad = okta.scim("GET", "/Users", headers={"Authorization": "Bearer wrong"}, expect=401)
    assert bad.json()["schemas"] == [ERROR_URN] and bad.json()["status"] == "401"


def test_okta_lifecycle(okta: Idp, server: Server) -> None:
    # 1. Test API Credentials: a well-formed page with integer counts (S5). The tenant holds
    # only its admin so far.
    assert okta.listing("/Users", "count=1&startIndex=1")["totalResults"] == 1

    # 2. Assign: look the login up first, exactly as Okta encodes it (S4).
    lookup = "filter=userName%20eq%20%22jane%40example.com%22&startIndex=1&count=100"
    assert okta.listing("/Users", lookup)["totalResults"] == 0

    # 3. Create with groups: [] and password; the password is never returned.
    created = okta.json("POST", "/Users", okta_user("jane@example.com", "00u1abcd"), expect=201)
    uid = created["id"]
    assert "password" not in created and created["userName"] == "jane@example.com"
    okta.assert_user(uid, user_name="jane@example.com", active=True, external_id="00u1abcd",
                     displayName="Jane Doe", locale="en-US")
    _spec_test(okta, uid)
    # userName is case-insensitive (RFC 7643 §4.1.1; S5, S29).
    found = okta.listing("/Users", 'filter=userName eq "JANE@EXAMPLE.COM"')
    assert [r["id"] for r in found["Resources"]] == [uid]

    # 9a. Okta retries a create after a timeout: 409, never a second 201 (S26).
    okta.assert_conflict(okta.scim("POST", "/Users", okta_user("jane@example.com", "00u1abcd")))
    okta.assert_conflict(okta.scim("POST", "/Users", okta_user("Jane@Example.com", "00u1abcd")))
    okta.assert_user(uid, user_name="jane@example.com", active=True, external_id="00u1abcd",
                     displayName="Jane Doe")

    # 4. Profile update: GET, then PUT the full object back (with id, groups: [], meta).
    current = okta.json("GET", f"/Users/{uid}", expect=200)
    current.update(name={"givenName": "Jane", "familyName": "Smith"}, displayName="Jane Smith",
                   groups=[], password="n3wPa$$word")
    okta.json("PUT", f"/Users/{uid}", current, expect=200)
    okta.assert_user(uid, user_name="jane@example.com", active=True, external_id="00u1abcd",
                     displayName="Jane Smith", name={"givenName": "Jane", "familyName": "Smith"})

    # 5. Deactivate and reactivate: a path-less replace (OIN), or a full PUT (AIW) (S4, S6).
    deactivate = patch_op({"op": "replace", "value": {"active": False}})
    assert okta.scim("PATCH", f"/Users/{uid}", deactivate).status_code in (200, 204)
    okta.assert_user(uid, user_name="jane@example.com", active=False, external_id="00u1abcd")
    okta.scim("PATCH", f"/Users/{uid}", patch_op(
        {"op": "replace", "value": {"active": True}}), expect=200)
    okta.assert_user(uid, user_name="jane@example.com", active=True, external_id="00u1abcd")
    aiw = okta.json("GET", f"/Users/{uid}", expect=200)
    okta.json("PUT", f"/Users/{uid}", {**aiw, "active": False}, expect=200)
    okta.assert_user(uid, user_name="jane@example.com", active=False, external_id="00u1abcd",
                     displayName="Jane Smith")
    okta.json("PUT", f"/Users/{uid}", {**aiw, "active": True}, expect=200)
    okta.assert_user(uid, user_name="jane@example.com", active=True, external_id="00u1abcd")

    # 6. Push group: POST with members: [] -> 201 with the group as a GET returns it.
    other = okta.json("POST", "/Users", okta_user("max@example.com", "00u2efgh"),
                      expect=201)["id"]
    assert okta.listing("/Groups", 'filter=displayName eq "Engineering"')["totalResults"] == 0
    pushed = okta.json("POST", "/Groups", {"schemas": [GROUP_URN], "displayName": "Engineering",
                                           "members": []}, expect=201)
    gid = pushed["id"]
    assert pushed == okta.json("GET", f"/Groups/{gid}", expect=200)
    okta.assert_group(gid, name="Engineering", members=set())
    okta.assert_conflict(okta.scim("POST", "/Groups", {
        "schemas": [GROUP_URN], "displayName": "Engineering", "members": []}))

    # Every membership push re-sends the rename, with the read-only id inside the value.
    rename = {"op": "replace", "value": {"id": gid, "displayName": "Engineering"}}
    okta.scim("PATCH", f"/Groups/{gid}", patch_op(rename, {
        "op": "add", "path": "members",
        "value": [{"value": uid, "display": "jane@example.com"},
                  {"value": other, "display": "max@example.com"}]}), expect=204)
    okta.assert_group(gid, name="Engineering", members={uid, other})
    # One request mixing a filtered remove and an add (S4).
    okta.scim("PATCH", f"/Groups/{gid}", patch_op(
        {"op": "replace", "value": {"id": gid, "displayName": "Engineering Team"}},
        {"op": "remove", "path": f'members[value eq "{other}"]'},
        {"op": "add", "path": "members", "value": [{"value": uid, "display": "jane"}]},
    ), expect=204)
    okta.assert_group(gid, name="Engineering Team", members={uid})
    # Full push, then the empty push: replace with value [] empties the group (S25).
    okta.scim("PATCH", f"/Groups/{gid}", patch_op({"op": "replace", "path": "members", "value": [
        {"value": other, "display": "max@example.com"}]}), expect=204)
    okta.assert_group(gid, name="Engineering Team", members={other})
    okta.scim("PATCH", f"/Groups/{gid}", patch_op(
        {"op": "replace", "path": "members", "value": []}), expect=204)
    okta.assert_group(gid, name="Engineering Team", members=set())

    # 7. Unlink pushed group with "delete in target app".
    okta.scim("DELETE", f"/Groups/{gid}", expect=204)
    okta.assert_group_gone(gid, "Engineering Team")

    # 8. Unassign: Okta never sends DELETE /Users; deprovisioning is active=false, which
    # suspends the user here, and the user stays visible so a re-assignment finds it.
    token = server.login_token(uid)
    okta.grant_reader(uid)
    okta.assert_access(token, allowed=True)
    okta.scim("PATCH", f"/Users/{uid}", deactivate, expect=200)
    okta.assert_user(uid, user_name="jane@example.com", active=False, external_id="00u1abcd")
    okta.assert_access(token, allowed=False)
    again = okta.listing("/Users", lookup)
    assert [r["id"] for r in again["Resources"]] == [uid] and again["Resources"][0][
        "active"] is False
    okta.assert_conflict(okta.scim("POST", "/Users", okta_user("jane@example.com", "00u1abcd")))


def test_okta_import_pages_are_stable(okta: Idp) -> None:
    """Import: startIndex=1&count=100, then +100, while totalResults > seen (S4)."""
    admin = okta.listing("/Users", "startIndex=1&count=100")["totalResults"]
    # Without passwords here: each would cost an argon2 hash and prove nothing about paging.
    ids = [okta.json("POST", "/Users", okta_user(f"u{n}@example.com", f"00u{n}", password=None),
                     expect=201)["id"] for n in range(5)]
    seen: list[str] = []
    start = 1
    while True:
        page = okta.listing("/Users", f"startIndex={start}&count=2")
        seen += [r["id"] for r in page.get("Resources", [])]
        assert page["totalResults"] == admin + 5
        if len(seen) >= page["totalResults"]:
            break
        start += 2
    assert set(ids) <= set(seen) and len(set(seen)) == len(seen) == admin + 5
    assert seen == [r["id"] for r in okta.listing("/Users", "startIndex=1&count=100")[
        "Resources"]]


# ------------------------------------------------------------------- tolerances (Okta)


def _okta_group(okta: Idp) -> tuple[str, str]:
    uid = okta.json("POST", "/Users", okta_user("lee@example.com", "00u9"), expect=201)["id"]
    gid = okta.json("POST", "/Groups", {"schemas": [GROUP_URN], "displayName": "Sales",
                                        "members": [{"value": uid}]}, expect=201)["id"]
    return uid, gid


def test_okta_rename_id_must_match(okta: Idp) -> None:
    """The read-only id inside Okta's rename value is ignored when it matches; another id is
    refused (400 mutability) rather than silently ignored (S4)."""
    uid, gid = _okta_group(okta)
    okta.scim("PATCH", f"/Groups/{gid}", patch_op(
        {"op": "replace", "value": {"id": gid, "displayName": "Sales EU"}}), expect=204)
    okta.assert_group(gid, name="Sales EU", members={uid})
    refused = okta.json("PATCH", f"/Groups/{gid}", patch_op(
        {"op": "replace", "value": {"id": "00g-other", "displayName": "Hijack"}}), expect=400)
    assert refused["scimType"] == "mutability"
    okta.assert_group(gid, name="Sales EU", members={uid})
    refused = okta.json("PATCH", f"/Users/{uid}", patch_op(
        {"op": "replace", "value": {"id": "00u-other", "active": False}}), expect=400)
    assert refused["scimType"] == "mutability"
    okta.assert_user(uid, user_name="lee@example.com", active=True, external_id="00u9")


def test_okta_repeated_pushes_are_idempotent(okta: Idp) -> None:
    """Okta re-sends whole pushes: adding a present member or removing an absent one by
    filter changes nothing and is not an error (S4)."""
    uid, gid = _okta_group(okta)
    push = patch_op({"op": "replace", "value": {"id": gid, "displayName": "Sales"}},
                    {"op": "add", "path": "members", "value": [{"value": uid,
                                                               "display": "lee@example.com"}]})
    okta.scim("PATCH", f"/Groups/{gid}", push, expect=204)
    okta.scim("PATCH", f"/Groups/{gid}", push, expect=204)
    okta.assert_group(gid, name="Sales", members={uid})
    absent = "00u-not-a-member"
    okta.scim("PATCH", f"/Groups/{gid}", patch_op(
        {"op": "remove", "path": f'members[value eq "{absent}"]'}), expect=204)
    okta.assert_group(gid, name="Sales", members={uid})
