"""provisioning request log, deletion-guard state, audit_events append-only (triggers)

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_SQLITE_TRIGGERS = [
    """CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
       BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END""",
    """CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
       BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END""",
]
_PG_TRIGGER = [
    """CREATE FUNCTION tessera_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN RAISE EXCEPTION 'audit_events is append-only'; END $$""",
    """CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
       FOR EACH ROW EXECUTE FUNCTION tessera_audit_append_only()""",
]


def _create_tables() -> None:
    op.create_table(
        "provisioning_requests",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("integration_id", sa.String(length=64), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("path", sa.String(length=512), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("scim_type", sa.String(length=32), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["integration_id"], ["integrations.id"], ondelete="CASCADE",
                                name=op.f("fk_provisioning_requests_integration_id_integrations")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_provisioning_requests")),
    )
    op.create_index(op.f("ix_provisioning_requests_integration_id_id"),
                    "provisioning_requests", ["integration_id", "id"])
    op.create_index(op.f("ix_provisioning_requests_at"), "provisioning_requests", ["at"])
    op.create_table(
        "deletion_guards",
        sa.Column("integration_id", sa.String(length=64), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deprovisioned", sa.Integer(), nullable=False),
        sa.Column("tripped_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("held", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["integration_id"], ["integrations.id"], ondelete="CASCADE",
                                name=op.f("fk_deletion_guards_integration_id_integrations")),
        sa.PrimaryKeyConstraint("integration_id", name=op.f("pk_deletion_guards")),
    )


def upgrade() -> None:
    _create_tables()
    # The application only ever INSERTs audit rows; the database refuses anything else, so a
    # bug (or an injected statement) cannot rewrite history.
    statements = _SQLITE_TRIGGERS if op.get_bind().dialect.name == "sqlite" else _PG_TRIGGER
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_delete")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_events_append_only ON audit_events")
        op.execute("DROP FUNCTION IF EXISTS tessera_audit_append_only()")
    op.drop_table("deletion_guards")
    op.drop_index(op.f("ix_provisioning_requests_at"), table_name="provisioning_requests")
    op.drop_index(op.f("ix_provisioning_requests_integration_id_id"),
                  table_name="provisioning_requests")
    op.drop_table("provisioning_requests")
