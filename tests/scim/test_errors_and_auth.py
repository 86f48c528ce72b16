"""Error bodies, authentication, tenant isolation and live permissions over HTTP."""

from __future__ import annotations

import httpx

from backend.domain.models import SubjectType
from backend.services import audit, bindings, integrations, roles
from tests.scim.conftest import Scim, open_scim, scim_app, user_body

ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"


def _is_error(r: httpx.Response, status: int, scim_type: str | None = None) -> None:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/scim+json")
    body = r.json()
    assert body["schemas"] == [ERROR] and body["status"] == str(status)
    assert "Traceback" not in r.text
    if scim_type is not None:
        assert body["scimType"] == scim_type


async def test_error_table(scim: Scim) -> None:
    """One row per error class the door maps."""
    bad_json = await scim.client.post(scim.url("/Users"), content=b"{nope",
                                      headers={"Content-Type": "application/scim+json"})
    _is_error(bad_json, 400, "invalidSyntax")
    not_object = await scim.post("/Users", [1, 2])
    _is_error(not_object, 400, "invalidSyntax")
    _is_error(await scim.get("/Nope"), 404)
    _is_error(await scim.get("/Users/does-not-exist"), 404)
    wrong = await scim.client.delete(scim.url("/Users"))
    _is_error(wrong, 405)
    assert wrong.headers["allow"] == "GET, POST"
    _is_error(await scim.get("/Bulk"), 405)
    _is_error(await scim.get("/Users", params={"filter": "userName eq"}), 400, "invalidFilter")
    _is_error(await scim.get("/Users", params={"filter": 'nope eq "x"'}), 400, "invalidFilter")
    _is_error(await scim.get("/Users", params={"count": "many"}), 400, "invalidValue")
    _is_error(await scim.get("/Me"), 501)


async def test_every_request_under_the_base_answers_in_scims_shape(scim: Scim) -> None:
    """ScimShortcut takes every request under the SCIM base, whatever its method, to the SCIM
    endpoint; only GET of openapi.json is left to FastAPI's routing."""
    trace = await scim.client.request("TRACE", scim.url("/Users"))
    _is_error(trace, 405)
    assert trace.headers["allow"] == "GET, POST"
    _is_error(await scim.post("/openapi.json", {}), 404)
    assert (await scim.get("/openapi.json")).json()["openapi"].startswith("3.")
    _is_error(await scim.get(""), 404)  # the base itself names no resource
    assert (await scim.get("/ServiceProviderConfig/")).status_code == 200
    other = await scim.client.get(f"/api/v1/acme/integrations/{scim.integration_id}/scim/v3")
    assert other.status_code == 404 and "scim" not in other.headers.get("content-type", "")


async def test_content_types_accepted(scim: Scim) -> None:
    for ctype in ("application/scim+json", "application/scim+json; charset=utf-8",
                  "application/json", "application/json;charset=UTF-8"):
        name = f"{len(ctype)}-{ctype[12:16]}@example.com"
        r = await scim.client.post(scim.url("/Users"), headers={"Content-Type": ctype},
                                   content=httpx.Request("POST", "/", json=user_body(name))
                                   .content)
        assert r.status_code == 201, (ctype, r.text)


async def test_body_too_large_is_413(db: object) -> None:
    scim = await open_scim(db, max_body_bytes=200)  # type: ignore[arg-type]
    r = await scim.post("/Users", user_body(displayName="x" * 500))
    _is_error(r, 413)
    await scim.client.aclose()


async def test_wrong_or_missing_token_is_401(scim: Scim) -> None:
    for headers in ({"Authorization": "Bearer nope"}, {"Authorization": "Basic abc"},
                    {"Authorization": ""}):
        r = await scim.client.get(scim.url("/Users"), headers=headers)
        _is_error(r, 401)
        assert r.headers["www-authenticate"] == 'Bearer realm="tessera"'
    # The admin's own (user) token is not an integration token either.
    r = await scim.client.get(scim.url("/ServiceProviderConfig"),
                              headers={"Authorization": f"Bearer {scim.tenant.admin_token}"})
    _is_error(r, 401)


async def test_disabled_integration_is_401_with_clear_detail(scim: Scim) -> None:
    await integrations.update_integration(scim.tenant.ctx(), scim.integration_id, enabled=False)
    r = await scim.get("/Users")
    _is_error(r, 401)
    assert r.json()["detail"] == "this provisioning integration is disabled"


