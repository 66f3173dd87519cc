"""The coordination thread: messages between the agencies involved in a case.

Any officer of an involved agency (the lead and every agency asked), the verifiers and the super
admin may post; mentioning an agency e-mails its liaison officers. The thread is internal: it is
never shown to the public or the reporter. It has no attachments (the case's own attachments are
on the case page).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from engine.clock import now
from engine.db import Base, Database, UTCDateTime
from workflows import outbox, policy, roles
from workflows.cases import visible_complaint
from workflows.commands import Forbidden
from workflows.coordination import (
    agency_name,
    case_link,
    involved_agencies,
    liaisons_of,
)
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


class InvalidMessage(ValueError):
    """An empty message, or a mention of an agency that is not involved."""

    def __init__(self, reason: str, agencies: list[str] | None = None):
        self.reason, self.agencies = reason, agencies or []
        super().__init__(reason)


def thread_of(session: Session, complaint_id: int) -> list[CoordinationMessage]:
    """The case's messages, oldest first (newest last)."""
    return list(session.scalars(select(CoordinationMessage).where(CoordinationMessage.complaint_id == complaint_id)
                                .order_by(CoordinationMessage.created_at, CoordinationMessage.id)))


def may_post(session: Session, user: User, complaint: Complaint) -> bool:
    """Officers of an involved agency (a head also for those below it), verifiers, the super admin."""
    if not user.active or not policy.can_view_case(session, user, complaint.id):
        return False
    if user.role in (roles.SUPER_ADMIN, roles.VERIFIER):
        return True
    if user.role not in AGENCY_ROLES:
        return False
    return bool(set(policy.agency_codes_in_scope(session, user)) & set(involved_agencies(session, complaint.id)))


def post_message(db: Database, user: User, complaint_id: int, body: str, mentions: list[str] | None = None,
                 public_url: str = "") -> CoordinationMessage:
    """Add a message to the thread and e-mail the liaisons of the agencies mentioned.

    Raises CaseNotFound, Forbidden, InvalidMessage.
    """
    body = (body or "").strip()
    if not body:
        raise InvalidMessage("empty")
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
        session.add(message)
        session.flush()
        _notify_mentioned(session, complaint, message, user, public_url)
        return message


def _notify_mentioned(session: Session, complaint: Complaint, message: CoordinationMessage, author: User,
                      public_url: str) -> None:
    author_agency = agency_name(session, message.author_agency_code) if message.author_agency_code else ""
    who = f"{author.full_name} ({author_agency})" if author_agency else author.full_name
    body = (f"{who} menyebut instansi Anda dalam percakapan koordinasi laporan {complaint.tracking_id} "
            f"\"{complaint.title}\":\n\n{message.body}\n\n{case_link(public_url, complaint)}\n")
    for code in message.mentions:
        for user in liaisons_of(session, code):
            if user.id != author.id:
                outbox.enqueue(session, f"coordination-mention:{message.id}:{user.id}", user.email,
                               f"Anda disebut dalam koordinasi laporan {complaint.tracking_id}", body)
