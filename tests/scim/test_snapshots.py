"""Snapshots (syrupy, JSON) of a user, a group, a list, an error and the discovery documents.

Ids and times are deterministic (``app.state.scim_clock``/``scim_ids``); the integration id
in URLs is random and replaced by ``<integration>`` before snapshotting.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from syrupy.assertion import SnapshotAssertion
from syrupy.extensions.json import JSONSnapshotExtension

from tests.scim.conftest import Scim, user_body


@pytest.fixture
def snap(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    return snapshot.use_extension(JSONSnapshotExtension)


def _norm(scim: Scim, doc: Any) -> Any:
    return json.loads(json.dumps(doc).replace(scim.integration_id, "<integration>"))


async def test_user_group_list_snapshots(scim: Scim, snap: SnapshotAssertion) -> None:
    full = user_body("snap@example.com", displayName="Snap Shot", password="Passw0rd!",
                     phoneNumbers=[{"value": "+1-555-0199", "type": "work"}])
    full["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"] = {"department": "QA"}
    user = (await scim.post("/Users", full)).json()
    group = (await scim.post("/Groups", {"displayName": "Snappers", "externalId": "g-1",
                                         "members": [{"value": user["id"]}]})).json()
    user = (await scim.get(f"/Users/{user['id']}")).json()  # now with its group
    listed = (await scim.get("/Users", params={"filter": 'userName eq "snap@example.com"'}))
    assert _norm(scim, user) == snap(name="user")
    assert _norm(scim, group) == snap(name="group")
    assert _norm(scim, listed.json()) == snap(name="list")


async def test_error_snapshot(scim: Scim, snap: SnapshotAssertion) -> None:
    r = await scim.get("/Users", params={"filter": 'userName eq "x" and'})
    assert r.status_code == 400
    assert r.json() == snap(name="error")


async def test_discovery_snapshots(scim: Scim, snap: SnapshotAssertion) -> None:
    for path in ("/ServiceProviderConfig", "/ResourceTypes", "/Schemas"):
        doc = (await scim.get(path)).json()
        assert _norm(scim, doc) == snap(name=path.strip("/"))
