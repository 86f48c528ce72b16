"""Tests for the SCIM attribute registry and the discovery documents."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest
from scim2_models import (
    Context,
    EnterpriseUser,
    Extension,
    Group,
    ListResponse,
    Resource,
    ResourceType,
    Schema,
    ServiceProviderConfig,
    User,
)

from scim_adapter import discovery
from scim_adapter.discovery import ServiceLimits
from scim_adapter.schema import (
    COMMON_ATTRIBUTES,
    CORE_GROUP,
    CORE_USER,
    ENTERPRISE_USER,
    ENTERPRISE_USER_SCHEMA,
    GROUP_SCHEMA,
    GROUP_SCHEMAS,
    LIST_RESPONSE,
    RESOURCE_TYPE_SCHEMA,
    SCHEMA_SCHEMA,
    SCHEMAS,
    SPC_SCHEMA,
    USER_SCHEMA,
    USER_SCHEMAS,
    AttributeDef,
    SchemaDef,
    find_attribute,
    schema_by_id,
)

BASE = "https://iam.example.com/scim/v2/tenants/acme"
# The context a SCIM client validates GET responses in.
QUERY_RESPONSE = Context.RESOURCE_QUERY_RESPONSE


def _attr(schema: SchemaDef, name: str, sub: str | None = None) -> AttributeDef:
    found = find_attribute([schema.id], schema.id, name, sub)
    assert found is not None, (schema.id, name, sub)
    return found


def _some(attr: AttributeDef | None) -> AttributeDef:
    assert attr is not None
    return attr


def _rendered(doc: dict[str, Any], name: str) -> dict[str, Any]:
    matches: list[dict[str, Any]] = [a for a in doc["attributes"] if a["name"] == name]
    assert len(matches) == 1, name
    return matches[0]


def _sub_names(attr: AttributeDef) -> list[str]:
    return [sub.name for sub in attr.sub_attributes]


# ---------------------------------------------------------------------------
# Registry: constants
# ---------------------------------------------------------------------------


def test_urn_constants() -> None:
    assert USER_SCHEMA == "urn:ietf:params:scim:schemas:core:2.0:User"
    assert GROUP_SCHEMA == "urn:ietf:params:scim:schemas:core:2.0:Group"
    assert ENTERPRISE_USER_SCHEMA == "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
    assert LIST_RESPONSE == "urn:ietf:params:scim:api:messages:2.0:ListResponse"
    assert SPC_SCHEMA == "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
    assert RESOURCE_TYPE_SCHEMA == "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
    assert SCHEMA_SCHEMA == "urn:ietf:params:scim:schemas:core:2.0:Schema"
    assert USER_SCHEMAS == (USER_SCHEMA, ENTERPRISE_USER_SCHEMA)
    assert GROUP_SCHEMAS == (GROUP_SCHEMA,)
    assert [s.id for s in SCHEMAS] == [USER_SCHEMA, ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA]


def test_message_urns() -> None:
    from scim_adapter import schema

    messages = {
        "Error": schema.ERROR,
        "PatchOp": schema.PATCH_OP,
        "BulkRequest": schema.BULK_REQUEST,
        "BulkResponse": schema.BULK_RESPONSE,
        "SearchRequest": schema.SEARCH_REQUEST,
    }
    for name, urn in messages.items():
        assert urn == f"urn:ietf:params:scim:api:messages:2.0:{name}"


# ---------------------------------------------------------------------------
# Registry: Core User
# ---------------------------------------------------------------------------


def test_core_user_attribute_names_in_rfc_order() -> None:
    assert [a.name for a in CORE_USER.attributes] == [
        "userName",
        "name",
        "displayName",
        "nickName",
        "profileUrl",
        "title",
        "userType",
        "preferredLanguage",
        "locale",
        "timezone",
        "active",
        "password",
        "emails",
        "phoneNumbers",
        "ims",
        "photos",
        "addresses",
        "groups",
        "entitlements",
        "roles",
        "x509Certificates",
    ]
    assert _sub_names(_attr(CORE_USER, "name")) == [
        "formatted",
        "familyName",
        "givenName",
        "middleName",
        "honorificPrefix",
        "honorificSuffix",
    ]


def test_user_name() -> None:
    user_name = _attr(CORE_USER, "userName")
    assert user_name.type == "string"
    assert user_name.required is True
    assert user_name.case_exact is False
    assert user_name.uniqueness == "server"
    assert user_name.mutability == "readWrite"
    assert user_name.returned == "default"


def test_password_is_write_only_and_never_returned() -> None:
    password = _attr(CORE_USER, "password")
    assert password.mutability == "writeOnly"
    assert password.returned == "never"
    assert password.case_exact is False  # as in RFC 7643 §8.7.1


def test_groups_are_read_only() -> None:
    groups = _attr(CORE_USER, "groups")
    assert groups.multi_valued is True
    assert groups.mutability == "readOnly"
    assert _sub_names(groups) == ["value", "$ref", "display", "type"]
    assert all(sub.mutability == "readOnly" for sub in groups.sub_attributes)
    ref = _attr(CORE_USER, "groups", "$ref")
    assert ref.type == "reference"
    assert ref.reference_types == ("User", "Group")
    assert _attr(CORE_USER, "groups", "type").canonical_values == ("direct", "indirect")


@pytest.mark.parametrize(
    ("attribute", "canonical"),
    [
        ("emails", ("work", "home", "other")),
        ("phoneNumbers", ("work", "home", "mobile", "fax", "pager", "other")),
        ("ims", ("aim", "gtalk", "icq", "xmpp", "msn", "skype", "qq", "yahoo")),
        ("photos", ("photo", "thumbnail")),
        ("addresses", ("work", "home", "other")),
        ("entitlements", ()),
        ("roles", ()),
        ("x509Certificates", ()),
    ],
)
def test_multi_valued_type_canonical_values(attribute: str, canonical: tuple[str, ...]) -> None:
    attr = _attr(CORE_USER, attribute)
    assert attr.type == "complex"
    assert attr.multi_valued is True
    assert _attr(CORE_USER, attribute, "type").canonical_values == canonical
    primary = _attr(CORE_USER, attribute, "primary")
    assert primary.type == "boolean"
    assert primary.multi_valued is False


def test_multi_valued_sub_attributes() -> None:
    for name in ("emails", "phoneNumbers", "ims", "photos", "entitlements", "roles"):
        assert _sub_names(_attr(CORE_USER, name)) == ["value", "display", "type", "primary"]
    assert _sub_names(_attr(CORE_USER, "addresses")) == [
        "formatted",
        "streetAddress",
        "locality",
        "region",
        "postalCode",
        "country",
        "type",
        "primary",
    ]
    assert _attr(CORE_USER, "x509Certificates", "value").type == "binary"
    photo = _attr(CORE_USER, "photos", "value")
    assert (photo.type, photo.reference_types) == ("reference", ("external",))
    profile = _attr(CORE_USER, "profileUrl")
    assert (profile.type, profile.reference_types) == ("reference", ("external",))


def test_active_is_boolean() -> None:
    active = _attr(CORE_USER, "active")
    assert (active.type, active.multi_valued, active.required) == ("boolean", False, False)


# ---------------------------------------------------------------------------
# Registry: Enterprise User and Group
# ---------------------------------------------------------------------------


def test_enterprise_user() -> None:
    assert [a.name for a in ENTERPRISE_USER.attributes] == [
        "employeeNumber",
        "costCenter",
        "organization",
        "division",
        "department",
        "manager",
    ]
    manager = _attr(ENTERPRISE_USER, "manager")
    assert manager.type == "complex"
    assert manager.multi_valued is False
    assert _sub_names(manager) == ["value", "$ref", "displayName"]

    value = _attr(ENTERPRISE_USER, "manager", "value")
    assert value.case_exact is True  # verified erratum 8472: it holds an id
    assert value.required is False
    assert value.mutability == "readWrite"

    ref = _attr(ENTERPRISE_USER, "manager", "$ref")
    assert (ref.type, ref.reference_types, ref.required) == ("reference", ("User",), False)

    display_name = _attr(ENTERPRISE_USER, "manager", "displayName")
    assert display_name.mutability == "readOnly"


def test_group() -> None:
    assert [a.name for a in CORE_GROUP.attributes] == ["displayName", "members"]
    display_name = _attr(CORE_GROUP, "displayName")
    assert display_name.required is True
    assert display_name.uniqueness == "server"  # Tessera: unique per tenant
    assert display_name.case_exact is False

    members = _attr(CORE_GROUP, "members")
    assert (members.type, members.multi_valued, members.mutability) == (
        "complex",
        True,
        "readWrite",
    )
    assert _sub_names(members) == ["value", "$ref", "type", "display"]
    assert _attr(CORE_GROUP, "members", "value").mutability == "immutable"
    ref = _attr(CORE_GROUP, "members", "$ref")
    assert (ref.mutability, ref.reference_types) == ("immutable", ("User", "Group"))
    member_type = _attr(CORE_GROUP, "members", "type")
    assert (member_type.mutability, member_type.canonical_values) == (
        "immutable",
        ("User", "Group"),
    )
    assert _attr(CORE_GROUP, "members", "display").mutability == "readOnly"


@pytest.mark.parametrize(
    ("ours", "model"), [(CORE_USER, User), (ENTERPRISE_USER, EnterpriseUser), (CORE_GROUP, Group)]
)
def test_structure_matches_scim2_models(ours: SchemaDef, model: Any) -> None:
    """Same attributes and sub-attributes, in the same order, as scim2-models' own models."""
    theirs = model.to_schema()
    assert theirs.id == ours.id
    assert [(a.name, [s.name for s in a.sub_attributes or []]) for a in theirs.attributes] == [
        (a.name, _sub_names(a)) for a in ours.attributes
    ]


