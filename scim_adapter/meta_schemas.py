"""Schema documents for the discovery resources themselves (RFC 7643 §8.7.2).

Served next to the User/Group schemas at ``/Schemas`` so clients (scim2-tester) can validate
``/ServiceProviderConfig``, ``/ResourceTypes`` and ``/Schemas`` against published schemas.
"""

from __future__ import annotations

from typing import Any, Final

from scim_adapter.discovery import _render_schema
from scim_adapter.schema import (
    RESOURCE_TYPE_SCHEMA,
    SCHEMA_SCHEMA,
    SPC_SCHEMA,
    AttributeDef,
    SchemaDef,
)

_RO: Final = "readOnly"


def _s(name: str, required: bool = False, multi: bool = False, ref: str | None = None,
       case_exact: bool = False) -> AttributeDef:
    if ref is not None:
        return AttributeDef(name=name, type="reference", reference_types=(ref,),
                            required=required, multi_valued=multi, mutability=_RO,
                            case_exact=case_exact)
    return AttributeDef(name=name, type="string", required=required, multi_valued=multi,
                        mutability=_RO, case_exact=case_exact)


def _b(name: str, required: bool = True) -> AttributeDef:
    return AttributeDef(name=name, type="boolean", required=required, mutability=_RO)


def _i(name: str, required: bool = True) -> AttributeDef:
    return AttributeDef(name=name, type="integer", required=required, mutability=_RO)


def _c(name: str, *subs: AttributeDef, required: bool = False,
       multi: bool = False) -> AttributeDef:
    return AttributeDef(name=name, type="complex", required=required, multi_valued=multi,
                        mutability=_RO, sub_attributes=subs)


SPC: Final = SchemaDef(
    id=SPC_SCHEMA, name="ServiceProviderConfig",
    description="Schema for representing the service provider's configuration",
    attributes=(
        _s("documentationUri", ref="external"),
        _c("patch", _b("supported"), required=True),
        _c("bulk", _b("supported"), _i("maxOperations"), _i("maxPayloadSize"), required=True),
        _c("filter", _b("supported"), _i("maxResults"), required=True),
        _c("changePassword", _b("supported"), required=True),
        _c("sort", _b("supported"), required=True),
        _c("etag", _b("supported"), required=True),
        _c("authenticationSchemes", _s("type", required=True), _s("name", required=True),
           _s("description", required=True), _s("specUri", ref="external"),
           _s("documentationUri", ref="external"), _b("primary", required=False),
           required=True, multi=True),
        _c("pagination", _b("cursor", False), _b("index", False),
           _s("defaultPaginationMethod"), _i("defaultPageSize", False),
           _i("maxPageSize", False), _i("cursorTimeout", False)),
    ),
)

RESOURCE_TYPE: Final = SchemaDef(
    id=RESOURCE_TYPE_SCHEMA, name="ResourceType",
    description="Specifies the schema that describes a SCIM resource type",
    attributes=(
        _s("id"),
        _s("name", required=True),
        _s("description"),
        _s("endpoint", required=True, ref="uri"),
        _s("schema", required=True, ref="uri", case_exact=True),
        _c("schemaExtensions", _s("schema", required=True, ref="uri", case_exact=True),
           _b("required"), multi=True),
    ),
)

_ATTRIBUTE_SUBS: Final = (
    _s("name", required=True, case_exact=True), _s("type", required=True),
    _b("multiValued"), _s("description"), _b("required", False),
    _s("canonicalValues", multi=True, case_exact=True), _b("caseExact", False),
    _s("mutability", case_exact=True), _s("returned", case_exact=True),
    _s("uniqueness", case_exact=True), _s("referenceTypes", multi=True, case_exact=True),
)

SCHEMA: Final = SchemaDef(
    id=SCHEMA_SCHEMA, name="Schema",
    description="Specifies the schema attribute",
    attributes=(
        _s("id", required=True),
        _s("name"),
        _s("description"),
        _c("attributes", *_ATTRIBUTE_SUBS, required=True, multi=True),
        _c("subAttributes", *_ATTRIBUTE_SUBS, multi=True),
    ),
)

META_SCHEMAS: Final = (SPC, RESOURCE_TYPE, SCHEMA)


def meta_schemas(base_url: str) -> list[dict[str, Any]]:
    return [_render_schema(base_url, s) for s in META_SCHEMAS]


def meta_schema(base_url: str, urn: str) -> dict[str, Any] | None:
    for s in META_SCHEMAS:
        if s.id.lower() == urn.lower():
            return _render_schema(base_url, s)
    return None


__all__ = ["META_SCHEMAS", "meta_schema", "meta_schemas"]
