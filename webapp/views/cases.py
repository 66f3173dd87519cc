"""The case page (record, tasks, timeline, notes, live diagram), attachments, and case search."""
from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from pathlib import Path
from urllib.parse import urlencode

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user, login_required
from lxml import etree
from sqlalchemy import select
from werkzeug.routing import BuildError

from engine.models import ProcessVersion
from webapp import content_language, labels, services
from webapp.views.case_timeline import timeline_entries
from webapp.views.coordination import coordination_section
from workflows import commands, policy
from workflows.attachments import served_as
from workflows.cases import CaseSearch, case_of, case_view, search_cases, visible_complaint
from workflows.models import Agency, Attachment, Category, User
from workflows.sla_history import sla_history

bp = Blueprint("cases", __name__, url_prefix="/cases")

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
TRACKING_ID = re.compile(r"^TDK-[0-9A-Z]{4}-[0-9A-Z]{4}$")
PER_PAGE = 25
SEARCH_ARGS = ("q", "category", "agency", "status", "date_from", "date_to")  # the search form's fields


@bp.context_processor
def _helpers():
    return {"task_url": task_url, "format_date": format_date}


def task_url(task_id: str) -> str:
    """The task page (its endpoint name is the tasks blueprint's choice; the path is the contract)."""
    for endpoint in ("tasks.task", "tasks.view"):
        try:
            return url_for(endpoint, task_id=task_id)
        except BuildError:
            continue
    return f"/tasks/{task_id}"


def attachment_dir() -> Path:
    """Where attachment files live, outside the web root (setting TINDAK_ATTACHMENT_DIR)."""
    return services.settings().attachment_dir


# -- the case page ---------------------------------------------------------------------------

def _render_case(session, complaint_id: int, note_error: str | None = None, note_body: str = "",
                 status: int = 200):
    case = case_view(session, services.process_engine(), current_user, complaint_id)
    instance_id = case.complaint.process_instance_id
    assert instance_id is not None  # case_view has read the case's process instance
    tasks = case.open_tasks + case.done_tasks
    usernames = {t.assignee for t in case.open_tasks if t.assignee}
    agency_codes = {t.agency_code for t in case.open_tasks if t.agency_code} | {case.complaint.region_code}
    people = {u.username: u for u in session.scalars(select(User).where(User.username.in_(usernames)))}
    agencies = {a.code: a.name for a in session.scalars(
        select(Agency).where(Agency.code.in_(agency_codes - {None})))}
    category = content_language.category_label(
        session.scalars(select(Category).where(Category.code == case.complaint.category_code)).first())
    # labels and choices of the answers, and task names, in the visitor's language
    forms = content_language.forms_of(session.get(ProcessVersion, case.process_version_id))
    content_language.preload(session, [t.process_instance_id for t in tasks])
    page = render_template(
        "cases/case.html", view=case, c=case.complaint, people=people, agencies=agencies,
        category_name=category or case.complaint.category_code,
        timeline=timeline_entries(session, case.timeline, tasks, forms,
                                  name_of=lambda instance_id, element_id, name: content_language.element_label(
                                      session, instance_id, element_id, name)),
        can_write_notes=policy.can_write_notes(session, current_user, complaint_id),
        note_error=note_error, note_body=note_body,
        sla_history=[replace(stage, name=content_language.element_label(
                         session, instance_id, stage.element_id, stage.name))
                     for stage in sla_history(session, services.process_engine().sla_book.current_calendar(),
                                              instance_id)],
        coordination=coordination_section(session, services.process_engine(), current_user, case.complaint),
        can_repair=policy.can_repair_cases(current_user),
    )
    return page, status


@bp.get("/<int:complaint_id>")
@login_required
def view(complaint_id: int):
    with services.db().session() as s:
        return _render_case(s, complaint_id)


@bp.post("/<int:complaint_id>/notes")
@login_required
def add_note(complaint_id: int):
    body = request.form.get("body", "")
    try:
        commands.add_note(services.db(), current_user, complaint_id, body)
    except ValueError:
        with services.db().session() as s:
            return _render_case(s, complaint_id, _("Write something before saving the note."), body, 422)
    flash(_("Your note was added. Only officers can read it."), "success")
    return redirect(url_for("cases.view", complaint_id=complaint_id, _anchor="notes"))


