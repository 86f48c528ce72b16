"""Microsoft Entra ID (provisioning job template ``scim``), replayed over HTTP.

Request shapes follow idp-behaviors.md §1 (sources S1, S2, S3, S14, S15, S16); the bodies are
the ones Microsoft documents, with our ids substituted.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.idp.harness import CAN_Q, ENT_URN, GROUP_URN, USER_URN, Idp, Server, patch_op

HEADERS = {"Content-Type": "application/scim+json; charset=utf-8"}  # S15
ADSCIM = "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"
FLAG = "aadOptscim062020"
GUID = "a3c1e2f4-5b6d-4e7f-8a9b-0c1d2e3f4a5b"


@pytest.fixture
def entra(server: Server) -> Iterator[Idp]:
    idp = server.open("entra", HEADERS)
    yield idp
    idp.client.close()


def entra_user(upn: str, object_id: str, **extra: Any) -> dict[str, Any]:
    """The create body of S1 (core + enterprise URNs, meta.resourceType, roles: [])."""
    body: dict[str, Any] = {
        "schemas": [USER_URN, ENT_URN],
        "externalId": object_id,
        "userName": upn,
        "active": True,
        "displayName": "Ada Lovelace",
        "emails": [{"primary": True, "type": "work", "value": upn}],
        "meta": {"resourceType": "User"},
        "name": {"formatted": "Ada Lovelace", "familyName": "Lovelace", "givenName": "Ada"},
        "roles": [],
        ENT_URN: {"employeeNumber": "701984", "department": "Analytics"},
    }
    body.update(extra)
    return body


def test_entra_lifecycle(entra: Idp, server: Server) -> None:
    # 1. Save config: schema discovery; Test Connection: a random GUID finds nothing (S1).
    assert entra.json("GET", "/Schemas", expect=200)["totalResults"] >= 2
    none = entra.listing("/Users", f"filter=userName+eq+%22{GUID}%22")
    assert none["totalResults"] == 0 and none.get("Resources", []) == []
    none = entra.listing("/Groups",
                         f"excludedAttributes=members&filter=displayName+eq+%22{GUID}%22")
    assert none["totalResults"] == 0

    # 2. Find before create, form-encoded as Entra sends it (S3).
    assert entra.listing("/Users", "filter=userName+eq+%22ada%40contoso.com%22")[
        "totalResults"] == 0

    # 3. Create; the response carries id, Location and the enterprise block.
    created = entra.scim("POST", "/Users", entra_user("ada@contoso.com", "aad-ada"), expect=201)
    uid = created.json()["id"]
    assert created.headers["location"].endswith(f"/Users/{uid}")
    doc = entra.assert_user(uid, user_name="ada@contoso.com", active=True,
                            external_id="aad-ada", displayName="Ada Lovelace")
    assert doc[ENT_URN] == {"employeeNumber": "701984", "department": "Analytics"}
    assert "roles" not in doc  # an empty list is "no value" (RFC 7643 §2.5)
    # The other matching attributes Entra can be configured with (S1, S3).
    for query in ('externalId eq "aad-ada"', 'emails[type eq "work"].value eq "ada@contoso.com"'):
        found = entra.listing("/Users", {"filter": query})
        assert [r["id"] for r in found["Resources"]] == [uid], query

    # 9a. A retried create is a duplicate: 409 uniqueness, the user is unchanged.
    entra.assert_conflict(entra.scim("POST", "/Users", entra_user("ada@contoso.com", "x")))
    entra.assert_user(uid, user_name="ada@contoso.com", active=True, external_id="aad-ada")

    # 4. Profile update, default job: capitalised ops, one per attribute (S1, S2, S16).
    entra.scim("PATCH", f"/Users/{uid}", patch_op(
        {"op": "Replace", "path": 'emails[type eq "work"].value', "value": "ada@fabrikam.com"},
        {"op": "Replace", "path": "name.familyName", "value": "King"},
        {"op": "Replace", "path": f"{ENT_URN}:employeeNumber", "value": "E1"},
        {"op": "Add", "path": "title", "value": "Countess"}), expect=200)
    doc = entra.assert_user(uid, user_name="ada@contoso.com", active=True,
                            external_id="aad-ada", title="Countess",
                            emails=[{"primary": True, "type": "work",
                                     "value": "ada@fabrikam.com"}])
    assert doc["name"]["familyName"] == "King" and doc[ENT_URN]["employeeNumber"] == "E1"

    # 4b. Same update with aadOptscim062020 (a flag on the Tenant URL, so it may arrive as a
    # query parameter): one path-less replace with dotted keys (S2).
    entra.scim("PATCH", f"/Users/{uid}?{FLAG}", patch_op({"op": "replace", "value": {
        "displayName": "Ada King", "name.givenName": "Augusta", "name.familyName": "Byron",
        f"{ENT_URN}:department": "Engines"}}), expect=200)
    doc = entra.assert_user(uid, user_name="ada@contoso.com", active=True,
                            external_id="aad-ada", displayName="Ada King")
    assert doc["name"] == {"formatted": "Ada Lovelace", "givenName": "Augusta",
                           "familyName": "Byron"}
    assert doc[ENT_URN] == {"employeeNumber": "E1", "department": "Engines"}
    assert "name.givenName" not in doc  # never stored as a literal top-level key (S17-S19)

    # 5. Unassign / disable: "False" as a capitalised string (S2); re-enable with "True".
    token = server.login_token(uid)
    entra.grant_reader(uid)
    entra.assert_access(token, allowed=True)
    entra.scim("PATCH", f"/Users/{uid}", patch_op(
        {"op": "Replace", "path": "active", "value": "False"}), expect=200)
    entra.assert_user(uid, user_name="ada@contoso.com", active=False, external_id="aad-ada")
    # Entra requires a disabled user to stay visible to GET and filter (S1).
    assert entra.listing("/Users", "filter=userName+eq+%22ada%40contoso.com%22")[
        "totalResults"] == 1
    entra.assert_access(token, allowed=False)
    entra.scim("PATCH", f"/Users/{uid}", patch_op(
        {"op": "Replace", "path": "active", "value": "True"}), expect=200)
    entra.assert_user(uid, user_name="ada@contoso.com", active=True, external_id="aad-ada")
    entra.assert_access(token, allowed=True)

    # 6. Groups (S1): lookup, create with the ADSCIM URN and no members, then PATCHes -> 204.
    other = entra.scim("POST", "/Users", entra_user("bob@contoso.com", "aad-bob"),
                       expect=201).json()["id"]
    lookup = "excludedAttributes=members&filter=displayName+eq+%22Finance%22"
    assert entra.listing("/Groups", lookup)["totalResults"] == 0
    group = entra.scim("POST", "/Groups", {
        "schemas": [GROUP_URN, ADSCIM], "externalId": "aad-finance", "displayName": "Finance",
        "meta": {"resourceType": "Group"}}, expect=201).json()
    gid = group["id"]
    entra.assert_group(gid, name="Finance", members=set(), external_id="aad-finance")
    got = entra.json("GET", f"/Groups/{gid}", params={"excludedAttributes": "members"},
                     expect=200)
    assert "members" not in got
    entra.assert_conflict(entra.scim("POST", "/Groups", {
        "schemas": [GROUP_URN, ADSCIM], "externalId": "aad-x", "displayName": "finance"}))

    entra.scim("PATCH", f"/Groups/{gid}", patch_op({"op": "Add", "path": "members", "value": [
        {"$ref": None, "value": uid}, {"$ref": None, "value": other}]}), expect=204)
    entra.assert_group(gid, name="Finance", members={uid, other}, external_id="aad-finance")
    # Default job: Remove with a value list removes exactly those members (S2, S22).
    entra.scim("PATCH", f"/Groups/{gid}", patch_op(
        {"op": "Remove", "path": "members", "value": [{"value": other}]}), expect=204)
    entra.assert_group(gid, name="Finance", members={uid}, external_id="aad-finance")
    # Flagged job: a value-filtered path (S2, S23).
    entra.scim("PATCH", f"/Groups/{gid}?{FLAG}", patch_op(
        {"op": "remove", "path": f'members[value eq "{uid}"]'}), expect=204)
    entra.assert_group(gid, name="Finance", members=set(), external_id="aad-finance")
    entra.scim("PATCH", f"/Groups/{gid}", patch_op(
        {"op": "Replace", "path": "displayName", "value": "Finance EMEA"}), expect=204)
    entra.assert_group(gid, name="Finance EMEA", members=set(), external_id="aad-finance")

    # 7. Delete the group.
    entra.scim("PATCH", f"/Groups/{gid}", patch_op(
        {"op": "Add", "path": "members", "value": [{"$ref": None, "value": other}]}), expect=204)
    entra.scim("DELETE", f"/Groups/{gid}", expect=204)
    entra.assert_group_gone(gid, "Finance EMEA")

    # 8. Hard delete: access to the tenant goes, the global user stays (its token still
    # authenticates, and a re-create links the same user).
    entra.scim("DELETE", f"/Users/{uid}", expect=204)
    entra.assert_user_gone(uid, "ada@contoso.com")
    entra.assert_access(token, allowed=False)
    assert entra.gql("{ me { id } }", token)["me"]["id"] == uid
    # 9b. Retried delete: 404, which Entra treats as done.
    entra.scim("DELETE", f"/Users/{uid}", expect=404)
    again = entra.scim("POST", "/Users", entra_user("ada@contoso.com", "aad-ada"), expect=201)
    assert again.json()["id"] == uid
    entra.assert_user(uid, user_name="ada@contoso.com", active=True, external_id="aad-ada")
    # Access is back, but not its permissions: the old binding went with the access.
    assert entra.gql(CAN_Q, token, t=entra.tenant)["tenant"]["can"] is False
    assert not entra.server.can(token, entra.tenant)


# ------------------------------------------------------------------ tolerances (Entra)


def test_entra_string_booleans_on_create_and_put(entra: Idp) -> None:
    """Microsoft's own reference test posts active as the string "True" (S21)."""
    uid = entra.json("POST", "/Users", entra_user("eve@contoso.com", "aad-eve", active="True"),
                     expect=201)["id"]
    entra.assert_user(uid, user_name="eve@contoso.com", active=True, external_id="aad-eve")
    entra.json("PUT", f"/Users/{uid}", entra_user("eve@contoso.com", "aad-eve", active="False"),
               expect=200)
    entra.assert_user(uid, user_name="eve@contoso.com", active=False, external_id="aad-eve")
    refused = entra.scim("PATCH", f"/Users/{uid}", patch_op(
        {"op": "Replace", "path": "active", "value": "Nope"}), expect=400)
    assert refused.json()["scimType"] == "invalidValue"
    entra.assert_user(uid, user_name="eve@contoso.com", active=False, external_id="aad-eve")