async def test_other_tenants_integration_never_leaks(scim: Scim) -> None:
    other = await open_scim(scim.db, "globex", "Okta")
    victim = (await other.post("/Users", user_body("victim@globex.test"))).json()
    vgroup = (await other.post("/Groups", {"displayName": "Globex"})).json()
    # acme's token on globex's URL, and on a made-up integration id: same 401, same body.
    stolen = other.base
    r1 = await scim.client.get(f"{stolen}/Users/{victim['id']}")
    r2 = await scim.client.get("/api/v1/globex/integrations/made-up/scim/v2/Users")
    r3 = await scim.client.get(f"/api/v1/globex/integrations/{scim.integration_id}/scim/v2/Users")
    for r in (r1, r2, r3):
        _is_error(r, 401)
    assert r1.json() == r2.json() == r3.json()
    # acme's token on acme's URL, guessing globex ids: 404, and writes fail too.
    _is_error(await scim.get(f"/Users/{victim['id']}"), 404)
    _is_error(await scim.get(f"/Groups/{vgroup['id']}"), 404)
    _is_error(await scim.patch(f"/Users/{victim['id']}", {"Operations": [
        {"op": "replace", "path": "active", "value": False}]}), 404)
    _is_error(await scim.delete(f"/Groups/{vgroup['id']}"), 404)
    r = await scim.post("/Groups", {"displayName": "X", "members": [{"value": victim["id"]}]})
    _is_error(r, 400, "invalidValue")
    listed = (await scim.get("/Users", params={"filter": 'userName eq "victim@globex.test"'}))
    assert listed.json()["totalResults"] == 0
    assert (await other.get(f"/Users/{victim['id']}")).json()["active"] is True
    await other.client.aclose()


async def test_permissions_are_live(scim: Scim) -> None:
    ctx = scim.tenant.ctx()
    role = next(r for r in await roles.list_roles(ctx) if r.name == "SCIMProvisioner")
    assert "USER:CREATE" in role.permissions
    assert (await scim.post("/Users", user_body("before@example.com"))).status_code == 201
    await roles.update_role(ctx, role.id, permissions=role.permissions - {"USER:CREATE"})
    r = await scim.post("/Users", user_body("after@example.com"))
    _is_error(r, 403)
    assert (await scim.get("/Users")).status_code == 200  # the rest still works


async def test_removing_the_integrations_binding_refuses_its_next_request(scim: Scim) -> None:
    # The grants are read with the token on each request (authn), never kept between them.
    ctx = scim.tenant.ctx()
    assert (await scim.get("/Users")).status_code == 200
    account_bindings = await bindings.list_bindings(ctx, subject_type=SubjectType.SERVICE_ACCOUNT)
    assert len(account_bindings) == 1
    await bindings.delete_binding(ctx, account_bindings[0].id)
    _is_error(await scim.get("/Users"), 403)
    _is_error(await scim.post("/Users", user_body("unbound@example.com")), 403)


async def test_a_scim_delete_removes_the_users_bindings_in_the_tenant(scim: Scim) -> None:
    ctx = scim.tenant.ctx()
    kept = (await scim.post("/Users", user_body("kept@example.com"))).json()["id"]
    gone = (await scim.post("/Users", user_body("gone@example.com"))).json()["id"]
    viewer = next(r for r in await roles.list_roles(ctx) if r.name == "Viewer")
    for user_id in (kept, gone):
        await bindings.create_binding(ctx, viewer.id, SubjectType.USER, user_id)
    assert (await scim.delete(f"/Users/{gone}")).status_code == 204
    left = await bindings.list_bindings(ctx, subject_type=SubjectType.USER,
                                        subject_ids=[kept, gone])
    assert [b.subject_id for b in left] == [kept]
    events = await audit.list_events(ctx, action="user.remove_access")
    assert [e.summary["bindingsRemoved"] for e in events] == [1]


async def test_unhandled_exception_is_a_scim_500(scim: Scim, monkeypatch: object) -> None:
    from scim_adapter import handlers

    async def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(handlers.users, "list_users", boom)  # type: ignore[attr-defined]
    r = await scim.get("/Users")
    _is_error(r, 500)
    assert r.json()["detail"] == "internal error" and "secret" not in r.text


async def test_app_factory_mounts_scim(db: object) -> None:
    app = scim_app(db)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://t") as client:
        r = await client.get("/api/v1/acme/integrations/x/scim/v2/ServiceProviderConfig")
    _is_error(r, 401)
