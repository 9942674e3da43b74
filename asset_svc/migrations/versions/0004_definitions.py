"""definitions: per-account named transformations, saved extensions and custom metadata fields

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07 16:25:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "definitions",
        sa.Column("id", sa.String(length=24), nullable=False),
        sa.Column("account", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=256), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("account", "kind", "name"),
    )
    with op.batch_alter_table("definitions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_definitions_account"), ["account"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("definitions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_definitions_account"))
    op.drop_table("definitions")
