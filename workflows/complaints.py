"""Filing a complaint: the record, its tracking ID and secret, and its case, in one transaction."""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.runtime import ProcessEngine
from workflows.attachments import Upload
from workflows.attachments import check as attachment_check
from workflows.attachments import store as store_attachments
from workflows.digests import sha256_hex
from workflows.models import Category, Complaint
from workflows.notifications import Notifier
from workflows.process import COMPLAINT_PROCESS, NEW_COMPLAINTS

WRITTEN_FILES = "tindak.written_files"  # session.info key: files to delete if the transaction fails

# Crockford's base32 without I, L, O, U: nothing to misread over the phone
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CLASSIFICATIONS = ("pengaduan", "aspirasi", "permintaan_informasi")
CHANNELS = ("web", "sms", "twitter", "mobile", "open311", "social_media", "api")


class InvalidComplaint(ValueError):
    def __init__(self, fields: dict[str, str]):
        self.fields = fields
        super().__init__("; ".join(f"{k}: {v}" for k, v in fields.items()))


@dataclass
class ComplaintInput:
    title: str
    description: str
    category: str
    classification: str = "pengaduan"
    channel: str = "web"
    region: str | None = None
    address: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    incident_date: date | None = None
    anonymous: bool = True  # the safe choice is the default (docs/domain.md, Privacy)
    confidential: bool = False
    reporter_name: str | None = None
    reporter_email: str | None = None
    reporter_phone: str | None = None
    locale: str = "id"


@dataclass
class FiledComplaint:
    complaint: Complaint
    tracking_secret: str  # shown once to the reporter; only its hash is stored


def new_tracking_id() -> str:
    """A short random ID such as TDK-7K3Q-9MXA (40 bits: not guessable in sequence)."""
    chars = "".join(secrets.choice(_ALPHABET) for _ in range(8))
    return f"TDK-{chars[:4]}-{chars[4:]}"


def _check(session: Session, data: ComplaintInput) -> None:
    problems = {}
    if not data.title or not data.title.strip():
        problems["title"] = "required"
    elif len(data.title) > 200:
        problems["title"] = "at most 200 characters"
    if not data.description or not data.description.strip():
        problems["description"] = "required"
    if data.classification not in CLASSIFICATIONS:
        problems["classification"] = "not one of the allowed choices"
    if data.channel not in CHANNELS:
        problems["channel"] = "not one of the allowed choices"
    known = session.scalars(select(Category.id).where(Category.code == data.category, Category.active)).first()
    if known is None:
        problems["category"] = "unknown category"
    if problems:
        raise InvalidComplaint(problems)


def file_complaint(session: Session, engine: ProcessEngine, data: ComplaintInput, actor: str | None = None,
                   notifier: Notifier | None = None, attachments: list[Upload] | None = None,
                   attachment_dir: Path | None = None) -> FiledComplaint:
    """Store the complaint (and its attachments) and start its case, all in the caller's transaction.

    Raises InvalidComplaint or AttachmentRejected before anything is written.
    """
    _check(session, data)
    checked = attachment_check(attachments or [])
    secret = secrets.token_urlsafe(18)
    complaint = Complaint(
        tracking_id=_unique_tracking_id(session),
        tracking_secret_hash=sha256_hex(secret),
        title=data.title.strip(),
        description=data.description.strip(),
        category_code=data.category,
        classification=data.classification,
        channel=data.channel,
        region_code=data.region,
        address=data.address,
        latitude=data.latitude,
        longitude=data.longitude,
        incident_date=data.incident_date,
        anonymous=data.anonymous,
        confidential=data.confidential,
        reporter_name=data.reporter_name,
        reporter_email=data.reporter_email,
        reporter_phone=data.reporter_phone,
        locale=data.locale if data.locale in ("id", "en") else "id",
    )
    session.add(complaint)
    session.flush()
    initial = start_data(complaint.id, data.category, data.classification, data.channel)

    def link(instance):
        complaint.process_instance_id = instance.id
        session.info.setdefault(NEW_COMPLAINTS, {})[instance.id] = complaint

    if checked:
        if attachment_dir is None:
            raise ValueError("attachments need an attachment folder")
        # registered path by path before each write, so a failure halfway still cleans up
        store_attachments(session, attachment_dir, complaint.id, checked, session.info.setdefault(WRITTEN_FILES, []))
    engine.start(session, COMPLAINT_PROCESS, initial, actor or "pelapor", link)
    if notifier is not None:
        notifier.complaint_received(session, complaint, secret)
    return FiledComplaint(complaint, secret)


def start_data(complaint_id: int, category: str, classification: str, channel: str) -> dict:
    """The variables a complaint's process starts with (the deploy check dry-runs with these too)."""
    return {"complaint_id": complaint_id, "category": category, "classification": classification,
            "channel": channel}


def _unique_tracking_id(session: Session) -> str:
    while True:
        candidate = new_tracking_id()
        if session.scalars(select(Complaint.id).where(Complaint.tracking_id == candidate)).first() is None:
            return candidate
