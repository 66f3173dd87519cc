"""Open311 GeoReport v2 in domain terms: API keys, the services offered, filing and reading requests.

The web layer (`webapp/open311`) speaks the protocol: URLs, XML and JSON, and the parsing of
the request parameters. This module decides who may post, files a request the way the web
form files a complaint, and answers queries that never include a confidential (*rahasia*)
complaint and never even select a reporter's identity.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.db import Database
from engine.errors import NotFound
from engine.models import HumanTask, ProcessInstance
from engine.runtime import ProcessEngine
from workflows import statuses
from workflows.complaints import CLASSIFICATIONS, ComplaintInput, FiledComplaint
from workflows.digests import sha256_hex
from workflows.models import Agency, Category, Complaint, Open311Key
from workflows.notifications import Notifier
from workflows.public import submit_complaint

DEMO_KEY = "tindak-demo-key"
DEMO_KEY_NAME = "Demo"
REQUEST_LIMIT = 1000  # GeoReport v2 "Response Volume": at most 1000 requests per answer
CHANNEL = "open311"


class KeyRejected(Exception):
    """The api_key is missing, unknown or revoked."""


class KeyNotFound(NotFound):
    """No API key with this id."""


class ServiceNotFound(NotFound):
    """No active category with this service_code."""


class RequestNotFound(NotFound):
    """No public request with this ID (unknown, or confidential: the same answer)."""


@dataclass(frozen=True)
class Attribute:
    """A field of our complaints that a GeoReport request lacks, posted as `attribute[code]=value`."""

    code: str
    datatype: str  # a GeoReport datatype: string|number|datetime|text|singlevaluelist|multivaluelist
    required: bool
    values: tuple[str, ...] = ()
    default: str | None = None


ATTRIBUTES = (
    Attribute("classification", "singlevaluelist", True, CLASSIFICATIONS),
    Attribute("incident_date", "datetime", False),
    Attribute("anonymous", "singlevaluelist", False, ("true", "false"), "true"),  # private unless asked
    Attribute("confidential", "singlevaluelist", False, ("true", "false"), "false"),
)


# --- API keys -------------------------------------------------------------------------------

def create_key(db: Database, name: str) -> str:
    """Create an active key and return it; it is shown once, only its hash is stored."""
    name = (name or "").strip()[:100]
    if not name:
        raise ValueError("an API key needs a name")
    key = "o311_" + secrets.token_urlsafe(24)
    with db.transaction() as session:
        session.add(Open311Key(name=name, key_hash=sha256_hex(key)))
    return key


def revoke_key(db: Database, key_id: int) -> None:
    """Deactivate a key; requests posted with it are refused from now on."""
    with db.transaction() as session:
        key = session.get(Open311Key, key_id)
        if key is None:
            raise KeyNotFound(key_id)
        key.active = False


def list_keys(session: Session) -> list[Open311Key]:
    """Every key, newest first (for the super admin's page)."""
    return list(session.scalars(select(Open311Key).order_by(Open311Key.created_at.desc(), Open311Key.id.desc())))


def key_for(session: Session, key: str | None) -> Open311Key | None:
    """The active key record for this key, or None."""
    if not key:
        return None
    return session.scalars(select(Open311Key).where(
        Open311Key.key_hash == sha256_hex(key), Open311Key.active.is_(True))).first()


def check_key(session: Session, key: str | None) -> bool:
    """Whether this key may post requests (known and not revoked)."""
    return key_for(session, key) is not None


def ensure_demo_key(db: Database) -> None:
    """Create the demo key `tindak-demo-key` unless a key with its hash exists (revoked stays revoked)."""
    with db.transaction() as session:
        if session.scalar(select(Open311Key.id).where(Open311Key.key_hash == sha256_hex(DEMO_KEY))) is None:
            session.add(Open311Key(name=DEMO_KEY_NAME, key_hash=sha256_hex(DEMO_KEY)))


# --- services and filing --------------------------------------------------------------------

def services(session: Session) -> list[Category]:
    """One service per active category."""
    return list(session.scalars(select(Category).where(Category.active.is_(True)).order_by(Category.name)))


def service(session: Session, code: str) -> Category:
    """The active category with this code, or ServiceNotFound."""
    category = session.scalars(select(Category).where(Category.code == code, Category.active.is_(True))).first()
    if category is None:
        raise ServiceNotFound(code)
    return category


def file_request(db: Database, engine: ProcessEngine, api_key: str | None, data: ComplaintInput,
                 attachment_dir: Path, notifier: Notifier | None = None) -> FiledComplaint:
    """File a posted request as a complaint, through the web form's own path (channel open311).

    Raises KeyRejected for a missing, unknown or revoked key and ServiceNotFound for an unknown
    category; nothing is stored then.
    """
    with db.session() as session:
        key = key_for(session, api_key)
        if key is None:
            raise KeyRejected()
        service(session, data.category)
        actor = f"pelapor:open311:{key.id}"  # shown as the reporter; the audit log keeps which client
    return submit_complaint(db, engine, replace(data, channel=CHANNEL), [], attachment_dir, notifier, actor=actor)


# --- reading requests -----------------------------------------------------------------------

@dataclass
class RequestFilter:
    """GET requests' filters, parsed. Tracking IDs, when given, override everything else."""

    start: datetime
    end: datetime
    tracking_ids: list[str] = field(default_factory=list)
    service_codes: list[str] = field(default_factory=list)
    statuses: set[str] = field(default_factory=set)  # {"open"}, {"closed"}, both or none: all


@dataclass
class PublicRequest:
    """What anyone may read of a complaint."""

    tracking_id: str
    status_code: str
    service_code: str
    service_name: str | None
    description: str
    agency_name: str | None
    requested_at: datetime
    updated_at: datetime | None
    expected_at: datetime | None
    address: str | None
    latitude: float | None
    longitude: float | None

    @property
    def closed(self) -> bool:
        return self.status_code in statuses.FINAL

    @property
    def status_notes(self) -> str:
        return statuses.label(self.status_code)


def _public_requests():
    deadline = (select(func.min(HumanTask.due_at))  # workflows.public.current_deadline, for many rows at once
                .where(HumanTask.process_instance_id == Complaint.process_instance_id, HumanTask.state == "ready")
                .correlate(Complaint).scalar_subquery())
    # columns named one by one: a reporter's name, e-mail or phone is never read here
    return (select(Complaint.tracking_id, Complaint.status, Complaint.category_code, Category.name,
                   Complaint.description, Agency.name, Complaint.created_at, ProcessInstance.updated_at,
                   deadline, Complaint.address, Complaint.latitude, Complaint.longitude)
            .outerjoin(Category, Category.code == Complaint.category_code)
            .outerjoin(Agency, Agency.code == Complaint.lead_agency_code)
            .outerjoin(ProcessInstance, ProcessInstance.id == Complaint.process_instance_id)
            .where(Complaint.confidential.is_(False)))


def find_requests(session: Session, f: RequestFilter) -> list[PublicRequest]:
    """Public requests matching the filter, newest first, at most REQUEST_LIMIT."""
    query = _public_requests()
    if f.tracking_ids:
        query = query.where(Complaint.tracking_id.in_([i.strip().upper() for i in f.tracking_ids][:REQUEST_LIMIT]))
    else:
        query = query.where(Complaint.created_at >= f.start, Complaint.created_at <= f.end)
        if f.service_codes:
            query = query.where(Complaint.category_code.in_(f.service_codes))
        if f.statuses == {"open"}:
            query = query.where(Complaint.status.not_in(statuses.FINAL))
        elif f.statuses == {"closed"}:
            query = query.where(Complaint.status.in_(statuses.FINAL))
    rows = session.execute(query.order_by(Complaint.created_at.desc(), Complaint.id.desc()).limit(REQUEST_LIMIT))
    return [PublicRequest(*row) for row in rows]


def public_request(session: Session, tracking_id: str) -> PublicRequest:
    """One public request by tracking ID (any letter case); RequestNotFound if unknown or confidential."""
    wanted = (tracking_id or "").strip().upper()
    row = None if "\x00" in wanted else session.execute(  # PostgreSQL refuses NUL in text
        _public_requests().where(Complaint.tracking_id == wanted)).first()
    if row is None:
        raise RequestNotFound(tracking_id)
    return PublicRequest(*row)
