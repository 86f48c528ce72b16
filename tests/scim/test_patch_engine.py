"""The PATCH engine as pure functions (no database)."""

from __future__ import annotations

import pytest

from backend.domain import filters as f
from backend.domain.queries import GroupChange, UserDraft
from scim_adapter.errors import ScimError
from scim_adapter.patch import Op, apply_user_patch, group_change, matches, parse_ops


def _draft() -> UserDraft:
    return UserDraft("ada@example.com", {"emails": [{"value": "a@x", "type": "work"}]}, "e1")


def test_parse_ops_is_case_insensitive_and_checks_shape() -> None:
    ops = parse_ops({"Operations": [{"op": "Replace", "path": "active", "value": "True"}]})
    assert ops == [Op("replace", "active", "True")]
    with pytest.raises(ScimError) as exc:
        parse_ops({"Operations": [{"op": "remove"}]})
    assert exc.value.scim_type == "noTarget"
    with pytest.raises(ScimError):
        parse_ops({"Operations": []})


def test_user_patch_returns_new_draft_without_touching_input() -> None:
    before = _draft()
    after = apply_user_patch(before, [Op("add", 'emails[type eq "home"].value', "h@x"),
                                      Op("replace", "active", "false")])
    assert after.active is False
    assert after.profile["emails"] == [{"value": "a@x", "type": "work"},
                                       {"type": "home", "value": "h@x"}]
    assert before.profile["emails"] == [{"value": "a@x", "type": "work"}]


def test_value_filter_evaluator() -> None:
    element = {"type": "Work", "value": "A@x", "primary": True}
    assert matches(f.parse_filter('type eq "work" and primary eq true'), element)
    assert matches(f.parse_filter('value sw "a" or type pr'), element)
    assert not matches(f.parse_filter('not (type ew "rk")'), element)
    assert not matches(f.parse_filter('value eq "a@x"'), element, case_exact_value=True)


def test_group_change_combines_ops_into_one_delta() -> None:
    change = group_change([Op("add", "members", [{"value": "a"}, {"value": "b"}]),
                           Op("remove", 'members[value eq "a" or value eq "c"]', None),
                           Op("replace", None, {"id": "g", "displayName": "N"})])
    assert change == GroupChange(display_name="N", add_members=("b",),
                                 remove_members=("a", "c"))
    assert group_change([Op("remove", "members", None)]).replace_members == ()
    with pytest.raises(ScimError):
        group_change([Op("remove", 'members[display eq "x"]', None)])
