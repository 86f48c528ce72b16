"""An OpenAPI 3.1 description of the SCIM door, served at ``{SCIM base}/openapi.json``.

It exists for tooling (schemathesis in tests/hostile, client generators), so request schemas
are permissive where SCIM is (unknown attributes are allowed and ignored) and carry the bounds
of :mod:`backend.domain.limits`. Responses are described loosely: the SCIM ``/Schemas``
endpoint stays the authority on resource attributes.
"""

from __future__ import annotations

from typing import Any

from backend.domain import limits
from backend.domain.filters import MAX_FILTER_LENGTH
from scim_adapter.schema import (
    BULK_REQUEST,
    ERROR,
    GROUP_SCHEMA,
    PATCH_OP,
    SEARCH_REQUEST,
    USER_SCHEMA,
)

SCIM_JSON = "application/scim+json"
_IDENT = {"type": "string", "minLength": 1, "maxLength": limits.MAX_IDENTIFIER_LENGTH}
_TEXT = {"type": "string", "maxLength": limits.MAX_STRING_LENGTH}
_REF = "#/components/schemas/"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": _REF + name}


def _schemas_list(urn: str) -> dict[str, Any]:
    return {"type": "array", "items": {"type": "string", "enum": [urn]}, "minItems": 1}


_COMPONENTS: dict[str, Any] = {
    "Error": {
        "type": "object", "required": ["schemas", "status"],
        "properties": {"schemas": _schemas_list(ERROR), "status": {"type": "string"},
                       "scimType": {"type": "string"}, "detail": {"type": "string"}},
    },
    "Resource": {"type": "object", "description": "A SCIM resource (see /Schemas)"},
    "ListResponse": {
        "type": "object", "required": ["schemas", "totalResults"],
        "properties": {"totalResults": {"type": "integer"},
                       "Resources": {"type": "array", "items": _ref("Resource")}},
    },
    "User": {
        "type": "object", "required": ["schemas", "userName"],
        "properties": {
            "schemas": {"type": "array", "items": {"type": "string"}, "minItems": 1,
                        "contains": {"const": USER_SCHEMA}},
            "userName": _IDENT, "externalId": _IDENT, "displayName": _IDENT,
            "active": {"type": "boolean"},
            "name": {"type": "object", "properties": {"givenName": _TEXT,
                                                      "familyName": _TEXT}},
            "emails": {"type": "array", "items": {
                "type": "object", "properties": {"value": _TEXT, "type": _TEXT,
                                                 "primary": {"type": "boolean"}}}},
        },
    },
    "Group": {
        "type": "object", "required": ["schemas", "displayName"],
        "properties": {
            "schemas": _schemas_list(GROUP_SCHEMA),
            "displayName": _IDENT, "externalId": _IDENT,
            "members": {"type": "array", "items": {
                "type": "object", "required": ["value"],
                "properties": {"value": {"type": "string", "minLength": 1}}}},
        },
    },
    "PatchOp": {
        "type": "object", "required": ["schemas", "Operations"],
        "properties": {
            "schemas": _schemas_list(PATCH_OP),
            "Operations": {"type": "array", "minItems": 1, "items": {
                "type": "object", "required": ["op"],
                "properties": {
                    "op": {"type": "string", "enum": ["add", "replace", "remove"]},
                    "path": {"type": "string", "maxLength": MAX_FILTER_LENGTH},
                    "value": {},
                }}},
        },
    },
    "SearchRequest": {
        "type": "object", "required": ["schemas"],
        "properties": {
            "schemas": _schemas_list(SEARCH_REQUEST),
            "filter": {"type": "string", "maxLength": MAX_FILTER_LENGTH},
            "startIndex": {"type": "integer"}, "count": {"type": "integer"},
            "sortBy": _TEXT, "sortOrder": {"type": "string",
                                           "enum": ["ascending", "descending"]},
            "attributes": {"type": "array", "items": _TEXT},
            "excludedAttributes": {"type": "array", "items": _TEXT},
        },
    },
    "BulkRequest": {
        "type": "object", "required": ["schemas", "Operations"],
        "properties": {
            "schemas": _schemas_list(BULK_REQUEST),
            "failOnErrors": {"type": "integer", "minimum": 1},
            "Operations": {"type": "array", "items": {
                "type": "object", "required": ["method", "path"],
                "properties": {
                    "method": {"type": "string",
                               "enum": ["POST", "PUT", "PATCH", "DELETE"]},
                    "path": {"type": "string", "maxLength": 1024},
                    "bulkId": {"type": "string", "maxLength": 255},
                    "data": {"type": "object"},
                }}},
        },
    },
}

