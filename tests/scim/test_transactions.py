"""Transactions per SCIM request. Each costs a connection checkout, BEGIN and COMMIT, which the
bench measured as a large share of a request's CPU (four per request before: authentication,
the operation, the user's groups, the request log).

A read (GET, POST .search) runs in one transaction, authentication included; a write runs
authentication, then one transaction for the change and the user's groups; the request log
adds its own."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import sqlalchemy as sa

from backend.persistence.db import Database
from tests.scim.conftest import Scim, patch_body, user_body


@contextmanager
def _transactions(db: Database) -> Iterator[list[int]]:
    began: list[int] = []

    def on_begin(conn: Any) -> None:
        began.append(1)

    sa.event.listen(db.engine.sync_engine, "begin", on_begin)
    try:
        yield began
    finally:
        sa.event.remove(db.engine.sync_engine, "begin", on_begin)


async def test_a_read_and_a_write_each_run_one_transaction_besides_the_log(
    db: Database, scim: Scim
) -> None:
    created = await scim.post("/Users", user_body("tx@example.com"))  # also stamps last_used
    user_id = created.json()["id"]
    search = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"]}
    reads: list[Callable[[], Awaitable[httpx.Response]]] = [
        lambda: scim.get("/Users", params={"filter": 'userName eq "tx@example.com"'}),
        lambda: scim.get(f"/Users/{user_id}"),
        lambda: scim.post("/.search", search),
    ]
    for read in reads:
        with _transactions(db) as began:
            response = await read()
        assert response.status_code == 200, response.text
        assert len(began) == 2, response.request.url  # the request's, the request log's
    with _transactions(db) as began:
        response = await scim.patch(f"/Users/{user_id}", patch_body(
            {"op": "replace", "path": "displayName", "value": "Tx"}))
    assert response.status_code == 200 and response.json()["groups"] == []
    assert len(began) == 3  # authentication, the change (with its groups), the request log


async def test_creating_an_empty_group_reads_no_members_afterwards(
    db: Database, scim: Scim
) -> None:
    await scim.get("/Groups")  # stamps the token's last use
    with _transactions(db) as began:
        response = await scim.post("/Groups", {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Tx"})
    assert response.status_code == 201, response.text
    assert response.json().get("members", []) == []
    assert len(began) == 3  # authentication, the create, the request log
