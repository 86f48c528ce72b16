"""``POST /Bulk`` (RFC 7644 §3.7): each operation is its own service call and savepoint, and
the whole request is one transaction (``Database.atomic``)."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from scim_adapter.errors import ScimError, invalid_value, to_scim
from scim_adapter.handlers import Call, Result, dispatch
from scim_adapter.schema import BULK_REQUEST, BULK_RESPONSE

_REF = re.compile(r"bulkId:([A-Za-z0-9._~-]+)")
_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


class _Unresolved(Exception):
    pass


def _resolve(value: Any, ids: dict[str, str]) -> Any:
    if isinstance(value, str):
        def sub(m: re.Match[str]) -> str:
            if m.group(1) not in ids:
                raise _Unresolved(m.group(1))
            return ids[m.group(1)]
        return _REF.sub(sub, value)
    if isinstance(value, list):
        return [_resolve(v, ids) for v in value]
    if isinstance(value, dict):
        return {k: _resolve(v, ids) for k, v in value.items()}
    return value


async def run_bulk(call: Call) -> Result:
    body = call.body
    if not isinstance(body, dict):
        raise ScimError(400, "the request body must be a JSON object", "invalidSyntax")
    schemas = body.get("schemas")
    if isinstance(schemas, list) and schemas and BULK_REQUEST not in schemas:
        raise invalid_value(f"a Bulk body must use the {BULK_REQUEST} schema")
    ops = body.get("Operations")
    if not isinstance(ops, list):
        raise invalid_value("Operations must be a list")
    if len(ops) > call.limits.bulk_max_operations:
        raise ScimError(413, f"at most {call.limits.bulk_max_operations} operations per "
                        "Bulk request", "tooMany")
    fail_on = body.get("failOnErrors")
    if fail_on is not None and (isinstance(fail_on, bool) or not isinstance(fail_on, int)
                                or fail_on < 1):
        raise invalid_value("failOnErrors must be a positive integer")
    ids: dict[str, str] = {}
    results: list[dict[str, Any]] = []
    errors = 0
    # One transaction for the whole request, one savepoint per operation: an operation that
    # fails is undone alone (RFC 7644 §3.7 semantics), and a crash mid-request leaves none of
    # it. The price: on SQLite the request holds the single writer until it is done, which the
    # operation and payload limits bound.
    async with call.ctx.db.atomic():
        for raw in ops:
            if fail_on is not None and errors >= fail_on:
                break
            outcome = await _one(call, raw, ids)
            if int(outcome["status"]) >= 400:
                errors += 1
            results.append(outcome)
    return Result(200, {"schemas": [BULK_RESPONSE], "Operations": results})


async def _one(call: Call, raw: Any, ids: dict[str, str]) -> dict[str, Any]:
    op = raw if isinstance(raw, dict) else {}
    method = str(op.get("method", "")).upper()
    bulk_id = op.get("bulkId")
    out: dict[str, Any] = {"method": method}
    if isinstance(bulk_id, str):
        out["bulkId"] = bulk_id
    try:
        if method not in _METHODS:
            raise invalid_value(f"unsupported Bulk method {op.get('method')!r}")
        path = op.get("path")
        if not isinstance(path, str) or not path.startswith("/"):
            raise invalid_value("each Bulk operation needs a path such as /Users")
        if method == "POST" and not isinstance(bulk_id, str):
            raise invalid_value("a Bulk POST needs a bulkId")
        try:
            path = _resolve(path, ids)
            data = _resolve(op.get("data"), ids)
        except _Unresolved as exc:
            raise ScimError(409, f"bulkId {exc.args[0]!r} is not resolved",
                            "invalidValue") from None
        headers = {"if-match": op["version"]} if isinstance(op.get("version"), str) else {}
        result = await dispatch(replace(call, method=method, path=path.split("?")[0],
                                        body=data, headers=headers, query={}))
    except Exception as exc:  # each operation fails on its own
        err = to_scim(exc)
        out["status"] = str(err.status)
        out["response"] = err.body()
        return out
    out["status"] = str(result.status)
    location = result.headers.get("Location") or (result.body or {}).get("meta", {}).get(
        "location")
    if location:
        out["location"] = location
    if "ETag" in result.headers:
        out["version"] = result.headers["ETag"]
    if method == "POST" and isinstance(bulk_id, str) and result.body:
        ids[bulk_id] = str(result.body["id"])
    return out
