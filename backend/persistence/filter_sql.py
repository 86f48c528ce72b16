"""Filter trees -> SQL, through a whitelist of attribute mappings. Never pasted into SQL.

Each filterable attribute maps to a column (or an IN over a child table) and says whether it
compares case-exactly, following the SCIM schemas' ``caseExact``. Anything else is refused with
``InvalidFilter``, so an unknown attribute never silently answers an empty list.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from backend.domain import filters as f
from backend.domain.errors import InvalidFilter
from backend.domain.text import fold
from backend.persistence import tables as t

USER_URN = "urn:ietf:params:scim:schemas:core:2.0:user"
GROUP_URN = "urn:ietf:params:scim:schemas:core:2.0:group"
ENTERPRISE_URN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:user"

Clause = sa.ColumnElement[bool]


@dataclass(frozen=True, slots=True)
class Attr:
    column: Any
    kind: str = "string"  # string | boolean | datetime
    case_exact: bool = False
    folded: bool = False  # the column already holds fold(value)


@dataclass(frozen=True, slots=True)
class MultiValued:
    """A multi-valued attribute answered from a child table: ``parent_key IN (SELECT child_key
    FROM child WHERE ...)``. Not a correlated EXISTS: that is probed once per parent row, while
    the IN list comes from the child table's own index (an email lookup at 100k users)."""

    parent_key: Any
    child_key: Any
    sub: dict[str, Attr]
    default_sub: str = "value"

    def matching(self, inner: Clause) -> Clause:
        return self.parent_key.in_(sa.select(self.child_key).where(inner))  # type: ignore[no-any-return]


U, M, G, E, GM = t.users, t.memberships, t.groups, t.user_emails, t.group_members

USER_ATTRS: dict[str, Attr | MultiValued] = {
    "id": Attr(U.c.id, case_exact=True),
    "username": Attr(U.c.user_name_norm, folded=True),
    "externalid": Attr(M.c.external_id, case_exact=True),
    "displayname": Attr(U.c.display_name),
    "name.givenname": Attr(U.c.given_name),
    "name.familyname": Attr(U.c.family_name),
    "title": Attr(U.c.title),
    "usertype": Attr(U.c.user_type),
    "active": Attr(M.c.active, kind="boolean"),
    "meta.created": Attr(M.c.created_at, kind="datetime"),
    "meta.lastmodified": Attr(M.c.updated_at, kind="datetime"),
    "employeenumber": Attr(U.c.employee_number),
    "department": Attr(U.c.department),
    "emails": MultiValued(U.c.id, E.c.user_id, {
        "value": Attr(E.c.value_norm, folded=True),
        "type": Attr(E.c.type),
        "primary": Attr(E.c.is_primary, kind="boolean"),
    }),
}
_ENTERPRISE_KEYS = {"employeenumber", "department"}

GROUP_ATTRS: dict[str, Attr | MultiValued] = {
    "id": Attr(G.c.id, case_exact=True),
    "externalid": Attr(G.c.external_id, case_exact=True),
    "displayname": Attr(G.c.display_name_norm, folded=True),
    "meta.created": Attr(G.c.created_at, kind="datetime"),
    "meta.lastmodified": Attr(G.c.updated_at, kind="datetime"),
    "members": MultiValued(G.c.id, GM.c.group_id, {
        "value": Attr(GM.c.user_id, case_exact=True),
    }),
}


def _key(path: f.AttrPath, resource_urn: str) -> str:
    key = path.attr.lower() + (f".{path.sub_attr.lower()}" if path.sub_attr else "")
    uri = (path.uri or "").lower()
    if uri and uri not in (resource_urn, ENTERPRISE_URN):
        raise InvalidFilter(f"unknown schema {path.uri!r} in filter")
    if (uri == ENTERPRISE_URN) != (key in _ENTERPRISE_KEYS) and uri:
        raise InvalidFilter(f"attribute {path.attr!r} is not in schema {path.uri!r}")
    return key


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _datetime(value: Any) -> datetime:
    if not isinstance(value, str):
        raise InvalidFilter("dateTime comparisons need a string value")
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidFilter(f"invalid dateTime {value!r}") from None


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"  # Entra and Keycloak send "True"/"false"
    raise InvalidFilter("boolean attributes compare with true or false")


