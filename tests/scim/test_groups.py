"""SCIM Groups over HTTP, including the PATCH shapes of Entra, Okta, authentik and Keycloak."""

from __future__ import annotations

from typing import Any

from tests.scim.conftest import Scim, patch_body, user_body

GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
ADSCIM = "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"


async def _users(scim: Scim, n: int) -> list[str]:
    ids = []
    for i in range(n):
        r = await scim.post("/Users", user_body(f"m{i}@example.com"))
        ids.append(r.json()["id"])
    return ids


async def _group(scim: Scim, name: str = "Engineers", members: list[str] | None = None,
                 **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"schemas": [GROUP], "displayName": name, **extra}
    if members is not None:
        body["members"] = [{"value": m} for m in members]
    r = await scim.post("/Groups", body)
    assert r.status_code == 201, r.text
    doc: dict[str, Any] = r.json()
    return doc


async def _members(scim: Scim, gid: str) -> list[str]:
    doc = (await scim.get(f"/Groups/{gid}")).json()
    return sorted(m["value"] for m in doc.get("members", []))


async def _patch(scim: Scim, gid: str, *ops: dict[str, Any]) -> None:
    r = await scim.patch(f"/Groups/{gid}", patch_body(*ops))
    assert r.status_code == 204, r.text  # group PATCH answers 204 (see handlers.group_item)
    assert r.content == b""


async def test_group_crud(scim: Scim) -> None:
    a, b = await _users(scim, 2)
    g = await _group(scim, members=[a], externalId="ext-g")
    assert g["members"] == [{"value": a, "$ref": f"http://testserver{scim.base}/Users/{a}",
                             "type": "User"}]
    assert g["meta"]["location"].endswith(f"/Groups/{g['id']}")
    got = await scim.get(f"/Groups/{g['id']}")
    assert got.status_code == 200 and got.headers["etag"] == got.json()["meta"]["version"]
    shown = (await scim.get(f"/Groups/{g['id']}", params={"attributes": "members.display"}))
    assert shown.json()["members"] == [{"display": "m0@example.com"}]
    slim = (await scim.get(f"/Groups/{g['id']}", params={"excludedAttributes": "members"}))
    assert "members" not in slim.json()
    put = await scim.put(f"/Groups/{g['id']}", {"schemas": [GROUP], "displayName": "Eng",
                                               "members": [{"value": b}]})
    assert put.status_code == 200 and [m["value"] for m in put.json()["members"]] == [b]
    listed = (await scim.get("/Groups", params={"filter": 'displayName eq "eng"'})).json()
    assert listed["totalResults"] == 1 and listed["Resources"][0]["members"][0]["value"] == b
    assert (await scim.delete(f"/Groups/{g['id']}")).status_code == 204
    assert (await scim.get(f"/Groups/{g['id']}")).status_code == 404


async def test_duplicate_display_name_is_409(scim: Scim) -> None:
    await _group(scim)
    r = await scim.post("/Groups", {"schemas": [GROUP], "displayName": "engineers"})
    assert r.status_code == 409 and r.json()["scimType"] == "uniqueness"


async def test_unknown_member_is_400_invalid_value(scim: Scim) -> None:
    r = await scim.post("/Groups", {"displayName": "G", "members": [{"value": "nobody"}]})
    assert r.status_code == 400 and r.json()["scimType"] == "invalidValue"
    g = await _group(scim)
    r = await scim.patch(f"/Groups/{g['id']}", patch_body(
        {"op": "add", "path": "members", "value": [{"value": "nobody"}]}))
    assert r.status_code == 400 and r.json()["scimType"] == "invalidValue"


async def test_entra_shapes(scim: Scim) -> None:
    """Entra: extra ADSCIM schema on create, capitalised ops, "$ref": null, value-list Remove."""
    a, b, c = await _users(scim, 3)
    g = await _group(scim, schemas=[GROUP, ADSCIM])
    await _patch(scim, g["id"], {"op": "Add", "path": "members",
                                 "value": [{"$ref": None, "value": a}, {"value": b},
                                           {"value": c}]})
    assert await _members(scim, g["id"]) == sorted([a, b, c])
    # Non-standard remove with a value list removes exactly those members, never all.
    await _patch(scim, g["id"], {"op": "Remove", "path": "members", "value": [{"value": a}]})
    assert await _members(scim, g["id"]) == sorted([b, c])
    await _patch(scim, g["id"], {"op": "remove", "path": f'members[value eq "{b}"]'})
    assert await _members(scim, g["id"]) == [c]
    await _patch(scim, g["id"], {"op": "Replace", "path": "displayName", "value": "Renamed"})
    assert (await scim.get(f"/Groups/{g['id']}")).json()["displayName"] == "Renamed"


