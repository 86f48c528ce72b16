"""PATCH over HTTP: user shapes sent by Entra, Okta, authentik and Keycloak (idp-behaviors §5)."""

from __future__ import annotations

from typing import Any

from tests.scim.conftest import Scim, patch_body, user_body

ENT = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


async def _user(scim: Scim, name: str = "ada@example.com", **extra: Any) -> dict[str, Any]:
    r = await scim.post("/Users", user_body(name, **extra))
    assert r.status_code == 201, r.text
    doc: dict[str, Any] = r.json()
    return doc


async def _patch(scim: Scim, uid: str, *ops: dict[str, Any]) -> dict[str, Any]:
    r = await scim.patch(f"/Users/{uid}", patch_body(*ops))
    assert r.status_code == 200, r.text
    doc: dict[str, Any] = r.json()
    return doc


async def test_entra_pathless_dotted_and_urn_keys(scim: Scim) -> None:
    """Entra: capitalised ops, path-less value with dotted and URN-prefixed keys, "False"."""
    u = await _user(scim)
    doc = await _patch(scim, u["id"], {"op": "Replace", "value": {
        "name.givenName": "Augusta", "displayName": "Countess", "active": "False",
        f"{ENT}:department": "Maths", "id": u["id"],
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"]}})
    assert doc["name"] == {"givenName": "Augusta", "familyName": "Lovelace"}
    assert doc["displayName"] == "Countess" and doc["active"] is False
    assert doc[ENT] == {"department": "Maths"} and ENT in doc["schemas"]


async def test_entra_add_work_email_by_value_filter(scim: Scim) -> None:
    """Entra sends Add (not Replace) to emails[type eq "work"].value; Add creates it."""
    u = await _user(scim, emails=[{"value": "home@example.com", "type": "home"}])
    doc = await _patch(scim, u["id"], {"op": "Add", "path": 'emails[type eq "work"].value',
                                       "value": "work@example.com"})
    assert {"type": "work", "value": "work@example.com"} in doc["emails"]
    doc = await _patch(scim, u["id"], {"op": "replace", "path": 'emails[type eq "work"].value',
                                       "value": "new@example.com"})
    assert [e["value"] for e in doc["emails"]] == ["home@example.com", "new@example.com"]


async def test_okta_replace_whole_value(scim: Scim) -> None:
    """Okta: replace with a path-less value object holding the full state."""
    u = await _user(scim)
    doc = await _patch(scim, u["id"], {"op": "replace", "value": {"active": False}})
    assert doc["active"] is False


async def test_bare_extension_urn_path_and_remove(scim: Scim) -> None:
    u = await _user(scim)
    doc = await _patch(scim, u["id"], {"op": "add", "path": ENT, "value": {
        "schemas": [ENT], "employeeNumber": "7", "manager": {"value": "m-1"}}})
    assert doc[ENT] == {"employeeNumber": "7", "manager": {"value": "m-1"}}
    doc = await _patch(scim, u["id"], {"op": "replace", "path": f"{ENT}:manager.value",
                                       "value": "m-2"})
    assert doc[ENT]["manager"] == {"value": "m-2"}
    doc = await _patch(scim, u["id"], {"op": "remove", "path": ENT})
    assert ENT not in doc and doc["schemas"] == ["urn:ietf:params:scim:schemas:core:2.0:User"]


async def test_remove_by_value_filter_and_sub_attribute(scim: Scim) -> None:
    u = await _user(scim, phoneNumbers=[{"value": "1", "type": "work"},
                                        {"value": "2", "type": "mobile"}])
    doc = await _patch(scim, u["id"],
                       {"op": "remove", "path": 'phoneNumbers[type eq "work"]'},
                       {"op": "remove", "path": "name.familyName"})
    assert doc["phoneNumbers"] == [{"value": "2", "type": "mobile"}]
    assert doc["name"] == {"givenName": "Ada"}


async def test_multi_op_patch_is_atomic(scim: Scim) -> None:
    u = await _user(scim)
    r = await scim.patch(f"/Users/{u['id']}", patch_body(
        {"op": "replace", "path": "displayName", "value": "Changed"},
        {"op": "replace", "path": "nonsense[", "value": "x"}))
    assert r.status_code == 400 and r.json()["scimType"] == "invalidPath"
    after = (await scim.get(f"/Users/{u['id']}")).json()
    assert "displayName" not in after and after["meta"]["version"] == u["meta"]["version"]


async def test_patch_errors(scim: Scim) -> None:
    u = await _user(scim)
    cases = [
        ({"op": "remove"}, "noTarget"),
        ({"op": "frobnicate", "path": "displayName", "value": "x"}, "invalidValue"),
        ({"op": "replace", "path": "unknownAttr", "value": "x"}, "invalidPath"),
        ({"op": "replace", "path": "id", "value": "x"}, "mutability"),
        ({"op": "replace", "path": "active", "value": "perhaps"}, "invalidValue"),
    ]
    for op, scim_type in cases:
        r = await scim.patch(f"/Users/{u['id']}", patch_body(op))
        assert r.status_code == 400 and r.json()["scimType"] == scim_type, (op, r.text)


async def test_remove_active_hides_it_until_written_again(scim: Scim) -> None:
    u = await _user(scim)
    doc = await _patch(scim, u["id"], {"op": "remove", "path": "active"})
    assert "active" not in doc
    doc = await _patch(scim, u["id"], {"op": "replace", "path": "title", "value": "Dr"})
    assert "active" not in doc
    doc = await _patch(scim, u["id"], {"op": "add", "path": "active", "value": True})
    assert doc["active"] is True
