"""Managed roles, the SCIMProvisioner role, and the 1.x (CRUD) -> 2.0 permission mapping.

1.x roles were written ``{"USERS": ["CREATE", "READ"]}``. 2.0 grants are ``RESOURCE:ACTION``.
Because both generations use the words CREATE/UPDATE/DELETE, legacy grants travel in their own
map (never as ``R:A`` strings) so that ``FLOW:UPDATE`` always has exactly one meaning.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from backend.domain.errors import InvalidValue
from backend.domain.permissions import (
    ALL_PERMISSIONS,
    CATALOGUE,
    Action,
    Resource,
    expand,
    perm,
)

A = Action
R = Resource

ADMIN = "Admin"
DEVELOPER = "Developer"
EDITOR = "Editor"
LAUNCHER = "Launcher"
VIEWER = "Viewer"
SCIM_PROVISIONER = "SCIMProvisioner"

# --- 1.x mapping -----------------------------------------------------------------------------

# 1.x permission name -> 2.0 resource. Plural spellings (the seeds write USERS/GROUPS/BINDINGS)
# are accepted too. TEMPLATE and IMPERSONATE have no 2.0 equivalent and are refused rather than
# silently dropped (Kestra's own migration drops them, which under-grants without a word).
_LEGACY_RESOURCES: dict[str, Resource] = {
    "FLOW": R.FLOW, "EXECUTION": R.EXECUTION, "NAMESPACE": R.NAMESPACE, "KVSTORE": R.KVSTORE,
    "DASHBOARD": R.DASHBOARD, "SECRET": R.SECRET, "CREDENTIAL": R.CREDENTIAL, "GROUP": R.GROUP,
    "ROLE": R.ROLE, "BINDING": R.BINDING, "AUDITLOG": R.AUDITLOG, "BLUEPRINT": R.BLUEPRINT,
    "SETTING": R.TENANT_SETTINGS, "APP": R.APP, "APPEXECUTION": R.APP, "TEST": R.TESTSUITE,
    "ASSET": R.ASSET, "USER": R.USER, "SERVICE_ACCOUNT": R.SERVICE_ACCOUNT,
    "INVITATION": R.INVITATION, "GROUP_MEMBERSHIP": R.GROUP, "TENANT_ACCESS": R.USER,
    "AI_COPILOT": R.COPILOT,
}
LEGACY_ACTIONS = ("CREATE", "READ", "UPDATE", "DELETE")

# Extra 2.0 actions that a 1.x READ or UPDATE implied for a resource (Kestra's migration rules).
_READ_EXTRAS: dict[Resource, tuple[Action, ...]] = {
    R.EXECUTION: (A.ACCESS_LOGS, A.ACCESS_OUTPUTS, A.ACCESS_FILES, A.FOLLOW, A.EXPORT),
    R.FLOW: (A.EXPORT,),
    R.TRIGGER: (A.EXPORT,),
    R.AUDITLOG: (A.EXPORT,),
}
_UPDATE_EXTRAS: dict[Resource, tuple[Action, ...]] = {
    R.FLOW: (A.EXECUTE, A.DISABLE, A.ENABLE, A.VALIDATE),
    R.EXECUTION: (A.RESTART, A.KILL, A.REPLAY, A.PAUSE, A.RESUME, A.CHANGE_LABELS, A.UNQUEUE,
                  A.FORCE_RUN),
    R.TRIGGER: (A.UNLOCK, A.RESTART, A.DISABLE, A.ENABLE, A.BACKFILL),
    R.NAMESPACE: (A.MANAGE_FILES, A.IMPORT_PLUGIN_DEFAULTS, A.EXPORT_PLUGIN_DEFAULTS),
    # Before 0.24 split out GROUP_MEMBERSHIP, GROUP UPDATE covered members; the seeds'
    # SCIMProvisioner (GROUPS: C,R,U,D) relies on that to push memberships.
    R.GROUP: (A.MANAGE_MEMBERS,),
    R.USER: (A.MANAGE_GROUP_MEMBERSHIP,),
    R.APP: (A.EXECUTE,),
    R.TESTSUITE: (A.EXECUTE,),
}


def _legacy_resource(name: str) -> tuple[str, Resource]:
    key = name.strip().upper()
    if key in ("TEMPLATE", "TEMPLATES", "IMPERSONATE"):
        raise InvalidValue(f"1.x permission {key} has no equivalent in the 2.0 catalogue")
    if key not in _LEGACY_RESOURCES and key.endswith("S") and key[:-1] in _LEGACY_RESOURCES:
        key = key[:-1]
    if key not in _LEGACY_RESOURCES:
        raise InvalidValue(f"unknown 1.x permission {name!r}")
    return key, _LEGACY_RESOURCES[key]


def _legacy_grants(key: str, resource: Resource, action: str) -> set[str]:
    act = action.strip().upper()
    if act not in LEGACY_ACTIONS:
        raise InvalidValue(f"unknown 1.x action {action!r}; expected one of {LEGACY_ACTIONS}")
    if key == "GROUP_MEMBERSHIP":
        actions: tuple[Action, ...] = (A.VIEW, A.LIST) if act == "READ" else (A.MANAGE_MEMBERS,)
    elif key == "TENANT_ACCESS":
        # Removing tenant access is an update of the tenant's view of a user, never a delete
        # of the global user: the seeds' SCIMProvisioner deprovisions without USERS DELETE.
        actions = {"READ": (A.VIEW, A.LIST), "CREATE": (A.CREATE,)}.get(act, (A.UPDATE,))
    elif key == "APPEXECUTION":
        actions = (A.VIEW, A.LIST) if act == "READ" else (A.EXECUTE,)
    elif resource in (R.COPILOT,):
        actions = (A.USE,)
    elif resource is R.TENANT_SETTINGS:
        actions = (A.VIEW,) if act == "READ" else (A.UPDATE,)
    elif act == "READ":
        actions = (A.VIEW, A.LIST, *_READ_EXTRAS.get(resource, ()))
    elif act == "UPDATE":
        actions = (A.UPDATE, *_UPDATE_EXTRAS.get(resource, ()))
    else:
        actions = (Action(act),)
    return expand([resource], actions)


def from_legacy(grants: Mapping[str, Iterable[str]]) -> frozenset[str]:
    """Map a 1.x ``{PERMISSION: [CRUD...]}`` grant to 2.0 ``RESOURCE:ACTION`` strings."""
    out: set[str] = set()
    for name, actions in grants.items():
        key, resource = _legacy_resource(name)
        for action in actions:
            out |= _legacy_grants(key, resource, action)
    return frozenset(out)


def validate_permissions(items: Iterable[str]) -> frozenset[str]:
    """Check 2.0 ``RESOURCE:ACTION`` strings against the catalogue (case-insensitive)."""
    out: set[str] = set()
    for item in items:
        norm = item.strip().upper()
        if norm not in ALL_PERMISSIONS:
            raise InvalidValue(f"unknown permission {item!r}", field="permissions")
        out.add(norm)
    return frozenset(out)


# --- managed roles -------------------------------------------------------------------------------

def _all(*resources: Resource) -> set[str]:
    return {perm(r, a) for r in resources for a in CATALOGUE[r]}


_EDITOR = (
    _all(R.FLOW, R.EXECUTION, R.TRIGGER, R.KVSTORE, R.DASHBOARD, R.APP, R.TESTSUITE, R.ASSET,
         R.MCP_SERVER, R.COPILOT)
    | expand([R.NAMESPACE, R.BLUEPRINT], [A.VIEW, A.LIST])
)
_DEVELOPER = _EDITOR | _all(R.NAMESPACE, R.SECRET, R.CREDENTIAL, R.BLUEPRINT)
_LAUNCHER = (
    expand([R.FLOW], [A.VIEW, A.LIST, A.EXECUTE])
    | expand([R.EXECUTION], [A.VIEW, A.LIST, A.EXECUTE, A.REPLAY, A.RESTART, A.CHANGE_LABELS,
                             A.ACCESS_LOGS, A.ACCESS_OUTPUTS, A.ACCESS_FILES, A.FOLLOW, A.EXPORT])
    | expand([R.TRIGGER, R.KVSTORE, R.DASHBOARD, R.ASSET, R.NAMESPACE], [A.VIEW, A.LIST])
)
_VIEWER = expand([R.FLOW, R.EXECUTION, R.TRIGGER, R.NAMESPACE], [A.VIEW, A.LIST, A.EXPORT]) | (
    expand([R.EXECUTION], [A.ACCESS_LOGS, A.ACCESS_OUTPUTS, A.ACCESS_FILES, A.FOLLOW])
)

MANAGED_ROLES: dict[str, tuple[str, frozenset[str]]] = {
    ADMIN: ("Every permission in the tenant", ALL_PERMISSIONS),
    DEVELOPER: ("Editor plus namespaces, secrets, credentials and blueprints",
                frozenset(_DEVELOPER)),
    EDITOR: ("Flows, executions, triggers, KV, dashboards, apps, tests and assets; no IAM",
             frozenset(_EDITOR)),
    LAUNCHER: ("Execute and monitor; read-only on triggers, KV, dashboards and assets",
               frozenset(_LAUNCHER)),
    VIEWER: ("Read-only on flows, executions, triggers and namespaces", frozenset(_VIEWER)),
}

# As the seeds describe it: GROUPS C,R,U,D; USERS C,R,U (no DELETE); BINDINGS C,R,U,D.
SCIM_PROVISIONER_LEGACY: dict[str, tuple[str, ...]] = {
    "GROUPS": ("CREATE", "READ", "UPDATE", "DELETE"),
    "USERS": ("CREATE", "READ", "UPDATE"),
    "BINDINGS": ("CREATE", "READ", "UPDATE", "DELETE"),
}
SCIM_PROVISIONER_PERMISSIONS = from_legacy(SCIM_PROVISIONER_LEGACY)
SCIM_PROVISIONER_DESCRIPTION = "Lets provisioning integrations sync users and groups (SCIM)"
