"""The ONLY place SCIM JSON for User and Group is built, and where User input is normalised."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from backend.domain.errors import InvalidValue
from backend.domain.models import Group, GroupMember, TenantUser
from backend.domain.queries import UserDraft
from scim_adapter.schema import (
    CORE_USER,
    ENTERPRISE_USER,
    ENTERPRISE_USER_SCHEMA,
    GROUP_SCHEMA,
    USER_SCHEMA,
    AttributeDef,
    SchemaDef,
)

ENT_KEY = ENTERPRISE_USER_SCHEMA
_SKIP_INPUT = {"id", "meta", "groups", "schemas"}
# Kept on the membership row, not in the profile.
_FIXED = {"username", "externalid", "active", "password"}


@dataclass(frozen=True, slots=True)
class Urls:
    """The SCIM base of the current request (absolute)."""

    base: str

    def user(self, user_id: str) -> str:
        return f"{self.base}/Users/{user_id}"

    def group(self, group_id: str) -> str:
        return f"{self.base}/Groups/{group_id}"


def _ts(value: datetime) -> str:
    return value.isoformat()


def _meta(kind: str, created: datetime, modified: datetime, location: str,
          version: str) -> dict[str, Any]:
    return {"resourceType": kind, "created": _ts(created), "lastModified": _ts(modified),
            "location": location, "version": version}


# ------------------------------------------------------------------------------ output


def user_resource(
    tu: TenantUser, urls: Urls, groups: Iterable[Group] | None = None
) -> dict[str, Any]:
    profile = dict(tu.user.profile)
    profile.pop("password", None)
    enterprise = profile.pop(ENT_KEY, None)
    schemas = [USER_SCHEMA] + ([ENT_KEY] if enterprise else [])
    doc: dict[str, Any] = {"schemas": schemas, "id": tu.id}
    if tu.external_id is not None:
        doc["externalId"] = tu.external_id
    doc["userName"] = tu.user.user_name
    for key, value in profile.items():
        if key.lower() not in _FIXED and key.lower() not in _SKIP_INPUT:
            doc[key] = value
    if tu.active is not None:  # unset after a SCIM "remove active"
        doc["active"] = tu.active
    if groups is not None:
        doc["groups"] = [{"value": g.id, "$ref": urls.group(g.id), "display": g.display_name,
                          "type": "direct"} for g in groups]
    if enterprise:
        doc[ENT_KEY] = enterprise
    doc["meta"] = _meta("User", tu.user.created_at, tu.last_modified, urls.user(tu.id), tu.etag)
    return doc


def member_entry(m: GroupMember, urls: Urls, display: bool = False) -> dict[str, Any]:
    entry: dict[str, Any] = {"value": m.user_id, "$ref": urls.user(m.user_id), "type": "User"}
    if display:
        entry["display"] = m.display_name or m.user_name
    return entry


def group_resource(
    group: Group, urls: Urls, members: Iterable[GroupMember] | None = None,
    member_display: bool = False,
) -> dict[str, Any]:
    doc: dict[str, Any] = {"schemas": [GROUP_SCHEMA], "id": group.id}
    if group.external_id is not None:
        doc["externalId"] = group.external_id
    doc["displayName"] = group.display_name
    if members is not None:
        doc["members"] = [member_entry(m, urls, member_display) for m in members]
    doc["meta"] = _meta("Group", group.created_at, group.updated_at, urls.group(group.id),
                        group.etag)
    return doc


# ------------------------------------------------------------------------------- input


def coerce_bool(value: Any, name: str) -> bool:
    """Booleans, and the strings "True"/"False" (any case) that Entra sends."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise InvalidValue(f"{name} must be a boolean", field=name)


