"""SCIM discovery documents (RFC 7644 §4) as plain JSON-able dicts.

``/ServiceProviderConfig``, ``/ResourceTypes`` and ``/Schemas`` are rendered
from the registry in :mod:`scim_adapter.schema`.  Every call builds fresh
dicts, so callers may mutate the result; key order and list order are fixed,
so the JSON output is byte-for-byte stable.

``base_url`` is the SCIM base URL of the tenant, e.g.
``https://iam.example.com/scim/v2/tenants/acme``; a trailing slash is ignored.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from scim_adapter.schema import (
    ENTERPRISE_USER_SCHEMA,
    GROUP_SCHEMA,
    LIST_RESPONSE,
    RESOURCE_TYPE_SCHEMA,
    SCHEMA_SCHEMA,
    SCHEMAS,
    SPC_SCHEMA,
    USER_SCHEMA,
    AttributeDef,
    SchemaDef,
    schema_by_id,
)

__all__ = [
    "CURSOR_TIMEOUT_SECONDS",
    "DEFAULT_PAGE_SIZE",
    "ServiceLimits",
    "list_response",
    "resource_type",
    "resource_types",
    "schema_document",
    "schemas",
    "service_provider_config",
]

DEFAULT_PAGE_SIZE: Final = 100
"""Page size used when a query has no ``count`` (capped by ``max_results``)."""

CURSOR_TIMEOUT_SECONDS: Final = 3600
"""Minimum lifetime of a pagination cursor between page requests (RFC 9865 §4)."""


@dataclass(frozen=True, slots=True)
class ServiceLimits:
    """Tenant-independent limits advertised in ``/ServiceProviderConfig``."""

    max_results: int = 1000  # filter.maxResults (page size cap)
    bulk_max_operations: int = 1000
    bulk_max_payload_size: int = 1048576
    documentation_uri: str | None = None

    def __post_init__(self) -> None:
        # RFC 9865 §4 requires maxPageSize to be a positive integer; the bulk
        # limits are meaningless otherwise too.  (bool is an int subclass.)
        for field in ("max_results", "bulk_max_operations", "bulk_max_payload_size"):
            value = getattr(self, field)
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"{field} must be a positive integer, got {value!r}")


@dataclass(frozen=True, slots=True)
class _ResourceTypeDef:
    id: str
    name: str
    endpoint: str
    description: str
    schema: str
    extensions: tuple[tuple[str, bool], ...]  # (schema URN, required)


# RFC 7643 §8.6.
_RESOURCE_TYPES: Final[tuple[_ResourceTypeDef, ...]] = (
    _ResourceTypeDef(
        id="User",
        name="User",
        endpoint="/Users",
        description="User Account",
        schema=USER_SCHEMA,
        extensions=((ENTERPRISE_USER_SCHEMA, False),),
    ),
    _ResourceTypeDef(
        id="Group",
        name="Group",
        endpoint="/Groups",
        description="Group",
        schema=GROUP_SCHEMA,
        extensions=(),
    ),
)


def _base(base_url: str) -> str:
    return base_url.rstrip("/")


def _meta(resource_type: str, location: str) -> dict[str, Any]:
    return {"resourceType": resource_type, "location": location}


# ---------------------------------------------------------------------------
# /ServiceProviderConfig (RFC 7643 §5, RFC 9865 §4)
# ---------------------------------------------------------------------------


def service_provider_config(base_url: str, limits: ServiceLimits) -> dict[str, Any]:
    """Render ``/ServiceProviderConfig``."""
    doc: dict[str, Any] = {"schemas": [SPC_SCHEMA]}
    if limits.documentation_uri is not None:
        doc["documentationUri"] = limits.documentation_uri
    doc.update(
        {
            "patch": {"supported": True},
            "bulk": {
                "supported": True,
                "maxOperations": limits.bulk_max_operations,
                "maxPayloadSize": limits.bulk_max_payload_size,
            },
            "filter": {"supported": True, "maxResults": limits.max_results},
            # There is no dedicated change-password flow, but "password" is a
            # writeOnly attribute that PUT and PATCH can set (RFC 7643 §4.1.1),
            # which is exactly what changePassword.supported advertises.
            "changePassword": {"supported": True},
            "sort": {"supported": True},
            "etag": {"supported": True},
            "authenticationSchemes": [
                {
                    "type": "oauthbearertoken",
                    "name": "OAuth Bearer Token",
                    "description": (
                        "Authentication with the integration's secret token as a bearer token"
                    ),
                    "specUri": "https://www.rfc-editor.org/info/rfc6750",
                    "primary": True,
                }
            ],
            # RFC 9865 §4: both pagination methods are supported, index by default.
            "pagination": {
                "cursor": True,
                "index": True,
                "defaultPaginationMethod": "index",
                "defaultPageSize": min(DEFAULT_PAGE_SIZE, limits.max_results),
                "maxPageSize": limits.max_results,
                "cursorTimeout": CURSOR_TIMEOUT_SECONDS,
            },
            "meta": _meta("ServiceProviderConfig", f"{_base(base_url)}/ServiceProviderConfig"),
        }
    )
    return doc


# ---------------------------------------------------------------------------
# /ResourceTypes (RFC 7643 §6)
# ---------------------------------------------------------------------------


def _render_resource_type(base_url: str, rt: _ResourceTypeDef) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "schemas": [RESOURCE_TYPE_SCHEMA],
        "id": rt.id,
        "name": rt.name,
        "endpoint": rt.endpoint,
        "description": rt.description,
        "schema": rt.schema,
    }
    if rt.extensions:
        doc["schemaExtensions"] = [
            {"schema": urn, "required": required} for urn, required in rt.extensions
        ]
    doc["meta"] = _meta("ResourceType", f"{_base(base_url)}/ResourceTypes/{rt.id}")
    return doc


def resource_types(base_url: str) -> list[dict[str, Any]]:
    """Render every resource type: User (with the enterprise extension), then Group."""
    return [_render_resource_type(base_url, rt) for rt in _RESOURCE_TYPES]


def resource_type(base_url: str, name: str) -> dict[str, Any] | None:
    """Render ``/ResourceTypes/{name}``; ``name`` is the exact id ("User", "Group")."""
    for rt in _RESOURCE_TYPES:
        if rt.id == name:
            return _render_resource_type(base_url, rt)
    return None


# ---------------------------------------------------------------------------
# /Schemas (RFC 7643 §7)
# ---------------------------------------------------------------------------


def _render_attribute(attr: AttributeDef) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "name": attr.name,
        "type": attr.type,
        "multiValued": attr.multi_valued,
        "description": attr.description,
        "required": attr.required,
        "caseExact": attr.case_exact,
        "mutability": attr.mutability,
        "returned": attr.returned,
        "uniqueness": attr.uniqueness,
    }
    if attr.canonical_values:
        doc["canonicalValues"] = list(attr.canonical_values)
    if attr.reference_types:
        doc["referenceTypes"] = list(attr.reference_types)
    if attr.type == "complex":
        doc["subAttributes"] = [_render_attribute(sub) for sub in attr.sub_attributes]
    return doc


def _render_schema(base_url: str, schema: SchemaDef) -> dict[str, Any]:
    return {
        "schemas": [SCHEMA_SCHEMA],
        "id": schema.id,
        "name": schema.name,
        "description": schema.description,
        "attributes": [_render_attribute(attr) for attr in schema.attributes],
        "meta": _meta("Schema", f"{_base(base_url)}/Schemas/{schema.id}"),
    }


def schemas(base_url: str) -> list[dict[str, Any]]:
    """Render every schema: Core User, Enterprise User, Group."""
    return [_render_schema(base_url, schema) for schema in SCHEMAS]


def schema_document(base_url: str, urn: str) -> dict[str, Any] | None:
    """Render ``/Schemas/{urn}``; the URN is matched case-insensitively."""
    schema = schema_by_id(urn)
    return None if schema is None else _render_schema(base_url, schema)


# ---------------------------------------------------------------------------
# ListResponse (RFC 7644 §3.4.2)
# ---------------------------------------------------------------------------


def list_response(resources: list[dict[str, Any]]) -> dict[str, Any]:
    """Wrap an unpaginated result set (such as the discovery lists) in a ListResponse."""
    return {
        "schemas": [LIST_RESPONSE],
        "totalResults": len(resources),
        "startIndex": 1,
        "itemsPerPage": len(resources),
        "Resources": list(resources),
    }
