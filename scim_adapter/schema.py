"""Typed registry of the SCIM attributes Tessera supports.

Pure data plus small lookup helpers: no I/O and no framework imports, so the
filter parser, the PATCH engine, the serializers and the discovery endpoints
(:mod:`scim_adapter.discovery`) can all share one definition.

The Core User, Enterprise User and Group definitions follow RFC 7643 §8.7.1
(with the verified errata applied), including its well-known quirks, e.g. the
"display" sub-attributes that are described as READ-ONLY but declared
``readWrite``, or ``caseExact: false`` on most "reference" attributes.  The
places where Tessera deliberately departs from the RFC text are marked
``Tessera:`` in the comments below.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

__all__ = [
    "BULK_REQUEST",
    "BULK_RESPONSE",
    "COMMON_ATTRIBUTES",
    "CORE_GROUP",
    "CORE_USER",
    "ENTERPRISE_USER",
    "ENTERPRISE_USER_SCHEMA",
    "ERROR",
    "GROUP_SCHEMA",
    "GROUP_SCHEMAS",
    "LIST_RESPONSE",
    "PATCH_OP",
    "RESOURCE_TYPE_SCHEMA",
    "SCHEMAS",
    "SCHEMA_SCHEMA",
    "SEARCH_REQUEST",
    "SPC_SCHEMA",
    "USER_SCHEMA",
    "USER_SCHEMAS",
    "AttributeDef",
    "SchemaDef",
    "find_attribute",
    "schema_by_id",
]

# ---------------------------------------------------------------------------
# Schema URNs
# ---------------------------------------------------------------------------

# Resource schemas (RFC 7643 §4, §8.7.1).
USER_SCHEMA: Final = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA: Final = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE_USER_SCHEMA: Final = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"

# Protocol messages (RFC 7644 §3).
LIST_RESPONSE: Final = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
ERROR: Final = "urn:ietf:params:scim:api:messages:2.0:Error"
PATCH_OP: Final = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
BULK_REQUEST: Final = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
BULK_RESPONSE: Final = "urn:ietf:params:scim:api:messages:2.0:BulkResponse"
SEARCH_REQUEST: Final = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"

# Discovery resources (RFC 7643 §5-§7).
SPC_SCHEMA: Final = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
RESOURCE_TYPE_SCHEMA: Final = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
SCHEMA_SCHEMA: Final = "urn:ietf:params:scim:schemas:core:2.0:Schema"

USER_SCHEMAS: Final = (USER_SCHEMA, ENTERPRISE_USER_SCHEMA)
GROUP_SCHEMAS: Final = (GROUP_SCHEMA,)

# ---------------------------------------------------------------------------
# Definitions
# ---------------------------------------------------------------------------

_TYPES: Final = frozenset(
    {"string", "boolean", "decimal", "integer", "dateTime", "reference", "complex", "binary"}
)
_MUTABILITIES: Final = frozenset({"readOnly", "readWrite", "immutable", "writeOnly"})
_RETURNED: Final = frozenset({"always", "never", "default", "request"})
_UNIQUENESS: Final = frozenset({"none", "server", "global"})


@dataclass(frozen=True, slots=True)
class AttributeDef:
    """One attribute (or sub-attribute) definition, RFC 7643 §7 "attributes"."""

    name: str
    type: str  # "string" | "boolean" | "decimal" | "integer" | "dateTime" | "reference" | ...
    multi_valued: bool = False
    required: bool = False
    case_exact: bool = False
    mutability: str = "readWrite"  # readOnly | readWrite | immutable | writeOnly
    returned: str = "default"  # always | never | default | request
    uniqueness: str = "none"  # none | server | global
    description: str = ""
    canonical_values: tuple[str, ...] = ()
    reference_types: tuple[str, ...] = ()
    sub_attributes: tuple[AttributeDef, ...] = ()

    def __post_init__(self) -> None:
        # Catch typos in the registry at import time rather than in production.
        if not self.name:
            raise ValueError("attribute name must not be empty")
        if self.type not in _TYPES:
            raise ValueError(f"{self.name}: unknown type {self.type!r}")
        if self.mutability not in _MUTABILITIES:
            raise ValueError(f"{self.name}: unknown mutability {self.mutability!r}")
        if self.returned not in _RETURNED:
            raise ValueError(f"{self.name}: unknown returned {self.returned!r}")
        if self.uniqueness not in _UNIQUENESS:
            raise ValueError(f"{self.name}: unknown uniqueness {self.uniqueness!r}")
        if self.reference_types and self.type != "reference":
            raise ValueError(f"{self.name}: referenceTypes on a non-reference attribute")
        if self.type == "complex":
            if not self.sub_attributes:
                raise ValueError(f"{self.name}: complex attribute without sub-attributes")
            for sub in self.sub_attributes:
                # RFC 7643 §2.3.8: a complex attribute MUST NOT contain sub-attributes
                # that have sub-attributes.
                if sub.type == "complex":
                    raise ValueError(f"{self.name}.{sub.name}: nested complex attribute")
            _check_unique_names(self.name, self.sub_attributes)
        elif self.sub_attributes:
            raise ValueError(f"{self.name}: sub-attributes on a non-complex attribute")

    def sub_attribute(self, name: str) -> AttributeDef | None:
        """Return the sub-attribute called ``name`` (case-insensitive), if any."""
        key = name.lower()
        for sub in self.sub_attributes:
            if sub.name.lower() == key:
                return sub
        return None


@dataclass(frozen=True, slots=True)
class SchemaDef:
    """A resource schema or schema extension, RFC 7643 §7."""

    id: str  # URN
    name: str
    description: str
    attributes: tuple[AttributeDef, ...]

    def __post_init__(self) -> None:
        _check_unique_names(self.id, self.attributes)

    def attribute(self, name: str) -> AttributeDef | None:
        """Return the top-level attribute called ``name`` (case-insensitive), if any."""
        key = name.lower()
        for attr in self.attributes:
            if attr.name.lower() == key:
                return attr
        return None


def _check_unique_names(owner: str, attributes: Sequence[AttributeDef]) -> None:
    # RFC 7643 §2.1: attribute names are case-insensitive.
    seen: set[str] = set()
    for attr in attributes:
        key = attr.name.lower()
        if key in seen:
            raise ValueError(f"{owner}: duplicate attribute {attr.name!r}")
        seen.add(key)


# ---------------------------------------------------------------------------
# Shared building blocks
# ---------------------------------------------------------------------------

_DISPLAY_DESCRIPTION: Final = (
    "A human-readable name, primarily used for display purposes.  READ-ONLY."
)
_TYPE_DESCRIPTION: Final = "A label indicating the attribute's function."


def _primary(example: str | None = None) -> AttributeDef:
    """The "primary" sub-attribute of a multi-valued attribute (RFC 7643 §2.4)."""
    detail = f", e.g., {example}" if example else ""
    return AttributeDef(
        name="primary",
        type="boolean",
        description=(
            "A Boolean value indicating the 'primary' or preferred attribute value for "
            f"this attribute{detail}.  The primary attribute value 'true' MUST appear no "
            "more than once."
        ),
    )


def _display(mutability: str = "readWrite") -> AttributeDef:
    # RFC quirk: the text says READ-ONLY, the declared mutability is readWrite
    # everywhere except in "groups".
    return AttributeDef(
        name="display", type="string", mutability=mutability, description=_DISPLAY_DESCRIPTION
    )


def _type(description: str = _TYPE_DESCRIPTION, *values: str) -> AttributeDef:
    return AttributeDef(
        name="type", type="string", description=description, canonical_values=values
    )


# ---------------------------------------------------------------------------
# Common attributes (RFC 7643 §3.1)
# ---------------------------------------------------------------------------

# Not part of any schema's "attributes" in /Schemas (RFC 7643 §3.1), but the
# filter, sort and PATCH layers need their characteristics (e.g. caseExact).
COMMON_ATTRIBUTES: Final[tuple[AttributeDef, ...]] = (
    AttributeDef(
        name="id",
        type="string",
        case_exact=True,
        mutability="readOnly",
        returned="always",
        uniqueness="server",
        description="A unique identifier for a SCIM resource as defined by the service provider.",
    ),
    AttributeDef(
        name="externalId",
        type="string",
        case_exact=True,
        description=(
            "A String that is an identifier for the resource as defined by the provisioning client."
        ),
    ),
    AttributeDef(
        name="meta",
        type="complex",
        mutability="readOnly",
        description="A complex attribute containing resource metadata.",
        sub_attributes=(
            AttributeDef(
                name="resourceType",
                type="string",
                case_exact=True,
                mutability="readOnly",
                description="The name of the resource type of the resource.",
            ),
            AttributeDef(
                name="created",
                type="dateTime",
                mutability="readOnly",
                description="The DateTime that the resource was added to the service provider.",
            ),
            AttributeDef(
                name="lastModified",
                type="dateTime",
                mutability="readOnly",
                description=(
                    "The most recent DateTime that the details of this resource were "
                    "updated at the service provider."
                ),
            ),
            AttributeDef(
                name="location",
                type="reference",
                reference_types=("uri",),
                case_exact=True,
                mutability="readOnly",
                description="The URI of the resource being returned.",
            ),
            AttributeDef(
                name="version",
                type="string",
                case_exact=True,
                mutability="readOnly",
                description="The version of the resource being returned.",
            ),
        ),
    ),
)

# ---------------------------------------------------------------------------
# Core User (RFC 7643 §4.1, §8.7.1)
# ---------------------------------------------------------------------------

CORE_USER: Final = SchemaDef(
    id=USER_SCHEMA,
    name="User",
    description="User Account",
    attributes=(
        AttributeDef(
            name="userName",
            type="string",
            required=True,
            case_exact=False,
            uniqueness="server",
            description=(
                "Unique identifier for the User, typically used by the user to directly "
                "authenticate to the service provider.  Each User MUST include a non-empty "
                "userName value.  This identifier MUST be unique across the service "
                "provider's entire set of Users.  REQUIRED."
            ),
        ),
        AttributeDef(
            name="name",
            type="complex",
            description=(
                "The components of the user's real name.  Providers MAY return just the "
                "full name as a single string in the formatted sub-attribute, or they MAY "
                "return just the individual component attributes using the other "
                "sub-attributes, or they MAY return both.  If both variants are returned, "
                "they SHOULD be describing the same name, with the formatted name "
                "indicating how the component attributes should be combined."
            ),
            sub_attributes=(
                AttributeDef(
                    name="formatted",
                    type="string",
                    description=(
                        "The full name, including all middle names, titles, and suffixes "
                        "as appropriate, formatted for display (e.g., 'Ms. Barbara J "
                        "Jensen, III')."
                    ),
                ),
                AttributeDef(
                    name="familyName",
                    type="string",
                    description=(
                        "The family name of the User, or last name in most Western "
                        "languages (e.g., 'Jensen' given the full name 'Ms. Barbara J "
                        "Jensen, III')."
                    ),
                ),
                AttributeDef(
                    name="givenName",
                    type="string",
                    description=(
                        "The given name of the User, or first name in most Western "
                        "languages (e.g., 'Barbara' given the full name 'Ms. Barbara J "
                        "Jensen, III')."
                    ),
                ),
                AttributeDef(
                    name="middleName",
                    type="string",
                    description=(
                        "The middle name(s) of the User (e.g., 'Jane' given the full name "
                        "'Ms. Barbara J Jensen, III')."
                    ),
                ),
                AttributeDef(
                    name="honorificPrefix",
                    type="string",
                    description=(
                        "The honorific prefix(es) of the User, or title in most Western "
                        "languages (e.g., 'Ms.' given the full name 'Ms. Barbara J Jensen, "
                        "III')."
                    ),
                ),
                AttributeDef(
                    name="honorificSuffix",
                    type="string",
                    description=(
                        "The honorific suffix(es) of the User, or suffix in most Western "
                        "languages (e.g., 'III' given the full name 'Ms. Barbara J Jensen, "
                        "III')."
                    ),
                ),
            ),
        ),
        AttributeDef(
            name="displayName",
            type="string",
            description=(
                "The name of the User, suitable for display to end-users.  The name SHOULD "
                "be the full name of the User being described, if known."
            ),
        ),
        AttributeDef(
            name="nickName",
            type="string",
            description=(
                "The casual way to address the user in real life, e.g., 'Bob' or 'Bobby' "
                "instead of 'Robert'.  This attribute SHOULD NOT be used to represent a "
                "User's username (e.g., 'bjensen' or 'mpepperidge')."
            ),
        ),
        AttributeDef(
            name="profileUrl",
            type="reference",
            reference_types=("external",),
            description=(
                "A fully qualified URL pointing to a page representing the User's online profile."
            ),
        ),
        AttributeDef(
            name="title",
            type="string",
            description='The user\'s title, such as "Vice President."',
        ),
        AttributeDef(
            name="userType",
            type="string",
            description=(
                "Used to identify the relationship between the organization and the user.  "
                "Typical values used might be 'Contractor', 'Employee', 'Intern', 'Temp', "
                "'External', and 'Unknown', but any value may be used."
            ),
        ),
        AttributeDef(
            name="preferredLanguage",
            type="string",
            description=(
                "Indicates the User's preferred written or spoken language.  Generally "
                "used for selecting a localized user interface; e.g., 'en_US' specifies "
                "the language English and country US."
            ),
        ),
        AttributeDef(
            name="locale",
            type="string",
            description=(
                "Used to indicate the User's default location for purposes of localizing "
                "items such as currency, date time format, or numerical representations."
            ),
        ),
        AttributeDef(
            name="timezone",
            type="string",
            description=(
                "The User's time zone in the 'Olson' time zone database format, e.g., "
                "'America/Los_Angeles'."
            ),
        ),
        AttributeDef(
            name="active",
            type="boolean",
            description="A Boolean value indicating the User's administrative status.",
        ),
        AttributeDef(
            name="password",
            type="string",
            mutability="writeOnly",
            returned="never",
            description=(
                "The User's cleartext password.  This attribute is intended to be used as "
                "a means to specify an initial password when creating a new User or to "
                "reset an existing User's password."
            ),
        ),
        AttributeDef(
            name="emails",
            type="complex",
            multi_valued=True,
            description=(
                "Email addresses for the user.  The value SHOULD be canonicalized by the "
                "service provider, e.g., 'bjensen@example.com' instead of "
                "'bjensen@EXAMPLE.COM'.  Canonical type values of 'work', 'home', and "
                "'other'."
            ),
            sub_attributes=(
                AttributeDef(
                    name="value",
                    type="string",
                    # RFC quirk: the sub-attribute repeats the parent's description.
                    description=(
                        "Email addresses for the user.  The value SHOULD be canonicalized "
                        "by the service provider, e.g., 'bjensen@example.com' instead of "
                        "'bjensen@EXAMPLE.COM'.  Canonical type values of 'work', 'home', "
                        "and 'other'."
                    ),
                ),
                _display(),
                _type(
                    "A label indicating the attribute's function, e.g., 'work' or 'home'.",
                    "work",
                    "home",
                    "other",
                ),
                _primary("the preferred mailing address or primary email address"),
            ),
        ),
        AttributeDef(
            name="phoneNumbers",
            type="complex",
            multi_valued=True,
            description=(
                "Phone numbers for the User.  The value SHOULD be canonicalized by the "
                "service provider according to the format specified in RFC 3966, e.g., "
                "'tel:+1-201-555-0123'.  Canonical type values of 'work', 'home', "
                "'mobile', 'fax', 'pager', and 'other'."
            ),
            sub_attributes=(
                AttributeDef(name="value", type="string", description="Phone number of the User."),
                _display(),
                _type(
                    "A label indicating the attribute's function, e.g., 'work', 'home', 'mobile'.",
                    "work",
                    "home",
                    "mobile",
                    "fax",
                    "pager",
                    "other",
                ),
                _primary("the preferred phone number or primary phone number"),
            ),
        ),
        AttributeDef(
            name="ims",
            type="complex",
            multi_valued=True,
            description="Instant messaging addresses for the User.",
            sub_attributes=(
                AttributeDef(
                    name="value",
                    type="string",
                    description="Instant messaging address for the User.",
                ),
                _display(),
                _type(
                    "A label indicating the attribute's function, e.g., 'aim', 'gtalk', 'xmpp'.",
                    "aim",
                    "gtalk",
                    "icq",
                    "xmpp",
                    "msn",
                    "skype",
                    "qq",
                    "yahoo",
                ),
                _primary("the preferred messenger or primary messenger"),
            ),
        ),
        AttributeDef(
            name="photos",
            type="complex",
            multi_valued=True,
            description="URLs of photos of the User.",
            sub_attributes=(
                AttributeDef(
                    name="value",
                    type="reference",
                    reference_types=("external",),
                    description="URL of a photo of the User.",
                ),
                _display(),
                _type(
                    "A label indicating the attribute's function, i.e., 'photo' or 'thumbnail'.",
                    "photo",
                    "thumbnail",
                ),
                _primary("the preferred photo or thumbnail"),
            ),
        ),
        AttributeDef(
            name="addresses",
            type="complex",
            multi_valued=True,
            description=(
                "A physical mailing address for this User.  Canonical type values of "
                "'work', 'home', and 'other'.  This attribute is a complex type with the "
                "following sub-attributes."
            ),
            sub_attributes=(
                AttributeDef(
                    name="formatted",
                    type="string",
                    description=(
                        "The full mailing address, formatted for display or use with a "
                        "mailing label.  This attribute MAY contain newlines."
                    ),
                ),
                AttributeDef(
                    name="streetAddress",
                    type="string",
                    description=(
                        "The full street address component, which may include house "
                        "number, street name, P.O. box, and multi-line extended street "
                        "address information.  This attribute MAY contain newlines."
                    ),
                ),
                AttributeDef(
                    name="locality", type="string", description="The city or locality component."
                ),
                AttributeDef(
                    name="region", type="string", description="The state or region component."
                ),
                AttributeDef(
                    name="postalCode",
                    type="string",
                    description="The zip code or postal code component.",
                ),
                AttributeDef(
                    name="country", type="string", description="The country name component."
                ),
                _type(
                    "A label indicating the attribute's function, e.g., 'work' or 'home'.",
                    "work",
                    "home",
                    "other",
                ),
                # Tessera: §8.7.1 omits "primary" for addresses, but §2.4 gives every
                # multi-valued attribute one and §8.2 uses addresses[].primary; clients
                # (and our filter layer) rely on it.
                _primary("the preferred mailing address"),
            ),
        ),
        AttributeDef(
            name="groups",
            type="complex",
            multi_valued=True,
            mutability="readOnly",
            description=(
                "A list of groups to which the user belongs, either through direct "
                "membership, through nested groups, or dynamically calculated."
            ),
            sub_attributes=(
                AttributeDef(
                    name="value",
                    type="string",
                    mutability="readOnly",
                    description="The identifier of the User's group.",
                ),
                AttributeDef(
                    name="$ref",
                    type="reference",
                    reference_types=("User", "Group"),
                    mutability="readOnly",
                    description=(
                        "The URI of the corresponding 'Group' resource to which the user belongs."
                    ),
                ),
                _display("readOnly"),
                AttributeDef(
                    name="type",
                    type="string",
                    mutability="readOnly",
                    canonical_values=("direct", "indirect"),
                    description=(
                        "A label indicating the attribute's function, e.g., 'direct' or 'indirect'."
                    ),
                ),
            ),
        ),
        AttributeDef(
            name="entitlements",
            type="complex",
            multi_valued=True,
            description="A list of entitlements for the User that represent a thing the User has.",
            sub_attributes=(
                AttributeDef(
                    name="value", type="string", description="The value of an entitlement."
                ),
                _display(),
                _type(),
                _primary(),
            ),
        ),
        AttributeDef(
            name="roles",
            type="complex",
            multi_valued=True,
            description=(
                "A list of roles for the User that collectively represent who the User is, "
                "e.g., 'Student', 'Faculty'."
            ),
            sub_attributes=(
                AttributeDef(name="value", type="string", description="The value of a role."),
                _display(),
                _type(),
                _primary(),
            ),
        ),
        AttributeDef(
            name="x509Certificates",
            type="complex",
            multi_valued=True,
            description="A list of certificates issued to the User.",
            sub_attributes=(
                AttributeDef(
                    name="value",
                    type="binary",
                    description="The value of an X.509 certificate.",
                ),
                _display(),
                _type(),
                _primary(),
            ),
        ),
    ),
)

# ---------------------------------------------------------------------------
# Enterprise User extension (RFC 7643 §4.3, §8.7.1)
# ---------------------------------------------------------------------------

ENTERPRISE_USER: Final = SchemaDef(
    id=ENTERPRISE_USER_SCHEMA,
    name="EnterpriseUser",
    description="Enterprise User",
    attributes=(
        AttributeDef(
            name="employeeNumber",
            type="string",
            description=(
                "Numeric or alphanumeric identifier assigned to a person, typically based "
                "on order of hire or association with an organization."
            ),
        ),
        AttributeDef(
            name="costCenter", type="string", description="Identifies the name of a cost center."
        ),
        AttributeDef(
            name="organization",
            type="string",
            description="Identifies the name of an organization.",
        ),
        AttributeDef(
            name="division", type="string", description="Identifies the name of a division."
        ),
        AttributeDef(
            name="department", type="string", description="Identifies the name of a department."
        ),
        AttributeDef(
            name="manager",
            type="complex",
            description=(
                "The User's manager.  A complex type that optionally allows service "
                "providers to represent organizational hierarchy by referencing the 'id' "
                "attribute of another User."
            ),
            sub_attributes=(
                AttributeDef(
                    name="value",
                    type="string",
                    # Verified erratum 8472: manager.value holds an "id", which is
                    # caseExact (§3.1).  "required" stays false despite "REQUIRED." in
                    # the description, as in the RFC.
                    case_exact=True,
                    description=(
                        "The id of the SCIM resource representing the User's manager.  REQUIRED."
                    ),
                ),
                AttributeDef(
                    name="$ref",
                    type="reference",
                    reference_types=("User",),
                    description=(
                        "The URI of the SCIM resource representing the User's manager.  REQUIRED."
                    ),
                ),
                AttributeDef(
                    name="displayName",
                    type="string",
                    mutability="readOnly",
                    description="The displayName of the User's manager.  OPTIONAL and READ-ONLY.",
                ),
            ),
        ),
    ),
)

# ---------------------------------------------------------------------------
# Core Group (RFC 7643 §4.2, §8.7.1)
# ---------------------------------------------------------------------------

CORE_GROUP: Final = SchemaDef(
    id=GROUP_SCHEMA,
    name="Group",
    description="Group",
    attributes=(
        AttributeDef(
            name="displayName",
            type="string",
            required=True,
            # Tessera: the RFC says uniqueness "none"; group names are unique per tenant.
            uniqueness="server",
            description="A human-readable name for the Group.  REQUIRED.",
        ),
        AttributeDef(
            name="members",
            type="complex",
            multi_valued=True,
            description="A list of members of the Group.",
            sub_attributes=(
                AttributeDef(
                    name="value",
                    type="string",
                    mutability="immutable",
                    description="Identifier of the member of this Group.",
                ),
                AttributeDef(
                    name="$ref",
                    type="reference",
                    reference_types=("User", "Group"),
                    mutability="immutable",
                    description=(
                        "The URI corresponding to a SCIM resource that is a member of this Group."
                    ),
                ),
                AttributeDef(
                    name="type",
                    type="string",
                    mutability="immutable",
                    canonical_values=("User", "Group"),
                    description="A label indicating the type of resource, e.g., 'User' or 'Group'.",
                ),
                # Tessera: §8.7.1 does not declare "display" for members, but RFC 7644
                # examples carry it; it is server-computed, hence readOnly. Returned only on
                # request (attributes=members.display): IdPs compare members as they sent them.
                AttributeDef(
                    name="display",
                    type="string",
                    mutability="readOnly",
                    returned="request",
                    description=(
                        "A human-readable name for the group member, primarily used for "
                        "display purposes.  READ-ONLY."
                    ),
                ),
            ),
        ),
    ),
)

# ---------------------------------------------------------------------------
# Lookup helpers
# ---------------------------------------------------------------------------

SCHEMAS: Final[tuple[SchemaDef, ...]] = (CORE_USER, ENTERPRISE_USER, CORE_GROUP)
"""Every schema Tessera serves at /Schemas, in the order it lists them."""

_SCHEMAS_BY_ID: Final[Mapping[str, SchemaDef]] = MappingProxyType(
    {schema.id.lower(): schema for schema in SCHEMAS}
)
# Core resource schemas: a URN-qualified common attribute such as
# "urn:ietf:params:scim:schemas:core:2.0:User:id" is accepted for these.
_CORE_RESOURCE_IDS: Final = frozenset({USER_SCHEMA.lower(), GROUP_SCHEMA.lower()})
_COMMON_BY_NAME: Final[Mapping[str, AttributeDef]] = MappingProxyType(
    {attr.name.lower(): attr for attr in COMMON_ATTRIBUTES}
)


def schema_by_id(urn: str) -> SchemaDef | None:
    """Return the schema whose URN is ``urn`` (case-insensitive), or None."""
    return _SCHEMAS_BY_ID.get(urn.lower())


def find_attribute(
    schema_ids: Sequence[str], uri: str | None, attr: str, sub_attr: str | None
) -> AttributeDef | None:
    """Look an attribute path up in the given schemas plus the common attributes.

    Every comparison is case-insensitive (RFC 7643 §2.1; URNs per RFC 8141).

    ``schema_ids`` are the schemas of the resource type being addressed, e.g.
    :data:`USER_SCHEMAS`; unknown ids are ignored.  ``uri``, when given,
    restricts the search to that one schema, which must be among
    ``schema_ids``; the common attributes (id, externalId, meta) are found
    unqualified or qualified by a core resource URN.  Without ``uri`` the
    common attributes are searched first, then the schemas in the given order.

    For convenience ``attr`` may itself carry the URN prefix
    (``"urn:...:User:userName"``) when ``uri`` is None, and the sub-attribute
    (``"name.givenName"``) when ``sub_attr`` is None.

    Returns the sub-attribute definition when ``sub_attr`` is given, and None
    for anything unknown (including a sub-attribute of a non-complex
    attribute).
    """
    if uri is None and ":" in attr:
        # Attribute names never contain ":" (RFC 7643 §2.1 ATTRNAME), so the
        # last colon separates the schema URN from the attribute path.
        uri, _, attr = attr.rpartition(":")
    if sub_attr is None and "." in attr:
        attr, _, sub_attr = attr.partition(".")
    if not attr:
        return None

    parent = _find_top_level(schema_ids, uri, attr)
    if parent is None or sub_attr is None:
        return parent
    return parent.sub_attribute(sub_attr)


def _find_top_level(schema_ids: Sequence[str], uri: str | None, attr: str) -> AttributeDef | None:
    candidates = [s for sid in schema_ids if (s := _SCHEMAS_BY_ID.get(sid.lower())) is not None]
    if uri is not None:
        wanted = uri.lower()
        candidates = [s for s in candidates if s.id.lower() == wanted]
        if not candidates:
            return None
        search_common = wanted in _CORE_RESOURCE_IDS
    else:
        search_common = True

    if search_common and (common := _COMMON_BY_NAME.get(attr.lower())) is not None:
        return common
    for schema in candidates:
        if (found := schema.attribute(attr)) is not None:
            return found
    return None
