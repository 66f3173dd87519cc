"""files attached to coordination thread messages

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 09:00:00.000000
"""
import sqlalchemy as sa
from alembic import op

import engine.db

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # a table of its own: the reporter's `attachment` table feeds public pages, these files never may
    op.create_table('coordination_attachment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('storage_key', sa.String(length=200), nullable=False),
    sa.Column('created_at', engine.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['message_id'], ['coordination_message.id'], name=op.f('fk_coordination_attachment_message_id_coordination_message'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_coordination_attachment')),
    sa.UniqueConstraint('storage_key', name=op.f('uq_coordination_attachment_storage_key'))
    )
    with op.batch_alter_table('coordination_attachment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_coordination_attachment_message_id'), ['message_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('coordination_attachment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_coordination_attachment_message_id'))

    op.drop_table('coordination_attachment')
