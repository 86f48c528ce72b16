"""SCIM Users over HTTP (SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

from backend.services import users
from tests.scim.conftest import Scim, patch_body, user_body

CORE = "urn:ietf:params:scim:schemas:core:2.0:User"
ENT = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


async def _create(scim: Scim, user_name: str = "ada@example.com", **extra: Any) -> dict[str, Any]:
    r = await scim.post("/Users", user_body(user_name, **extra))
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


async def test_create_get_list_user(scim: Scim) -> None:
    r = await scim.post("/Users", user_body())
    assert r.status_code == 201
    assert r.headers["content-type"].startswith("application/scim+json")
    doc = r.json()
    assert r.headers["location"] == f"http://testserver{scim.base}/Users/{doc['id']}"
    assert r.headers["etag"] == doc["meta"]["version"]
    assert doc["meta"]["resourceType"] == "User"
    assert doc["meta"]["location"] == r.headers["location"]
    assert doc["userName"] == "ada@example.com" and doc["active"] is True
    assert doc["groups"] == []
    got = await scim.get(f"/Users/{doc['id']}")
    assert got.status_code == 200 and got.json() == doc
    listed = await scim.get("/Users", params={"filter": 'userName eq "ADA@example.com"'})
    body = listed.json()
    assert body["totalResults"] == 1 and body["Resources"][0]["id"] == doc["id"]
    assert isinstance(body["startIndex"], int) and isinstance(body["itemsPerPage"], int)


async def test_duplicate_user_name_is_409_uniqueness(scim: Scim) -> None:
    await _create(scim)
    r = await scim.post("/Users", user_body())
    assert r.status_code == 409
    assert r.json()["scimType"] == "uniqueness" and r.json()["status"] == "409"


async def test_create_links_a_user_known_from_another_tenant(scim: Scim) -> None:
    from tests.scim.conftest import open_scim

    other = await open_scim(scim.db, "globex", "Okta")
    first = (await other.post("/Users", user_body("shared@example.com"))).json()
    linked = await scim.post("/Users", user_body("shared@example.com"))
    assert linked.status_code == 201
    assert linked.json()["id"] == first["id"]  # the same global user, linked
    await other.client.aclose()


async def test_password_is_never_returned(scim: Scim) -> None:
    doc = await _create(scim, password="s3cret-Passw0rd!")
    assert "password" not in doc
    r = await scim.patch(f"/Users/{doc['id']}", patch_body(
        {"op": "replace", "path": "password", "value": "An0ther-secret!"}))
    assert r.status_code == 200 and "password" not in r.json()
    assert "password" not in (await scim.get(f"/Users/{doc['id']}")).json()


async def test_full_core_and_enterprise_round_trip(scim: Scim) -> None:
    body: dict[str, Any] = {
        "schemas": [CORE, ENT],
        "userName": "grace@example.com",
        "externalId": "0042",
        "name": {"formatted": "Dr. Grace B. Hopper", "familyName": "Hopper",
                 "givenName": "Grace", "middleName": "Brewster", "honorificPrefix": "Dr.",
                 "honorificSuffix": "PhD"},
        "displayName": "Grace Hopper", "nickName": "Amazing Grace",
        "profileUrl": "https://example.com/grace", "title": "Rear Admiral",
        "userType": "Employee", "preferredLanguage": "en-US", "locale": "en-US",
        "timezone": "America/New_York", "active": True,
        "emails": [{"value": "grace@example.com", "display": "Grace", "type": "work",
                    "primary": True}, {"value": "g@home.example", "type": "home"}],
        "phoneNumbers": [{"value": "+1-555-0100", "type": "work", "primary": True}],
        "ims": [{"value": "gracehopper", "type": "xmpp"}],
        "photos": [{"value": "https://example.com/grace.jpg", "type": "photo"}],
        "addresses": [{"formatted": "1 Navy Way", "streetAddress": "1 Navy Way",
                       "locality": "Arlington", "region": "VA", "postalCode": "22202",
                       "country": "US", "type": "work", "primary": True}],
        "entitlements": [{"value": "cobol", "type": "language"}],
        "roles": [{"value": "admiral", "display": "Admiral", "primary": True}],
        "x509Certificates": [{"value": "TUlJREV6Q0NBdnVnQXdJQkFnSUJBREFO"}],
        ENT: {"employeeNumber": "1906", "costCenter": "CC-1", "organization": "US Navy",
              "division": "Computing", "department": "Programming",
              "manager": {"value": "boss-id", "$ref": "../Users/boss-id"}},
    }
    r = await scim.post("/Users", body)
    assert r.status_code == 201, r.text
    doc = r.json()
    for key, value in body.items():
        if key != "schemas":
            assert doc[key] == value, key
    assert doc["schemas"] == [CORE, ENT]
    again = (await scim.get(f"/Users/{doc['id']}")).json()
    assert again == doc


async def test_input_tolerances_entra_strings_nulls_unknowns(scim: Scim) -> None:
    """Entra: "True"/"False" strings; explicit nulls, unknown URNs and read-only keys ignored."""
    body = user_body("entra@example.com", active="False", nickName=None,
                     groups=[{"value": "x"}], id="client-chosen", meta={"x": 1})
    body["urn:ietf:params:scim:schemas:extension:CustomExtension:2.0:User"] = {"a": 1}
    body["unknownAttr"] = "ignored"
    doc = await _create(scim, **{k: v for k, v in body.items() if k != "userName"},
                        user_name="entra@example.com")
    assert doc["active"] is False and doc["id"] != "client-chosen"
    assert "nickName" not in doc and "unknownAttr" not in doc and doc["groups"] == []


async def test_bad_types_are_invalid_value(scim: Scim) -> None:
    for bad in ({"userName": 42}, {"userName": "x@example.com", "active": "maybe"},
                {"userName": "x@example.com", "emails": "nope"}, {"displayName": "no name"}):
        r = await scim.post("/Users", {"schemas": [CORE], **bad})
        assert r.status_code == 400 and r.json()["scimType"] == "invalidValue", bad


async def test_put_replaces_and_keeps_password(scim: Scim) -> None:
    doc = await _create(scim, password="s3cret-Passw0rd!")
    new = user_body("ada@example.com", displayName="Countess", name={"givenName": "Augusta"})
    new["id"] = doc["id"]
    r = await scim.put(f"/Users/{doc['id']}", new)
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["displayName"] == "Countess" and out["name"] == {"givenName": "Augusta"}
    user = await users.get_user(scim.tenant.ctx(), doc["id"])
    assert user.user.has_password


async def test_delete_removes_tenant_access_but_keeps_global_user(scim: Scim) -> None:
    doc = await _create(scim)
    assert (await scim.delete(f"/Users/{doc['id']}")).status_code == 204
    assert (await scim.get(f"/Users/{doc['id']}")).status_code == 404
    listed = await scim.get("/Users", params={"filter": 'userName eq "ada@example.com"'})
    assert listed.json()["totalResults"] == 0
    from tests.scim.conftest import open_scim

    other = await open_scim(scim.db, "globex", "Okta")
    relinked = await other.post("/Users", user_body())
    assert relinked.json()["id"] == doc["id"]  # the global user is still there
    await other.client.aclose()


async def test_deactivated_user_stays_visible(scim: Scim) -> None:
    doc = await _create(scim)
    r = await scim.patch(f"/Users/{doc['id']}", patch_body(
        {"op": "Replace", "path": "active", "value": "False"}))
    assert r.status_code == 200 and r.json()["active"] is False
    assert (await scim.get(f"/Users/{doc['id']}")).json()["active"] is False
    listed = await scim.get("/Users", params={"filter": 'userName eq "ada@example.com"'})
    assert listed.json()["totalResults"] == 1


async def test_etag_304_and_412(scim: Scim) -> None:
    doc = await _create(scim)
    etag = doc["meta"]["version"]
    r = await scim.get(f"/Users/{doc['id']}", headers={"If-None-Match": etag})
    assert r.status_code == 304
    ok = await scim.patch(f"/Users/{doc['id']}", patch_body(
        {"op": "replace", "path": "displayName", "value": "A"}), headers={"If-Match": etag})
    assert ok.status_code == 200 and ok.headers["etag"] != etag
    stale = await scim.patch(f"/Users/{doc['id']}", patch_body(
        {"op": "replace", "path": "displayName", "value": "B"}), headers={"If-Match": etag})
    assert stale.status_code == 412
    assert (await scim.delete(f"/Users/{doc['id']}", headers={"If-Match": etag})
            ).status_code == 412
    put = await scim.put(f"/Users/{doc['id']}", user_body(), headers={"If-Match": etag})
    assert put.status_code == 412
    assert (await scim.delete(f"/Users/{doc['id']}", headers={"If-Match": ok.headers["etag"]})
            ).status_code == 204


async def test_list_paging_count_zero_sort_and_projection(scim: Scim) -> None:
    for i in range(3):
        await _create(scim, f"u{i}@example.com")
    zero = (await scim.get("/Users", params={"count": "0"})).json()
    assert zero["totalResults"] == 4 and zero["Resources"] == []  # 3 + the admin
    page = (await scim.get("/Users", params={"startIndex": 2, "count": 2,
                                             "sortBy": "userName",
                                             "sortOrder": "descending"})).json()
    assert page["startIndex"] == 2 and page["itemsPerPage"] == 2
    names = [u["userName"] for u in page["Resources"]]
    assert names == ["u1@example.com", "u0@example.com"]
    proj = (await scim.get("/Users", params={"attributes": "userName",
                                             "filter": "userName sw \"u0\""})).json()
    assert set(proj["Resources"][0]) == {"schemas", "id", "userName", "meta"}
    excl = (await scim.get("/Users", params={"excludedAttributes": "groups,emails"})).json()
    assert all("groups" not in u and "emails" not in u for u in excl["Resources"])


async def test_cursor_paging(scim: Scim) -> None:
    for i in range(3):
        await _create(scim, f"c{i}@example.com")
    seen: list[str] = []
    params: dict[str, Any] = {"cursor": "", "count": 2}
    for _ in range(5):
        body = (await scim.get("/Users", params=params)).json()
        seen += [u["id"] for u in body["Resources"]]
        if "nextCursor" not in body:
            break
        params["cursor"] = body["nextCursor"]
    assert len(seen) == 4 and len(set(seen)) == 4


async def test_search_endpoints(scim: Scim) -> None:
    doc = await _create(scim)
    r = await scim.post("/Users/.search", {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
        "filter": 'externalId eq "ext-ada@example.com"', "attributes": ["userName"]})
    assert r.status_code == 200 and r.json()["Resources"][0]["id"] == doc["id"]
    g = (await scim.post("/Groups", {"displayName": "Admins"})).json()
    mixed = (await scim.post("/.search", {"count": 50})).json()
    kinds = {res["meta"]["resourceType"] for res in mixed["Resources"]}
    assert kinds == {"User", "Group"} and mixed["totalResults"] == 3
    assert g["id"] in {res["id"] for res in mixed["Resources"]}