def test_entra_explicit_nulls_on_create(entra: Idp) -> None:
    """The documented create variant with explicit nulls (S1): nulls mean "no value"."""
    body = entra_user("nil@contoso.com", "aad-nil", addresses=None, phoneNumbers=None,
                      title=None, preferredLanguage=None)
    body[ENT_URN] = {"employeeNumber": "1", "manager": None}
    uid = entra.json("POST", "/Users", body, expect=201)["id"]
    doc = entra.assert_user(uid, user_name="nil@contoso.com", active=True,
                            external_id="aad-nil")
    assert not {"addresses", "phoneNumbers", "title", "preferredLanguage"} & set(doc)
    assert doc[ENT_URN] == {"employeeNumber": "1"}


def test_entra_manager_add_and_work_email_add(entra: Idp) -> None:
    """Manager arrives as Add on the unqualified path "manager" with a one-element list, and
    an attribute that had no value arrives as Add on a value-filtered path (S1, S16)."""
    boss = entra.json("POST", "/Users", entra_user("boss@contoso.com", "aad-boss"),
                      expect=201)["id"]
    uid = entra.json("POST", "/Users", entra_user("ann@contoso.com", "aad-ann", emails=[]),
                     expect=201)["id"]
    entra.scim("PATCH", f"/Users/{uid}", patch_op(
        {"op": "Add", "path": "manager",
         "value": [{"$ref": f"{entra.endpoint}/Users/{boss}", "value": boss}]},
        {"op": "Add", "path": 'emails[type eq "work"].value', "value": "ann@fabrikam.com"}),
        expect=200)
    doc = entra.assert_user(uid, user_name="ann@contoso.com", active=True,
                            external_id="aad-ann",
                            emails=[{"type": "work", "value": "ann@fabrikam.com"}])
    assert doc[ENT_URN]["manager"] == {"$ref": f"{entra.endpoint}/Users/{boss}", "value": boss}
    assert "manager" not in doc  # stored in the extension, not as a core attribute


