"""Migration 0003 on SQLite: matches tables.py, and downgrades and upgrades again cleanly."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from backend.persistence import tables as t
from backend.persistence.migrate import alembic_config


def test_round_trip_and_no_drift_for_the_new_tables(tmp_path: Path) -> None:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'm.db'}")
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "head")
        command.downgrade(alembic_config(conn), "0002")
        names = set(sa.inspect(conn).get_table_names())
        assert not names & {"provisioning_requests", "deletion_guards"}
        command.upgrade(alembic_config(conn), "head")
        diff = compare_metadata(MigrationContext.configure(conn), t.metadata)
        new_tables = {"provisioning_requests", "deletion_guards"}
        drift = [d for d in diff if any(name in repr(d) for name in new_tables)]
        assert drift == []
        triggers = set(conn.execute(sa.text(
            "SELECT name FROM sqlite_master WHERE type = 'trigger'")).scalars())
        assert {"audit_events_no_update", "audit_events_no_delete"} <= triggers
    engine.dispose()