_LIST_PARAMS: list[dict[str, Any]] = [
    {"name": "filter", "in": "query", "schema": {"type": "string",
                                                   "maxLength": MAX_FILTER_LENGTH}},
    {"name": "startIndex", "in": "query", "schema": {"type": "integer"}},
    {"name": "count", "in": "query", "schema": {"type": "integer"}},
    {"name": "sortBy", "in": "query", "schema": {"type": "string"}},
    {"name": "sortOrder", "in": "query",
     "schema": {"type": "string", "enum": ["ascending", "descending"]}},
    {"name": "attributes", "in": "query", "schema": {"type": "string"}},
    {"name": "excludedAttributes", "in": "query", "schema": {"type": "string"}},
]
_ID_PARAM = {"name": "id", "in": "path", "required": True,
             "schema": {"type": "string", "minLength": 1, "pattern": "^[^/?#]+$"}}


def _body(schema: str) -> dict[str, Any]:
    return {"required": True, "content": {SCIM_JSON: {"schema": _ref(schema)}}}


def _responses(ok: str, schema: str | None) -> dict[str, Any]:
    error = {"description": "SCIM error", "content": {SCIM_JSON: {"schema": _ref("Error")}}}
    success: dict[str, Any] = {"description": "success"}
    if schema is not None:
        success["content"] = {SCIM_JSON: {"schema": _ref(schema)}}
    return {ok: success, "default": error}


def _op(summary: str, ok: str = "200", out: str | None = "Resource",
        body: str | None = None, params: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    op: dict[str, Any] = {"summary": summary, "responses": _responses(ok, out)}
    if body is not None:
        op["requestBody"] = _body(body)
    if params:
        op["parameters"] = params
    return op


def _resource_paths(kind: str, schema: str) -> dict[str, Any]:
    item = f"/{kind}/{{id}}"
    return {
        f"/{kind}": {
            "get": _op(f"List or filter {kind}", out="ListResponse", params=_LIST_PARAMS),
            "post": _op(f"Create a {schema}", "201", body=schema),
        },
        f"/{kind}/.search": {"post": _op(f"Search {kind}", out="ListResponse",
                                         body="SearchRequest")},
        item: {
            "parameters": [_ID_PARAM],
            "get": _op(f"Get a {schema}"),
            "put": _op(f"Replace a {schema}", body=schema),
            "patch": _op(f"Patch a {schema}", body="PatchOp"),
            "delete": _op(f"Delete a {schema}", "204", out=None),
        },
    }


def document(server_url: str) -> dict[str, Any]:
    """The OpenAPI document for one SCIM base (``server_url`` is that base)."""
    paths: dict[str, Any] = {
        **_resource_paths("Users", "User"),
        **_resource_paths("Groups", "Group"),
        "/.search": {"post": _op("Search all resources", out="ListResponse",
                                 body="SearchRequest")},
        "/Bulk": {"post": _op("Bulk operations", body="BulkRequest")},
        "/ServiceProviderConfig": {"get": _op("Service provider configuration")},
        "/ResourceTypes": {"get": _op("Resource types", out="ListResponse")},
        "/ResourceTypes/{id}": {"parameters": [_ID_PARAM], "get": _op("One resource type")},
        "/Schemas": {"get": _op("Schemas", out="ListResponse")},
        "/Schemas/{id}": {"parameters": [_ID_PARAM], "get": _op("One schema")},
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "Tessera SCIM 2.0", "version": "2.0",
                 "description": "SCIM 2.0 (RFC 7643/7644) provisioning door of one "
                                "integration. Input limits: see backend/domain/limits.py."},
        "servers": [{"url": server_url}],
        "security": [{"bearerAuth": []}],
        "paths": paths,
        "components": {
            "schemas": _COMPONENTS,
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
        },
    }