def _compare(attr: Attr, op: str, value: Any) -> Clause:
    col: sa.ColumnElement[Any] = attr.column
    if op == "pr":
        return sa.and_(col.is_not(None), col != "") if attr.kind == "string" else col.is_not(None)
    if value is None:
        if op in ("eq", "ne"):
            return col.is_(None) if op == "eq" else col.is_not(None)
        raise InvalidFilter(f"operator {op!r} cannot compare with null")
    if attr.kind == "boolean":
        if op not in ("eq", "ne"):
            raise InvalidFilter(f"operator {op!r} does not apply to a boolean attribute")
        return col == _bool(value) if op == "eq" else col != _bool(value)
    if attr.kind == "datetime":
        return _ordered(col, op, _datetime(value))
    if not isinstance(value, str):
        value = str(value).lower() if isinstance(value, bool) else str(value)
    text: str = value
    if not attr.case_exact:
        text = fold(text)
        col = col if attr.folded else sa.func.lower(col)
    return _string_op(col, op, text)


def _string_op(col: Any, op: str, value: str) -> Clause:
    if op == "eq":
        return col == value  # type: ignore[no-any-return]
    if op == "ne":
        return sa.or_(col != value, col.is_(None))  # a missing attribute is "not equal"
    if op in ("co", "sw", "ew"):
        pattern = _escape_like(value)
        pattern = {"co": f"%{pattern}%", "sw": f"{pattern}%", "ew": f"%{pattern}"}[op]
        return col.like(pattern, escape="\\")  # type: ignore[no-any-return]
    return _ordered(col, op, value)


def _ordered(col: Any, op: str, value: Any) -> Clause:
    ops = {"gt": col > value, "ge": col >= value, "lt": col < value, "le": col <= value,
           "eq": col == value, "ne": col != value}
    if op not in ops:
        raise InvalidFilter(f"operator {op!r} does not apply to this attribute")
    return ops[op]  # type: ignore[no-any-return]


class Translator:
    def __init__(self, attrs: dict[str, Attr | MultiValued], resource_urn: str) -> None:
        self.attrs = attrs
        self.urn = resource_urn

    def apply(self, base: sa.Select[Any], filter_tree: Any, sort_by: str | None
              ) -> tuple[sa.Select[Any], Any]:
        """Narrow ``base`` by a filter tree; return it with the ORDER BY column for ``sort_by``."""
        if filter_tree is not None:
            base = base.where(self.clause(filter_tree))
        return base, (sort_column(self.attrs, sort_by) if sort_by else None)

    def clause(self, node: f.Filter) -> Clause:
        if isinstance(node, f.And):
            return sa.and_(self.clause(node.left), self.clause(node.right))
        if isinstance(node, f.Or):
            return sa.or_(self.clause(node.left), self.clause(node.right))
        if isinstance(node, f.Not):
            return sa.not_(sa.func.coalesce(self.clause(node.expr), False))
        if isinstance(node, f.ValuePath):
            return self._value_path(node)
        op, value = (node.op, node.value) if isinstance(node, f.Compare) else ("pr", None)
        return self._leaf(node.path, op, value)

    def _lookup(self, key: str, original: str) -> Attr | MultiValued:
        target = self.attrs.get(key)
        if target is None:
            raise InvalidFilter(f"filtering on {original!r} is not supported")
        return target

    def _leaf(self, path: f.AttrPath, op: str, value: Any) -> Clause:
        key = _key(path, self.urn)
        parent, _, sub = key.partition(".")
        multi = self.attrs.get(parent)
        if isinstance(multi, MultiValued):
            sub_attr = multi.sub.get(sub or multi.default_sub)
            if sub_attr is None:
                raise InvalidFilter(f"filtering on {key!r} is not supported")
            return multi.matching(_compare(sub_attr, op, value))
        attr = self._lookup(key, key)
        assert isinstance(attr, Attr)
        return _compare(attr, op, value)

    def _value_path(self, node: f.ValuePath) -> Clause:
        key = _key(node.path, self.urn)
        multi = self._lookup(key, key)
        if not isinstance(multi, MultiValued):
            raise InvalidFilter(f"{node.path.attr!r} is not multi-valued")
        return multi.matching(Translator(dict(multi.sub), self.urn).clause(node.filter))


USERS = Translator(USER_ATTRS, USER_URN)
GROUPS = Translator(GROUP_ATTRS, GROUP_URN)


def sort_column(attrs: dict[str, Attr | MultiValued], sort_by: str) -> Any:
    """The column to ORDER BY for a ``sortBy`` attribute path (single-valued only)."""
    key = sort_by.strip().lower()
    for prefix in (USER_URN + ":", GROUP_URN + ":", ENTERPRISE_URN + ":"):
        if key.startswith(prefix):
            key = key[len(prefix):]
    if key in ("emails", "emails.value") and attrs is USER_ATTRS:
        return sa.select(sa.func.min(E.c.value_norm)).where(E.c.user_id == U.c.id) \
            .scalar_subquery()
    target = attrs.get(key)
    if not isinstance(target, Attr):
        raise InvalidFilter(f"sorting by {sort_by!r} is not supported")
    return target.column
