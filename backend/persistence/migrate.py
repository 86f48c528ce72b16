"""Apply Alembic migrations programmatically (``tessera migrate``, ``tessera serve``, tests)."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from backend.persistence.db import Database

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(connection: sa.Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


def _upgrade(connection: sa.Connection) -> None:
    command.upgrade(alembic_config(connection), "head")


async def upgrade(db: Database) -> None:
    """Bring the schema to the newest revision."""
    async with db.engine.begin() as conn:
        await conn.run_sync(_upgrade)


async def current_revision(db: Database) -> str | None:
    async with db.engine.connect() as conn:
        has_table = await conn.run_sync(
            lambda c: sa.inspect(c).has_table("alembic_version")
        )
        if not has_table:
            return None
        row = (await conn.execute(sa.text("SELECT version_num FROM alembic_version"))).first()
        return str(row[0]) if row else None
