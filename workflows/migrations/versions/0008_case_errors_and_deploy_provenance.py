"""cases that failed, and where each process version came from

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 08:00:00

A case whose step raised an error is marked (message, element, when, attempts, when the worker
may try again) so admins can list and repair it; a process version records where it was
deployed from and what changed against the version before it.
"""
import sqlalchemy as sa
from alembic import op

from engine.db import UTCDateTime

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("process_instance") as batch:
        batch.add_column(sa.Column("error_message", sa.Text(), nullable=True))
        batch.add_column(sa.Column("error_element_id", sa.String(200), nullable=True))
        batch.add_column(sa.Column("error_at", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("error_count", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("retry_after", UTCDateTime(), nullable=True))
    op.create_index("ix_process_instance_error_at", "process_instance", ["error_at"])
    with op.batch_alter_table("process_version") as batch:
        batch.add_column(sa.Column("deployed_from", sa.String(500), nullable=True))
        batch.add_column(sa.Column("change_summary", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("process_version") as batch:
        batch.drop_column("change_summary")
        batch.drop_column("deployed_from")
    op.drop_index("ix_process_instance_error_at", table_name="process_instance")
    with op.batch_alter_table("process_instance") as batch:
        for column in ("retry_after", "error_count", "error_at", "error_element_id", "error_message"):
            batch.drop_column(column)
