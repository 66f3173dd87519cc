"""verifier tasks are routed by the case's regional government

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28 04:45:00

The lane Verifikator names its agency in the task variable `government` (workflows/governments.py).
Installations that kept the default (no variable) get it; one an admin changed is left alone.
"""
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("UPDATE lane_role SET agency_variable = 'government' "
               "WHERE lane = 'Verifikator' AND agency_variable IS NULL")


def downgrade() -> None:
    op.execute("UPDATE lane_role SET agency_variable = NULL "
               "WHERE lane = 'Verifikator' AND agency_variable = 'government'")
