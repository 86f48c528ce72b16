"""Hypothesis strategies for hostile SCIM input: near-valid filters, paths, values, bodies."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

# Pieces of real SCIM syntax, glued at random, reach deeper into the parser than random text.
FILTER_ATOMS = st.sampled_from([
    "userName", "emails", "emails.value", 'emails[type eq "work"]', "name.givenName", "active",
    "members", "members.value", "meta.lastModified", "externalId", "displayName", "manager",
    "urn:ietf:params:scim:schemas:core:2.0:User:userName",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
    " eq ", " ne ", " co ", " sw ", " ew ", " gt ", " le ", " pr", " and ", " or ", "not (",
    "(", ")", "[", "]", ".", ":", '"x"', '"', "\\", "true", "false", "null", "1", "-0.5e3",
    "1e999", '"2020-01-01T00:00:00Z"', " ", "\t", "\x00", "\ud800", "\u202e", "é", "\uff21",
])
FILTERS = st.one_of(st.text(max_size=80), st.lists(FILTER_ATOMS, max_size=14).map("".join))

JSON_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=40),
    st.sampled_from(["", "\x00", "\ud800", "a" * 300, "True", "false", "ada@example.com"]))
JSON = st.recursive(
    JSON_SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.text(max_size=12), inner, max_size=4)),
    max_leaves=12)

USER_KEYS = st.sampled_from([
    "userName", "externalId", "displayName", "active", "name", "emails", "phoneNumbers",
    "schemas", "id", "meta", "groups", "password", "title", "nickName", "addresses",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
    "urn:ietf:params:scim:schemas:core:2.0:User:userName", "members", "Operations", "value",
])
OPS = st.sampled_from(["add", "replace", "remove", "Add", "REPLACE", "move", "", None, 1])


def near_objects(keys: st.SearchStrategy[str] = USER_KEYS) -> st.SearchStrategy[dict[str, Any]]:
    """Objects whose keys are real attribute names and whose values are anything."""
    return st.dictionaries(st.one_of(keys, st.text(max_size=10)), JSON, max_size=6)


PATHS = st.sampled_from([
    "active", "displayName", "title", "nickName", "name.givenName", "emails",
    'emails[type eq "work"].value', 'emails[type eq "home"]', "externalId", "members",
    'members[value eq "nope"]', "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "manager",
])
VALUES = st.sampled_from([
    True, "False", "x", "", [], [{"value": "x@example.com", "type": "home"}], {"value": "m"},
    {"displayName": "New"}, {"givenName": "G"}, [{"value": "nope"}], None, 3,
])


def patch_ops() -> st.SearchStrategy[dict[str, Any]]:
    wild = st.fixed_dictionaries({"op": OPS}, optional={
        "path": st.one_of(FILTERS, USER_KEYS, st.none(), JSON_SCALARS),
        "value": st.one_of(JSON, near_objects())})
    # Mostly-valid operations too, so that the engine is reached beyond its input checks.
    sane = st.fixed_dictionaries({"op": st.sampled_from(["add", "replace", "remove"]),
                                  "path": PATHS, "value": VALUES})
    op = st.one_of(sane, wild)
    return st.fixed_dictionaries(
        {"Operations": st.one_of(st.lists(op, max_size=4), JSON)},
        optional={"schemas": st.one_of(
            st.just(["urn:ietf:params:scim:api:messages:2.0:PatchOp"]), JSON)})