# ---------------------------------------------------------------------------
# Registry: common attributes
# ---------------------------------------------------------------------------


def test_common_attributes() -> None:
    by_name = {a.name: a for a in COMMON_ATTRIBUTES}
    assert list(by_name) == ["id", "externalId", "meta"]

    id_ = by_name["id"]
    assert (id_.case_exact, id_.mutability, id_.returned, id_.uniqueness) == (
        True,
        "readOnly",
        "always",
        "server",
    )
    external_id = by_name["externalId"]
    assert (external_id.case_exact, external_id.mutability) == (True, "readWrite")

    meta = by_name["meta"]
    assert (meta.type, meta.mutability) == ("complex", "readOnly")
    assert _sub_names(meta) == ["resourceType", "created", "lastModified", "location", "version"]
    assert all(sub.mutability == "readOnly" for sub in meta.sub_attributes)
    assert meta.sub_attribute("created") is not None
    assert _some(meta.sub_attribute("lastModified")).type == "dateTime"
    assert _some(meta.sub_attribute("location")).type == "reference"


def test_common_attributes_are_not_listed_in_schemas() -> None:
    for schema in SCHEMAS:
        names = {a.name.lower() for a in schema.attributes}
        assert names.isdisjoint({"id", "externalid", "meta", "schemas"}), schema.id