async def test_okta_shapes(scim: Scim) -> None:
    """Okta: rename with read-only id inside a path-less value (keeps members), mixed ops."""
    a, b = await _users(scim, 2)
    g = await _group(scim, members=[a])
    await _patch(scim, g["id"], {"op": "replace", "value": {"id": g["id"],
                                                            "displayName": "Okta Group"}})
    assert await _members(scim, g["id"]) == [a]
    await _patch(scim, g["id"],
                 {"op": "remove", "path": f'members[value eq "{a}"]'},
                 {"op": "add", "path": "members", "value": [{"value": b, "display": "b"}]})
    assert await _members(scim, g["id"]) == [b]
    await _patch(scim, g["id"], {"op": "replace", "path": "members", "value": [{"value": a}]})
    assert await _members(scim, g["id"]) == [a]
    await _patch(scim, g["id"], {"op": "replace", "path": "members", "value": []})
    assert await _members(scim, g["id"]) == []


async def test_authentik_shapes(scim: Scim) -> None:
    """authentik: one op per user, several per request; path-less replace without members."""
    a, b, c = await _users(scim, 3)
    g = await _group(scim)
    await _patch(scim, g["id"], *[{"op": "add", "path": "members", "value": [{"value": u}]}
                                  for u in (a, b, c)])
    await _patch(scim, g["id"], {"op": "remove", "path": "members", "value": [{"value": b}]})
    await _patch(scim, g["id"], {"op": "replace", "value": {
        "schemas": [GROUP], "id": g["id"], "externalId": "ak-1", "displayName": "AK"}})
    doc = (await scim.get(f"/Groups/{g['id']}")).json()
    assert doc["externalId"] == "ak-1" and doc["displayName"] == "AK"
    assert sorted(m["value"] for m in doc["members"]) == sorted([a, c])


async def test_keycloak_shapes(scim: Scim) -> None:
    """keycloak-scim: PUT with relative $ref, members omitted when empty; patchOp mode."""
    a, b = await _users(scim, 2)
    g = await _group(scim, externalId="kc-1")
    put = await scim.put(f"/Groups/{g['id']}", {
        "id": g["id"], "externalId": "kc-1", "displayName": "KC",
        "members": [{"value": a, "$ref": f"Users/{a}"}]})
    assert put.status_code == 200 and await _members(scim, g["id"]) == [a]
    await scim.put(f"/Groups/{g['id']}", {"id": g["id"], "externalId": "kc-1",
                                          "displayName": "KC"})
    assert await _members(scim, g["id"]) == []
    await _patch(scim, g["id"],
                 {"op": "replace", "path": "members", "value": [{"value": a}, {"value": b}]},
                 {"op": "replace", "path": "displayName", "value": "KC2"},
                 {"op": "replace", "path": "externalId", "value": "kc-2"})
    assert await _members(scim, g["id"]) == sorted([a, b])
    await _patch(scim, g["id"], {"op": "remove", "path": "members", "value": None})
    assert await _members(scim, g["id"]) == []


async def test_patch_with_attributes_answers_200(scim: Scim) -> None:
    g = await _group(scim)
    r = await scim.client.patch(scim.url(f"/Groups/{g['id']}"), params={
        "attributes": "displayName"}, json=patch_body(
        {"op": "replace", "path": "displayName", "value": "X"}))
    assert r.status_code == 200 and r.json()["displayName"] == "X"
    assert "members" not in r.json()


async def test_group_patch_atomic_and_412(scim: Scim) -> None:
    (a,) = await _users(scim, 1)
    g = await _group(scim)
    r = await scim.patch(f"/Groups/{g['id']}", patch_body(
        {"op": "add", "path": "members", "value": [{"value": a}]},
        {"op": "add", "path": "members", "value": [{"value": "ghost"}]}))
    assert r.status_code == 400
    assert await _members(scim, g["id"]) == []
    r = await scim.patch(f"/Groups/{g['id']}", patch_body(
        {"op": "replace", "path": "displayName", "value": "Y"}), headers={"If-Match": 'W/"99"'})
    assert r.status_code == 412
    r = await scim.get(f"/Groups/{g['id']}", headers={"If-None-Match": g["meta"]["version"]})
    assert r.status_code == 304


async def test_group_list_members_batch_and_excluded(scim: Scim) -> None:
    a, b = await _users(scim, 2)
    await _group(scim, "G1", members=[a])
    await _group(scim, "G2", members=[a, b])
    listed = (await scim.get("/Groups", params={"sortBy": "displayName"})).json()
    assert [len(g["members"]) for g in listed["Resources"]] == [1, 2]
    slim = (await scim.get("/Groups", params={"excludedAttributes": "members"})).json()
    assert all("members" not in g for g in slim["Resources"])
    # Entra's lookup, with +-encoded spaces in the query string.
    r = await scim.client.get(scim.url("/Groups?excludedAttributes=members"
                                       "&filter=displayName+eq+%22g1%22"))
    assert r.json()["totalResults"] == 1 and "members" not in r.json()["Resources"][0]
    user = (await scim.get(f"/Users/{a}")).json()
    assert sorted(g["display"] for g in user["groups"]) == ["G1", "G2"]
