"""Keycloak through the keycloak-scim plugin (libre.sh / mitodl / pelotech), over HTTP.

Request shapes follow idp-behaviors.md §4 (sources S11, S12, S13, S35): full PUTs with ``id`` by
default, ``user-patchOp`` / ``group-patchOp`` modes, relative member ``$ref``s, and a group PUT
whose ``members`` key is omitted once the group is empty.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.idp.harness import GROUP_URN, USER_URN, Idp, Server, patch_op

HEADERS = {"Content-Type": "application/scim+json"}  # the plugin's default (S12)


@pytest.fixture
def keycloak(server: Server) -> Iterator[Idp]:
    idp = server.open("keycloak", HEADERS)
    yield idp
    idp.client.close()


def kc_user(username: str, kc_id: str, email: str | None = None, **extra: Any
            ) -> dict[str, Any]:
    """UserAdapter's body (S11): externalId = Keycloak UUID, roles: [], emails [] if none."""
    body: dict[str, Any] = {
        "schemas": [USER_URN], "externalId": kc_id, "userName": username,
        "displayName": "Karl Keycloak", "name": {"givenName": "Karl", "familyName": "Keycloak"},
        "emails": [] if email is None else [{"value": email, "type": "work", "primary": True}],
        "active": True, "roles": [],
    }
    body.update(extra)
    return body


def kc_group(name: str, kc_id: str, members: list[str], gid: str | None = None
             ) -> dict[str, Any]:
    """GroupAdapter's body: relative $ref; the members key is left out when empty (S11)."""
    body: dict[str, Any] = {"schemas": [GROUP_URN], "externalId": kc_id, "displayName": name}
    if gid is not None:
        body["id"] = gid
    if members:
        body["members"] = [{"value": m, "$ref": f"Users/{m}"} for m in members]
    return body


KARL = "5d3c9a8e-0b1f-4c2d-9e7a-6f5b4a3c2d1e"
ROLF = "8a7b6c5d-4e3f-4a2b-8c1d-0e9f8a7b6c5d"


def test_keycloak_lifecycle(keycloak: Idp) -> None:
    kc = keycloak
    # 1. No connection test; a sync-import lists /Users and /Groups without paging (S11).
    kc.listing("/Users", {})
    assert kc.listing("/Groups", {})["totalResults"] == 0
    # 2. No find-before-create either: the plugin keeps its own id mapping. The import
    # listing is how an admin sees that the user is not there yet.
    assert kc.listing("/Users", {"filter": 'externalId eq "' + KARL + '"'})["totalResults"] == 0

    # 3. Create (with an e-mail, and a user without one: emails []).
    # Realm roles flagged for SCIM arrive as roles: [{value}] and are stored, not granted.
    karl = kc_user("karl", KARL, "karl@example.com", roles=[{"value": "tessera-user"}])
    uid = kc.json("POST", "/Users", karl, expect=201)["id"]
    kc.assert_user(uid, user_name="karl", active=True, external_id=KARL,
                   displayName="Karl Keycloak", roles=[{"value": "tessera-user"}],
                   emails=[{"value": "karl@example.com", "type": "work", "primary": True}])
    rolf = kc.json("POST", "/Users", kc_user("rolf", ROLF), expect=201)["id"]
    kc.assert_user(rolf, user_name="rolf", active=True, external_id=ROLF)

    # 9. A failed create is only logged by the plugin; the server must still say 409.
    kc.assert_conflict(kc.scim("POST", "/Users", kc_user("karl", KARL, "karl@example.com")))

    # 4. Update (default): PUT with the same body plus id.
    kc.json("PUT", f"/Users/{uid}", {**kc_user("karl", KARL, "karl@example.org"), "id": uid,
                                     "displayName": "Karl K."}, expect=200)
    kc.assert_user(uid, user_name="karl", active=True, external_id=KARL, displayName="Karl K.",
                   emails=[{"value": "karl@example.org", "type": "work", "primary": True}])

    # 5. Disable / enable is that PUT with active false / true ...
    kc.json("PUT", f"/Users/{uid}", {**kc_user("karl", KARL, "karl@example.org"), "id": uid,
                                     "active": False}, expect=200)
    kc.assert_user(uid, user_name="karl", active=False, external_id=KARL)
    kc.json("PUT", f"/Users/{uid}", {**kc_user("karl", KARL, "karl@example.org"), "id": uid},
            expect=200)
    kc.assert_user(uid, user_name="karl", active=True, external_id=KARL)
    # ... or, with user-patchOp=true, PATCH replaces with active as the string "false".
    kc.scim("PATCH", f"/Users/{uid}", patch_op(
        {"op": "replace", "path": "active", "value": "false"},
        {"op": "replace", "path": "userName", "value": "karl"},
        {"op": "replace", "path": "displayName", "value": "Karl Keycloak"}), expect=200)
    kc.assert_user(uid, user_name="karl", active=False, external_id=KARL,
                   displayName="Karl Keycloak")
    kc.scim("PATCH", f"/Users/{uid}", patch_op(
        {"op": "replace", "path": "active", "value": "true"}), expect=200)
    kc.assert_user(uid, user_name="karl", active=True, external_id=KARL)

    # 6. Groups: POST with relative member $refs; every change re-PUTs the whole group.
    gkc = "0f1e2d3c-4b5a-4697-8877-665544332211"
    gid = kc.json("POST", "/Groups", kc_group("devs", gkc, [uid]), expect=201)["id"]
    kc.assert_group(gid, name="devs", members={uid}, external_id=gkc)
    kc.json("PUT", f"/Groups/{gid}", kc_group("devs", gkc, [uid, rolf], gid), expect=200)
    kc.assert_group(gid, name="devs", members={uid, rolf}, external_id=gkc)
    kc.json("PUT", f"/Groups/{gid}", kc_group("developers", gkc, [rolf], gid), expect=200)
    kc.assert_group(gid, name="developers", members={rolf}, external_id=gkc)
    # The group becomes empty: the members key is omitted, which means "no members".
    kc.json("PUT", f"/Groups/{gid}", kc_group("developers", gkc, [], gid), expect=200)
    kc.assert_group(gid, name="developers", members=set(), external_id=gkc)
    # group-patchOp mode: replace members (full list) + displayName + externalId ...
    kc.scim("PATCH", f"/Groups/{gid}", patch_op(
        {"op": "replace", "path": "members", "value": kc_group("", "", [uid, rolf])["members"]},
        {"op": "replace", "path": "displayName", "value": "devs"},
        {"op": "replace", "path": "externalId", "value": gkc}), expect=204)
    kc.assert_group(gid, name="devs", members={uid, rolf}, external_id=gkc)
    # ... and the empty group: remove members with value null.
    kc.scim("PATCH", f"/Groups/{gid}", patch_op(
        {"op": "remove", "path": "members", "value": None},
        {"op": "replace", "path": "displayName", "value": "devs"},
        {"op": "replace", "path": "externalId", "value": gkc}), expect=204)
    kc.assert_group(gid, name="devs", members=set(), external_id=gkc)
    kc.assert_conflict(kc.scim("POST", "/Groups", kc_group("devs", "other", [])))

    # 7. Delete the group.
    kc.scim("DELETE", f"/Groups/{gid}", expect=204)
    kc.assert_group_gone(gid, "devs")

    # 8. Keycloak user deleted: DELETE. The plugin's next update PUTs to the stored id, gets
    # 404 and POSTs again (S11); the same global user comes back.
    kc.scim("DELETE", f"/Users/{rolf}", expect=204)
    kc.assert_user_gone(rolf, "rolf")
    kc.scim("PUT", f"/Users/{rolf}", {**kc_user("rolf", ROLF), "id": rolf}, expect=404)
    assert kc.json("POST", "/Users", kc_user("rolf", ROLF), expect=201)["id"] == rolf
    kc.assert_user(rolf, user_name="rolf", active=True, external_id=ROLF)


