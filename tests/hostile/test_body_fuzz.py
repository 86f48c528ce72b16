"""Hypothesis over HTTP: any body on any writing SCIM route is answered with success or a SCIM
error (4xx, Error schema, a known scimType), never a 500 and never internals."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.hostile.strategies import JSON, near_objects, patch_ops
from tests.hostile.support import assert_no_leak, assert_scim_error
from tests.scim.conftest import Scim, user_body

SCIM_TYPES = {None, "invalidValue", "invalidSyntax", "invalidPath", "invalidFilter",
              "noTarget", "mutability", "uniqueness", "tooMany", "tooLarge", "invalidVers",
              "sensitive"}
FUZZ = settings(max_examples=30, deadline=None, derandomize=True, database=None,
                suppress_health_check=list(HealthCheck))
GROUP_KEYS = st.sampled_from(["displayName", "members", "externalId", "schemas", "id"])


def _bulk(data: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    op = st.fixed_dictionaries({
        "method": st.sampled_from(["POST", "PUT", "PATCH", "DELETE", "GET", "post", ""]),
        "path": st.sampled_from(["/Users", "/Groups", "/Users/u1", "/Groups/bulkId:g", "/x",
                                 "", "/Users/bulkId:nope"]),
    }, optional={"bulkId": st.sampled_from(["g", "u", "", "x" * 300]), "data": data,
                 "version": JSON})
    return st.fixed_dictionaries(
        {"schemas": st.just(["urn:ietf:params:scim:api:messages:2.0:BulkRequest"]),
         "Operations": st.one_of(st.lists(op, max_size=4), JSON)},
        optional={"failOnErrors": JSON})


def _search() -> st.SearchStrategy[dict[str, Any]]:
    from tests.hostile.strategies import FILTERS
    return st.fixed_dictionaries({}, optional={
        "schemas": st.just(["urn:ietf:params:scim:api:messages:2.0:SearchRequest"]),
        "filter": st.one_of(FILTERS, JSON), "startIndex": JSON, "count": JSON,
        "sortBy": st.one_of(st.sampled_from(["userName", "meta.created", "x"]), JSON),
        "sortOrder": JSON, "attributes": JSON, "excludedAttributes": JSON})


def _collect(strategy: st.SearchStrategy[Any]) -> list[Any]:
    found: list[Any] = []

    @FUZZ
    @given(value=strategy)
    def probe(value: Any) -> None:
        found.append(value)  # sent afterwards: @given is synchronous, the client is not

    probe()
    return found


async def _check(scim: Scim, method: str, path: str, body: Any) -> int:
    if isinstance(body, bytes):
        raw = body
    else:
        raw = json.dumps(body, ensure_ascii=False).encode("utf-8", "surrogatepass")
    r = await scim.client.request(method, scim.url(path), content=raw,
                                  headers={"Content-Type": "application/scim+json"})
    assert_no_leak(r)
    assert r.status_code < 500, (method, path, body, r.status_code, r.text[:300])
    if r.status_code >= 400:
        assert assert_scim_error(r).get("scimType") in SCIM_TYPES, r.text[:300]
    elif method == "POST" and path == "/Bulk":
        for result in r.json()["Operations"]:
            assert int(result["status"]) < 500, result
    return r.status_code


async def _targets(scim: Scim) -> tuple[str, str]:
    user = (await scim.post("/Users", user_body("target@example.com"))).json()
    group = (await scim.post("/Groups", {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Target",
        "members": [{"value": user["id"]}]})).json()
    return user["id"], group["id"]


async def test_user_bodies_never_500(hostile: Scim) -> None:
    uid, _ = await _targets(hostile)
    seen = set()
    for body in _collect(st.one_of(near_objects(), JSON)):
        seen.add(await _check(hostile, "POST", "/Users", body))
        seen.add(await _check(hostile, "PUT", f"/Users/{uid}", body))
    assert any(s >= 400 for s in seen)


async def test_group_bodies_never_500(hostile: Scim) -> None:
    _, gid = await _targets(hostile)
    for body in _collect(st.one_of(near_objects(GROUP_KEYS), JSON)):
        await _check(hostile, "POST", "/Groups", body)
        await _check(hostile, "PUT", f"/Groups/{gid}", body)


async def test_patch_bodies_never_500(hostile: Scim) -> None:
    uid, gid = await _targets(hostile)
    statuses = set()
    for body in _collect(patch_ops()):
        statuses.add(await _check(hostile, "PATCH", f"/Users/{uid}", body))
        statuses.add(await _check(hostile, "PATCH", f"/Groups/{gid}", body))
    assert any(s < 300 for s in statuses) and any(s >= 400 for s in statuses), statuses


async def test_bulk_bodies_never_500(hostile: Scim) -> None:
    await _targets(hostile)
    data = st.one_of(near_objects(), near_objects(GROUP_KEYS), patch_ops())
    for body in _collect(st.one_of(_bulk(data), JSON)):
        await _check(hostile, "POST", "/Bulk", body)


async def test_search_bodies_never_500(hostile: Scim) -> None:
    await _targets(hostile)
    for body in _collect(st.one_of(_search(), JSON)):
        await _check(hostile, "POST", "/.search", body)
        await _check(hostile, "POST", "/Users/.search", body)


async def test_raw_bytes_never_500(hostile: Scim) -> None:
    uid, _ = await _targets(hostile)
    for raw in _collect(st.binary(max_size=64)):
        await _check(hostile, "POST", "/Users", raw)
        await _check(hostile, "PATCH", f"/Users/{uid}", raw)
