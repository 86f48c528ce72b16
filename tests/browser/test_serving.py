"""The console is served at / with a strict CSP, without shadowing the API routes."""

from __future__ import annotations

from tests.browser.conftest import Console


def test_console_is_served_with_a_strict_csp(console: Console) -> None:
    index = console.http.get("/")
    assert index.status_code == 200
    assert '<script type="module" src="/js/main.js">' in index.text
    csp = index.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "default-src 'none'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    script = console.http.get("/js/main.js")
    assert script.headers["content-type"].startswith("text/javascript")
    assert script.headers["content-security-policy"] == csp
    assert script.headers["x-content-type-options"] == "nosniff"


def test_api_routes_still_win(console: Console) -> None:
    assert console.http.get("/healthz").json() == {"status": "ok"}
    assert console.gql("{ me { label } }")["me"]["label"] == "admin@acme.test"
    refused = console.http.get("/api/v1/acme/integrations/nope/scim/v2/Users")
    assert refused.status_code == 401
    assert "content-security-policy" not in refused.headers
    assert console.http.get("/no-such-page").status_code == 404
    graphiql = console.http.get("/graphql", headers={"Accept": "text/html"})
    assert graphiql.status_code == 200 and "graphiql" in graphiql.text.lower()
