"""schemathesis against the SCIM door's own OpenAPI document, in process (ASGI).

Cases come from the document served at ``{SCIM base}/openapi.json`` (positive and negative
generation), are sent with the integration's bearer token, and must pass schemathesis'
``not_a_server_error`` check; every 4xx must also be a SCIM Error body without internals.
"""

from __future__ import annotations

import functools
import json
from typing import Any

import httpx
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import Case, GenerationMode
from schemathesis.checks import not_a_server_error

from tests.hostile.support import assert_no_leak, assert_scim_error
from tests.scim.conftest import Scim, user_body

EXAMPLES = 120
PLACEHOLDER = "/scim-base"  # cases are generated once against this base, then re-targeted


@functools.cache
def _cached(document_json: str) -> tuple[Case, ...]:
    return tuple(_generate(json.loads(document_json)))


def _cases(served: dict[str, Any]) -> tuple[Case, ...]:
    """Cases for the served document; generation is the slow part, so each DB reuses it."""
    neutral = {**served, "servers": [{"url": "http://testserver" + PLACEHOLDER}]}
    return _cached(json.dumps(neutral, sort_keys=True))


def _generate(document: dict[str, Any]) -> list[Case]:
    schema = schemathesis.openapi.from_dict(document)
    operations = [result.ok() for result in schema.get_all_operations()]
    strategies = [op.as_strategy(generation_mode=mode) for op in operations
                  for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)]
    cases: list[Case] = []

    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(case=st.one_of(strategies))
    def collect(case: Case) -> None:
        cases.append(case)  # sent below: @given is synchronous, the client is not

    collect()
    return cases


async def _send(scim: Scim, case: Case) -> httpx.Response:
    kw = case.as_transport_kwargs(headers={"Authorization": f"Bearer {scim.secret}"})
    body: dict[str, Any] = {}
    if "json" in kw:
        body["json"] = kw["json"]
    elif kw.get("data") is not None:
        body["content"] = kw["data"]
    url = scim.base + kw["url"].removeprefix(PLACEHOLDER)
    return await scim.client.request(kw["method"], url, params=kw.get("params"),
                                     headers=kw["headers"], **body)


async def test_openapi_document_is_served_behind_the_token(scim: Scim) -> None:
    r = await scim.get("/openapi.json")
    assert r.status_code == 200
    doc = r.json()
    assert doc["openapi"].startswith("3.")
    assert doc["servers"] == [{"url": "http://testserver" + scim.base}]
    assert {"/Users", "/Users/{id}", "/Groups", "/Groups/{id}", "/Bulk", "/.search",
            "/ServiceProviderConfig", "/ResourceTypes", "/Schemas"} <= set(doc["paths"])
    assert doc["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    anonymous = await scim.client.get(scim.url("/openapi.json"),
                                      headers={"Authorization": "Bearer wrong"})
    assert_scim_error(anonymous, 401)


async def test_schemathesis_finds_no_server_error(hostile: Scim) -> None:
    # Some existing resources, so that generated ids sometimes hit and PATCH/PUT run deeper.
    await hostile.post("/Users", user_body("seed@example.com"))
    doc = (await hostile.get("/openapi.json")).json()
    cases = _cases(doc)
    assert len(cases) >= EXAMPLES // 2
    statuses: set[int] = set()
    for case in cases:
        response = await _send(hostile, case)
        statuses.add(response.status_code)
        case.validate_response(response, checks=[not_a_server_error])
        assert_no_leak(response)
        if response.status_code >= 400:
            assert_scim_error(response)
    # The run reached both success and client-error answers, not only one kind.
    assert any(s < 300 for s in statuses) and any(400 <= s < 500 for s in statuses), statuses
