"""backend.domain.limits as pure functions: each bound holds exactly at its edge."""

from __future__ import annotations

import unicodedata
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backend.domain import limits
from backend.domain.errors import InvalidValue


def _nested(levels: int) -> Any:
    doc: Any = "leaf"
    for _ in range(levels - 1):
        doc = [doc]
    return doc


def test_depth_limit_is_exact() -> None:
    limits.check_document(_nested(limits.MAX_JSON_DEPTH))
    with pytest.raises(limits.DocumentTooDeep):
        limits.check_document(_nested(limits.MAX_JSON_DEPTH + 1))


def test_depth_walk_is_iterative() -> None:
    """A document far deeper than Python's recursion limit is refused, not a RecursionError."""
    with pytest.raises(limits.DocumentTooDeep):
        limits.check_document(_nested(50_000))


def test_string_and_key_lengths_are_exact() -> None:
    limits.check_document({"title": "t" * limits.MAX_STRING_LENGTH})
    with pytest.raises(InvalidValue, match="longer than"):
        limits.check_document({"title": "t" * (limits.MAX_STRING_LENGTH + 1)})
    limits.check_document({"k" * limits.MAX_KEY_LENGTH: 1})
    with pytest.raises(InvalidValue):
        limits.check_document({"k" * (limits.MAX_KEY_LENGTH + 1): 1})


@pytest.mark.parametrize("key", ["userName", "USERNAME", "externalId",
                                 "urn:ietf:params:scim:schemas:core:2.0:User:userName"])
def test_identifier_length_applies_by_key(key: str) -> None:
    limits.check_document({key: "x" * limits.MAX_IDENTIFIER_LENGTH})
    with pytest.raises(InvalidValue):
        limits.check_document({key: "x" * (limits.MAX_IDENTIFIER_LENGTH + 1)})


def test_a_256_character_user_display_name_passes() -> None:
    """Entra allows 256 characters in a user's displayName."""
    limits.check_document({"displayName": "d" * 256})


@pytest.mark.parametrize("bad", ["\x00", "\ud800", "\udfff"])
def test_nul_and_surrogates_are_refused_anywhere(bad: str) -> None:
    for doc in ({"title": f"a{bad}"}, {f"k{bad}": 1}, [[{"x": [f"{bad}"]}]]):
        with pytest.raises(InvalidValue, match="forbidden character"):
            limits.check_document(doc)


@pytest.mark.parametrize("bad", ["\t", "\n", "\x1b", "\x7f", "\x85", "\u2028", "\u2029"])
def test_control_characters_are_refused_in_identifiers_only(bad: str) -> None:
    for key in ("userName", "displayName", "externalId"):
        with pytest.raises(InvalidValue, match="control or invisible"):
            limits.check_document({key: f"a{bad}b"})
    limits.check_document({"addresses": [{"formatted": f"a{bad}b"}]})


@pytest.mark.parametrize("invisible", ["\u200b", "\u200d", "\u202e", "\u2066", "\ufeff",
                                       "\u00ad"])
def test_invisible_format_characters_are_refused_in_usernames(invisible: str) -> None:
    with pytest.raises(InvalidValue):
        limits.check_document({"userName": f"al{invisible}ice"})
    # Group names may hold emoji sequences, which need the zero-width joiner.
    limits.check_document({"displayName": "\U0001f469\u200d\U0001f4bb"})


@pytest.mark.parametrize(("path", "value"), [
    ("userName", "a\tb"), ("urn:ietf:params:scim:schemas:core:2.0:User:userName", "a\u200bb"),
    ("displayName", "a\nb"), ("externalId", "\x01"),
])
def test_patch_operations_are_checked_by_path(path: str, value: str) -> None:
    with pytest.raises(InvalidValue):
        limits.check_document({"Operations": [{"op": "replace", "path": path, "value": value}]})
    limits.check_document({"Operations": [{"op": "replace", "path": "title", "value": value}]})


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.one_of(
    st.characters(exclude_categories=()),  # any category, lone surrogates included
    st.sampled_from("\x00\x07\t\n\x7f\u200b\u2028\ud800 aZ~é"))))
def test_fast_paths_agree_with_the_character_walk(value: str) -> None:
    for categories in (limits._NEVER, limits._NOT_IN_IDENTIFIERS, limits._NOT_IN_USER_NAME):
        walked = any(ch == "\x00" or unicodedata.category(ch) in categories for ch in value)
        assert (limits._bad_char(value, categories) is not None) == walked, (value, categories)


def _precise_verdict(doc: Any) -> str | None:
    try:
        limits._check_precisely(doc, "body")
    except InvalidValue as exc:
        return exc.message
    return None


_KEYS = st.sampled_from(["userName", "USERNAME", "displayName", "externalId", "title", "path",
                         "Path", "value", "VALUE", "op", "urn:x:User:userName", "members",
                         "a.externalId", "k\u00e9y", "tab\tkey", "nul\x00key"])
# Mostly what identifiers refuse but text allows, so that a lapse in the quick pass is not
# masked by a NUL elsewhere in the same document.
_TEXT = st.text(alphabet=st.sampled_from("aaaZZ@. \t\n\x07\u200b\u2028\u00e9"), max_size=6) \
    | st.sampled_from(["userName", "displayName", "externalId", "x" * 300, "\x00", "\ud800"])
_JSON = st.recursive(st.none() | st.booleans() | st.integers() | _TEXT,
                     lambda inner: st.lists(inner, max_size=4)
                     | st.dictionaries(_KEYS, inner, max_size=5), max_leaves=30)


@settings(max_examples=500, deadline=None)
@given(_JSON)
def test_the_quick_pass_never_passes_what_the_precise_walk_refuses(doc: Any) -> None:
    """The quick pass may doubt a valid document (it is then walked precisely), but it must
    never wave through one the precise walk refuses; and check_document's verdict is the
    precise walk's, message included."""
    precise = _precise_verdict(doc)
    if limits._plainly_valid(doc):
        assert precise is None, (doc, precise)
    try:
        limits.check_document(doc)
        verdict = None
    except InvalidValue as exc:
        verdict = exc.message
    assert verdict == precise


def test_the_quick_pass_takes_an_idp_user_body() -> None:
    """The case it exists for: an Entra-shaped user body, with a non-ASCII display name."""
    body = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "a@b.c",
            "displayName": "J\u00fcrgen M\u00fcller", "name": {"givenName": "J\u00fcrgen"},
            "emails": [{"value": "a@b.c", "primary": True}], "active": True}
    assert limits._plainly_valid(body)
    assert not limits._plainly_valid({**body, "userName": "a\u200bb@b.c"})
    with pytest.raises(InvalidValue, match="userName"):
        limits.check_document({**body, "userName": "a\u200bb@b.c"})
