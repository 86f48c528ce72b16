"""Per-integration SCIM rate limit: 429 with Retry-After, per bucket, after authentication."""

from __future__ import annotations

from backend.config import Settings
from backend.persistence.db import Database
from backend.services.rate_limit import RateLimiter
from tests.reliability.conftest import open_rel


class Ticks:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_token_bucket_refills_at_the_rate() -> None:
    ticks = Ticks()
    limiter = RateLimiter(2.0, 3, clock=ticks)
    assert [limiter.acquire("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.acquire("a") == 0.5  # one token takes half a second at 2/s
    assert limiter.acquire("b") == 0.0  # buckets are per key
    ticks.now += 0.5
    assert limiter.acquire("a") == 0.0
    assert RateLimiter(0, 1).acquire("a") == 0.0  # rate 0 disables the limit


def test_default_is_generous_enough_for_entra() -> None:
    settings = Settings()
    assert settings.scim_rate_per_second >= 25 and settings.scim_rate_burst >= 25


async def test_429_with_retry_after_then_recovers(db: Database) -> None:
    rel = await open_rel(db, scim_rate_per_second=0.5, scim_rate_burst=2)
    ticks = Ticks()
    rel.scim.client._transport.app.state.scim_rate_clock = ticks  # type: ignore[attr-defined]
    assert [(await rel.scim.get("/Users")).status_code for _ in range(2)] == [200, 200]
    limited = await rel.scim.get("/Users")
    assert limited.status_code == 429 and limited.headers["retry-after"] == "2"
    assert limited.json()["status"] == "429" and limited.headers["x-request-id"]
    # A wrong token is refused before the bucket: strangers cannot drain it.
    bad = await rel.scim.client.get(rel.scim.url("/Users"),
                                    headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401
    ticks.now += 2
    assert (await rel.scim.get("/Users")).status_code == 200
    await rel.scim.client.aclose()
