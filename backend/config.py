"""Settings: the one place that reads the environment (prefix ``TESSERA_``)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./data/tessera.db"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TESSERA_", extra="ignore")

    database_url: str = DEFAULT_DATABASE_URL
    host: str = "127.0.0.1"
    port: int = 8080
    public_url: str = ""
    graphiql: bool = True
    log_level: str = "info"
    # Bounded inputs: SCIM bodies, Bulk and page sizes.
    max_body_bytes: int = 1_048_576
    bulk_max_operations: int = 1000
    bulk_max_payload_bytes: int = 1_048_576
    max_page_size: int = 1000
    default_page_size: int = 100
    sqlite_busy_timeout_ms: int = 5000
    # Provisioning request log: bounded by age and by rows per integration; pruning runs once
    # every ``request_log_prune_every`` writes of a process, so its cost is amortised.
    request_log_retention_days: int = Field(default=30, ge=1)
    request_log_max_rows: int = Field(default=10_000, ge=10)
    request_log_prune_every: int = Field(default=200, ge=1)
    # Rows are committed this long after the first one queued, many in one transaction.
    request_log_linger_ms: int = Field(default=20, ge=0, le=1000)
    # Accidental-deletion guard: one integration may deprovision at most ``percent`` of the
    # tenant's users (but always ``min_count``) per window before it is held back.
    deprovision_guard_percent: float = Field(default=20.0, gt=0, le=100)
    deprovision_guard_min_count: int = Field(default=10, ge=1)
    deprovision_guard_window_seconds: int = Field(default=3600, ge=1)
    # SCIM rate limit per integration and process (token bucket); 0 disables it.
    scim_rate_per_second: float = Field(default=100.0, ge=0)
    scim_rate_burst: int = Field(default=200, ge=1)

    @model_validator(mode="after")
    def _derive_public_url(self) -> Settings:
        if not self.public_url:
            self.public_url = f"http://{self.host}:{self.port}"
        self.public_url = self.public_url.rstrip("/")
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def ensure_data_dir(self) -> None:
        """Create the folder of a file-backed SQLite database."""
        if not self.is_sqlite:
            return
        path = self.database_url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)


@lru_cache
def get_settings() -> Settings:
    return Settings()
