"""SCIM clients for race tests: one integration, many threads, any of several servers."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx

from tests.idp.harness import Server

USER_URN = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_URN = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH_URN = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
BULK_URN = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"

T = TypeVar("T")


@dataclass
class Integration:
    """A tenant and provisioning integration; ``path`` is its SCIM base without the host."""

    tenant: str
    path: str
    secret: str

    def client(self, base: str) -> Scim:
        return Scim(httpx.Client(base_url=base, timeout=60), self)


def open_integration(url: str, schema: str | None, base: str, name: str) -> Integration:
    """A fresh tenant with its admin and one integration (made through GraphQL, as admins do)."""
    idp = Server(url, schema, base).open(name, {})
    idp.client.close()
    return Integration(idp.tenant, idp.endpoint.removeprefix(base), idp.secret)


@dataclass
class Scim:
    http: httpx.Client
    integration: Integration

    def __call__(self, method: str, path: str, body: Any = None,
                 headers: dict[str, str] | None = None,
                 params: dict[str, str] | None = None) -> httpx.Response:
        sent = {"Authorization": f"Bearer {self.integration.secret}",
                "Content-Type": "application/scim+json", **(headers or {})}
        content = None if body is None else json.dumps(body).encode()
        return self.http.request(method, self.integration.path + path, content=content,
                                 headers=sent, params=params)

    def ok(self, method: str, path: str, body: Any = None, expect: int = 200) -> Any:
        r = self(method, path, body)
        assert r.status_code == expect, f"{method} {path} -> {r.status_code}: {r.text}"
        return r.json() if r.content else None

    def close(self) -> None:
        self.http.close()


def user_body(user_name: str, **extra: Any) -> dict[str, Any]:
    return {"schemas": [USER_URN], "userName": user_name, "active": True, **extra}


def patch(*ops: dict[str, Any]) -> dict[str, Any]:
    return {"schemas": [PATCH_URN], "Operations": list(ops)}


def create_users(scim: Scim, names: list[str]) -> list[str]:
    """Many users in one Bulk request (fast set-up); returns their ids in order."""
    ops = [{"method": "POST", "path": "/Users", "bulkId": f"u{i}", "data": user_body(n)}
           for i, n in enumerate(names)]
    out = scim.ok("POST", "/Bulk", {"schemas": [BULK_URN], "Operations": ops})
    assert [o["status"] for o in out["Operations"]] == ["201"] * len(names), out
    return [o["location"].rsplit("/", 1)[1] for o in out["Operations"]]


def members_of(scim: Scim, group_id: str) -> set[str]:
    doc = scim.ok("GET", f"/Groups/{group_id}")
    return {m["value"] for m in doc.get("members", [])}


def race(count: int, work: Callable[[int], T]) -> list[T]:
    """Run ``work(i)`` for i in range(count) on as many threads, released together."""
    barrier = threading.Barrier(count)

    def run(i: int) -> T:
        barrier.wait(timeout=30)
        return work(i)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))
