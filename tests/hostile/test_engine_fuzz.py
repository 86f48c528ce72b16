"""Pure-function fuzzing: the filter parser and the PATCH engine only ever raise their own
errors (which the doors turn into 400s), never a stray Python exception (a 500)."""

from __future__ import annotations

import contextlib
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backend.domain import filters as f
from backend.domain.errors import DomainError
from backend.domain.queries import UserDraft
from scim_adapter.errors import ScimError
from scim_adapter.patch import apply_user_patch, group_change, matches, parse_ops
from tests.hostile.strategies import FILTERS, JSON, patch_ops

FUZZ = settings(max_examples=200, deadline=None, derandomize=True, database=None,
                suppress_health_check=list(HealthCheck))
DRAFT = UserDraft("ada@example.com", {
    "emails": [{"value": "a@x", "type": "work", "primary": True}],
    "name": {"givenName": "Ada"},
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"manager": {"value": "m"}},
}, "e1", True)


@FUZZ
@given(text=FILTERS)
def test_filter_parser_raises_only_filter_errors(text: str) -> None:
    try:
        parsed = f.parse_filter(text)
    except f.FilterError as exc:
        assert str(exc)  # a message for the client
        return
    # What parses renders back to a filter that parses to the same tree.
    assert f.parse_filter(f.render_filter(parsed)) == parsed


@FUZZ
@given(text=FILTERS)
def test_patch_path_parser_raises_only_invalid_path(text: str) -> None:
    with contextlib.suppress(f.InvalidPathError):
        f.parse_patch_path(text)


@FUZZ
@given(text=FILTERS, element=JSON)
def test_value_filter_evaluation_never_crashes(text: str, element: Any) -> None:
    try:
        node = f.parse_filter(text)
    except f.FilterError:
        return
    if isinstance(element, dict):
        assert matches(node, element) in (True, False)


@FUZZ
@given(body=patch_ops())
def test_patch_engine_raises_only_scim_or_domain_errors(body: dict[str, Any]) -> None:
    try:
        ops = parse_ops(body)
    except (ScimError, DomainError):
        return
    for apply in (lambda: apply_user_patch(DRAFT, ops, "u1"),
                  lambda: group_change(ops, "g1")):
        try:
            apply()
        except ScimError as exc:
            assert 400 <= exc.status < 500
        except DomainError:
            pass


@FUZZ
@given(body=st.one_of(JSON, patch_ops()))
def test_parse_ops_accepts_any_json(body: Any) -> None:
    if not isinstance(body, dict):
        return  # the handler refuses non-objects before parse_ops (tested over HTTP)
    with contextlib.suppress(ScimError, DomainError):
        parse_ops(body)
