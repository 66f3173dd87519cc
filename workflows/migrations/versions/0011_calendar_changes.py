"""calendar change log

Revision ID: 0011
Revises: 0009
Create Date: 2026-12-10 08:00:00

Every change to the working-day calendar (a day off or working day added or removed, an
agency's working week set) is logged with who made it, when, the old and new value, and
whether (and how many) running cases were moved to follow it, like sla_change for policies.
"""
import sqlalchemy as sa
from alembic import op

from engine.db import UTCDateTime

revision = '0011'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "calendar_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("day", sa.Date(), nullable=True),
        sa.Column("agency_code", sa.String(length=100), nullable=True),
        sa.Column("changed_by", sa.String(length=100), nullable=False),
        sa.Column("changed_at", UTCDateTime(), nullable=False),
        sa.Column("old", sa.JSON(), nullable=True),
        sa.Column("new", sa.JSON(), nullable=True),
        sa.Column("applied_to_running", sa.Boolean(), nullable=False),
        sa.Column("cases_moved", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_change")),
    )
    op.create_index(op.f("ix_calendar_change_changed_at"), "calendar_change", ["changed_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_calendar_change_changed_at"), table_name="calendar_change")
    op.drop_table("calendar_change")
