"""userName uniqueness folds case and Unicode look-alikes (NFKC + casefold), on both doors."""

from __future__ import annotations

import unicodedata

import pytest

from backend.domain.text import fold
from tests.hostile.support import assert_scim_error
from tests.scim.conftest import Scim, user_body

# Each spelling must collide with "alice@example.com" (or "élise@example.com" below).
LOOKALIKES = [
    "ALICE@example.com",  # case
    "Alice@Example.COM",  # mixed case
    "\uff41\uff4c\uff49\uff43\uff45@example.com",  # fullwidth letters
    "\uff21lice@example.com",  # one fullwidth capital
    "alice\uff20\uff45\uff58\uff41\uff4d\uff50\uff4c\uff45.com",  # fullwidth @ and domain
    " alice@example.com ",  # surrounding spaces
]
COMPOSED = unicodedata.normalize("NFC", "élise@example.com")
DECOMPOSED = unicodedata.normalize("NFD", "élise@example.com")

GRANT = """mutation($t: ID!, $u: String!) {
  grantTenantAccess(tenant: $t, userName: $u) { user { id userName } } }"""


def test_fold_makes_lookalikes_equal_and_keeps_distinct_names_apart() -> None:
    assert {fold(s) for s in LOOKALIKES} == {fold("alice@example.com")}
    assert COMPOSED != DECOMPOSED and fold(COMPOSED) == fold(DECOMPOSED)
    assert fold("alice@example.com") != fold("alicia@example.com")
    assert fold("elise@example.com") != fold(COMPOSED)  # accents are not stripped


@pytest.mark.parametrize("spelling", LOOKALIKES)
async def test_scim_lookalike_username_is_409_uniqueness(scim: Scim, spelling: str) -> None:
    assert (await scim.post("/Users", user_body("alice@example.com"))).status_code == 201
    before = (await scim.get("/Users")).json()["totalResults"]
    r = await scim.post("/Users", user_body(spelling, externalId="other"))
    assert_scim_error(r, 409, "uniqueness")
    assert (await scim.get("/Users")).json()["totalResults"] == before


async def test_scim_composed_and_decomposed_accents_collide(scim: Scim) -> None:
    assert (await scim.post("/Users", user_body(COMPOSED))).status_code == 201
    assert_scim_error(await scim.post("/Users", user_body(DECOMPOSED)), 409, "uniqueness")


async def test_scim_rename_onto_a_lookalike_is_409(scim: Scim) -> None:
    await scim.post("/Users", user_body("alice@example.com"))
    bob = (await scim.post("/Users", user_body("bob@example.com"))).json()
    r = await scim.patch(f"/Users/{bob['id']}", {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "userName",
                        "value": "\uff21\uff2c\uff29\uff23\uff25@example.com"}]})
    assert_scim_error(r, 409, "uniqueness")
    r = await scim.put(f"/Users/{bob['id']}", user_body("Alice@example.com"))
    assert_scim_error(r, 409, "uniqueness")


async def test_scim_filter_finds_the_user_by_a_lookalike(scim: Scim) -> None:
    await scim.post("/Users", user_body(COMPOSED))
    r = await scim.get("/Users", params={"filter": f'userName eq "{DECOMPOSED.upper()}"'})
    assert r.json()["totalResults"] == 1


@pytest.mark.parametrize("spelling", [LOOKALIKES[0], LOOKALIKES[2], LOOKALIKES[3]])
async def test_graphql_grant_of_a_lookalike_is_conflict(scim: Scim, spelling: str) -> None:
    """Created over SCIM, then granted again over GraphQL under a look-alike userName."""
    assert (await scim.post("/Users", user_body("alice@example.com"))).status_code == 201
    r = await scim.client.post("/graphql", json={
        "query": GRANT, "variables": {"t": scim.tenant.tenant, "u": spelling}},
        headers={"Authorization": f"Bearer {scim.tenant.admin_token}"})
    assert r.status_code == 200
    errors = r.json()["errors"]
    assert [e["extensions"]["code"] for e in errors] == ["CONFLICT"], errors
    assert "Traceback" not in r.text


async def test_graphql_then_scim_decomposed_collides(scim: Scim) -> None:
    r = await scim.client.post("/graphql", json={
        "query": GRANT, "variables": {"t": scim.tenant.tenant, "u": DECOMPOSED}},
        headers={"Authorization": f"Bearer {scim.tenant.admin_token}"})
    assert "errors" not in r.json(), r.text
    assert_scim_error(await scim.post("/Users", user_body(COMPOSED.upper())), 409, "uniqueness")
