"""The engine's tables: process versions, process instances, human tasks, audit events."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.clock import now
from engine.db import Base, UTCDateTime


class ProcessVersion(Base):
    """An immutable deployed version of one process, with everything it needs to run."""

    __tablename__ = "process_version"
    __table_args__ = (UniqueConstraint("process_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[str] = mapped_column(String(200), index=True)
    version: Mapped[int]
    content_hash: Mapped[str] = mapped_column(String(64))
    # {file name: XML text} of every diagram this version depends on (its own + called ones)
    source: Mapped[dict[str, str]] = mapped_column(JSON, deferred=True)
    # the serialized spec and subprocess specs, stored once and shared by every instance
    spec_json: Mapped[str] = mapped_column(Text, deferred=True)
    # {form file name: parsed JSON}: a case keeps the forms of the version it started on
    forms: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, deferred=True)
    # {language: {"diagrams": {file: {element id: {"name", "instructions"}}}, "forms": {form file:
    # {key: text}}}}: the translations deployed beside the files (engine/translations.py)
    translations: Mapped[dict[str, Any] | None] = mapped_column(JSON, deferred=True)
    deployed_by: Mapped[str] = mapped_column(String(100))
    deployed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    # where the files came from: a folder on the server, or "upload: <file names>"
    deployed_from: Mapped[str | None] = mapped_column(String(500))
    # {"added": [...], "removed": [...], "changed": [...]} element ids against the version before
    change_summary: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class ProcessInstance(Base):
    """A running (or finished) workflow: its state without the spec, locked by `version`."""

    __tablename__ = "process_instance"
    # "finished since": monitoring reads finished cases by time, not all of history
    __table_args__ = (Index("ix_process_instance_completed_updated", "completed", "updated_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    process_version_id: Mapped[int] = mapped_column(ForeignKey("process_version.id"), index=True)
    state: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    completed: Mapped[bool] = mapped_column(default=False, index=True)
    next_timer_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, onupdate=now)
    # set when a step of the case raised an error (in a transaction of its own, after the
    # failed one rolled back); cleared by the next step that succeeds
    error_message: Mapped[str | None] = mapped_column(Text)
    error_element_id: Mapped[str | None] = mapped_column(String(200))
    error_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    error_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    retry_after: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the worker waits until then

    process_version: Mapped[ProcessVersion] = relationship(lazy="joined")

    # SQLAlchemy emits UPDATE ... WHERE version = :seen and raises StaleDataError on a lost race
    __mapper_args__ = {"version_id_col": version}


class HumanTask(Base):
    """A user task as task lists see it: mirrored from the workflow after every save."""

    __tablename__ = "human_task"
    __table_args__ = (
        Index("ix_human_task_queue", "state", "role", "agency_code", "due_at"),
        Index("ix_human_task_assignee", "state", "assignee", "due_at"),
        Index("ix_human_task_completed", "state", "completed_at"),  # "done since", without all of history
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # the SpiffWorkflow task id
    process_instance_id: Mapped[int] = mapped_column(
        ForeignKey("process_instance.id", ondelete="CASCADE"), index=True
    )
    element_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(300))
    lane: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[str | None] = mapped_column(String(50))
    agency_code: Mapped[str | None] = mapped_column(String(100))
    assignee: Mapped[str | None] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(String(20), default="ready")  # ready|completed|cancelled
    form: Mapped[str | None] = mapped_column(String(200))
    ui_form: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_by: Mapped[str | None] = mapped_column(String(100))
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AuditEvent(Base):
    """One append-only entry of a case's history; the timeline is read from these."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    process_instance_id: Mapped[int] = mapped_column(
        ForeignKey("process_instance.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    actor: Mapped[str | None] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(50))
    task_id: Mapped[str | None] = mapped_column(String(36))
    element_id: Mapped[str | None] = mapped_column(String(200))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
