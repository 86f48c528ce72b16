"""Bulk (bulkId references, failOnErrors, limits) and discovery documents."""

from __future__ import annotations

from typing import Any

from tests.scim.conftest import Scim, open_scim, user_body

BULK = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"


def _bulk(*ops: dict[str, Any], fail_on: int | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"schemas": [BULK], "Operations": list(ops)}
    if fail_on is not None:
        body["failOnErrors"] = fail_on
    return body


async def test_bulk_with_bulk_id_references(scim: Scim) -> None:
    r = await scim.post("/Bulk", _bulk(
        {"method": "POST", "path": "/Users", "bulkId": "u1", "data": user_body("b1@example.com")},
        {"method": "POST", "path": "/Groups", "bulkId": "g1",
         "data": {"displayName": "Bulk", "members": [{"value": "bulkId:u1"}]}},
        {"method": "PATCH", "path": "/Users/bulkId:u1", "data": {"Operations": [
            {"op": "replace", "path": "displayName", "value": "B1"}]}},
    ))
    assert r.status_code == 200, r.text
    ops = r.json()["Operations"]
    assert [o["status"] for o in ops] == ["201", "201", "200"]
    user_id = ops[0]["location"].rsplit("/", 1)[1]
    group = (await scim.get(ops[1]["location"].split(scim.base)[1])).json()
    assert group["members"][0]["value"] == user_id
    assert (await scim.get(f"/Users/{user_id}")).json()["displayName"] == "B1"
    assert ops[0]["bulkId"] == "u1" and ops[0]["version"].startswith('W/"')


async def test_bulk_fail_on_errors_stops(scim: Scim) -> None:
    r = await scim.post("/Bulk", _bulk(
        {"method": "POST", "path": "/Users", "bulkId": "a", "data": {"userName": 5}},
        {"method": "DELETE", "path": "/Users/missing"},
        {"method": "POST", "path": "/Users", "bulkId": "c", "data": user_body("c@example.com")},
        fail_on=2))
    ops = r.json()["Operations"]
    assert [o["status"] for o in ops] == ["400", "404"]
    assert ops[0]["response"]["scimType"] == "invalidValue"
    unresolved = await scim.post("/Bulk", _bulk(
        {"method": "DELETE", "path": "/Users/bulkId:never"}))
    assert unresolved.json()["Operations"][0]["status"] == "409"


async def test_bulk_limits_are_413(db: object) -> None:
    scim = await open_scim(db, bulk_max_operations=2)  # type: ignore[arg-type]
    r = await scim.post("/Bulk", _bulk(*[{"method": "DELETE", "path": f"/Users/{i}"}
                                         for i in range(3)]))
    assert r.status_code == 413 and r.json()["scimType"] == "tooMany"
    await scim.client.aclose()
    small = await open_scim(db, "other", bulk_max_payload_bytes=100)  # type: ignore[arg-type]
    r = await small.post("/Bulk", _bulk({"method": "POST", "path": "/Users", "bulkId": "x",
                                         "data": user_body()}))
    assert r.status_code == 413
    await small.client.aclose()


async def test_discovery_documents(scim: Scim) -> None:
    spc = (await scim.get("/ServiceProviderConfig")).json()
    assert spc["patch"]["supported"] is True and spc["filter"]["supported"] is True
    assert spc["bulk"]["maxOperations"] == 1000 and spc["filter"]["maxResults"] == 1000
    rts = (await scim.get("/ResourceTypes")).json()
    assert [rt["id"] for rt in rts["Resources"]] == ["User", "Group"]
    assert (await scim.get("/ResourceTypes/User")).json()["endpoint"] == "/Users"
    assert (await scim.get("/ResourceTypes/Nope")).status_code == 404
    schemas = (await scim.get("/Schemas")).json()
    names = [s["name"] for s in schemas["Resources"]]
    assert {"User", "EnterpriseUser", "Group", "ServiceProviderConfig", "ResourceType",
            "Schema"} <= set(names)
    assert schemas["totalResults"] == len(names)
    one = await scim.get("/Schemas/urn:ietf:params:scim:schemas:core:2.0:User")
    assert one.status_code == 200 and one.json()["name"] == "User"
    assert (await scim.get("/Schemas/urn:nope")).status_code == 404
    assert spc["meta"]["location"] == f"http://testserver{scim.base}/ServiceProviderConfig"


async def test_discovery_needs_auth(scim: Scim) -> None:
    r = await scim.client.get(scim.url("/Schemas"), headers={"Authorization": "Bearer x"})
    assert r.status_code == 401
