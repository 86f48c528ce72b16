"""Hostile-input fixtures: the SCIM client of tests/scim, and one without a rate limit."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from backend.persistence.db import Database
from tests.scim.conftest import (
    Scim,
    open_scim,
    scim,  # noqa: F401  (pytest fixture, re-exported)
)


@pytest.fixture
async def hostile(db: Database) -> AsyncIterator[Scim]:
    """A SCIM client for fuzzing: hundreds of requests, so the rate limit is off."""
    s = await open_scim(db, scim_rate_per_second=0)
    yield s
    await s.client.aclose()