# ---------------------------------------------------------------------------
# Registry: lookups
# ---------------------------------------------------------------------------


def test_find_attribute_is_case_insensitive() -> None:
    user_name = CORE_USER.attribute("userName")
    assert find_attribute(USER_SCHEMAS, None, "userName", None) is user_name
    assert find_attribute(USER_SCHEMAS, None, "USERNAME", None) is user_name
    assert find_attribute(USER_SCHEMAS, None, "username", None) is user_name


def test_find_attribute_sub_attribute() -> None:
    value = find_attribute([USER_SCHEMA, ENTERPRISE_USER_SCHEMA], None, "emails", "value")
    assert value is not None
    assert value is _some(CORE_USER.attribute("emails")).sub_attribute("value")
    assert find_attribute(USER_SCHEMAS, None, "EMAILS", "VALUE") is value
    assert _some(find_attribute(USER_SCHEMAS, None, "name", "GivenName")).name == "givenName"
    assert _some(find_attribute(GROUP_SCHEMAS, None, "members", "$REF")).name == "$ref"


def test_find_attribute_with_urn() -> None:
    ent_user = USER_SCHEMA.upper()
    assert find_attribute(USER_SCHEMAS, ent_user, "userName", None) is CORE_USER.attribute(
        "userName"
    )
    employee = find_attribute(USER_SCHEMAS, ENTERPRISE_USER_SCHEMA.lower(), "EMPLOYEENUMBER", None)
    assert employee is ENTERPRISE_USER.attribute("employeeNumber")
    manager_value = find_attribute(USER_SCHEMAS, ENTERPRISE_USER_SCHEMA, "manager", "value")
    assert manager_value is not None and manager_value.case_exact is True
    # An extension attribute is also found unqualified (lenient, like most providers).
    assert find_attribute(USER_SCHEMAS, None, "department", None) is ENTERPRISE_USER.attribute(
        "department"
    )


