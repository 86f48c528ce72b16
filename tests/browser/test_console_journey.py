"""The seed documents' journey, in a real browser against the real app.

Sign in; create an integration; read its endpoint and token from the page; provision a user
and a group over SCIM with them; see both in the console; bind a role to the group; disable
the integration and see the IdP refused.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest

pytest.importorskip("playwright", reason="playwright is missing: install the dev extras")
from playwright.sync_api import Page, expect

from tests.browser.conftest import TENANT, Console

SCIM = "application/scim+json"
USER_NAME = "pat@acme.test"
GROUP_NAME = "Payments"
SUSPENDED = "sam@acme.test"


def sign_in(page: Page, token: str) -> None:
    page.goto("/")
    page.get_by_label("API token").fill(token)
    page.get_by_role("button", name="Sign in").click()


def open_page(page: Page, title: str, shots: Path, shot: str) -> None:
    page.get_by_role("navigation", name="IAM").get_by_role("link", name=title).click()
    expect(page.get_by_role("heading", level=1, name=title)).to_be_visible()
    expect(page.locator(".loading")).to_have_count(0)
    page.screenshot(path=shots / f"{shot}.png", full_page=True)


def create_integration(page: Page, name: str) -> tuple[str, str]:
    """Create through the form; returns (endpoint URL, secret token) as the page shows them."""
    page.get_by_role("button", name="Create", exact=True).click()
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_label("Description").fill("Microsoft Entra ID, production directory")
    page.get_by_role("button", name="Save", exact=True).click()
    secret = page.get_by_role("region", name="Secret token")
    expect(secret.get_by_role("alert")).to_contain_text("will not be shown again")
    return (secret.get_by_test_id("secret-endpoint").inner_text(),
            secret.get_by_test_id("secret-token").inner_text())


def provision(endpoint: str, token: str) -> tuple[str, str]:
    """What the IdP does: a user, a suspended user, a group with the first as member.
    Returns the ids of the user and the group."""
    idp = {"Authorization": f"Bearer {token}", "Content-Type": SCIM}
    with httpx.Client(timeout=30) as client:
        user = client.post(f"{endpoint}/Users", headers=idp, json={
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": USER_NAME, "externalId": "aad-pat", "active": True,
            "displayName": "Pat Doe",
            "emails": [{"value": USER_NAME, "type": "work", "primary": True}]})
        assert user.status_code == 201, user.text
        suspended = client.post(f"{endpoint}/Users", headers=idp, json={
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": SUSPENDED, "active": False})
        assert suspended.status_code == 201, suspended.text
        group = client.post(f"{endpoint}/Groups", headers=idp, json={
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "displayName": GROUP_NAME, "externalId": "aad-payments",
            "members": [{"value": user.json()["id"]}]})
        assert group.status_code == 201, group.text
    return user.json()["id"], group.json()["id"]


def scim_status(endpoint: str, token: str) -> int:
    response = httpx.get(f"{endpoint}/Users", headers={"Authorization": f"Bearer {token}"},
                         timeout=30)
    return response.status_code


def bindings_of(console: Console) -> list[dict[str, Any]]:
    data = console.gql("""query($t: ID!) { tenant(id: $t) {
        bindings { roleId subjectType subjectId namespace role { name } } } }""", t=TENANT)
    return data["tenant"]["bindings"]  # type: ignore[no-any-return]


def active_of(console: Console, user_name: str) -> bool:
    found = console.gql("""query($t: ID!, $f: String) { tenant(id: $t) { users(filter: $f) {
        edges { node { active } } } } }""", t=TENANT, f=f'userName eq "{user_name}"')
    [edge] = found["tenant"]["users"]["edges"]
    return bool(edge["node"]["active"])


def bound_role(console: Console, name: str) -> str:
    roles = console.gql("query($t: ID!) { tenant(id: $t) { roles { id name } } }", t=TENANT)
    return str(next(r["id"] for r in roles["tenant"]["roles"] if r["name"] == name))


def test_provisioning_journey(page: Page, console: Console, shots: Path) -> None:
    # 1. sign in (a single tenant is chosen for us)
    page.goto("/")
    expect(page.get_by_role("heading", name="Sign in to Tessera")).to_be_visible()
    page.screenshot(path=shots / "signin.png")
    sign_in(page, console.admin_token)
    expect(page.get_by_test_id("current-tenant")).to_contain_text(TENANT)
    assert console.admin_token not in page.url

    # 2-3. create an integration; read the endpoint and the token shown once
    expect(page.get_by_role("heading", level=1, name="Provisioning")).to_be_visible()
    endpoint, token = create_integration(page, "Entra ID")
    assert endpoint.startswith(f"{console.base}/api/v1/{TENANT}/integrations/")
    assert endpoint.endswith("/scim/v2") and len(token) == 200
    copy = page.get_by_test_id("secret-token").locator("xpath=following-sibling::button")
    copy.click()
    expect(copy).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == token
    page.screenshot(path=shots / "provisioning-created.png", full_page=True)
    page.get_by_role("button", name="I have copied the token").click()
    expect(page.get_by_text(token)).to_have_count(0)
    row = page.get_by_test_id("integrations").get_by_role("row").filter(has_text="Entra ID")
    expect(row).to_contain_text(endpoint)
    expect(row.get_by_role("switch")).to_be_checked()

    # 4. the IdP provisions a user and a group with those credentials
    _user_id, group_id = provision(endpoint, token)

    # 5. both appear in the console, managed by the integration
    open_page(page, "Users", shots, "users")
    user_row = page.get_by_test_id("users").get_by_role("row").filter(has_text=USER_NAME)
    expect(user_row).to_contain_text("SCIM: Entra ID")
    expect(user_row).to_contain_text("active")
    expect(page.get_by_test_id("users").get_by_role("row").filter(has_text=SUSPENDED)) \
        .to_contain_text("suspended")
    expect(user_row).to_contain_text(GROUP_NAME)

    # an admin reactivates the suspended user; GraphQL agrees
    page.get_by_role("button", name=f"Reactivate {SUSPENDED}").click()
    page.get_by_role("dialog").get_by_role("button", name="Reactivate").click()
    expect(page.get_by_test_id("users").get_by_role("row").filter(has_text=SUSPENDED)) \
        .to_contain_text("active")
    assert active_of(console, SUSPENDED) is True
    page.get_by_label("User name").fill("nobody-like-this")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_text("No user matches.")).to_be_visible()
    page.get_by_label("User name").fill("pat@")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_test_id("users").get_by_role("row")).to_have_count(2)  # header + Pat

    open_page(page, "Groups", shots, "groups")
    group_row = page.get_by_test_id("groups").get_by_role("row").filter(has_text=GROUP_NAME)
    expect(group_row).to_contain_text(USER_NAME)
    expect(group_row).to_contain_text("SCIM: Entra ID")

    # 6. bind a role to the group in the UI; GraphQL agrees
    open_page(page, "Bindings", shots, "bindings-before")
    page.get_by_label("Role", exact=True).select_option(label="Launcher")
    page.get_by_label("To a", exact=True).select_option(label="Group")
    page.get_by_label("Subject", exact=True).select_option(label=GROUP_NAME)
    page.get_by_label("Namespace (optional)").fill("prod")
    page.get_by_role("button", name="Attach role").click()
    bound = page.get_by_test_id("bindings").get_by_role("row").filter(has_text=GROUP_NAME)
    expect(bound).to_contain_text("Launcher")
    expect(bound).to_contain_text("prod")
    page.screenshot(path=shots / "bindings.png", full_page=True)
    assert {"roleId": bound_role(console, "Launcher"), "subjectType": "GROUP",
            "subjectId": group_id, "namespace": "prod", "role": {"name": "Launcher"}} \
        in bindings_of(console)

    open_page(page, "Groups", shots, "groups-bound")
    expect(page.get_by_test_id("groups").get_by_role("row").filter(has_text=GROUP_NAME)) \
        .to_contain_text("Launcher @ prod")
    open_page(page, "Roles", shots, "roles")
    open_page(page, "Audit log", shots, "audit")
    expect(page.get_by_test_id("audit")).to_contain_text("binding.create")
    page.get_by_label("Door").select_option("scim")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_test_id("audit").locator("tbody tr")).to_have_count(3)  # 2 users, group

    # the request log shows what the IdP just did, newest first
    open_page(page, "Provisioning", shots, "provisioning")
    page.get_by_role("button", name="Request log").click()
    log = page.get_by_role("region", name="Request log").get_by_test_id("request-log")
    expect(log.locator("tbody tr").first).to_contain_text("POST /Groups")
    expect(log).to_contain_text("POST /Users")
    page.get_by_label("Status").select_option("201")
    expect(log.locator("tbody tr")).to_have_count(3)  # two users and the group
    page.screenshot(path=shots / "provisioning-request-log.png", full_page=True)

    # 7. disable the integration in the UI: the IdP is refused
    assert scim_status(endpoint, token) == 200
    switch = page.get_by_role("switch", name="Enabled: Entra ID")
    switch.uncheck()
    expect(switch.locator("xpath=..")).to_contain_text("Disabled")
    assert scim_status(endpoint, token) == 401
    page.reload()
    expect(page.get_by_role("switch", name="Enabled: Entra ID")).not_to_be_checked()
    page.screenshot(path=shots / "provisioning-disabled.png", full_page=True)


def test_rotate_and_delete(page: Page, console: Console, shots: Path) -> None:
    sign_in(page, console.admin_token)
    endpoint, first = create_integration(page, "Okta")
    page.get_by_role("button", name="I have copied the token").click()
    assert scim_status(endpoint, first) == 200

    page.get_by_role("button", name="Rotate secret").click()
    page.get_by_role("dialog").get_by_role("button", name="Rotate").click()
    secret = page.get_by_role("region", name="Secret token")
    expect(secret).to_contain_text("New secret for “Okta”")
    second = secret.get_by_test_id("secret-token").inner_text()
    assert second != first and len(second) == 200
    assert scim_status(endpoint, first) == 401
    assert scim_status(endpoint, second) == 200
    page.screenshot(path=shots / "rotated.png", full_page=True)

    page.get_by_role("button", name="Delete").click()
    page.get_by_role("dialog").get_by_role("button", name="Cancel").click()
    expect(page.get_by_test_id("integrations")).to_contain_text("Okta")
    page.get_by_role("button", name="Delete").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete").click()
    expect(page.get_by_text(re.compile("No integration yet"))).to_be_visible()
    assert scim_status(endpoint, second) == 401
