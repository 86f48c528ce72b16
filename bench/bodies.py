"""SCIM bodies as Entra and Okta send them (core + enterprise user, empty group, PATCH ops)."""

from __future__ import annotations

from typing import Any

USER_URN = "urn:ietf:params:scim:schemas:core:2.0:User"
ENT_URN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
GROUP_URN = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH_URN = "urn:ietf:params:scim:api:messages:2.0:PatchOp"

DEPARTMENTS = ("Engineering", "Sales", "Finance", "Support", "Legal", "Marketing")


def user_name(tag: str, i: int) -> str:
    return f"{tag}.user{i:06d}@example.com"


def external_id(tag: str, i: int) -> str:
    return f"{tag}-ext-{i:06d}"


def group_name(tag: str, j: int) -> str:
    return f"{tag} group {j:05d}"


def user(tag: str, i: int) -> dict[str, Any]:
    name = user_name(tag, i)
    given, family = f"Given{i}", f"Family{i % 977}"
    return {
        "schemas": [USER_URN, ENT_URN],
        "userName": name,
        "externalId": external_id(tag, i),
        "active": True,
        "displayName": f"{given} {family}",
        "nickName": given,
        "title": "Engineer",
        "userType": "Employee",
        "preferredLanguage": "en-US",
        "locale": "en-US",
        "timezone": "Europe/Berlin",
        "name": {"formatted": f"{given} {family}", "familyName": family, "givenName": given},
        "emails": [{"value": name, "type": "work", "primary": True}],
        "phoneNumbers": [{"value": f"+1 555 {i % 10000:04d}", "type": "work"},
                         {"value": f"+1 555 9{i % 1000:03d}", "type": "mobile"}],
        "addresses": [{"type": "work", "streetAddress": f"{i % 400} Main Street",
                       "locality": "Berlin", "postalCode": "10115", "country": "DE",
                       "primary": True}],
        ENT_URN: {"employeeNumber": str(i), "department": DEPARTMENTS[i % len(DEPARTMENTS)],
                  "costCenter": f"CC{i % 50:03d}", "organization": "Example Corp",
                  "division": "Operations"},
    }


def group(tag: str, j: int) -> dict[str, Any]:
    """IdPs create the group empty, then PATCH members in."""
    return {"schemas": [GROUP_URN], "displayName": group_name(tag, j),
            "externalId": f"{tag}-gext-{j:05d}", "members": []}


def patch(*ops: dict[str, Any]) -> dict[str, Any]:
    return {"schemas": [PATCH_URN], "Operations": list(ops)}


def add_members(ids: list[str]) -> dict[str, Any]:
    return patch({"op": "add", "path": "members", "value": [{"value": i} for i in ids]})


def remove_member(member_id: str) -> dict[str, Any]:
    return patch({"op": "remove", "path": f'members[value eq "{member_id}"]'})


def replace_user_attributes(i: int) -> dict[str, Any]:
    return patch(
        {"op": "replace", "path": "title", "value": f"Senior Engineer {i}"},
        {"op": "replace", "path": "name.givenName", "value": f"Renamed{i}"},
        {"op": "replace", "path": f"{ENT_URN}:department", "value": "Research"},
        {"op": "replace", "path": 'phoneNumbers[type eq "work"].value', "value": f"+1 777 {i}"},
    )


def deactivate() -> dict[str, Any]:
    return patch({"op": "replace", "path": "active", "value": False})