# --------------------------------------------------------------- tolerances (Keycloak)


def test_keycloak_groups_on_user_are_read_only(keycloak: Idp) -> None:
    """keycloak-scim2-storage puts a groups list on the User (S13): read-only, ignored."""
    gid = keycloak.json("POST", "/Groups", kc_group("ops", "g-ops", []), expect=201)["id"]
    uid = keycloak.json("POST", "/Users", {**kc_user("otto", "kc-otto"),
                                           "groups": [{"value": gid, "display": "ops"}]},
                        expect=201)["id"]
    doc = keycloak.assert_user(uid, user_name="otto", active=True, external_id="kc-otto")
    assert doc["groups"] == []
    keycloak.assert_group(gid, name="ops", members=set(), external_id="g-ops")


def test_keycloak_plain_json_and_relative_ref_patch(keycloak: Idp) -> None:
    """content-type=application/json is a plugin option (S12); member $refs are relative."""
    uid = keycloak.json("POST", "/Users", kc_user("jo", "kc-jo"), expect=201)["id"]
    created = keycloak.scim("POST", "/Groups", kc_group("qa", "g-qa", []), expect=201,
                            headers={"Content-Type": "application/json"})
    gid = created.json()["id"]
    keycloak.scim("PATCH", f"/Groups/{gid}", patch_op({"op": "add", "path": "members",
                  "value": [{"value": uid, "$ref": f"Users/{uid}"}]}), expect=204,
                  headers={"Content-Type": "application/json"})
    keycloak.assert_group(gid, name="qa", members={uid}, external_id="g-qa")


def test_keycloak_disable_suspends_access_granted_through_a_group(
        keycloak: Idp, server: Server) -> None:
    """Deprovisioning semantics: a role bound to an IdP group grants access; disabling the
    user (the plugin's PUT with active false) takes it away, enabling gives it back."""
    uid = keycloak.json("POST", "/Users", kc_user("ute", "kc-ute"), expect=201)["id"]
    gid = keycloak.json("POST", "/Groups", kc_group("staff", "g-staff", [uid]),
                        expect=201)["id"]
    keycloak.grant_reader(gid, "GROUP")
    token = server.login_token(uid)
    keycloak.assert_access(token, allowed=True)
    keycloak.json("PUT", f"/Users/{uid}", {**kc_user("ute", "kc-ute"), "id": uid,
                                           "active": False}, expect=200)
    keycloak.assert_user(uid, user_name="ute", active=False, external_id="kc-ute")
    keycloak.assert_group(gid, name="staff", members={uid}, external_id="g-staff")
    keycloak.assert_access(token, allowed=False)
    keycloak.json("PUT", f"/Users/{uid}", {**kc_user("ute", "kc-ute"), "id": uid}, expect=200)
    keycloak.assert_access(token, allowed=True)
