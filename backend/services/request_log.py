"""Provisioning request log: one row per SCIM request to an integration.

Write path: the SCIM door hands :meth:`RequestLog.write` to the response as a background task,
so the row is written after the response is sent and never holds up the IdP; it is one
``INSERT ... SELECT`` in its own short transaction (on SQLite it queues behind the single writer
like any other write, but outside the request's latency). The ``SELECT`` part inserts only when
the integration exists in that tenant, so a 401 for a known integration is logged while probes
of unknown ids write nothing, in the same single statement. Trade-off: a process killed between
response and write loses that one log row; the audit log (written in the change's own
transaction) stays the record of truth.

Group commit: a write that arrives while another is being committed waits for it, then commits
every entry that queued meanwhile in one statement. Each ``write`` still returns only once its
own row is committed; under concurrency the log costs one transaction per batch instead of one
per request (on SQLite it would otherwise be half of all write transactions).

Pruning is amortised: every ``prune_every`` writes of a process, rows older than the retention
and rows beyond the per-integration cap (of the integration just written) are deleted.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from backend.domain.errors import InvalidValue, NotFound
from backend.domain.permissions import Action, Resource
from backend.persistence import tables as t
from backend.persistence.db import Database
from backend.persistence.rows import ts
from backend.services import authz
from backend.services.context import Clock, ServiceContext, utc_now

log = logging.getLogger(__name__)
MAX_PATH = 512
# Rows per INSERT: SQLite allows 500 SELECTs in one compound statement.
MAX_BATCH = 200


@dataclass(frozen=True, slots=True)
class ProvisioningRequest:
    id: int
    request_id: str
    at: datetime
    method: str
    path: str
    status: int
    scim_type: str | None
    duration_ms: int
    summary: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Entry:
    """What the SCIM door knows about one finished request (never a body or a header)."""

    tenant_id: str
    integration_id: str
    request_id: str
    method: str
    path: str
    status: int
    scim_type: str | None
    duration_ms: int
    summary: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Retention:
    days: int
    max_rows: int
    prune_every: int


class RequestLog:
    """Per-process writer; the write counter only decides when to prune."""

    def __init__(self, db: Database, retention: Retention, clock: Clock = utc_now) -> None:
        self.db = db
        self.retention = retention
        self.clock = clock
        self._writes = 0
        self._pending: list[tuple[Entry, datetime]] = []
        self._committing = asyncio.Lock()
        self._queued = 0  # rows ever queued; row n is the n-th (0-based)
        self._taken = 0  # rows below this number were taken by a committing writer

    async def write(self, entry: Entry) -> None:
        """Never raises: losing a log row must not turn into an error for anyone.

        A writer whose row a writer ahead of it already committed returns without a commit of
        its own. Without that check, under sustained load every writer found some newer row and
        committed it: one log commit per request, competing with the requests for the write
        lock, and the waiting writers (each holding its finished request) piled up without
        bound (the 100k bench: 70,000 waiting, 1.6 GB)."""
        mine = self._queued
        self._queued += 1
        self._pending.append((entry, self.clock()))
        async with self._committing:
            if mine < self._taken:
                return
            batch, self._pending = self._pending, []
            self._taken = self._queued
            for start in range(0, len(batch), MAX_BATCH):
                await self._commit(batch[start:start + MAX_BATCH])

    async def _commit(self, batch: list[tuple[Entry, datetime]]) -> None:
        before, self._writes = self._writes, self._writes + len(batch)
        try:
            async with self.db.write() as conn:
                await _insert(conn, batch)
                if before // self.retention.prune_every != self._writes // \
                        self.retention.prune_every:
                    for integration_id in sorted({e.integration_id for e, _ in batch}):
                        await prune(conn, integration_id, self.clock(), self.retention)
        except Exception as exc:  # a diagnostic log must never break provisioning
            log.warning("could not record %d SCIM request(s), first %s: %s", len(batch),
                        batch[0][0].request_id, type(exc).__name__)


def _insert_statement() -> sa.Insert:
    """``INSERT ... SELECT`` of one row, only if its integration exists (the URL's integration
    may be unknown or deleted). Built once; a batch runs it as one executemany."""
    i, r = t.integrations.c, t.provisioning_requests.c
    source = sa.select(
        i.id, i.tenant_id, sa.bindparam("request_id", type_=sa.String),
        sa.bindparam("at", type_=t.TS), sa.bindparam("method", type_=sa.String),
        sa.bindparam("path", type_=sa.String), sa.bindparam("status", type_=sa.Integer),
        sa.bindparam("scim_type", type_=sa.String(32)),
        sa.bindparam("duration_ms", type_=sa.Integer), sa.bindparam("summary", type_=sa.JSON),
    ).where(i.id == sa.bindparam("integration_id"), i.tenant_id == sa.bindparam("tenant_id"))
    return t.provisioning_requests.insert().from_select(
        [r.integration_id, r.tenant_id, r.request_id, r.at, r.method, r.path, r.status,
         r.scim_type, r.duration_ms, r.summary], source)


_INSERT = _insert_statement()


async def _insert(conn: AsyncConnection, batch: list[tuple[Entry, datetime]]) -> None:
    await conn.execute(_INSERT, [
        {"integration_id": entry.integration_id, "tenant_id": entry.tenant_id,
         "request_id": entry.request_id, "at": at, "method": entry.method[:16],
         "path": entry.path[:MAX_PATH], "status": entry.status, "scim_type": entry.scim_type,
         "duration_ms": entry.duration_ms, "summary": entry.summary}
        for entry, at in batch])


async def prune(conn: AsyncConnection, integration_id: str, now: datetime,
                retention: Retention) -> None:
    r = t.provisioning_requests.c
    await conn.execute(t.provisioning_requests.delete()
                       .where(r.at < now - timedelta(days=retention.days)))
    # The id of the newest row beyond the cap; everything at or below it goes.
    boundary = (await conn.execute(
        sa.select(r.id).where(r.integration_id == integration_id)
        .order_by(r.id.desc()).offset(retention.max_rows).limit(1))).scalar()
    if boundary is not None:
        await conn.execute(t.provisioning_requests.delete().where(
            r.integration_id == integration_id, r.id <= boundary))


def _to_request(row: sa.Row[Any]) -> ProvisioningRequest:
    return ProvisioningRequest(
        id=row.id, request_id=row.request_id, at=ts(row.at), method=row.method, path=row.path,
        status=row.status, scim_type=row.scim_type, duration_ms=row.duration_ms,
        summary=dict(row.summary or {}))


async def list_requests(
    ctx: ServiceContext, integration_id: str, *, first: int, after: int | None = None,
    status: int | None = None,
) -> list[ProvisioningRequest]:
    """Newest first; ``after`` is the id of the last row of the previous page."""
    if first < 0:
        raise InvalidValue("first must not be negative", field="first")
    r = t.provisioning_requests.c
    stmt = sa.select(t.provisioning_requests).where(r.integration_id == integration_id)
    if after is not None:
        stmt = stmt.where(r.id < after)
    if status is not None:
        stmt = stmt.where(r.status == status)
    async with ctx.db.read() as conn:
        tenant_id = await authz.require(ctx, conn, Resource.INTEGRATION, Action.VIEW)
        found = (await conn.execute(sa.select(t.integrations.c.id).where(
            t.integrations.c.id == integration_id, t.integrations.c.tenant_id == tenant_id)
        )).first()
        if found is None:
            raise NotFound(f"integration {integration_id!r} not found")
        result = await conn.execute(stmt.where(r.tenant_id == tenant_id)
                                    .order_by(r.id.desc()).limit(first))
        return [_to_request(row) for row in result]
