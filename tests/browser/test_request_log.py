"""The request log panel's status filter and paging, against a scripted log.

Producing 30 real rows with chosen statuses would take 30 SCIM calls per run, so the browser
answers that one query from a log that follows ``Integration.requestLog(first, after, status)``
(newest first, status filter, cursors). The journey test reads the real log of a real SCIM run.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("playwright", reason="playwright is missing: install the dev extras")
from playwright.sync_api import Page, Route, expect

from tests.browser.conftest import TENANT, Console
from tests.browser.test_console_journey import sign_in

PAGE = 20
REQUESTS = [{"id": str(n), "requestId": f"req-{n:02}", "at": f"2026-11-23T10:{n:02}:00+00:00",
             "method": "POST", "path": "/Users", "status": 409 if n % 3 == 0 else 201,
             "scimType": "uniqueness" if n % 3 == 0 else None, "durationMs": n,
             "summary": {"userName": f"user{n:02}@acme.test"}}
            for n in range(30, 0, -1)]  # newest first


def fake_log(variables: dict[str, Any]) -> dict[str, Any]:
    rows = [r for r in REQUESTS if variables.get("status") in (None, r["status"])]
    after = variables.get("after")
    start = next(i + 1 for i, r in enumerate(rows) if r["id"] == after) if after else 0
    page = rows[start:start + variables["first"]]
    return {"edges": [{"cursor": r["id"], "node": r} for r in page],
            "pageInfo": {"hasNextPage": start + len(page) < len(rows),
                         "endCursor": page[-1]["id"] if page else None}}


def test_request_log_filter_and_paging(page: Page, console: Console, shots: Path) -> None:
    created = console.gql("""mutation($t: ID!) { createProvisioningIntegration(tenant: $t,
        input: {name: "Okta"}) { integration { id } } }""", t=TENANT)
    integration_id = created["createProvisioningIntegration"]["integration"]["id"]
    asked: list[dict[str, Any]] = []

    def answer(route: Route) -> None:
        body = json.loads(route.request.post_data or "{}")
        if "query RequestLog" not in body.get("query", ""):
            route.continue_()
            return
        asked.append(body["variables"])
        log = fake_log(body["variables"])
        assert body["variables"]["i"] == integration_id
        route.fulfill(json={"data": {"tenant": {"integration": {"requestLog": log}}}})

    page.route("**/graphql", answer)
    sign_in(page, console.admin_token)
    page.get_by_role("button", name="Request log").click()
    panel = page.get_by_role("region", name="Request log")
    rows = panel.get_by_test_id("request-log").locator("tbody tr")
    expect(rows).to_have_count(PAGE)
    expect(rows.first).to_contain_text("req-30")
    expect(rows.first).to_contain_text("userName: user30@acme.test")
    page.screenshot(path=shots / "request-log.png", full_page=True)

    panel.get_by_role("button", name="Next →").click()
    expect(rows).to_have_count(10)
    assert asked[-1]["after"] == "11"
    panel.get_by_role("button", name="← Previous").click()
    expect(rows.first).to_contain_text("req-30")

    panel.get_by_label("Status").select_option("409")
    expect(rows).to_have_count(10)
    expect(rows.filter(has_text="uniqueness")).to_have_count(10)
    assert asked[-1] == {"t": TENANT, "i": integration_id, "first": PAGE, "after": None,
                         "status": 409}
    expect(panel.get_by_role("button", name="Next →")).to_be_disabled()
