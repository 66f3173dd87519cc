"""The coordination thread: messages between the agencies involved in a case.

Any officer of an involved agency (the lead and every agency asked), the verifiers and the super
admin may post; mentioning an agency e-mails its liaison officers. A message may carry files
(workflows/coordination_attachments.py). The thread is internal: it and its files are never shown
to the public or the reporter; whoever may see the case reads the thread and downloads its files.
"""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy import JSON, ForeignKey, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from engine.clock import now
from engine.db import Base, Database, UTCDateTime
from workflows import coordination_attachments, outbox, policy, roles
from workflows.attachments import Upload
from workflows.cases import CaseNotFound, visible_complaint
from workflows.commands import Forbidden
from workflows.coordination import (
    agency_name,
    case_link,
    involved_agencies,
    liaisons_of,
    taking_part,
)
from workflows.coordination_attachments import CoordinationAttachment
from workflows.models import Complaint, User

MAX_BODY = 10000
AGENCY_ROLES = (roles.AGENCY_ADMIN, roles.LIAISON, roles.AGENCY_HEAD)


class CoordinationMessage(Base):
    """One message of a case's coordination thread."""

    __tablename__ = "coordination_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    author_agency_code: Mapped[str | None] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(Text)
    mentions: Mapped[list[str]] = mapped_column(JSON, default=list)  # agency codes
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    author: Mapped[User] = relationship(lazy="joined")
    attachments: Mapped[list[CoordinationAttachment]] = relationship(
        order_by=CoordinationAttachment.id, lazy="selectin", cascade="all, delete-orphan", passive_deletes=True)


class InvalidMessage(ValueError):
    """A message with neither text nor files, or a mention of an agency that is not involved."""

    def __init__(self, reason: str, agencies: list[str] | None = None):
        self.reason, self.agencies = reason, agencies or []
        super().__init__(reason)


class AttachmentNotFound(CaseNotFound):
    """No such file in this case's thread (answered like a case the user may not see)."""


def thread_of(session: Session, complaint_id: int) -> list[CoordinationMessage]:
    """The case's messages, oldest first (newest last)."""
    return list(session.scalars(select(CoordinationMessage).where(CoordinationMessage.complaint_id == complaint_id)
                                .order_by(CoordinationMessage.created_at, CoordinationMessage.id)))


def may_post(session: Session, user: User, complaint: Complaint) -> bool:
    """Officers of an agency taking part now (a head also for those below it), verifiers, the super
    admin. Agencies whose part is over read the thread but no longer write in it."""
    if not user.active or not policy.can_view_case(session, user, complaint.id):
        return False
    if user.role in (roles.SUPER_ADMIN, roles.VERIFIER):
        return True
    if user.role not in AGENCY_ROLES:
        return False
    return bool(set(policy.agency_codes_in_scope(session, user)) & taking_part(session, complaint))


def post_message(db: Database, user: User, complaint_id: int, body: str, mentions: list[str] | None = None,
                 public_url: str = "", *, uploads: list[Upload] | None = None,
                 attachment_dir: Path | None = None) -> CoordinationMessage:
    """Add a message (text, files or both) to the thread and e-mail the liaisons of the agencies mentioned.

    The message and its files are saved together or not at all: files written for a transaction
    that fails are removed again. Raises CaseNotFound, Forbidden, InvalidMessage, AttachmentRejected.
    """
    body = (body or "").strip()
    checked = coordination_attachments.check(uploads or [])
    if not body and not checked:
        raise InvalidMessage("empty")
    if checked and attachment_dir is None:
        raise ValueError("attachments need an attachment folder")
    written: list[Path] = []
    try:
        with db.transaction() as session:
            complaint = visible_complaint(session, user, complaint_id)
            if not may_post(session, user, complaint):
                raise Forbidden("only officers of the agencies involved write in the coordination thread")
            involved = involved_agencies(session, complaint.id)
            wanted = list(dict.fromkeys(m for m in mentions or [] if m))
            strangers = [m for m in wanted if m not in involved]
            if strangers:
                raise InvalidMessage("not_involved", strangers)
            message = CoordinationMessage(complaint_id=complaint.id, author_id=user.id, body=body[:MAX_BODY],
                                          author_agency_code=user.agency.code if user.agency else None,
                                          mentions=wanted, created_at=now())
            if checked:
                assert attachment_dir is not None  # refused above, before the transaction
                message.attachments = coordination_attachments.store(attachment_dir, checked, written)
            session.add(message)
            session.flush()
            _notify_mentioned(session, complaint, message, user, public_url)
            return message
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise


def readable_attachment(session: Session, user: User, complaint_id: int, attachment_id: int) -> CoordinationAttachment:
    """A file of the case's thread, for a user who may read the thread.

    The rule is the case page's, which shows the thread to everyone who may see the case (the
    agencies involved now or before, the lead, verifiers and others as workflows.policy allows);
    a file of another case, or no file at all, answers the same. Raises CaseNotFound, AttachmentNotFound.
    """
    visible_complaint(session, user, complaint_id)
    found = session.scalars(select(CoordinationAttachment).join(CoordinationMessage).where(
        CoordinationAttachment.id == attachment_id, CoordinationMessage.complaint_id == complaint_id)).first()
    if found is None:
        raise AttachmentNotFound(complaint_id)
    return found


def _notify_mentioned(session: Session, complaint: Complaint, message: CoordinationMessage, author: User,
                      public_url: str) -> None:
    author_agency = agency_name(session, message.author_agency_code) if message.author_agency_code else ""
    who = f"{author.full_name} ({author_agency})" if author_agency else author.full_name
    files = len(message.attachments)
    attached = f"[{files} lampiran, unduh dari halaman laporan]" if files else ""
    text = "\n\n".join(part for part in (message.body, attached) if part)
    body = (f"{who} menyebut instansi Anda dalam percakapan koordinasi laporan {complaint.tracking_id} "
            f"\"{complaint.title}\":\n\n{text}\n\n{case_link(public_url, complaint)}\n")
    for code in message.mentions:
        for user in liaisons_of(session, code):
            if user.id != author.id:
                outbox.enqueue(session, f"coordination-mention:{message.id}:{user.id}", user.email,
                               f"Anda disebut dalam koordinasi laporan {complaint.tracking_id}", body)
