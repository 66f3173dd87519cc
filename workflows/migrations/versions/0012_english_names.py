"""english names: translations deployed with process versions, categories' English names

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 08:40:00

A process version stores the translations deployed beside its diagrams and forms (task names,
instructions, form labels in English), and a category has an English name shown to English
visitors (empty: the Indonesian name is shown).
"""
import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("process_version") as batch:
        batch.add_column(sa.Column("translations", sa.JSON(), nullable=True))
    with op.batch_alter_table("category") as batch:
        batch.add_column(sa.Column("name_en", sa.String(length=200), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("category") as batch:
        batch.drop_column("name_en")
    with op.batch_alter_table("process_version") as batch:
        batch.drop_column("translations")
