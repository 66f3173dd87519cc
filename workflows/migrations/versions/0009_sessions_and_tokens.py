"""sessions end on the server, API tokens expire, secrets leave the outbox, login limits in the database

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-10 08:00:00

- app_user.session_generation: raised on logout, password change or reset and deactivation;
  sessions and remember-me cookies carrying an older number are refused.
- api_token.expires_at: tokens that exist already get 90 days from the upgrade.
- outbox_message.secret_link: the reporter's tracking link is kept apart from the body and
  emptied once sent; rows written before carry the link in the body, so queued ones have it
  moved out and sent or failed ones have it removed.
- login_throttle: failed log-ins per typed username (hashed), for the account lockout.
- rate_limit_counter: fixed-window rate-limit counters shared by every web process.
"""
import re
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
from alembic import op

from engine.db import UTCDateTime

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

SECRET_LINK = "[tindak:secret-link]"  # the placeholder of workflows.outbox at the time of writing
LINK = re.compile(r"\S+/lacak/\S+\?kode=\S+")


def upgrade() -> None:
    with op.batch_alter_table("app_user") as batch:
        batch.add_column(sa.Column("session_generation", sa.Integer(), nullable=False, server_default="0"))

    with op.batch_alter_table("api_token") as batch:
        batch.add_column(sa.Column("expires_at", UTCDateTime(), nullable=True))
    api_token = sa.table("api_token", sa.column("expires_at", UTCDateTime()))
    op.execute(api_token.update().values(expires_at=datetime.now(timezone.utc) + timedelta(days=90)))
    with op.batch_alter_table("api_token") as batch:
        batch.alter_column("expires_at", existing_type=UTCDateTime(), nullable=False)

    with op.batch_alter_table("outbox_message") as batch:
        batch.add_column(sa.Column("secret_link", sa.Text(), nullable=True))
    _move_links_out_of_bodies()

    op.create_table(
        "login_throttle",
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", UTCDateTime(), nullable=False),
        sa.Column("locked_until", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("key_hash", name=op.f("pk_login_throttle")),
    )
    op.create_index(op.f("ix_login_throttle_last_failure_at"), "login_throttle", ["last_failure_at"])
    op.create_table(
        "rate_limit_counter",
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("key_hash", name=op.f("pk_rate_limit_counter")),
    )
    op.create_index(op.f("ix_rate_limit_counter_expires_at"), "rate_limit_counter", ["expires_at"])


def _move_links_out_of_bodies() -> None:
    bind = op.get_bind()
    outbox = sa.table("outbox_message", sa.column("id", sa.Integer()), sa.column("body", sa.Text()),
                      sa.column("sent_at", UTCDateTime()), sa.column("failed_at", UTCDateTime()),
                      sa.column("secret_link", sa.Text()))
    rows = bind.execute(sa.select(outbox.c.id, outbox.c.body, outbox.c.sent_at, outbox.c.failed_at)
                        .where(outbox.c.body.like("%kode=%"))).all()
    for row in rows:
        match = LINK.search(row.body)
        if match is None:
            continue
        pending = row.sent_at is None and row.failed_at is None
        bind.execute(outbox.update().where(outbox.c.id == row.id).values(
            body=row.body.replace(match.group(0), SECRET_LINK),
            secret_link=match.group(0) if pending else None))


def downgrade() -> None:
    op.drop_index(op.f("ix_rate_limit_counter_expires_at"), table_name="rate_limit_counter")
    op.drop_table("rate_limit_counter")
    op.drop_index(op.f("ix_login_throttle_last_failure_at"), table_name="login_throttle")
    op.drop_table("login_throttle")
    bind = op.get_bind()
    outbox = sa.table("outbox_message", sa.column("id", sa.Integer()), sa.column("body", sa.Text()),
                      sa.column("secret_link", sa.Text()))
    for row in bind.execute(sa.select(outbox.c.id, outbox.c.body, outbox.c.secret_link)
                            .where(outbox.c.secret_link.is_not(None))).all():
        bind.execute(outbox.update().where(outbox.c.id == row.id).values(
            body=row.body.replace(SECRET_LINK, row.secret_link)))  # queued notices keep their link
    with op.batch_alter_table("outbox_message") as batch:
        batch.drop_column("secret_link")
    with op.batch_alter_table("api_token") as batch:
        batch.drop_column("expires_at")
    with op.batch_alter_table("app_user") as batch:
        batch.drop_column("session_generation")
