"""indexes for the monitoring dashboard

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28 05:05:00

Open cases by status and lead agency, and what finished this month, without reading all of history.
"""
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_complaint_status_lead", "complaint", ["status", "lead_agency_code"])
    op.create_index("ix_human_task_completed", "human_task", ["state", "completed_at"])
    op.create_index("ix_process_instance_completed_updated", "process_instance", ["completed", "updated_at"])


def downgrade() -> None:
    op.drop_index("ix_process_instance_completed_updated", table_name="process_instance")
    op.drop_index("ix_human_task_completed", table_name="human_task")
    op.drop_index("ix_complaint_status_lead", table_name="complaint")
