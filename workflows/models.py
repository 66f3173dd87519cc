"""Tables of the complaint domain. Texts and identities live here, never in task data."""
from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, Date, Float, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.clock import now
from engine.db import Base, UTCDateTime


class Agency(Base):
    """A node of the agency tree (province → dinas → unit; regencies and cities as siblings)."""

    __tablename__ = "agency"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(30))  # province|regency|city|dinas|unit|ombudsman|vertical
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"))
    # "/kalbar/dinkes-kalbar/": everything below an agency shares its path as a prefix
    path: Mapped[str] = mapped_column(String(1000), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # ISO weekdays the agency works, "12345" = Monday–Friday; some units also work Saturdays
    working_days: Mapped[str] = mapped_column(String(7), default="12345", server_default="12345")

    parent: Mapped[Agency | None] = relationship(remote_side=[id])


class Category(Base):
    __tablename__ = "category"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # shown to English visitors; empty: they see `name`
    name_en: Mapped[str] = mapped_column(String(200), default="", server_default="")
    description: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class User(Base):
    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(String(300))
    role: Mapped[str] = mapped_column(String(30), index=True)
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    # raised by logging out, a password change or reset and deactivation: every session and
    # remember-me cookie issued before carries the old number and is refused (workflows.accounts)
    session_generation: Mapped[int] = mapped_column(default=0, server_default="0")

    agency: Mapped[Agency | None] = relationship(lazy="joined")

    # when the session being served began (seconds since the epoch); not a column: it travels
    # inside the session and remember-me cookie, set by workflows.accounts.user_for_session
    if TYPE_CHECKING:  # declared for mypy only: Declarative refuses an annotation that is not Mapped[]
        session_started: int | None
    session_started = None

    # the four attributes Flask-Login reads, so the record itself can be the logged-in user
    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        """What the session and the remember-me cookie hold: id, session generation, when the
        session began, and the password hash's tail (a password changed by any path ends it)."""
        started = self.session_started if self.session_started is not None else int(now().timestamp())
        return f"{self.id}:{self.session_generation or 0}:{started}:{(self.password_hash or '')[-12:]}"


class LaneRole(Base):
    """Which role takes the tasks of a diagram lane, and which task variable names the agency."""

    __tablename__ = "lane_role"

    id: Mapped[int] = mapped_column(primary_key=True)
    lane: Mapped[str] = mapped_column(String(200), unique=True)
    role: Mapped[str] = mapped_column(String(30))
    agency_variable: Mapped[str | None] = mapped_column(String(100))


class Complaint(Base):
    """A citizen's report and the case that handles it."""

    __tablename__ = "complaint"
    __table_args__ = (Index("ix_complaint_status_created", "status", "created_at"),
                      Index("ix_complaint_status_lead", "status", "lead_agency_code"))  # the dashboard's counts

    id: Mapped[int] = mapped_column(primary_key=True)
    tracking_id: Mapped[str] = mapped_column(String(20), unique=True)
    tracking_secret_hash: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    category_code: Mapped[str] = mapped_column(String(100), index=True)
    classification: Mapped[str] = mapped_column(String(30))
    channel: Mapped[str] = mapped_column(String(30))
    region_code: Mapped[str | None] = mapped_column(String(100))
    address: Mapped[str | None] = mapped_column(String(500))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    incident_date: Mapped[date | None] = mapped_column(Date)
    anonymous: Mapped[bool] = mapped_column(Boolean, default=True)
    confidential: Mapped[bool] = mapped_column(Boolean, default=False)
    reporter_name: Mapped[str | None] = mapped_column(String(200))
    reporter_email: Mapped[str | None] = mapped_column(String(200))
    reporter_phone: Mapped[str | None] = mapped_column(String(50))
    # the reporter's language, for notices
    locale: Mapped[str] = mapped_column(String(5), default="id", server_default="id")
    process_instance_id: Mapped[int | None] = mapped_column(
        ForeignKey("process_instance.id"), unique=True
    )
    # projected from the workflow by workflows.projection: the diagram decides them
    status: Mapped[str] = mapped_column(String(40), default="belum_terverifikasi", index=True)
    lead_agency_code: Mapped[str | None] = mapped_column(String(100), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, index=True)


class Attachment(Base):
    """A file a reporter attached; stored outside the web root, served only to those allowed."""

    __tablename__ = "attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    storage_key: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class CaseNote(Base):
    """An internal note between officers on a case; never shown to the public or the reporter."""

    __tablename__ = "case_note"

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    author: Mapped[User] = relationship(lazy="joined")


class ApiToken(Base):
    """A personal API token; only a hash is kept, the token is shown once."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(lazy="joined")


class OutboxMessage(Base):
    """A notice to send, written in the same transaction as the change that causes it.

    The sender (in the worker) delivers due rows and marks them sent; a crash before the
    commit leaves the row due, so nothing is lost, and `dedupe_key` stops a change that is
    retried from queuing the same notice twice.
    """

    __tablename__ = "outbox_message"
    __table_args__ = (Index("ix_outbox_message_due", "sent_at", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    recipient: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    attempts: Mapped[int] = mapped_column(default=0)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # gave up after the last retry
    last_error: Mapped[str | None] = mapped_column(String(500))
    # a link carrying a secret (the reporter's tracking link): the body holds only a placeholder
    # (workflows.outbox.SECRET_LINK) and this column is emptied once the notice is sent or given up
    secret_link: Mapped[str | None] = mapped_column(Text)


class Open311Key(Base):
    """An API key for Open311 clients (managed by the super admin); only its hash is stored."""

    __tablename__ = "open311_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class LoginThrottle(Base):
    """Failed log-ins per typed username (hashed), for the lockout of workflows.login_guard.

    Kept for names that have no account too, so the lockout says nothing about which exist.
    """

    __tablename__ = "login_throttle"

    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    last_failure_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RateLimitCounter(Base):
    """A fixed-window counter of the rate limits (webapp.ratelimit), shared by every web process."""

    __tablename__ = "rate_limit_counter"

    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    count: Mapped[int] = mapped_column(default=0)
    expires_at: Mapped[float] = mapped_column(Float, index=True)  # seconds since the epoch