def test_entra_urn_keyed_extension_object_in_pathless_replace(entra: Idp) -> None:
    """A path-less value may carry the extension as one object under its URN (S2, S19)."""
    uid = entra.json("POST", "/Users", entra_user("urn@contoso.com", "aad-urn"),
                     expect=201)["id"]
    entra.scim("PATCH", f"/Users/{uid}", patch_op({"op": "replace", "value": {
        ENT_URN: {"schemas": [ENT_URN], "department": "Research", "costCenter": "C9"},
        "name.familyName": "Urnby"}}), expect=200)
    doc = entra.assert_user(uid, user_name="urn@contoso.com", active=True,
                            external_id="aad-urn")
    assert doc[ENT_URN] == {"employeeNumber": "701984", "department": "Research",
                            "costCenter": "C9"}
    assert doc["name"]["familyName"] == "Urnby"


def test_entra_unknown_member_is_a_client_error(entra: Idp) -> None:
    """An unknown member id is 400, not a 5xx Entra retries forever, nor a silent 2xx (S28);
    the whole PATCH is refused, so the known member is not added either."""
    uid = entra.json("POST", "/Users", entra_user("kim@contoso.com", "aad-kim"),
                     expect=201)["id"]
    gid = entra.json("POST", "/Groups", {"schemas": [GROUP_URN, ADSCIM],
                                         "displayName": "Ops"}, expect=201)["id"]
    refused = entra.json("PATCH", f"/Groups/{gid}", patch_op({"op": "Add", "path": "members",
        "value": [{"$ref": None, "value": uid}, {"$ref": None, "value": "no-such-user"}]}),
        expect=400)
    assert refused["status"] == "400" and refused["scimType"] == "invalidValue"
    entra.assert_group(gid, name="Ops", members=set())
