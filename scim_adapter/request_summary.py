"""What a SCIM request changed, as counts and ids only, for the provisioning request log.

Built from the parsed request and the result, never by copying a body: no attribute values,
so no password, token or personal data can reach the log through here.
"""

from __future__ import annotations

from typing import Any

_RESOURCES = {"users": "User", "groups": "Group", "bulk": "Bulk"}


def _resource(path: str) -> tuple[str | None, str | None]:
    parts = [p for p in path.split("/") if p]
    if not parts:
        return None, None
    kind = _RESOURCES.get(parts[0].lower())
    return kind, (parts[1][:64] if kind in ("User", "Group") and len(parts) > 1 else None)


def _member_counts(operations: list[Any]) -> dict[str, int]:
    added = removed = 0
    for op in operations:
        if not isinstance(op, dict):
            continue
        verb = str(op.get("op", "")).lower()
        path = str(op.get("path", "")).lower()
        value = op.get("value")
        if not path.startswith("members"):
            continue
        n = len(value) if isinstance(value, list) else 1
        if verb == "add":
            added += n
        elif verb == "remove":
            removed += n
        elif verb == "replace":
            added += n if isinstance(value, list) else 0
    return {"membersAdded": added, "membersRemoved": removed}


def _bulk(body: dict[str, Any] | None, result: dict[str, Any] | None) -> dict[str, Any]:
    ops = body.get("Operations") if isinstance(body, dict) else None
    out: dict[str, Any] = {"operations": len(ops) if isinstance(ops, list) else 0}
    done = result.get("Operations") if isinstance(result, dict) else None
    if isinstance(done, list):
        statuses = [str(o.get("status", "")) for o in done if isinstance(o, dict)]
        out["failed"] = sum(1 for s in statuses if not s.startswith("2"))
    return out


def summarize(method: str, path: str, body: Any, status: int,
              result: dict[str, Any] | None) -> dict[str, Any]:
    kind, resource_id = _resource(path)
    out: dict[str, Any] = {}
    if kind is not None:
        out["resourceType"] = kind
    if kind == "Bulk":
        return out | _bulk(body, result)
    if resource_id is None and method == "POST" and status == 201 and isinstance(result, dict):
        resource_id = str(result.get("id", ""))[:64] or None
    if resource_id is not None:
        out["resourceId"] = resource_id
    if method == "PATCH" and isinstance(body, dict):
        ops = body.get("Operations")
        if isinstance(ops, list):
            out["operations"] = len(ops)
            if kind == "Group":
                out |= _member_counts(ops)
    if method == "PUT" and kind == "Group" and isinstance(body, dict):
        members = body.get("members")
        if isinstance(members, list):
            out["members"] = len(members)
    return out
