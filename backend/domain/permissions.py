"""The permission catalogue: Kestra 2.0's resource x action model, plus the 1.x CRUD mapping.

A permission is written ``RESOURCE:ACTION`` (e.g. ``GROUP:MANAGE_MEMBERS``).
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


class Resource(StrEnum):
    FLOW = "FLOW"
    EXECUTION = "EXECUTION"
    TRIGGER = "TRIGGER"
    NAMESPACE = "NAMESPACE"
    KVSTORE = "KVSTORE"
    SECRET = "SECRET"
    CREDENTIAL = "CREDENTIAL"
    DASHBOARD = "DASHBOARD"
    BLUEPRINT = "BLUEPRINT"
    ASSET = "ASSET"
    MCP_SERVER = "MCP_SERVER"
    APP = "APP"
    TESTSUITE = "TESTSUITE"
    COPILOT = "COPILOT"
    USER = "USER"
    GROUP = "GROUP"
    ROLE = "ROLE"
    BINDING = "BINDING"
    SERVICE_ACCOUNT = "SERVICE_ACCOUNT"
    INVITATION = "INVITATION"
    AUDITLOG = "AUDITLOG"
    TENANT_SETTINGS = "TENANT_SETTINGS"
    # Tessera extension: provisioning integrations (Kestra gates them on tenant admin rights).
    INTEGRATION = "INTEGRATION"


class Action(StrEnum):
    VIEW = "VIEW"
    LIST = "LIST"
    CREATE = "CREATE"
    UPDATE = "UPDATE"
    DELETE = "DELETE"
    EXECUTE = "EXECUTE"
    DISABLE = "DISABLE"
    ENABLE = "ENABLE"
    VALIDATE = "VALIDATE"
    EXPORT = "EXPORT"
    IMPORT = "IMPORT"
    RESTART = "RESTART"
    KILL = "KILL"
    REPLAY = "REPLAY"
    PAUSE = "PAUSE"
    RESUME = "RESUME"
    CHANGE_LABELS = "CHANGE_LABELS"
    ACCESS_LOGS = "ACCESS_LOGS"
    ACCESS_OUTPUTS = "ACCESS_OUTPUTS"
    ACCESS_FILES = "ACCESS_FILES"
    FOLLOW = "FOLLOW"
    UNQUEUE = "UNQUEUE"
    FORCE_RUN = "FORCE_RUN"
    UNLOCK = "UNLOCK"
    BACKFILL = "BACKFILL"
    MANAGE_FILES = "MANAGE_FILES"
    EXPORT_PLUGIN_DEFAULTS = "EXPORT_PLUGIN_DEFAULTS"
    IMPORT_PLUGIN_DEFAULTS = "IMPORT_PLUGIN_DEFAULTS"
    USE = "USE"
    MANAGE_GROUP_MEMBERSHIP = "MANAGE_GROUP_MEMBERSHIP"
    IMPERSONATE = "IMPERSONATE"
    MANAGE_MEMBERS = "MANAGE_MEMBERS"


A = Action
_COMMON = (A.VIEW, A.LIST, A.CREATE, A.UPDATE, A.DELETE)

CATALOGUE: dict[Resource, tuple[Action, ...]] = {
    Resource.FLOW: (*_COMMON, A.EXECUTE, A.DISABLE, A.ENABLE, A.VALIDATE, A.EXPORT, A.IMPORT),
    Resource.EXECUTION: (
        *_COMMON, A.RESTART, A.KILL, A.REPLAY, A.PAUSE, A.RESUME, A.CHANGE_LABELS,
        A.ACCESS_LOGS, A.ACCESS_OUTPUTS, A.ACCESS_FILES, A.FOLLOW, A.EXPORT, A.UNQUEUE,
        A.FORCE_RUN,
    ),
    Resource.TRIGGER: (*_COMMON, A.UNLOCK, A.RESTART, A.DISABLE, A.ENABLE, A.EXPORT, A.BACKFILL),
    Resource.NAMESPACE: (
        *_COMMON, A.MANAGE_FILES, A.EXPORT_PLUGIN_DEFAULTS, A.IMPORT_PLUGIN_DEFAULTS,
    ),
    Resource.KVSTORE: _COMMON,
    Resource.SECRET: _COMMON,
    Resource.CREDENTIAL: _COMMON,
    Resource.DASHBOARD: _COMMON,
    Resource.BLUEPRINT: _COMMON,
    Resource.ASSET: _COMMON,
    Resource.MCP_SERVER: _COMMON,
    Resource.APP: (*_COMMON, A.EXECUTE, A.ACCESS_FILES, A.ACCESS_LOGS),
    Resource.TESTSUITE: (*_COMMON, A.EXECUTE),
    Resource.COPILOT: (A.USE,),
    Resource.USER: (*_COMMON, A.MANAGE_GROUP_MEMBERSHIP, A.IMPERSONATE),
    Resource.GROUP: (*_COMMON, A.MANAGE_MEMBERS),
    Resource.ROLE: _COMMON,
    Resource.BINDING: _COMMON,
    Resource.SERVICE_ACCOUNT: _COMMON,
    Resource.INVITATION: _COMMON,
    Resource.AUDITLOG: (A.VIEW, A.LIST, A.EXPORT),
    Resource.TENANT_SETTINGS: (A.VIEW, A.UPDATE),
    Resource.INTEGRATION: _COMMON,
}

# Resources whose objects live in a namespace; bindings limited to a namespace only reach these.
NAMESPACED: frozenset[Resource] = frozenset(
    {
        Resource.FLOW, Resource.EXECUTION, Resource.TRIGGER, Resource.NAMESPACE,
        Resource.KVSTORE, Resource.SECRET, Resource.CREDENTIAL,
    }
)


def perm(resource: Resource, action: Action) -> str:
    return f"{resource.value}:{action.value}"


ALL_PERMISSIONS: frozenset[str] = frozenset(
    perm(r, a) for r, actions in CATALOGUE.items() for a in actions
)


def is_valid(permission: str) -> bool:
    return permission in ALL_PERMISSIONS


def expand(resources: Iterable[Resource], actions: Iterable[Action]) -> set[str]:
    """Every catalogued pair among ``resources`` x ``actions`` (others are skipped)."""
    acts = set(actions)
    return {perm(r, a) for r in resources for a in CATALOGUE[r] if a in acts}
