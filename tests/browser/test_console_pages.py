"""The console's pages beyond the main journey: sign-in states, safe rendering, paging, errors."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("playwright", reason="playwright is missing: install the dev extras")
from playwright.sync_api import Page, expect

from tests.browser.conftest import TENANT, Console
from tests.browser.test_console_journey import open_page, sign_in

GRANT = """mutation($t: ID!, $u: String!, $d: String) {
  grantTenantAccess(tenant: $t, userName: $u, displayName: $d) { user { id } } }"""
GROUP = """mutation($t: ID!, $name: String!, $ids: [ID!]) {
  createGroup(tenant: $t, input: { displayName: $name, memberIds: $ids }) { group { id } } }"""


def session_storage(page: Page) -> dict[str, str]:
    stored: dict[str, str] = page.evaluate("Object.fromEntries(Object.entries(sessionStorage))")
    return stored


def test_sign_in_tenant_choice_and_sign_out(page: Page, console: Console, shots: Path) -> None:
    sign_in(page, "tsr_not_a_real_token")
    expect(page.get_by_role("status")).to_contain_text("not accepted")
    assert session_storage(page) == {}

    console.gql('mutation { createTenant(id: "globex", name: "Globex") { tenant { id } } }')
    sign_in(page, console.admin_token)
    expect(page.get_by_role("heading", name="Choose a tenant")).to_be_visible()
    page.screenshot(path=shots / "tenant-choice.png")
    page.get_by_role("button", name="Globex").click()
    expect(page.get_by_test_id("current-tenant")).to_contain_text("Globex")
    assert session_storage(page) == {"tessera.token": console.admin_token,
                                     "tessera.tenant": "globex"}
    assert console.admin_token not in page.url

    page.get_by_role("button", name="Switch tenant").click()
    page.get_by_role("button", name=TENANT).click()
    expect(page.get_by_test_id("current-tenant")).to_contain_text(TENANT)
    page.reload()  # the session survives a reload of the tab
    expect(page.get_by_test_id("current-tenant")).to_contain_text(TENANT)

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in to Tessera")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("signed out")
    assert session_storage(page) == {}


def test_names_from_idps_are_shown_as_text(page: Page, console: Console, shots: Path) -> None:
    hostile = '<img src=x onerror="document.title=\'pwned\'">'
    user = console.gql(GRANT, t=TENANT, u="mallory@acme.test", d=hostile)
    console.gql(GROUP, t=TENANT, name="<b>bold</b>", ids=[user["grantTenantAccess"]["user"]["id"]])
    sign_in(page, console.admin_token)
    open_page(page, "Users", shots, "users-hostile")
    expect(page.get_by_test_id("users")).to_contain_text(hostile)
    open_page(page, "Groups", shots, "groups-hostile")
    expect(page.get_by_test_id("groups")).to_contain_text("<b>bold</b>")
    expect(page.locator("#view img, #view b")).to_have_count(0)
    assert page.title() != "pwned"


def test_long_lists_are_paged(page: Page, console: Console, shots: Path) -> None:
    ids = [console.gql(GRANT, t=TENANT, u=f"user{n:02}@acme.test", d=None)
           ["grantTenantAccess"]["user"]["id"] for n in range(25)]
    console.gql(GROUP, t=TENANT, name="Everyone", ids=ids)
    sign_in(page, console.admin_token)

    open_page(page, "Users", shots, "users-page-1")
    rows = page.get_by_test_id("users").locator("tbody tr")
    expect(rows).to_have_count(20)
    expect(page.get_by_role("navigation", name="Pages")).to_contain_text("Page 1 · 26 in all")
    first = rows.first.locator("td").first.inner_text()
    page.get_by_role("button", name="Next →").click()
    expect(rows).to_have_count(6)
    expect(page.get_by_role("button", name="Next →")).to_be_disabled()
    page.get_by_role("button", name="← Previous").click()
    expect(rows).to_have_count(20)
    expect(rows.first.locator("td").first).to_have_text(first)

    open_page(page, "Groups", shots, "groups-large")
    page.get_by_role("button", name="all 25 members").click()
    members = page.get_by_role("region", name="Members")
    expect(members.locator("tbody tr")).to_have_count(20)
    members.get_by_role("button", name="Next →").click()
    expect(members.locator("tbody tr")).to_have_count(5)


def test_graphql_errors_are_readable(page: Page, console: Console, shots: Path) -> None:
    sign_in(page, console.admin_token)
    open_page(page, "Users", shots, "users")
    page.get_by_label("or SCIM filter").fill('userName zz "x"')
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("alert")).to_contain_text("invalid filter")

    open_page(page, "Bindings", shots, "bindings")
    admin = page.get_by_test_id("bindings").get_by_role("row").filter(has_text="admin@acme.test")
    admin.get_by_role("button", name="Remove").click()
    page.get_by_role("dialog").get_by_role("button", name="Remove").click()
    expect(page.get_by_role("alert")).to_contain_text("Admin")
    page.screenshot(path=shots / "bindings-refused.png", full_page=True)
    expect(admin).to_be_visible()


def test_a_revoked_token_signs_the_console_out(page: Page, console: Console) -> None:
    issued = console.gql("""mutation($t: ID!) { createApiToken(tenant: $t, input: {name: "tab"})
        { token { id } secret } }""", t=TENANT)["createApiToken"]
    sign_in(page, issued["secret"])
    expect(page.get_by_role("heading", level=1, name="Provisioning")).to_be_visible()
    console.gql("""mutation($t: ID!, $id: ID!) {
        revokeApiToken(tenant: $t, id: $id) { token { id } } }""",
                t=TENANT, id=issued["token"]["id"])
    page.get_by_role("link", name="Users").click()
    expect(page.get_by_role("heading", name="Sign in to Tessera")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("no longer accepted")
    assert session_storage(page) == {}
