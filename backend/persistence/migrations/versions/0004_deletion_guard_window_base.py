"""deletion_guards.base_members: the tenant's size, counted once per window

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


def upgrade() -> None:
    op.add_column("deletion_guards", sa.Column("base_members", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("deletion_guards") as batch_op:
        batch_op.drop_column("base_members")
