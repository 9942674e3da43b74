"""job accounts: each job names its account, so workers are shared fairly

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-08 01:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("account", sa.String(length=64), server_default="", nullable=False)
        )
        batch_op.create_index("ix_jobs_status_account", ["status", "account"], unique=False)
    # jobs queued before this revision: their payload names the account
    if op.get_bind().dialect.name == "sqlite":
        account = "json_extract(payload, '$.account')"
    else:
        account = "payload->>'account'"
    op.execute(f"UPDATE jobs SET account = COALESCE({account}, '')")


def downgrade() -> None:
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_index("ix_jobs_status_account")
        batch_op.drop_column("account")
