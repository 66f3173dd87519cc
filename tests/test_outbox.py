"""Notices: queued with the change that causes them, delivered over real SMTP (aiosmtpd)."""
from __future__ import annotations

import email
import socket
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from engine.clock import now, set_clock
from tests.casework import Case
from workflows import outbox
from workflows.models import OutboxMessage
from workflows.notifications import Notifier
from workflows.process import make_process_engine


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, email.message_from_bytes(envelope.content)))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield inbox, outbox.SmtpSettings(host="127.0.0.1", port=controller.port, sender="Tindak <tindak@kalbar.example>")
    controller.stop()


@pytest.fixture
def notifying_engine(db):
    return make_process_engine(db, Notifier("https://tindak.example"))


def queued(db):
    with db.session() as s:
        return list(s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def test_status_changes_reach_the_reporter(db, notifying_engine, smtp_server):
    inbox, smtp = smtp_server
    case = Case(db, notifying_engine, reporter_email="warga@example.org")
    case.do("verify_complaint", {"decision": "disposisi", "lead_agency": "dinkes-kalbar"}, "verifikator")
    assert outbox.deliver_due(db, smtp) == 1
    [(to, message)] = inbox.messages
    assert to == ["warga@example.org"]
    assert "Terdisposisi" in message["Subject"] and case.complaint.tracking_id in message["Subject"]
    assert message["Message-ID"].startswith("<tindak-outbox-")
    assert outbox.deliver_due(db, smtp) == 0  # nothing is sent twice
    assert len(inbox.messages) == 1


def test_english_reporter_gets_english(db, notifying_engine, smtp_server):
    inbox, smtp = smtp_server
    case = Case(db, notifying_engine, reporter_email="resident@example.org", locale="en")
    case.do("verify_complaint", {"decision": "arsipkan", "reason": "Duplicate."})
    outbox.deliver_due(db, smtp)
    assert "Archived" in inbox.messages[0][1]["Subject"]


def test_no_email_no_notice(db, notifying_engine):
    Case(db, notifying_engine).do("verify_complaint", {"decision": "arsipkan", "reason": "x"})
    assert queued(db) == []


def test_notice_rolls_back_with_the_change(db, notifying_engine):
    case = Case(db, notifying_engine, reporter_email="warga@example.org")
    with pytest.raises(RuntimeError), db.transaction() as s:
        from workflows.demo import complete_step

        complete_step(s, notifying_engine, case.instance_id, "verify_complaint",
                      {"decision": "arsipkan", "reason": "x"}, "verifikator")
        raise RuntimeError("crash before commit")
    assert queued(db) == []  # the change did not happen, so neither did its notice
    assert case.status == "belum_terverifikasi"


def test_unreachable_server_retries_with_backoff_then_gives_up(db, notifying_engine):
    Case(db, notifying_engine, reporter_email="warga@example.org").do(
        "verify_complaint", {"decision": "arsipkan", "reason": "x"})
    dead = outbox.SmtpSettings(host="127.0.0.1", port=free_port(), timeout=2)
    start = now()
    try:
        delays = []
        for attempt in range(outbox.MAX_ATTEMPTS):
            assert outbox.deliver_due(db, dead) == 0
            [message] = queued(db)
            assert message.attempts == attempt + 1 and message.last_error
            if message.failed_at:
                break
            delays.append(message.next_attempt_at - now())
            moment = message.next_attempt_at + timedelta(seconds=1)
            set_clock(lambda: moment)
        assert message.failed_at is not None and message.sent_at is None
        assert all(later > earlier for earlier, later in zip(delays, delays[1:]))  # backing off
    finally:
        set_clock(None)
    assert now() >= start


def test_crash_after_claim_resends_after_the_lease(db, notifying_engine, smtp_server):
    inbox, smtp = smtp_server
    Case(db, notifying_engine, reporter_email="warga@example.org").do(
        "verify_complaint", {"decision": "arsipkan", "reason": "x"})
    assert outbox._claim(db) is not None  # a worker took it and died before sending
    assert outbox.deliver_due(db, smtp) == 0  # still leased to the dead worker
    later = now() + outbox.LEASE + timedelta(seconds=1)
    set_clock(lambda: later)
    try:
        assert outbox.deliver_due(db, smtp) == 1
    finally:
        set_clock(None)
    assert len(inbox.messages) == 1


def test_dedupe_key_queues_once(db):
    with db.transaction() as s:
        assert outbox.enqueue(s, "k1", "a@example.org", "s", "b")
        assert not outbox.enqueue(s, "k1", "a@example.org", "s", "b")
        assert not outbox.enqueue(s, "k2", None, "s", "b")
    assert len(queued(db)) == 1


def test_officer_hears_of_a_task_assigned_to_them(db, notifying_engine, smtp_server):
    from sqlalchemy import select as sql_select

    from workflows import commands
    from workflows.models import User

    inbox, smtp = smtp_server
    case = Case(db, notifying_engine)
    case.do("verify_complaint", {"decision": "disposisi", "lead_agency": "dinkes-kalbar"}, "verifikator")
    [task] = case.ready()
    with db.session() as s:
        head = s.scalars(sql_select(User).where(User.username == "dinkes.kepala")).one()
    commands.assign_task(db, notifying_engine, head, task.id, "dinkes.penghubung", Notifier("https://tindak.example"))
    outbox.deliver_due(db, smtp)
    to = [rcpt for rcpts, _ in inbox.messages for rcpt in rcpts]
    assert "dinkes.penghubung@tindak.example.org" in to
    [message] = [m for rcpts, m in inbox.messages if "dinkes.penghubung@tindak.example.org" in rcpts]
    assert "Tindak lanjuti laporan" in message["Subject"] and f"/tasks/{task.id}" in message.get_payload()


# -- the reporter's secret leaves the outbox once sent (issue 12.2) ---------------------------

def file_with_notice(db, engine):
    """A complaint filed with its first notice (the one carrying the secret link)."""
    from workflows.complaints import ComplaintInput, file_complaint
    with db.transaction() as s:
        filed = file_complaint(s, engine, ComplaintInput(
            title="Lampu jalan mati", description="Gelap.", category="infrastruktur",
            reporter_email="warga@example.org"), None, Notifier("https://tindak.example"))
        return filed.complaint.tracking_id, filed.tracking_secret


def rows_holding(db, secret: str) -> list[int]:
    return [m.id for m in queued(db) if secret in (m.body or "") + (m.secret_link or "") + m.subject]


def test_a_sent_notice_keeps_no_secret(db, notifying_engine, smtp_server):
    inbox, smtp = smtp_server
    tracking_id, secret = file_with_notice(db, notifying_engine)
    [row] = queued(db)
    assert secret not in row.body  # the body holds a placeholder; the link waits apart
    assert outbox.deliver_due(db, smtp) == 1
    [(_to, message)] = inbox.messages
    text = message.get_payload(decode=True).decode()
    assert f"https://tindak.example/lacak/{tracking_id}?kode={secret}" in text
    assert outbox.SECRET_LINK not in text
    assert rows_holding(db, secret) == []
    [row] = queued(db)
    assert row.sent_at is not None and row.secret_link is None


def test_a_notice_given_up_keeps_no_secret(db, notifying_engine):
    _tracking_id, secret = file_with_notice(db, notifying_engine)
    dead = outbox.SmtpSettings(host="127.0.0.1", port=free_port(), timeout=2)
    try:
        for _attempt in range(outbox.MAX_ATTEMPTS):
            outbox.deliver_due(db, dead)
            [message] = queued(db)
            if message.failed_at:
                break
            assert message.secret_link  # kept while it may still be sent
            moment = message.next_attempt_at + timedelta(seconds=1)
            set_clock(lambda: moment)
    finally:
        set_clock(None)
    assert message.failed_at is not None and rows_holding(db, secret) == []


class RefusingInbox(Inbox):
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        return "550 no such mailbox here"


def test_the_log_never_holds_a_reporters_address(db, notifying_engine, smtp_server, caplog):
    inbox, smtp = smtp_server
    caplog.set_level("DEBUG", logger="tindak")
    Case(db, notifying_engine, reporter_email="pelapor.rahasia@example.org").do(
        "verify_complaint", {"decision": "disposisi", "lead_agency": "dinkes-kalbar"}, "verifikator")
    assert outbox.deliver_due(db, smtp) == 1
    refusing = Controller(RefusingInbox(), hostname="127.0.0.1", port=free_port())
    refusing.start()
    try:
        Case(db, notifying_engine, reporter_email="pelapor.rahasia@example.org").do(
            "verify_complaint", {"decision": "arsipkan", "reason": "x"})
        assert outbox.deliver_due(db, outbox.SmtpSettings(host="127.0.0.1", port=refusing.port)) == 0
    finally:
        refusing.stop()
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "sent notice" in text and "failed" in text  # both paths logged ...
    assert "pelapor.rahasia" not in text and "p***@example.org" in text  # ... with the address masked


def test_mask_email():
    assert outbox.mask_email("warga@example.org") == "w***@example.org"
    assert outbox.mask_email("no address") == "***"
    assert outbox.redact("550 <a.b@x.id> refused; c@y.id too") == "550 <a***@x.id> refused; c***@y.id too"


def test_the_workers_log_handler_masks_addresses_in_any_record_and_traceback():
    import io
    import logging

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(name)s %(message)s"))
    handler.addFilter(outbox.MaskAddresses())
    logger = logging.getLogger("tindak.test-mask")
    logger.addHandler(handler)
    try:
        try:
            raise ValueError("cannot encode pelapor.rahasia@example.org")
        except ValueError:
            logger.exception("round failed for %s", "siti@example.org")
    finally:
        logger.removeHandler(handler)
    text = stream.getvalue()
    assert "round failed for s***@example.org" in text and "p***@example.org" in text
    assert "pelapor.rahasia" not in text and "siti@" not in text

class Killed(BaseException):
    """The worker process dying (SIGKILL) right after the SMTP server accepted a message."""


def test_a_notice_accepted_but_not_marked_is_resent_about_a_minute_later(db, notifying_engine, smtp_server,
                                                                         monkeypatch):
    inbox, smtp = smtp_server
    Case(db, notifying_engine, reporter_email="warga@example.org").do(
        "verify_complaint", {"decision": "arsipkan", "reason": "x"})

    def die(*_args):
        raise Killed()

    with monkeypatch.context() as m:
        m.setattr(outbox, "_mark_sent", die)
        with pytest.raises(Killed):
            outbox.deliver_due(db, smtp)
    assert len(inbox.messages) == 1  # accepted by the server, not marked sent
    start = now()
    try:
        half_a_minute = start + timedelta(seconds=30)
        set_clock(lambda: half_a_minute)
        assert outbox.deliver_due(db, smtp) == 0  # the lease still holds
        a_minute = start + timedelta(seconds=61)
        set_clock(lambda: a_minute)
        assert outbox.deliver_due(db, smtp) == 1  # retried after ~1 minute, not 5
    finally:
        set_clock(None)
    first, second = inbox.messages[0][1], inbox.messages[1][1]
    assert first["Message-ID"] == second["Message-ID"]
    [message] = queued(db)
    assert message.sent_at is not None and message.attempts == 1
    assert outbox.LEASE <= timedelta(seconds=60)


def test_each_notice_is_marked_sent_before_the_next_is_sent(db, smtp_server, monkeypatch):
    inbox, smtp = smtp_server
    with db.transaction() as s:
        for n in range(3):
            outbox.enqueue(s, f"k{n}", f"warga{n}@example.org", "s", "b")
    seen = []
    real_send = outbox._send

    def send_and_look(number, *args):
        with db.session() as s:  # what another process would see when this message goes out
            seen.append([m.sent_at is not None for m in s.scalars(select(OutboxMessage).order_by(OutboxMessage.id))])
        real_send(number, *args)

    monkeypatch.setattr(outbox, "_send", send_and_look)
    assert outbox.deliver_due(db, smtp) == 3
    assert len(inbox.messages) == 3
    assert seen == [[False, False, False], [True, False, False], [True, True, False]]


def test_a_claim_is_a_short_lease_taken_one_message_at_a_time(db):
    with db.transaction() as s:
        for n in range(2):
            outbox.enqueue(s, f"k{n}", f"warga{n}@example.org", "s", "b")
    claimed = outbox._claim(db)
    assert claimed is not None
    rows = queued(db)
    leased = [m for m in rows if m.next_attempt_at > now()]
    assert [m.id for m in leased] == [claimed[0]]  # only the one being sent is taken
    assert leased[0].next_attempt_at - now() <= timedelta(seconds=61)