def test_find_attribute_urn_must_match_the_attribute_schema() -> None:
    assert find_attribute(USER_SCHEMAS, USER_SCHEMA, "employeeNumber", None) is None
    assert find_attribute(USER_SCHEMAS, ENTERPRISE_USER_SCHEMA, "userName", None) is None
    # The enterprise URN is not part of the Group resource type.
    assert find_attribute(GROUP_SCHEMAS, ENTERPRISE_USER_SCHEMA, "manager", None) is None
    assert find_attribute(USER_SCHEMAS, "urn:example:unknown", "userName", None) is None


def test_find_attribute_urn_prefix_inside_attr() -> None:
    user_name = CORE_USER.attribute("userName")
    assert find_attribute(USER_SCHEMAS, None, f"{USER_SCHEMA}:userName", None) is user_name
    assert find_attribute(
        USER_SCHEMAS, None, f"{ENTERPRISE_USER_SCHEMA.upper()}:manager.value", None
    ) is _some(ENTERPRISE_USER.attribute("manager")).sub_attribute("value")
    assert find_attribute(USER_SCHEMAS, None, "name.familyName", None) is _attr(
        CORE_USER, "name", "familyName"
    )


def test_find_attribute_common_attributes() -> None:
    id_ = find_attribute(USER_SCHEMAS, None, "ID", None)
    assert id_ is not None and id_.case_exact is True and id_.returned == "always"
    assert find_attribute(GROUP_SCHEMAS, None, "externalId", None) is COMMON_ATTRIBUTES[1]
    last_modified = find_attribute(GROUP_SCHEMAS, None, "meta", "LASTMODIFIED")
    assert last_modified is not None and last_modified.type == "dateTime"
    # Qualified by the core resource URN (RFC 7644 §3.10 allows fully qualified names).
    assert find_attribute(USER_SCHEMAS, USER_SCHEMA, "meta", "created") is not None
    assert find_attribute(GROUP_SCHEMAS, None, f"{GROUP_SCHEMA}:id", None) is COMMON_ATTRIBUTES[0]
    # ...but not by an extension URN.
    assert find_attribute(USER_SCHEMAS, ENTERPRISE_USER_SCHEMA, "id", None) is None


def test_find_attribute_unknown_returns_none() -> None:
    assert find_attribute(USER_SCHEMAS, None, "nope", None) is None
    assert find_attribute(USER_SCHEMAS, None, "emails", "nope") is None
    assert find_attribute(USER_SCHEMAS, None, "userName", "value") is None  # not complex
    assert find_attribute(GROUP_SCHEMAS, None, "userName", None) is None
    assert find_attribute(USER_SCHEMAS, None, "members", None) is None
    assert find_attribute([], None, "userName", None) is None
    assert find_attribute(["urn:example:unknown"], None, "userName", None) is None
    assert find_attribute(USER_SCHEMAS, None, "", None) is None
    assert find_attribute(USER_SCHEMAS, None, f"{USER_SCHEMA}:", None) is None


