"""PATCH engine (RFC 7644 §3.5.2): pure functions, no I/O.

User PATCH rewrites a copy of the user's flat SCIM dict and re-validates it, raising before
anything is written. Group PATCH is turned into ONE ``GroupChange`` of member deltas, so its
cost never grows with the size of the group. Tolerances follow idp-behaviors.md §5.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from backend.domain import filters as f
from backend.domain.queries import GroupChange, UserDraft
from scim_adapter import mapping
from scim_adapter.errors import ScimError, invalid_path, invalid_value
from scim_adapter.schema import (
    CORE_USER,
    ENTERPRISE_USER,
    ENTERPRISE_USER_SCHEMA,
    GROUP_SCHEMA,
    PATCH_OP,
    USER_SCHEMA,
    USER_SCHEMAS,
    AttributeDef,
    find_attribute,
)

OPS = ("add", "replace", "remove")
_IGNORED = {"schemas", "meta", "groups"}


@dataclass(frozen=True, slots=True)
class Op:
    op: str
    path: str | None
    value: Any


def parse_ops(body: dict[str, Any]) -> list[Op]:
    schemas = body.get("schemas")
    if isinstance(schemas, list) and schemas and PATCH_OP not in schemas:
        raise invalid_value(f"a PATCH body must use the {PATCH_OP} schema")
    raw = body.get("Operations", body.get("operations"))
    if not isinstance(raw, list) or not raw:
        raise invalid_value("Operations must be a non-empty list")
    ops: list[Op] = []
    for item in raw:
        if not isinstance(item, dict):
            raise invalid_value("each operation must be an object")
        low = {str(k).lower(): v for k, v in item.items()}
        name = low.get("op")
        if not isinstance(name, str) or name.lower() not in OPS:
            raise invalid_value(f"unsupported PATCH op {name!r}")
        path = low.get("path")
        if path is not None and (not isinstance(path, str)):
            raise invalid_path("path must be a string")
        if isinstance(path, str) and not path.strip():
            path = None
        op = Op(name.lower(), path, low.get("value"))
        if op.op == "remove" and op.path is None:
            raise ScimError(400, "remove needs a path", "noTarget")
        if op.op != "remove" and op.path is None and not isinstance(op.value, dict):
            raise invalid_value("an operation without path needs an object value")
        ops.append(op)
    return ops


def _parse_path(text: str) -> f.PatchPath:
    try:
        return f.parse_patch_path(text)
    except f.FilterError as exc:
        raise invalid_path(f"invalid path {text!r}: {exc}") from None


# ---------------------------------------------------------------- value filters on dicts


def _get(element: dict[str, Any], name: str) -> Any:
    low = name.lower()
    return next((v for k, v in element.items() if k.lower() == low), None)


def _compare(actual: Any, op: str, expected: Any, case_exact: bool) -> bool:
    if op == "pr":
        return actual not in (None, "", [], {})
    if isinstance(actual, str) and isinstance(expected, str):
        a, e = (actual, expected) if case_exact else (actual.lower(), expected.lower())
        if op == "eq":
            return a == e
        if op == "ne":
            return a != e
        if op == "co":
            return e in a
        if op == "sw":
            return a.startswith(e)
        if op == "ew":
            return a.endswith(e)
        if op in ("gt", "ge", "lt", "le"):
            return {"gt": a > e, "ge": a >= e, "lt": a < e, "le": a <= e}[op]
        return False
    if isinstance(actual, bool) or isinstance(expected, bool):
        if isinstance(actual, str):
            actual = actual.lower() == "true"
        return (actual == expected) if op == "eq" else (actual != expected) if op == "ne" else False
    if op == "eq":
        return bool(actual == expected)
    if op == "ne":
        return bool(actual != expected)
    return False


def matches(node: f.Filter, element: dict[str, Any], case_exact_value: bool = False) -> bool:
    """Evaluate a value filter on one element of a multi-valued attribute."""
    if isinstance(node, f.And):
        return (matches(node.left, element, case_exact_value)
                and matches(node.right, element, case_exact_value))
    if isinstance(node, f.Or):
        return (matches(node.left, element, case_exact_value)
                or matches(node.right, element, case_exact_value))
    if isinstance(node, f.Not):
        return not matches(node.expr, element, case_exact_value)
    if isinstance(node, f.Present):
        return _compare(_get(element, node.path.attr), "pr", None, False)
    if isinstance(node, f.Compare):
        exact = case_exact_value and node.path.attr.lower() == "value"
        return _compare(_get(element, node.path.attr), node.op, node.value, exact)
    return False


def _seed(node: f.Filter) -> dict[str, Any]:
    """The element an ``add``/``replace`` creates when its value filter matches nothing."""
    if isinstance(node, f.Compare) and node.op == "eq":
        return {node.path.attr: node.value}
    if isinstance(node, f.And):
        return {**_seed(node.left), **_seed(node.right)}
    raise invalid_path("no element matches the filter and it cannot create one")


# ------------------------------------------------------------------------------- users


def _check_id(value: dict[str, Any], resource_id: str | None) -> None:
    """Okta and authentik repeat the read-only ``id`` inside a path-less value: ignored when it
    matches, refused otherwise (RFC 7644 §3.5.2: read-only attributes cannot be modified)."""
    sent = next((v for k, v in value.items() if str(k).lower() == "id"), resource_id)
    if resource_id is not None and sent != resource_id:
        raise ScimError(400, "id is read-only and does not match the resource", "mutability")


def apply_user_patch(
    draft: UserDraft, ops: list[Op], resource_id: str | None = None
) -> UserDraft:
    """Apply every op to a copy of ``draft``; any invalid op raises, nothing is half-applied."""
    doc = copy.deepcopy(mapping.flat_from_draft(draft))
    for op in ops:
        if op.path is None:
            assert isinstance(op.value, dict)
            _check_id(op.value, resource_id)
            _pathless(doc, op)
        else:
            _apply_path(doc, op.op, _parse_path(op.path), op.value)
    external = doc.pop("externalId", None)
    if external is not None and not isinstance(external, str):
        raise invalid_value("externalId must be a string")
    flat = mapping.normalise_user(doc)
    if external is not None:
        flat["externalId"] = external
    if "active" not in flat:  # removed (or never set): unset, which counts as active
        return mapping.draft_from_flat(flat, default_active=None)
    return mapping.draft_from_flat(flat, default_active=draft.active)


def _pathless(doc: dict[str, Any], op: Op) -> None:
    assert isinstance(op.value, dict)
    for key, value in op.value.items():
        low = str(key).lower()
        if low in _IGNORED or low == "id":
            continue  # read-only; an ``id`` inside a value is ignored
        if low == ENTERPRISE_USER_SCHEMA.lower() and isinstance(value, dict):
            for sub_key, sub_value in value.items():
                if str(sub_key).lower() == "schemas":
                    continue
                path = _parse_path(f"{ENTERPRISE_USER_SCHEMA}:{sub_key}")
                _apply_path(doc, op.op, path, sub_value)
            continue
        _apply_path(doc, op.op, _parse_path(str(key)), value)


def _container(doc: dict[str, Any], uri: str | None, create: bool) -> dict[str, Any] | None:
    if uri is not None and uri.lower() == ENTERPRISE_USER_SCHEMA.lower():
        ext = doc.get(mapping.ENT_KEY)
        if not isinstance(ext, dict):
            if not create:
                return None
            ext = doc[mapping.ENT_KEY] = {}
        return ext
    if uri is not None and uri.lower() != USER_SCHEMA.lower():
        raise invalid_path(f"unknown schema {uri!r}")
    return doc


def _attr(path: f.AttrPath) -> AttributeDef:
    found = find_attribute(USER_SCHEMAS, path.uri, path.attr, None)
    if found is None:
        raise invalid_path(f"unknown attribute {path.attr!r}")
    if found.mutability == "readOnly":
        raise ScimError(400, f"{found.name} is read-only", "mutability")
    return found


def _apply_path(doc: dict[str, Any], op: str, path: f.PatchPath, value: Any) -> None:
    ap = path.attr
    if ap.attr == "":  # a bare extension URN: the whole extension object
        if ap.uri is None or ap.uri.lower() != ENTERPRISE_USER_SCHEMA.lower():
            raise invalid_path(f"unsupported schema path {ap.uri!r}")
        if op == "remove":
            doc.pop(mapping.ENT_KEY, None)
            return
        if not isinstance(value, dict):
            raise invalid_value("the extension value must be an object")
        for key, sub_value in value.items():
            if str(key).lower() != "schemas":
                _apply_path(doc, op, _parse_path(f"{ENTERPRISE_USER_SCHEMA}:{key}"), sub_value)
        return
    attr = _attr(ap)
    uri = ap.uri
    if uri is None and CORE_USER.attribute(attr.name) is None \
            and ENTERPRISE_USER.attribute(attr.name) is attr:
        uri = ENTERPRISE_USER_SCHEMA  # Entra's "path": "manager" names the extension attribute
    target = _container(doc, uri, create=op != "remove")
    if target is None:
        return
    name = attr.name
    if path.value_filter is not None:
        _filtered(target, op, attr, path, value)
        return
    sub_name = ap.sub_attr
    if sub_name is not None:
        sub = attr.sub_attribute(sub_name)
        if sub is None or attr.multi_valued:
            raise invalid_path(f"unknown attribute {name}.{sub_name}")
        parent = target.get(name)
        if op == "remove":
            if isinstance(parent, dict):
                parent.pop(sub.name, None)
            return
        if not isinstance(parent, dict):
            parent = target[name] = {}
        parent[sub.name] = value
        return
    if op == "remove":
        if attr.multi_valued and value is not None:  # remove the listed elements only
            drop = value if isinstance(value, list) else [value]
            target[name] = [e for e in target.get(name) or [] if e not in drop]
        else:
            target.pop(name, None)
        return
    if value is None:
        target.pop(name, None)
        return
    if not attr.multi_valued and isinstance(value, list) and len(value) == 1:
        value = value[0]  # Entra sends its manager as a one-element list
    if attr.multi_valued:
        new = value if isinstance(value, list) else [value]
        if op == "add":
            current = list(target.get(name) or [])
            target[name] = current + [v for v in new if v not in current]
        else:
            target[name] = new
    elif attr.type == "complex" and isinstance(value, dict):
        existing = target.get(name)
        merged = dict(existing) if isinstance(existing, dict) else {}
        merged.update(value)
        target[name] = merged
    else:
        target[name] = value


def _filtered(
    target: dict[str, Any], op: str, attr: AttributeDef, path: f.PatchPath, value: Any
) -> None:
    if not attr.multi_valued or attr.type != "complex":
        raise invalid_path(f"{attr.name} is not a multi-valued complex attribute")
    assert path.value_filter is not None
    elements = [e for e in (target.get(attr.name) or []) if isinstance(e, dict)]
    hits = [e for e in elements if matches(path.value_filter, e)]
    sub: str | None = None
    if path.sub_attr is not None:
        found = attr.sub_attribute(path.sub_attr)
        if found is None:
            raise invalid_path(f"unknown attribute {attr.name}.{path.sub_attr}")
        sub = found.name
    if op == "remove":
        if sub is None:
            elements = [e for e in elements if e not in hits]
        else:
            for e in hits:
                e.pop(sub, None)
        target[attr.name] = elements
        return
    if not hits:  # add (and replace) create the element, e.g. emails[type eq "work"].value
        element = _seed(path.value_filter)
        elements.append(element)
        hits = [element]
    for e in hits:
        if sub is not None:
            e[sub] = value
        elif isinstance(value, dict):
            e.update(value)
        else:
            raise invalid_value(f"{attr.name} elements must be objects")
    target[attr.name] = elements


# ------------------------------------------------------------------------------ groups


@dataclass
class _GroupDelta:
    display_name: str | None = None
    external_id: str | None = None
    set_external_id: bool = False
    add: list[str] = field(default_factory=list)
    remove: list[str] = field(default_factory=list)
    replace: list[str] | None = None

    def add_members(self, ids: list[str]) -> None:
        if self.replace is not None:
            self.replace += [i for i in ids if i not in self.replace]
            return
        self.add += [i for i in ids if i not in self.add]
        self.remove = [i for i in self.remove if i not in ids]

    def remove_members(self, ids: list[str]) -> None:
        if self.replace is not None:
            self.replace = [i for i in self.replace if i not in ids]
            return
        self.remove += [i for i in ids if i not in self.remove]
        self.add = [i for i in self.add if i not in ids]

    def change(self) -> GroupChange:
        return GroupChange(
            display_name=self.display_name, external_id=self.external_id,
            set_external_id=self.set_external_id, add_members=tuple(self.add),
            remove_members=tuple(self.remove),
            replace_members=None if self.replace is None else tuple(self.replace))


def _eq_values(node: f.Filter) -> list[str]:
    """``value eq "a" or value eq "b"`` -> ["a", "b"]; anything else is refused."""
    if isinstance(node, f.Or):
        return _eq_values(node.left) + _eq_values(node.right)
    if (isinstance(node, f.Compare) and node.op == "eq" and node.path.attr.lower() == "value"
            and isinstance(node.value, str)):
        return [node.value]
    raise invalid_path('member filters must be of the form value eq "<id>"')


def group_change(ops: list[Op], resource_id: str | None = None) -> GroupChange:
    delta = _GroupDelta()
    for op in ops:
        if op.path is None:
            assert isinstance(op.value, dict)
            _check_id(op.value, resource_id)
            for key, value in op.value.items():
                _group_attr(delta, op.op, str(key), value, None)
            continue
        path = _parse_path(op.path)
        ap = path.attr
        if ap.uri is not None and ap.uri.lower() != GROUP_SCHEMA.lower():
            raise invalid_path(f"unknown schema {ap.uri!r}")
        if path.value_filter is not None:
            if ap.attr.lower() != "members" or op.op != "remove" or path.sub_attr:
                raise invalid_path(f"unsupported path {op.path!r}")
            delta.remove_members(_eq_values(path.value_filter))
            continue
        if ap.sub_attr is not None:
            raise invalid_path(f"unsupported path {op.path!r}")
        _group_attr(delta, op.op, ap.attr, op.value, op.path)
    return delta.change()


def _group_attr(delta: _GroupDelta, op: str, key: str, value: Any, path: str | None) -> None:
    low = key.lower()
    if low in _IGNORED or low == "id":
        return
    if low == "members":
        if op == "remove":
            if value is None or value == []:
                delta.replace = []  # remove without a value removes every member
                delta.add, delta.remove = [], []
            else:
                delta.remove_members(mapping.member_ids(value))
        elif op == "add":
            delta.add_members(mapping.member_ids(value))
        else:
            delta.replace = mapping.member_ids(value)
            delta.add, delta.remove = [], []
        return
    if low == "displayname":
        if op == "remove" or not isinstance(value, str):
            raise ScimError(400, "displayName is required", "mutability" if op == "remove"
                            else "invalidValue")
        delta.display_name = value
        return
    if low == "externalid":
        if op != "remove" and value is not None and not isinstance(value, str):
            raise invalid_value("externalId must be a string")
        delta.external_id = None if op == "remove" else value
        delta.set_external_id = True
        return
    if path is not None:
        raise invalid_path(f"unknown attribute {key!r}")
    # unknown keys in a path-less value object are ignored (e.g. other schema URNs)