def _scalar(attr: AttributeDef, value: Any, name: str) -> Any:
    if attr.type == "boolean":
        return coerce_bool(value, name)
    if attr.type in ("integer", "decimal"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InvalidValue(f"{name} must be a number", field=name)
        return value
    if not isinstance(value, str):
        raise InvalidValue(f"{name} must be a string", field=name)
    return value


def _complex(attr: AttributeDef, value: Any, name: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidValue(f"{name} must be an object", field=name)
    out: dict[str, Any] = {}
    for key, sub_value in value.items():
        sub = attr.sub_attribute(key)
        if sub is None or sub_value is None:
            continue  # unknown sub-attributes and explicit nulls are ignored
        out[sub.name] = _scalar(sub, sub_value, f"{name}.{sub.name}")
    return out


def normalise_attr(attr: AttributeDef, value: Any, name: str) -> Any:
    """Validate one attribute value and give its keys their canonical (schema) spelling."""
    if attr.multi_valued:
        items = value if isinstance(value, list) else [value]
        if attr.type == "complex":
            out = [_complex(attr, v, name) for v in items if v is not None]
            return [v for v in out if v]
        return [_scalar(attr, v, name) for v in items if v is not None]
    if attr.type == "complex":
        return _complex(attr, value, name)
    return _scalar(attr, value, name)


def _normalise_schema(schema: SchemaDef, body: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in body.items():
        attr = schema.attribute(key)
        if attr is None or value is None or attr.mutability == "readOnly":
            continue
        norm = normalise_attr(attr, value, attr.name)
        if norm not in ({}, []):
            out[attr.name] = norm
    return out


def normalise_user(body: dict[str, Any]) -> dict[str, Any]:
    """A SCIM User body as a flat dict with canonical keys (read-only and unknown dropped).

    Core attributes keep their names (``userName``, ``active``, ``password``, ...), the
    enterprise extension sits under its URN. URN-qualified core keys are accepted.
    """
    flat: dict[str, Any] = {}
    enterprise: dict[str, Any] = {}
    for key, value in body.items():
        if not isinstance(key, str) or value is None or key.lower() in _SKIP_INPUT:
            continue
        if key.lower() == ENT_KEY.lower():
            if not isinstance(value, dict):
                raise InvalidValue(f"{ENT_KEY} must be an object", field=ENT_KEY)
            enterprise.update(_normalise_schema(ENTERPRISE_USER, value))
            continue
        name = key
        if ":" in key:
            uri, _, name = key.rpartition(":")
            if uri.lower() == ENT_KEY.lower():
                enterprise.update(_normalise_schema(ENTERPRISE_USER, {name: value}))
                continue
            if uri.lower() != USER_SCHEMA.lower():
                continue  # unknown schema URNs (e.g. Entra's) are ignored
        if name.lower() in _SKIP_INPUT:
            continue
        flat.update(_normalise_schema(CORE_USER, {name: value}))
    if enterprise:
        flat[ENT_KEY] = enterprise
    return flat


def draft_from_flat(flat: dict[str, Any], *, default_active: bool | None = True) -> UserDraft:
    profile = dict(flat)
    user_name = profile.pop("userName", None)
    if not isinstance(user_name, str) or not user_name.strip():
        raise InvalidValue("userName is required", field="userName")
    external_id = profile.pop("externalId", None)
    if external_id is not None and not isinstance(external_id, str):
        raise InvalidValue("externalId must be a string", field="externalId")
    active = profile.pop("active", default_active)
    password = profile.pop("password", None)
    return UserDraft(user_name, profile, external_id,
                     None if active is None else bool(active), password)


def user_draft(body: dict[str, Any], before: UserDraft | None = None) -> UserDraft:
    """POST/PUT body -> UserDraft (``externalId`` is a common attribute, kept separately).

    A PUT without ``active`` keeps the current value (set or unset)."""
    flat = normalise_user(body)
    for key, value in body.items():
        if isinstance(key, str) and key.lower() == "externalid" and value is not None:
            if not isinstance(value, str):
                raise InvalidValue("externalId must be a string", field="externalId")
            flat["externalId"] = value
    return draft_from_flat(flat, default_active=True if before is None else before.active)


def flat_from_draft(draft: UserDraft) -> dict[str, Any]:
    flat: dict[str, Any] = dict(draft.profile)
    flat["userName"] = draft.user_name
    if draft.active is not None:
        flat["active"] = draft.active
    if draft.external_id is not None:
        flat["externalId"] = draft.external_id
    return flat


def member_ids(value: Any, name: str = "members") -> list[str]:
    """``[{"value": id}, ...]`` (or bare ids) -> ids; ``$ref`` and ``display`` are ignored."""
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    out: list[str] = []
    for item in items:
        if isinstance(item, dict):
            found = next((v for k, v in item.items() if k.lower() == "value"), None)
        else:
            found = item
        if not isinstance(found, str) or not found:
            raise InvalidValue(f"each of {name} needs a string value", field=name)
        if found not in out:
            out.append(found)
    return out