def test_schema_by_id() -> None:
    assert schema_by_id(USER_SCHEMA) is CORE_USER
    assert schema_by_id(ENTERPRISE_USER_SCHEMA.upper()) is ENTERPRISE_USER
    assert schema_by_id(GROUP_SCHEMA.lower()) is CORE_GROUP
    assert schema_by_id(SPC_SCHEMA) is None
    assert schema_by_id("") is None


# ---------------------------------------------------------------------------
# Registry: invariants
# ---------------------------------------------------------------------------


def test_definitions_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        CORE_USER.attributes[0].required = False  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        CORE_USER.id = "x"  # type: ignore[misc]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"name": "a", "type": "text"},
        {"name": "a", "type": "string", "mutability": "readonly"},
        {"name": "a", "type": "string", "returned": "sometimes"},
        {"name": "a", "type": "string", "uniqueness": "tenant"},
        {"name": "", "type": "string"},
        {"name": "a", "type": "string", "reference_types": ("User",)},
        {"name": "a", "type": "complex"},
        {
            "name": "a",
            "type": "string",
            "sub_attributes": (AttributeDef(name="b", type="string"),),
        },
        {
            "name": "a",
            "type": "complex",
            "sub_attributes": (
                AttributeDef(
                    name="b",
                    type="complex",
                    sub_attributes=(AttributeDef(name="c", type="string"),),
                ),
            ),
        },
        {
            "name": "a",
            "type": "complex",
            "sub_attributes": (
                AttributeDef(name="value", type="string"),
                AttributeDef(name="VALUE", type="string"),
            ),
        },
    ],
)
def test_invalid_attribute_definitions_are_rejected(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        AttributeDef(**kwargs)


def test_duplicate_schema_attributes_are_rejected() -> None:
    with pytest.raises(ValueError, match="duplicate"):
        SchemaDef(
            id="urn:example:x",
            name="X",
            description="",
            attributes=(AttributeDef("title", "string"), AttributeDef("Title", "string")),
        )


def test_every_attribute_has_a_description() -> None:
    def walk(attrs: tuple[AttributeDef, ...]) -> list[AttributeDef]:
        return [x for a in attrs for x in (a, *walk(a.sub_attributes))]

    every = walk(COMMON_ATTRIBUTES) + [a for s in SCHEMAS for a in walk(s.attributes)]
    assert all(a.description for a in every), [a.name for a in every if not a.description]


# ---------------------------------------------------------------------------
# /ServiceProviderConfig
# ---------------------------------------------------------------------------


def test_service_provider_config_validates_with_scim2_models() -> None:
    doc = discovery.service_provider_config(BASE, ServiceLimits())
    spc = ServiceProviderConfig.model_validate(doc, scim_ctx=QUERY_RESPONSE)
    # scim2-models forbids unknown keys, and the round trip proves nothing was
    # dropped or renamed.
    assert spc.model_dump(scim_ctx=QUERY_RESPONSE) == doc
    assert spc.patch is not None and spc.patch.supported is True
    assert spc.bulk is not None and spc.bulk.max_operations == 1000
    assert spc.pagination is not None and spc.pagination.cursor is True


def test_service_provider_config_flags() -> None:
    limits = ServiceLimits(max_results=250, bulk_max_operations=50, bulk_max_payload_size=2048)
    doc = discovery.service_provider_config(BASE, limits)
    assert doc["schemas"] == [SPC_SCHEMA]
    assert "id" not in doc  # RFC 7643 §5: no id for the SPC
    assert "documentationUri" not in doc
    assert doc["patch"] == {"supported": True}
    assert doc["bulk"] == {"supported": True, "maxOperations": 50, "maxPayloadSize": 2048}
    assert doc["filter"] == {"supported": True, "maxResults": 250}
    assert doc["changePassword"] == {"supported": True}
    assert doc["sort"] == {"supported": True}
    assert doc["etag"] == {"supported": True}
    for value in (
        doc["bulk"]["maxOperations"],
        doc["bulk"]["maxPayloadSize"],
        doc["filter"]["maxResults"],
    ):
        assert type(value) is int
    assert doc["authenticationSchemes"] == [
        {
            "type": "oauthbearertoken",
            "name": "OAuth Bearer Token",
            "description": "Authentication with the integration's secret token as a bearer token",
            "specUri": "https://www.rfc-editor.org/info/rfc6750",
            "primary": True,
        }
    ]
    assert doc["meta"] == {
        "resourceType": "ServiceProviderConfig",
        "location": f"{BASE}/ServiceProviderConfig",
    }


def test_service_provider_config_pagination() -> None:
    doc = discovery.service_provider_config(BASE, ServiceLimits())
    assert doc["pagination"] == {
        "cursor": True,
        "index": True,
        "defaultPaginationMethod": "index",
        "defaultPageSize": 100,
        "maxPageSize": 1000,
        "cursorTimeout": 3600,
    }
    # The default page size never exceeds the cap.
    small = discovery.service_provider_config(BASE, ServiceLimits(max_results=20))
    assert small["pagination"]["defaultPageSize"] == 20
    assert small["pagination"]["maxPageSize"] == 20
    ServiceProviderConfig.model_validate(small, scim_ctx=QUERY_RESPONSE)


def test_service_provider_config_documentation_uri_and_trailing_slash() -> None:
    limits = ServiceLimits(documentation_uri="https://docs.example.com/scim")
    doc = discovery.service_provider_config(BASE + "/", limits)
    assert doc["documentationUri"] == "https://docs.example.com/scim"
    assert doc["meta"]["location"] == f"{BASE}/ServiceProviderConfig"
    spc = ServiceProviderConfig.model_validate(doc, scim_ctx=QUERY_RESPONSE)
    assert spc.model_dump(scim_ctx=QUERY_RESPONSE) == doc


@pytest.mark.parametrize(
    "kwargs",
    [
        {"max_results": 0},
        {"max_results": -1},
        {"bulk_max_operations": 0},
        {"bulk_max_payload_size": -5},
        {"max_results": True},
    ],
)
def test_service_limits_must_be_positive(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        ServiceLimits(**kwargs)


# ---------------------------------------------------------------------------
# /ResourceTypes
# ---------------------------------------------------------------------------


def test_resource_types_validate_with_scim2_models() -> None:
    docs = discovery.resource_types(BASE)
    assert [d["id"] for d in docs] == ["User", "Group"]
    for doc in docs:
        model = ResourceType.model_validate(doc, scim_ctx=QUERY_RESPONSE)
        assert model.model_dump(scim_ctx=QUERY_RESPONSE) == doc


def test_resource_type_user() -> None:
    doc = discovery.resource_type(BASE, "User")
    assert doc == {
        "schemas": [RESOURCE_TYPE_SCHEMA],
        "id": "User",
        "name": "User",
        "endpoint": "/Users",
        "description": "User Account",
        "schema": USER_SCHEMA,
        "schemaExtensions": [{"schema": ENTERPRISE_USER_SCHEMA, "required": False}],
        "meta": {"resourceType": "ResourceType", "location": f"{BASE}/ResourceTypes/User"},
    }
    model = ResourceType.model_validate(doc, scim_ctx=QUERY_RESPONSE)
    assert model.schema_extensions is not None
    assert [str(ext.schema_) for ext in model.schema_extensions] == [ENTERPRISE_USER_SCHEMA]
    assert model.schema_extensions[0].required is False


def test_resource_type_group() -> None:
    doc = discovery.resource_type(BASE, "Group")
    assert doc is not None
    assert (doc["endpoint"], doc["schema"], doc["description"]) == (
        "/Groups",
        GROUP_SCHEMA,
        "Group",
    )
    assert "schemaExtensions" not in doc
    assert doc["meta"]["location"] == f"{BASE}/ResourceTypes/Group"
    assert doc == discovery.resource_types(BASE)[1]


def test_resource_type_lookup_is_exact() -> None:
    assert discovery.resource_type(BASE, "user") is None
    assert discovery.resource_type(BASE, "Users") is None
    assert discovery.resource_type(BASE, "Schema") is None


# ---------------------------------------------------------------------------
# /Schemas
# ---------------------------------------------------------------------------


def test_schemas_validate_with_scim2_models() -> None:
    docs = discovery.schemas(BASE)
    assert [d["id"] for d in docs] == [USER_SCHEMA, ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA]
    assert [d["name"] for d in docs] == ["User", "EnterpriseUser", "Group"]
    for doc in docs:
        model = Schema.model_validate(doc, scim_ctx=QUERY_RESPONSE)
        assert model.model_dump(scim_ctx=QUERY_RESPONSE) == doc
        assert doc["schemas"] == [SCHEMA_SCHEMA]
        assert doc["meta"] == {"resourceType": "Schema", "location": f"{BASE}/Schemas/{doc['id']}"}


def test_schema_document_lookup() -> None:
    assert discovery.schema_document(BASE, USER_SCHEMA) == discovery.schemas(BASE)[0]
    upper = discovery.schema_document(BASE, ENTERPRISE_USER_SCHEMA.upper())
    assert upper is not None and upper["id"] == ENTERPRISE_USER_SCHEMA
    assert discovery.schema_document(BASE, SPC_SCHEMA) is None
    assert discovery.schema_document(BASE, "User") is None


def test_rendered_attribute_shape() -> None:
    user = discovery.schema_document(BASE, USER_SCHEMA)
    assert user is not None
    user_name = _rendered(user, "userName")
    assert list(user_name) == [
        "name",
        "type",
        "multiValued",
        "description",
        "required",
        "caseExact",
        "mutability",
        "returned",
        "uniqueness",
    ]
    assert (user_name["caseExact"], user_name["uniqueness"], user_name["required"]) == (
        False,
        "server",
        True,
    )
    password = _rendered(user, "password")
    assert (password["mutability"], password["returned"]) == ("writeOnly", "never")

    emails = _rendered(user, "emails")
    assert emails["multiValued"] is True
    assert "canonicalValues" not in emails and "referenceTypes" not in emails
    email_type = next(s for s in emails["subAttributes"] if s["name"] == "type")
    assert email_type["canonicalValues"] == ["work", "home", "other"]
    assert "subAttributes" not in email_type

    groups = _rendered(user, "groups")
    assert groups["mutability"] == "readOnly"
    ref = next(s for s in groups["subAttributes"] if s["name"] == "$ref")
    assert ref["referenceTypes"] == ["User", "Group"]
    assert list(ref)[-1] == "referenceTypes"

    for name in ("id", "externalId", "meta"):
        assert all(a["name"] != name for a in user["attributes"])


def test_rendered_group_and_enterprise() -> None:
    group = discovery.schema_document(BASE, GROUP_SCHEMA)
    assert group is not None
    members = _rendered(group, "members")
    subs = {s["name"]: s for s in members["subAttributes"]}
    assert subs["value"]["mutability"] == "immutable"
    assert subs["$ref"]["referenceTypes"] == ["User", "Group"]
    assert subs["display"]["mutability"] == "readOnly"

    enterprise = discovery.schema_document(BASE, ENTERPRISE_USER_SCHEMA)
    assert enterprise is not None
    manager = _rendered(enterprise, "manager")
    assert [s["name"] for s in manager["subAttributes"]] == ["value", "$ref", "displayName"]
    assert manager["subAttributes"][2]["mutability"] == "readOnly"


FULL_USER: dict[str, Any] = {
    "schemas": [USER_SCHEMA, ENTERPRISE_USER_SCHEMA],
    "id": "2819c223-7f76-453a-919d-413861904646",
    "externalId": "701984",
    "userName": "bjensen@example.com",
    "password": "t1meMa$heen",
    "name": {"familyName": "Jensen", "givenName": "Barbara"},
    "emails": [{"value": "bjensen@example.com", "type": "work", "primary": True}],
    "addresses": [{"type": "work", "country": "US", "primary": True}],
    "groups": [{"value": "e9e30dba", "$ref": "https://example.com/v2/Groups/e9e30dba"}],
    ENTERPRISE_USER_SCHEMA: {
        "employeeNumber": "701984",
        "manager": {"value": "26118915-6090-4610-87e4-49d8ca9f808d", "displayName": "John Smith"},
    },
    "meta": {"resourceType": "User", "location": "https://example.com/v2/Users/2819c223"},
}


def test_schema_documents_build_a_working_scim2_model() -> None:
    """A client building its models from our /Schemas gets the RFC semantics."""
    docs = {d["id"]: Schema.model_validate(d) for d in discovery.schemas(BASE)}
    user_model = Resource.from_schema(docs[USER_SCHEMA])
    enterprise_model = Extension.from_schema(docs[ENTERPRISE_USER_SCHEMA])
    model = user_model[enterprise_model]  # type: ignore[index]

    user = model.model_validate(FULL_USER)
    returned = user.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE)
    assert "password" not in returned  # returned: never
    assert returned["userName"] == "bjensen@example.com"
    assert returned[ENTERPRISE_USER_SCHEMA]["manager"]["displayName"] == "John Smith"

    sent = user.model_dump(scim_ctx=Context.RESOURCE_CREATION_REQUEST)
    assert sent["password"] == "t1meMa$heen"
    assert "groups" not in sent  # readOnly
    assert "id" not in sent
    assert "displayName" not in sent[ENTERPRISE_USER_SCHEMA]["manager"]  # readOnly

    group_model = Resource.from_schema(docs[GROUP_SCHEMA])
    group = group_model.model_validate(
        {"schemas": [GROUP_SCHEMA], "displayName": "Tour Guides", "members": [{"value": "1"}]}
    )
    assert group.model_dump()["members"] == [{"value": "1"}]


# ---------------------------------------------------------------------------
# ListResponse, determinism
# ---------------------------------------------------------------------------


def test_list_response() -> None:
    resources = discovery.schemas(BASE)
    doc = discovery.list_response(resources)
    assert doc["schemas"] == [LIST_RESPONSE]
    assert (doc["totalResults"], doc["startIndex"], doc["itemsPerPage"]) == (3, 1, 3)
    assert all(type(doc[k]) is int for k in ("totalResults", "startIndex", "itemsPerPage"))
    assert doc["Resources"] == resources
    assert doc["Resources"] is not resources

    parsed = ListResponse[Schema].model_validate(doc, scim_ctx=QUERY_RESPONSE)
    assert parsed.total_results == 3
    assert [r.id for r in parsed.resources or []] == [
        USER_SCHEMA,
        ENTERPRISE_USER_SCHEMA,
        GROUP_SCHEMA,
    ]

    types = ListResponse[ResourceType].model_validate(
        discovery.list_response(discovery.resource_types(BASE)), scim_ctx=QUERY_RESPONSE
    )
    assert [r.id for r in types.resources or []] == ["User", "Group"]

    empty = discovery.list_response([])
    assert (empty["totalResults"], empty["itemsPerPage"], empty["Resources"]) == (0, 0, [])
    ListResponse[Schema].model_validate(empty, scim_ctx=QUERY_RESPONSE)


def test_documents_are_deterministic_json() -> None:
    def render() -> str:
        return json.dumps(
            {
                "spc": discovery.service_provider_config(BASE, ServiceLimits()),
                "types": discovery.resource_types(BASE),
                "schemas": discovery.schemas(BASE),
            }
        )

    first = render()
    assert render() == first
    assert json.loads(first)["schemas"][0]["attributes"][0]["name"] == "userName"


def test_documents_are_fresh_copies() -> None:
    doc = discovery.schema_document(BASE, USER_SCHEMA)
    assert doc is not None
    doc["attributes"][0]["subAttributes"] = "mutated"
    doc["attributes"].clear()
    spc = discovery.service_provider_config(BASE, ServiceLimits())
    spc["bulk"]["maxOperations"] = -1

    again = discovery.schema_document(BASE, USER_SCHEMA)
    assert again is not None and again["attributes"][0]["name"] == "userName"
    assert discovery.service_provider_config(BASE, ServiceLimits())["bulk"]["maxOperations"] == 1000
