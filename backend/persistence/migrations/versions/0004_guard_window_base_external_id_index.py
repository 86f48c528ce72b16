"""deletion_guards.base_members (the tenant's size, counted once per window); the externalId
index on memberships carries user_id, so an externalId lookup ordered by user_id uses it

Without user_id in it, SQLite (no statistics) walked the whole tenant in primary-key order to
avoid a sort: 316 ms per externalId lookup at 100k users instead of about 1 ms.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


_OLD_INDEX = "ix_memberships_tenant_id_external_id"
_NEW_INDEX = "ix_memberships_tenant_id_external_id_user_id"


def upgrade() -> None:
    op.add_column("deletion_guards", sa.Column("base_members", sa.Integer(), nullable=True))
    op.drop_index(_OLD_INDEX, table_name="memberships")
    op.create_index(_NEW_INDEX, "memberships", ["tenant_id", "external_id", "user_id"])


def downgrade() -> None:
    op.drop_index(_NEW_INDEX, table_name="memberships")
    op.create_index(_OLD_INDEX, "memberships", ["tenant_id", "external_id"])
    with op.batch_alter_table("deletion_guards") as batch_op:
        batch_op.drop_column("base_members")
