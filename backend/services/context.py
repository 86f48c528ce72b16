"""The explicit context every service takes first: who acts, in which tenant, through which door."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from backend.domain.models import Actor, Door
from backend.persistence.db import Database as Database  # re-exported for the doors

if TYPE_CHECKING:  # deletion_guard imports this module
    from backend.services.deletion_guard import GuardPolicy

Clock = Callable[[], datetime]
IdFactory = Callable[[], str]


def utc_now() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    """A UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, then random bits.

    Time-ordered ids put new rows at the end of every index keyed by id (users, memberships,
    group members, e-mails) instead of on a random page: a write dirties one hot page instead
    of a cold one per index, which kept creates and fills flat as directories grow. The ids
    stay opaque to clients (and reveal only what ``meta.created`` already shows)."""
    millis = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = (millis & 0xFFFF_FFFF_FFFF) << 80 | 0x7 << 76 | (rand >> 68 & 0xFFF) << 64 \
        | 0b10 << 62 | rand & 0x3FFF_FFFF_FFFF_FFFF
    return str(uuid.UUID(int=value))


@dataclass
class ServiceContext:
    """Built per request (or CLI command). ``tenant_id`` is None only for instance-level calls."""

    db: Database
    actor: Actor
    tenant_id: str | None
    via: Door
    clock: Clock = utc_now
    ids: IdFactory = new_id
    # Set by the SCIM door: deprovisioning by an integration is counted and may be held back.
    deprovision_guard: GuardPolicy | None = None
    # Per-request cache of effective permissions, keyed by tenant; never shared across requests.
    permission_cache: dict[str, list[tuple[frozenset[str], str | None]]] = field(
        default_factory=dict
    )

    def now(self) -> datetime:
        return self.clock()

    def require_tenant(self) -> str:
        if self.tenant_id is None:
            from backend.domain.errors import InvalidValue

            raise InvalidValue("this operation needs a tenant")
        return self.tenant_id

    def for_tenant(self, tenant_id: str) -> ServiceContext:
        return ServiceContext(
            db=self.db, actor=self.actor, tenant_id=tenant_id, via=self.via,
            clock=self.clock, ids=self.ids, deprovision_guard=self.deprovision_guard,
        )
