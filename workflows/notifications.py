"""What people are told, and when: notices queued in the outbox, in Indonesian or English.

The texts are Jinja templates in `workflows/mail/` (one per kind of notice, a `subject` and a
`body` block, each a `{% trans %}` block with named variables). Their English msgids are
extracted into the web app's catalog with everything else (babel.cfg), so translators see them
beside the pages' strings. A notice is rendered in the reporter's language (`complaint.locale`);
officers' notices are in Indonesian.

Where the catalogs are: `Notifier.catalogs`, the folder that holds `<locale>/LC_MESSAGES/
messages.mo`. The web app and the worker pass `webapp/translations` (workflows never imports
webapp). When it is None, the folder is `translations/` inside the installed `webapp` package,
found with importlib without importing it (the same files, installed as package data of the same
distribution). A locale without a compiled catalog there is logged and falls back to the English
source text rather than failing the transaction that queues the notice.
"""
from __future__ import annotations

import importlib.util
import logging
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import jinja2
from babel.support import NullTranslations, Translations
from sqlalchemy import select
from sqlalchemy.orm import Session

from workflows import outbox, roles, statuses
from workflows.accounts import users_with_role
from workflows.models import Complaint, User

ESCALATION_ROLES = (roles.AGENCY_HEAD, roles.OMBUDSMAN, roles.SUPER_ADMIN)
LOCALES = ("id", "en")
OFFICERS_LOCALE = "id"
MAIL = Path(__file__).parent / "mail"
log = logging.getLogger(__name__)


def default_catalogs() -> Path | None:
    """`translations/` of the installed webapp package, found without importing it."""
    spec = importlib.util.find_spec("webapp")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "translations"


@lru_cache(maxsize=16)
def _environment(catalogs: Path | None, locale: str) -> jinja2.Environment:
    """A text-only Jinja environment with the catalog of one locale installed."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(MAIL), extensions=["jinja2.ext.i18n"],
                             autoescape=False, undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    translations = Translations.load(str(catalogs), [locale], "messages") if catalogs else NullTranslations()
    if locale != "en" and not isinstance(translations, Translations):
        log.warning("no compiled %s catalog in %s: notices fall back to English", locale, catalogs)
    # the i18n extension adds this method to the environment at run time (Environment.extend)
    env.install_gettext_translations(translations, newstyle=True)  # type: ignore[attr-defined]
    return env


def render(kind: str, locale: str | None, catalogs: Path | None, **values) -> tuple[str, str]:
    """Subject and body of a notice of `kind` (the template `mail/<kind>.txt`) in `locale`."""
    locale = locale if locale in LOCALES else OFFICERS_LOCALE
    template = _environment(catalogs, locale).get_template(f"{kind}.txt")
    context = template.new_context(values)
    subject = "".join(template.blocks["subject"](context)).strip()
    body = "".join(template.blocks["body"](context))
    return subject, body


@dataclass
class Notifier:
    """Queues notices; `public_url` is where reporters and officers reach Tindak."""

    public_url: str = "http://127.0.0.1:5000"
    catalogs: Path | None = None  # the folder of compiled catalogs (see the module's docstring)

    def __post_init__(self) -> None:
        if self.catalogs is None:
            self.catalogs = default_catalogs()

    def _render(self, kind: str, locale: str | None, **values) -> tuple[str, str]:
        return render(kind, locale, self.catalogs, **values)

    def tracking_link(self, tracking_id: str, secret: str) -> str:
        return f"{self.public_url}/lacak/{tracking_id}?kode={secret}"

    def complaint_received(self, session: Session, complaint: Complaint, secret: str) -> None:
        """The first notice: the only one with the secret link, kept out of the stored body
        (workflows.outbox.SECRET_LINK) and dropped once sent."""
        subject, body = self._render("received", complaint.locale, title=outbox.without_placeholder(complaint.title),
                                     tracking_id=complaint.tracking_id, link=outbox.SECRET_LINK)
        outbox.enqueue(session, f"received:{complaint.id}", complaint.reporter_email, subject, body,
                       secret_link=self.tracking_link(complaint.tracking_id, secret))

    def status_changed(self, session: Session, complaint: Complaint, variable: str, old, new, event_id: int) -> None:
        """An on_change callback of the status projection: tell the reporter."""
        if variable != "status" or not isinstance(complaint, Complaint):
            return
        subject, body = self._render("status", complaint.locale, title=complaint.title,
                                     tracking_id=complaint.tracking_id, status=statuses.label(new, complaint.locale),
                                     tracking_url=f"{self.public_url}/lacak")
        outbox.enqueue(session, f"status:{event_id}", complaint.reporter_email, subject, body)

    def task_assigned(self, session: Session, complaint: Complaint, task_id: str, task_name: str,
                      assignee: str, event_key: str) -> None:
        user = session.scalars(select(User).where(User.username == assignee)).first()
        if user is None or not user.email:
            return
        subject, body = self._render("assigned", OFFICERS_LOCALE, task=task_name, tracking_id=complaint.tracking_id,
                                     title=complaint.title, link=f"{self.public_url}/tasks/{task_id}")
        outbox.enqueue(session, f"assigned:{event_key}", user.email, subject, body)

    # -- deadlines ----------------------------------------------------------------------

    def _complaint(self, session: Session, instance) -> Complaint | None:
        return session.scalars(select(Complaint).where(Complaint.process_instance_id == instance.id)).first()

    def _staff(self, session: Session, role: str | None, agency_code: str | None) -> list[User]:
        return users_with_role(session, role, agency_code, with_email=True)

    def tasks_created(self, session: Session, instance, rows) -> None:
        """A task hook: escalations (tasks for heads, the Ombudsman, the coordinator) are e-mailed."""
        escalated = [r for r in rows if r.role in ESCALATION_ROLES]
        if not escalated:
            return
        complaint = self._complaint(session, instance)
        if complaint is None:
            return
        for row in escalated:
            subject, body = self._render("escalation", OFFICERS_LOCALE, task=row.name,
                                         tracking_id=complaint.tracking_id, title=complaint.title,
                                         link=f"{self.public_url}/tasks/{row.id}")
            for user in self._staff(session, row.role, row.agency_code):
                outbox.enqueue(session, f"escalation:{row.id}:{user.id}", user.email, subject, body)

    def timer_fired(self, session: Session, instance, element_id: str, name: str | None) -> None:
        """A timer hook: a reminder (a timer whose id ends in _reminder) e-mails whoever holds the work."""
        if not element_id.endswith("_reminder"):
            return
        from engine.models import HumanTask

        complaint = self._complaint(session, instance)
        if complaint is None:
            return
        for row in session.scalars(select(HumanTask).where(
                HumanTask.process_instance_id == instance.id, HumanTask.state == "ready")):
            holders = ([u for u in session.scalars(select(User).where(User.username == row.assignee, User.active))]
                       if row.assignee else self._staff(session, row.role, row.agency_code))
            subject, body = self._render("reminder", OFFICERS_LOCALE, tracking_id=complaint.tracking_id,
                                         title=complaint.title, timer=name or element_id,
                                         link=f"{self.public_url}/tasks/{row.id}")
            for user in holders:
                if user.email:
                    outbox.enqueue(session, f"reminder:{row.id}:{element_id}:{user.id}", user.email, subject, body)
