"""The SDL is a contract: any change shows up as a snapshot diff."""

from __future__ import annotations

from syrupy.assertion import SnapshotAssertion

from graphql_schema.schema import schema


def test_sdl(snapshot: SnapshotAssertion) -> None:
    assert str(schema) == snapshot


def test_contract_names() -> None:
    sdl = str(schema)
    for name in ("createProvisioningIntegration", "updateProvisioningIntegration",
                 "rotateProvisioningIntegrationToken", "deleteProvisioningIntegration",
                 "createRole", "updateRole", "deleteRole", "createBinding", "deleteBinding",
                 "createGroup", "updateGroup", "deleteGroup", "addGroupMembers",
                 "removeGroupMembers", "grantTenantAccess", "revokeTenantAccess",
                 "createServiceAccount", "deleteServiceAccount", "createApiToken",
                 "revokeApiToken", "createTenant",
                 "permissionCatalogue", "effectivePermissions", "auditEvents"):
        assert name in sdl, name
