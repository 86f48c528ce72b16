"""memberships.active may be NULL: never set (SCIM "remove active"), which counts as active

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("memberships") as batch_op:
        batch_op.alter_column("active", existing_type=sa.Boolean(), nullable=True)


def downgrade() -> None:
    op.execute("UPDATE memberships SET active = TRUE WHERE active IS NULL")
    with op.batch_alter_table("memberships") as batch_op:
        batch_op.alter_column("active", existing_type=sa.Boolean(), nullable=False)
