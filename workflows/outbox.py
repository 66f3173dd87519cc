"""The transactional outbox: notices are rows written with the change, sent later by the worker.

Delivery is at-least-once. Each notice is claimed alone with a short lease (LEASE), sent
outside any transaction, and marked sent in its own transaction the moment the SMTP server
accepts it. A worker killed between that acceptance and the commit (milliseconds) leaves the
row leased; about a minute later another round sends it again, with the same Message-ID.
Mail servers are not assumed to drop such a duplicate: the reporter may get it twice.
A send slower than the lease (a server that stalls near every timeout) may also be sent by
a second worker meanwhile; SmtpSettings.timeout (per step) is kept well below LEASE.

A link that carries a secret (the reporter's tracking link) is not written into the body: the
body holds SECRET_LINK where it goes and the link waits in `secret_link`, put in only when the
message is handed to SMTP, and emptied once the row is sent or given up. So a sent row keeps no
secret, whoever reads the table later.
"""
from __future__ import annotations

import logging
import re
import smtplib
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.clock import now
from engine.db import Database
from workflows.models import OutboxMessage

log = logging.getLogger("tindak.outbox")
MAX_ATTEMPTS = 8
BASE_DELAY = timedelta(seconds=30)  # 30 s, 1 min, 2 min, ... up to about an hour
LEASE = timedelta(seconds=60)  # a claimed notice whose worker died is tried again after this
SECRET_LINK = "[tindak:secret-link]"  # where the secret link goes in a body (migration 0009 uses it too)


_ADDRESS = re.compile(r"[^\s<>()\[\]{}'\",;:@]+@[^\s<>()\[\]{}'\",;:@]+")


def mask_email(address: str | None) -> str:
    """An address as the log shows it: first letter and domain (w***@example.org), never the rest."""
    local, at, domain = (address or "").partition("@")
    return f"{local[:1]}***@{domain}" if at and local else "***"


def redact(text: str) -> str:
    """Text with every e-mail address in it masked (SMTP errors often quote the recipient)."""
    return _ADDRESS.sub(lambda m: mask_email(m.group(0)), text)


class MaskAddresses(logging.Filter):
    """A handler filter masking every address in a record, its traceback included.

    The outbox's own lines mask already; this catches the rest (an unexpected exception whose
    message quotes a recipient). `tindak worker` puts it on its log handlers.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = redact(record.getMessage()), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        record.exc_info = None  # the formatter prints the masked exc_text instead
        return True


@dataclass
class SmtpSettings:
    host: str
    port: int = 25
    sender: str = "Tindak <tindak@localhost>"
    username: str | None = None
    password: str | None = None
    starttls: bool = False
    timeout: float = 15.0  # per SMTP step, so a server stalling at one step cannot outlast LEASE


def enqueue(session: Session, dedupe_key: str, recipient: str | None, subject: str, body: str,
            secret_link: str | None = None) -> bool:
    """Queue a notice in the caller's transaction; False when there is no recipient or it is queued already.

    With `secret_link`, `body` marks its place with SECRET_LINK (see the module's docstring)."""
    if not recipient:
        return False
    exists = session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == dedupe_key))
    if exists is not None:
        return False
    if secret_link is not None and SECRET_LINK not in body:
        raise ValueError("a secret link needs its place in the body")
    session.add(OutboxMessage(dedupe_key=dedupe_key, recipient=recipient, subject=subject[:300], body=body,
                              secret_link=secret_link, created_at=now(), next_attempt_at=now()))
    return True


def without_placeholder(text: str) -> str:
    """Text from outside (a title) cannot carry the placeholder into a body."""
    return (text or "").replace(SECRET_LINK, "")


def message_id(message_id_number: int, sender: str) -> str:
    """The stable Message-ID of an outbox row: the same on every retry."""
    domain = sender.rpartition("@")[2].rstrip(">") or "tindak.local"
    return f"<tindak-outbox-{message_id_number}@{domain}>"


def _claim(db: Database) -> tuple[int, str, str, str] | None:
    """Take the next due notice for a while (a lease), so no other worker sends it meanwhile."""
    with db.transaction() as session:
        query = (select(OutboxMessage)
                 .where(OutboxMessage.sent_at.is_(None), OutboxMessage.failed_at.is_(None),
                        OutboxMessage.next_attempt_at <= now())
                 .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id).limit(1))
        if db.is_postgres:
            query = query.with_for_update(skip_locked=True)
        message = session.scalars(query).first()
        if message is None:
            return None
        message.next_attempt_at = now() + LEASE
        body = message.body
        if message.secret_link is not None:
            body = body.replace(SECRET_LINK, message.secret_link)
        return message.id, message.recipient, message.subject, body


def _leased(session: Session, message_id_number: int) -> OutboxMessage:
    """The row `_claim` leased a moment ago; outbox rows are never deleted, so it is still there."""
    message = session.get(OutboxMessage, message_id_number)
    assert message is not None, f"outbox row {message_id_number} vanished"
    return message


def _mark_sent(db: Database, message_id_number: int) -> None:
    """Record the server's acceptance at once, in a transaction of its own (never batched)."""
    with db.transaction() as session:
        message = _leased(session, message_id_number)
        message.attempts += 1
        message.sent_at = now()
        message.secret_link = None  # delivered: the table need not keep the secret
        log.info("sent notice %s to %s", message.id, mask_email(message.recipient))


def _settle(db: Database, message_id_number: int, error: Exception) -> None:
    with db.transaction() as session:
        message = _leased(session, message_id_number)
        message.attempts += 1
        message.last_error = f"{type(error).__name__}: {error}"[:500]
        if message.attempts >= MAX_ATTEMPTS:
            message.failed_at = now()
            message.secret_link = None  # never sent now: nothing to keep it for
            log.error("gave up on notice %s to %s: %s", message.id, mask_email(message.recipient),
                      redact(str(error)))
        else:
            message.next_attempt_at = now() + BASE_DELAY * (2 ** (message.attempts - 1))
            log.warning("notice %s to %s failed (attempt %s): %s", message.id, mask_email(message.recipient),
                        message.attempts, redact(str(error)))


def deliver_due(db: Database, smtp: SmtpSettings, limit: int = 50) -> int:
    """Send up to `limit` due notices; returns how many were sent.

    One at a time: claimed with a short lease, sent outside any transaction (no lock is held
    while SMTP talks), then at once marked sent, or rescheduled with exponential backoff.
    """
    sent = 0
    for _ in range(limit):
        claimed = _claim(db)
        if claimed is None:
            break
        number, recipient, subject, body = claimed
        try:
            _send(number, recipient, subject, body, smtp)
        except (OSError, smtplib.SMTPException) as exc:
            _settle(db, number, exc)
            continue
        _mark_sent(db, number)
        sent += 1
    return sent


def _send(number: int, recipient: str, subject: str, body: str, smtp: SmtpSettings) -> None:
    email = EmailMessage()
    email["From"] = smtp.sender
    email["To"] = recipient
    email["Subject"] = subject
    email["Message-ID"] = message_id(number, smtp.sender)
    email.set_content(body)
    with smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout) as client:
        if smtp.starttls:
            client.starttls()
        if smtp.username:
            client.login(smtp.username, smtp.password or "")
        client.send_message(email)
