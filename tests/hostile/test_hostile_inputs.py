"""Named hostile inputs on every SCIM write route and on filters and PATCH paths: each is
refused with the documented status and scimType, leaks nothing, and changes nothing."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from backend.domain import limits
from backend.domain.filters import MAX_FILTER_LENGTH
from tests.hostile.support import assert_scim_error
from tests.scim.conftest import Scim, patch_body, user_body

GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
BULK = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
SEARCH = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


def _raw(doc: Any) -> bytes:
    """JSON as a hostile client may send it: lone surrogates and NULs kept as escapes."""
    return json.dumps(doc).encode()


def _deep(levels: int) -> dict[str, Any]:
    node: dict[str, Any] = {"value": "x"}
    for _ in range(levels):
        node = {"a": node}
    return node


def _group(name: str = "Team", **extra: Any) -> dict[str, Any]:
    return {"schemas": [GROUP], "displayName": name, **extra}


# (label, body, status, scimType) for POST /Users.
USER_CASES: list[tuple[str, bytes, int, str]] = [
    ("userName too long", _raw(user_body("u" * (limits.MAX_IDENTIFIER_LENGTH + 1))),
     400, "invalidValue"),
    ("externalId too long", _raw(user_body("a@x.io", externalId="e" * 256)), 400, "invalidValue"),
    ("attribute too long", _raw(user_body("a@x.io", title="t" * (limits.MAX_STRING_LENGTH + 1))),
     400, "invalidValue"),
    ("key too long", _raw(user_body("a@x.io", **{"k" * (limits.MAX_KEY_LENGTH + 1): 1})),
     400, "invalidValue"),
    ("NUL in userName", _raw(user_body("a\x00@x.io")), 400, "invalidValue"),
    ("NUL in externalId", _raw(user_body("a@x.io", externalId="e\x00")), 400, "invalidValue"),
    ("NUL in displayName", _raw(user_body("a@x.io", displayName="A\x00")), 400, "invalidValue"),
    ("NUL in any attribute", _raw(user_body("a@x.io", nickName="n\x00")), 400, "invalidValue"),
    ("NUL in a key", _raw(user_body("a@x.io", **{"urn:x:y": {"k\x00": 1}})), 400, "invalidValue"),
    ("lone surrogate", _raw(user_body("a\ud800@x.io")), 400, "invalidValue"),
    ("lone surrogate elsewhere", _raw(user_body("a@x.io", title="\udfff")), 400, "invalidValue"),
    ("tab in userName", _raw(user_body("a\tb@x.io")), 400, "invalidValue"),
    ("newline in userName", _raw(user_body("a\nb@x.io")), 400, "invalidValue"),
    ("zero-width space in userName", _raw(user_body("a\u200bb@x.io")), 400, "invalidValue"),
    ("bidi override in userName", _raw(user_body("a\u202eb@x.io")), 400, "invalidValue"),
    ("URN-qualified userName with BEL",
     _raw({"schemas": [user_body()["schemas"][0]],
           "urn:ietf:params:scim:schemas:core:2.0:User:userName": "a\x07@x.io"}),
     400, "invalidValue"),
    ("line separator in displayName", _raw(user_body("a@x.io", displayName="A\u2028B")),
     400, "invalidValue"),
    ("deep JSON", _raw(user_body("a@x.io", **{ENTERPRISE: _deep(limits.MAX_JSON_DEPTH)})),
     400, "invalidSyntax"),
    ("very deep JSON", b"[" * 100_000 + b"]" * 100_000, 400, "invalidSyntax"),
    ("invalid UTF-8", b'{"userName": "a\xff\xfe@x.io"}', 400, "invalidSyntax"),
    ("overlong UTF-8 encoding of '/'", b'{"userName": "a\xc0\xafb"}', 400, "invalidSyntax"),
    ("UTF-16", json.dumps(user_body("a@x.io")).encode("utf-16"), 400, "invalidSyntax"),
    ("NaN", b'{"userName": "a@x.io", "x": NaN}', 400, "invalidSyntax"),
    ("Infinity", b'{"userName": "a@x.io", "x": -Infinity}', 400, "invalidSyntax"),
    ("float overflow", b'{"userName": "a@x.io", "x": 1e999}', 400, "invalidSyntax"),
    ("huge integer", b'{"userName": "a@x.io", "x": ' + b"9" * 4000 + b"}", 400, "invalidSyntax"),
    ("not JSON", b"{'userName': 'a'}", 400, "invalidSyntax"),
]


@pytest.fixture
async def target(hostile: Scim) -> AsyncIterator[tuple[Scim, str, str]]:
    user = (await hostile.post("/Users", user_body("target@example.com"))).json()
    group = (await hostile.post("/Groups", _group("Target"))).json()
    yield hostile, user["id"], group["id"]


async def _send(scim: Scim, method: str, path: str, raw: bytes) -> httpx.Response:
    return await scim.client.request(method, scim.url(path), content=raw,
                                     headers={"Content-Type": "application/scim+json"})


async def _state(scim: Scim) -> tuple[Any, ...]:
    users = (await scim.get("/Users")).json()
    groups = (await scim.get("/Groups")).json()
    return users["totalResults"], groups["totalResults"], json.dumps(users["Resources"])


async def test_hostile_user_bodies_are_refused_cleanly(target: tuple[Scim, str, str]) -> None:
    """POST and PUT /Users, and the same data inside a Bulk request (refused whole)."""
    scim, user_id, _ = target
    before = await _state(scim)
    for label, raw, status, scim_type in USER_CASES:
        bulk = b'{"schemas": ["%s"], "Operations": [{"method": "POST", "path": "/Users", ' \
               b'"bulkId": "b", "data": %s}]}' % (BULK.encode(), raw)
        for method, path, body in (("POST", "/Users", raw), ("PUT", f"/Users/{user_id}", raw),
                                   ("POST", "/Bulk", bulk)):
            answer = await _send(scim, method, path, body)
            assert_scim_error(answer, status, scim_type, label)
    assert await _state(scim) == before


GROUP_CASES = [
    ("displayName too long", _group("g" * 256), "invalidValue"),
    ("NUL in displayName", _group("g\x00"), "invalidValue"),
    ("lone surrogate in displayName", _group("g\ud800"), "invalidValue"),
    ("control char in displayName", _group("g\x1b[31m"), "invalidValue"),
    ("NUL in externalId", _group("g", externalId="\x00"), "invalidValue"),
    ("NUL in a member id", _group("g", members=[{"value": "u\x00"}]), "invalidValue"),
    ("deep members", _group("g", members=[_deep(40)]), "invalidSyntax"),
]


async def test_hostile_group_bodies_are_refused_cleanly(target: tuple[Scim, str, str]) -> None:
    scim, _, group_id = target
    before = await _state(scim)
    for label, body, scim_type in GROUP_CASES:
        for method, path in (("POST", "/Groups"), ("PUT", f"/Groups/{group_id}")):
            answer = await _send(scim, method, path, _raw(body))
            assert_scim_error(answer, 400, scim_type, label)
    assert await _state(scim) == before


PATCH_CASES = [
    ("userName with NUL", {"op": "replace", "path": "userName", "value": "x\x00"},
     "invalidValue"),
    ("userName with tab", {"op": "replace", "path": "userName", "value": "x\ty"},
     "invalidValue"),
    ("pathless userName with zero-width joiner",
     {"op": "replace", "value": {"userName": "x\u200dy"}}, "invalidValue"),
    ("displayName with lone surrogate", {"op": "add", "path": "displayName", "value": "\udc00"},
     "invalidValue"),
    ("externalId too long", {"op": "replace", "path": "externalId", "value": "e" * 300},
     "invalidValue"),
    ("path with NUL", {"op": "replace", "path": "userName\x00", "value": "x"}, "invalidValue"),
    ("filter value with NUL", {"op": "replace", "path": 'emails[value eq "\x00"].type',
                               "value": "work"}, "invalidValue"),
    ("path too long", {"op": "replace", "path": "a" * (MAX_FILTER_LENGTH + 1), "value": "x"},
     "invalidPath"),
    ("path nested too deep", {"op": "remove",
                              "path": "emails[" + "(" * 40 + 'type eq "w"' + ")" * 40 + "]"},
     "invalidPath"),
    ("deep value", {"op": "add", "path": ENTERPRISE, "value": _deep(40)}, "invalidSyntax"),
]


async def test_hostile_patch_ops_are_refused_cleanly(target: tuple[Scim, str, str]) -> None:
    scim, user_id, group_id = target
    before = await _state(scim)
    for label, op, scim_type in PATCH_CASES:
        raw = _raw(patch_body(op))
        answer = await _send(scim, "PATCH", f"/Users/{user_id}", raw)
        assert_scim_error(answer, 400, scim_type, label)
        # Groups may name a different problem first (e.g. userName is not a Group attribute).
        assert_scim_error(await _send(scim, "PATCH", f"/Groups/{group_id}", raw), 400, None, label)
    assert await _state(scim) == before


FILTER_CASES = [
    ('userName eq "\x00"', "invalidValue"),
    ('userName eq "a\ud800"', None),  # only reachable through a .search body
    ('userName eq "' + "a" * MAX_FILTER_LENGTH + '"', "invalidFilter"),
    ("(" * 40 + 'userName eq "a"' + ")" * 40, "invalidFilter"),
    (" or ".join(['userName eq "a"'] * 250), "invalidFilter"),
    ('userName eq "' + "\u0301" * 10 + '"', None),  # odd but harmless: 200
]


async def test_hostile_filters_are_refused_cleanly(hostile: Scim) -> None:
    """Query-string filters and .search bodies (root, Users, Groups)."""
    for text, scim_type in FILTER_CASES:
        if "\ud800" not in text:  # a URL cannot carry a lone surrogate
            r = await hostile.get("/Users", params={"filter": text})
            if scim_type is None:
                assert r.status_code == 200, r.text[:300]
            else:
                assert_scim_error(r, 400, scim_type, text[:40])
        search = _raw({"schemas": [SEARCH], "filter": text})
        for path in ("/.search", "/Users/.search", "/Groups/.search"):
            r = await _send(hostile, "POST", path, search)
            if path == "/Groups/.search" and scim_type is None:
                continue  # Groups have no userName: 400 invalidFilter, for another reason
            if scim_type is None and "\ud800" not in text:
                assert r.status_code == 200, r.text[:300]
            else:
                body = assert_scim_error(r, 400, None, text[:40])
                assert body["scimType"] in ("invalidValue", "invalidFilter"), body


async def test_bodies_over_the_limit_are_413_even_without_content_length(hostile: Scim) -> None:
    big = _raw(user_body("a@x.io", title="t" * 1_100_000))

    async def chunks() -> AsyncIterator[bytes]:
        for i in range(0, len(big), 65_536):
            yield big[i:i + 65_536]

    assert_scim_error(await _send(hostile, "POST", "/Users", big), 413, "tooLarge")
    streamed = await hostile.client.post(hostile.url("/Users"), content=chunks(),
                                         headers={"Content-Type": "application/scim+json"})
    assert "content-length" not in streamed.request.headers
    assert_scim_error(streamed, 413, "tooLarge")
    bulk = b'{"schemas": ["%s"], "Operations": [{"method": "POST", "path": "/Users", ' \
           b'"data": %s}]}' % (BULK.encode(), big)
    assert_scim_error(await _send(hostile, "POST", "/Bulk", bulk), 413, "tooLarge")


async def test_printable_unicode_is_still_accepted(hostile: Scim) -> None:
    """The limits refuse control characters, not languages or emoji."""
    r = await hostile.post("/Users", user_body(
        "\u00e9lo\u00efse.\u738b@example.com", displayName="\u00c9lo\u00efse \u738b",
        addresses=[{"formatted": "1 Rue\nParis", "type": "work"}]))
    assert r.status_code == 201, r.text
    r = await hostile.post("/Groups", _group("\U0001f469\u200d\U0001f4bb Devs \u2014 R&D"))
    assert r.status_code == 201, r.text
    r = await hostile.get("/Users", params={"filter": 'userName sw "\u00c9LO"'})
    assert r.json()["totalResults"] == 1
    r = await hostile.post("/Users", user_body("long@example.com", displayName="\u00e9" * 256))
    assert r.status_code == 201, r.text  # Entra allows 256 characters in a user displayName


URL_CASES = ["/Users/%00", "/Groups/%00", "/Users/a%00b", "/Schemas/%00", "/ResourceTypes/%00",
             "/Users?sortBy=%00", "/Users?attributes=%00", "/Users?cursor=%00",
             "/Groups?excludedAttributes=a%00", "/Users?%00=1"]


async def test_nul_in_urls_is_400_on_every_method(hostile: Scim) -> None:
    """Resource ids and query parameters with NUL never reach a database (PostgreSQL would
    raise on them); odd but storable ones get ordinary answers."""
    for path in URL_CASES:
        for method in ("GET", "PUT", "PATCH", "DELETE"):
            answer = await _send(hostile, method, path, b"{}")
            assert_scim_error(answer, 400, "invalidValue", f"{method} {path}")
    for path in ("/Users/%ff%fe", "/Users/" + "a" * 5000, "/Users?count=" + "9" * 30,
                 "/Users?startIndex=-" + "9" * 30, "/Users?cursor=abc"):
        answer = await hostile.client.get(hostile.url(path))
        assert answer.status_code < 500, (path, answer.text[:300])
        if answer.status_code >= 400:
            assert_scim_error(answer, label=path)
    # Ids holding an encoded line feed are still SCIM routes (a SCIM 404, not the console's).
    for path in ("/Users/a%0Ab", "/Groups/%0A", "/Users/%0D%0A"):
        assert_scim_error(await hostile.client.get(hostile.url(path)), 404, None, path)


async def test_a_chunked_body_without_content_length_is_read(hostile: Scim) -> None:
    # Requests with neither Content-Length nor Transfer-Encoding have no body and are not read;
    # a chunked one is.
    body = _raw(user_body("chunked@x.io"))

    async def chunks() -> AsyncIterator[bytes]:
        yield body[:10]
        yield body[10:]

    r = await hostile.client.post(hostile.url("/Users"), content=chunks(),
                                  headers={"Content-Type": "application/scim+json"})
    assert "content-length" not in r.request.headers
    assert r.status_code == 201, r.text
    assert r.json()["userName"] == "chunked@x.io"