def _process_file(pv: ProcessVersion) -> str:
    """The XML of the file that defines the version's own process (it may call others)."""
    for xml in pv.source.values():
        try:
            root = etree.fromstring(xml.encode("utf-8"))
        except etree.XMLSyntaxError:
            continue
        if root.find(f".//{{{BPMN_NS}}}process[@id='{pv.process_id}']") is not None:
            return xml
    abort(404)


@bp.get("/<int:complaint_id>/diagram.xml")
@login_required
def diagram_xml(complaint_id: int):
    with services.db().session() as s:
        complaint = visible_complaint(s, current_user, complaint_id)
        xml = _process_file(case_of(s, complaint).process_version)
    response = Response(xml, mimetype="application/xml")
    response.headers["Cache-Control"] = "private, max-age=300"  # a version's XML never changes
    return response


@bp.get("/<int:complaint_id>/attachments/<int:attachment_id>")
@login_required
def attachment(complaint_id: int, attachment_id: int):
    with services.db().session() as s:
        visible_complaint(s, current_user, complaint_id)
        row = s.scalars(select(Attachment).where(
            Attachment.id == attachment_id, Attachment.complaint_id == complaint_id)).first()
    if row is None:
        abort(404)
    folder = attachment_dir().resolve()
    path = (folder / row.storage_key).resolve()
    if folder not in path.parents or not path.is_file():
        abort(404)
    name, content_type = served_as(row.id, row.content_type)
    response = send_file(path, as_attachment=True, download_name=name, mimetype=content_type)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


# -- search ----------------------------------------------------------------------------------

def _date_arg(name: str, errors: dict[str, str]) -> date | None:
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        errors[name] = _("This is not a valid date. Pick one from the calendar.")
        return None


def _search_args() -> dict[str, str]:
    """The search criteria given in the address, for links to other pages of the results. Only
    these: url_for would obey an argument named like its own options (`_method`, `_scheme`, ...)."""
    return {k: v for k, v in request.args.items() if k in SEARCH_ARGS and v}


def _search_from_args(errors: dict[str, str]) -> CaseSearch:
    page = request.args.get("page", "1")
    query = CaseSearch(
        text=request.args.get("q", "").strip() or None,
        category=request.args.get("category") or None,
        agency=request.args.get("agency") or None,
        status=request.args.get("status") or None,
        date_from=_date_arg("date_from", errors),
        date_to=_date_arg("date_to", errors),
        page=int(page) if page.isdigit() and int(page) > 0 else 1,
        per_page=PER_PAGE,
    )
    if query.date_from and query.date_to and query.date_from > query.date_to:
        errors["date_to"] = _("The end date is before the start date.")
    return query


@bp.get("/search")
@login_required
def search():
    errors: dict[str, str] = {}
    query = _search_from_args(errors)
    args = _search_args()
    with services.db().session() as s:
        results = None
        if not errors:
            results = search_cases(s, current_user, query)
            wanted = (query.text or "").upper()
            exact = [c for c in results.rows if c.tracking_id == wanted]
            if TRACKING_ID.match(wanted) and exact and results.total == 1:
                return redirect(url_for("cases.view", complaint_id=exact[0].id))
            if results.total and query.page > results.pages:  # an old link after cases left the list
                # the criteria go in as a query string, never as keywords url_for could take for its own
                return redirect(f"{url_for('cases.search')}?{urlencode({**args, 'page': results.pages})}")
        categories = list(s.scalars(select(Category).where(Category.active).order_by(Category.name)))
        agencies = list(s.scalars(select(Agency).where(Agency.active).order_by(Agency.name)))
        return render_template(
            "cases/search.html", query=query, results=results, errors=errors, args=args,
            categories=categories, category_names=content_language.category_names(s),
            agencies=agencies, agency_names={a.code: a.name for a in agencies},
            statuses=labels.STATUS, filtered=bool(args),
        ), (422 if errors else 200)
