"""authentik (SCIM provider, outgoing sync), replayed over HTTP.

Request shapes follow idp-behaviors.md §3 (sources S7, S8, S9, S10, S31, S32): authentik POSTs
first and looks up only after a 409, updates with full PUTs that include ``id``, and changes
membership with one path-less-filter op per user.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

import pytest

from tests.idp.harness import GROUP_URN, USER_URN, Idp, Server, patch_op

HEADERS = {"Accept": "application/scim+json", "Content-Type": "application/scim+json"}  # S7


@pytest.fixture
def authentik(server: Server) -> Iterator[Idp]:
    idp = server.open("authentik", HEADERS)
    yield idp
    idp.client.close()


def ak_user(username: str, email: str | None, **extra: Any) -> dict[str, Any]:
    """The default mapping (S9): e-mail type "other", photos: [], familyName "", sha256 uid."""
    first, _, last = username.partition(" ")
    body: dict[str, Any] = {
        "schemas": [USER_URN], "active": True,
        "emails": [] if email is None else [{"primary": True, "type": "other", "value": email}],
        "externalId": hashlib.sha256(username.encode()).hexdigest(),
        "name": {"familyName": last, "formatted": username, "givenName": first},
        "displayName": username, "photos": [], "userName": username,
    }
    body.update(extra)
    return body


def test_authentik_lifecycle(authentik: Idp) -> None:
    ak = authentik
    # 1. Every client start reads ServiceProviderConfig; it gates PATCH and 409 recovery (S7).
    spc = ak.json("GET", "/ServiceProviderConfig", expect=200)
    assert spc["patch"]["supported"] is True and spc["filter"]["supported"] is True
    assert isinstance(spc["bulk"]["maxOperations"], int) and spc["bulk"]["maxOperations"] > 0

    # 3. Create: authentik POSTs without looking first.
    alice = ak.json("POST", "/Users", ak_user("alice", "alice@example.com"), expect=201)
    uid = alice["id"]
    ext = hashlib.sha256(b"alice").hexdigest()
    ak.assert_user(uid, user_name="alice", active=True, external_id=ext, displayName="alice",
                   emails=[{"primary": True, "type": "other", "value": "alice@example.com"}],
                   name={"formatted": "alice", "givenName": "alice", "familyName": ""})
    # A user without e-mail: emails [] and empty-string names are accepted.
    nomail = ak.json("POST", "/Users", ak_user("svc-backup", None), expect=201)["id"]
    doc = ak.assert_user(nomail, user_name="svc-backup", active=True,
                         external_id=hashlib.sha256(b"svc-backup").hexdigest())
    assert "emails" not in doc and "photos" not in doc

    # 2 + 9. A second sync POSTs again: 409 uniqueness, then the *unquoted* lookup built with
    # urlencode (userName+eq+alice) adopts Resources[0] (S8, S31, S32).
    ak.assert_conflict(ak.scim("POST", "/Users", ak_user("alice", "alice@example.com")))
    adopted = ak.listing("/Users", "filter=userName+eq+alice")
    assert [r["id"] for r in adopted["Resources"]] == [uid]
    email_lookup = ak.listing("/Users", "filter=userName+eq+alice%40example.org")
    assert email_lookup["totalResults"] == 0

    # 4. Update: full PUT including id; the response is what authentik stores.
    put = ak.json("PUT", f"/Users/{uid}", {**ak_user("alice", "alice@corp.example"), "id": uid,
                                           "displayName": "Alice Liddell"}, expect=200)
    assert put["id"] == uid and put["displayName"] == "Alice Liddell"
    ak.assert_user(uid, user_name="alice", active=True, external_id=ext,
                   displayName="Alice Liddell",
                   emails=[{"primary": True, "type": "other", "value": "alice@corp.example"}])

    # 5. Deactivate and reactivate: the same full PUT with active false / true.
    ak.json("PUT", f"/Users/{uid}", {**ak_user("alice", "alice@corp.example"), "id": uid,
                                     "active": False}, expect=200)
    ak.assert_user(uid, user_name="alice", active=False, external_id=ext)
    ak.json("PUT", f"/Users/{uid}", {**ak_user("alice", "alice@corp.example"), "id": uid},
            expect=200)
    ak.assert_user(uid, user_name="alice", active=True, external_id=ext)

    # 6. Group: POST {externalId, displayName} (members omitted: PATCH is supported) (S10).
    gid = ak.json("POST", "/Groups", {"schemas": [GROUP_URN], "externalId": "42",
                                      "displayName": "Admins"}, expect=201)["id"]
    ak.assert_group(gid, name="Admins", members=set(), external_id="42")
    # 409 on a second sync, then the quoted displayName lookup.
    ak.assert_conflict(ak.scim("POST", "/Groups", {"schemas": [GROUP_URN], "externalId": "42",
                                                   "displayName": "Admins"}))
    found = ak.listing("/Groups", 'filter=displayName eq "Admins"')
    assert [r["id"] for r in found["Resources"]] == [gid]

    # One op per user, several ops per request; 204 is read as {} (S7, S10).
    ak.scim("PATCH", f"/Groups/{gid}", patch_op(
        {"op": "add", "path": "members", "value": [{"value": uid}]},
        {"op": "add", "path": "members", "value": [{"value": nomail}]}), expect=204)
    ak.assert_group(gid, name="Admins", members={uid, nomail}, external_id="42")
    # Reconciliation diffs GET /Groups/{id} members, so GET must list them.
    listed = ak.json("GET", f"/Groups/{gid}", expect=200)["members"]
    assert sorted(m["value"] for m in listed) == sorted([uid, nomail])
    # remove with a value list and no filter removes exactly that member (S10, S22).
    ak.scim("PATCH", f"/Groups/{gid}", patch_op(
        {"op": "remove", "path": "members", "value": [{"value": nomail}]}), expect=204)
    ak.assert_group(gid, name="Admins", members={uid}, external_id="42")
    # Rename: the whole group as one path-less replace, without members: members stay (S10).
    ak.scim("PATCH", f"/Groups/{gid}", patch_op({"op": "replace", "value": {
        "schemas": [GROUP_URN], "id": gid, "externalId": "42", "displayName": "Operators"}}),
        expect=204)
    ak.assert_group(gid, name="Operators", members={uid}, external_id="42")

    # 7. Delete the group.
    ak.scim("DELETE", f"/Groups/{gid}", expect=204)
    ak.assert_group_gone(gid, "Operators")

    # 8. The user leaves the provider's scope: DELETE.
    ak.scim("DELETE", f"/Users/{uid}", expect=204)
    ak.assert_user_gone(uid, "alice")
    # Its next update PUTs to the stored id; 404 makes authentik POST it again (S8),
    # which links the same global user back into the tenant.
    ak.scim("PUT", f"/Users/{uid}", {**ak_user("alice", "alice@corp.example"), "id": uid},
            expect=404)
    again = ak.json("POST", "/Users", ak_user("alice", "alice@corp.example"), expect=201)
    assert again["id"] == uid
    ak.assert_user(uid, user_name="alice", active=True, external_id=ext)
