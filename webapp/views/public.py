"""The citizens' pages, no account needed: file a complaint, track it with its secret, reply, browse.

Nothing here shows an officer's name, an internal note or a reporter's identity: the pages
render only what `workflows.public` returns for the public or for the holder of the secret.
"""
from __future__ import annotations

import re
from datetime import date
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, flash, make_response, redirect, render_template, request, session, url_for
from flask_babel import format_date, get_locale
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.exceptions import HTTPException

from engine.clock import now
from engine.errors import ConcurrentUpdate, FormInvalid, NotAllowed, TaskNotReady
from engine.models import HumanTask, ProcessInstance
from webapp import content_language, errors, form_render, labels, services
from webapp.extensions import limiter
from webapp.views.complaint_form import NEW, ComplaintForm, clean
from workflows import public, roles
from workflows.attachments import MAX_BYTES, MAX_FILES, AttachmentNotStored, AttachmentRejected, Upload
from workflows.case_errors import StepFailed
from workflows.cases import case_of
from workflows.complaints import CLASSIFICATIONS, ComplaintInput, InvalidComplaint
from workflows.models import Agency, Attachment, Category, Complaint

bp = Blueprint("public", __name__)

FILED = "public.filed"  # session key: the tracking ID and link, shown once on the confirmation page
REGION_KINDS = ("province", "city", "regency")
ACCEPT = "image/jpeg,image/png,image/gif,image/webp,application/pdf"
PER_PAGE = 20
JAKARTA = ZoneInfo("Asia/Jakarta")
_TASK_ID = re.compile(r"^[0-9a-fA-F-]{36}$")


def _private(response):
    """Pages that carry the secret: not cached, not indexed, never sent on as a referrer."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


@bp.context_processor
def _helpers():
    return {"format_date": format_date, "max_files": MAX_FILES, "max_mb": MAX_BYTES // (1024 * 1024),
            "accept": ACCEPT}


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException):
    """Citizens get the error in their own layout, with a way back to the form (not to /login)."""
    if isinstance(exc, CSRFError):
        message = _("This form has expired, for example because the page was open for a long time. "
                    "Go back, reload the page and send it again.")
    elif exc.code == 413:
        message = _("The files are too large together. You can attach at most %(count)d files of "
                    "%(size)d MB each. Nothing was sent.", count=MAX_FILES, size=MAX_BYTES // (1024 * 1024))
    elif exc.code == 429:
        message = _("Too many attempts from your internet connection in a short time. Please wait a "
                    "minute and try again. Nothing was sent.")
    else:
        message = errors.MESSAGES.get(exc.code or 500, errors.MESSAGES[500])()
    return errors.error_page(exc.code or 500, message)  # renders even while the database is down


# -- the complaint form ---------------------------------------------------------------------

def _options(session_) -> dict:
    categories = list(session_.scalars(select(Category).where(Category.active).order_by(Category.name)))
    regions = list(session_.scalars(select(Agency).where(Agency.kind.in_(REGION_KINDS), Agency.active)
                                    .order_by(Agency.kind != "province", Agency.name)))
    return {"categories": categories, "regions": regions}


def _today() -> date:
    return now().astimezone(JAKARTA).date()


def _render_form(form: ComplaintForm, problems: dict[str, str], files_dropped: bool = False, status: int = 200,
                 options: dict | None = None):
    if options is None:
        with services.db().session() as s:
            options = _options(s)
    return render_template("public/form.html", form=form, errors=problems, files_dropped=files_dropped,
                           classifications=CLASSIFICATIONS, today=_today().isoformat(), **options), status


def _complaint(form: ComplaintForm) -> ComplaintInput:
    """The typed complaint of a validated form."""
    latitude, longitude = form.point
    return ComplaintInput(
        title=form.title.data, description=form.description.data, category=form.category.data,
        classification=form.classification.data, channel="web", region=form.region.data or None,
        address=form.address.data or None, latitude=latitude, longitude=longitude, incident_date=form.incident,
        anonymous=form.anonymous.data, confidential=form.confidential.data,
        reporter_name=form.reporter_name.data or None, reporter_email=form.reporter_email.data or None,
        reporter_phone=form.reporter_phone.data or None, locale=str(get_locale() or "id"))


def _domain_messages(fields: dict[str, str]) -> dict[str, str]:
    known = {"required": _("This field is required."), "unknown category": _("Choose one of the categories."),
             "not one of the allowed choices": _("Choose one of the options."),
             "at most 200 characters": _("At most %(count)d characters.", count=200)}
    return {name: known.get(message, message) for name, message in fields.items()}


def _attachment_message(exc: AttachmentRejected) -> str:
    size = MAX_BYTES // (1024 * 1024)
    return {
        "too_many": _("You can attach at most %(count)d files.", count=MAX_FILES),
        "too_large": _("%(name)s is larger than %(size)d MB.", name=exc.filename, size=size),
        "wrong_type": _("%(name)s is not a photo (JPEG, PNG, GIF, WebP) or a PDF. Files are checked by what "
                        "they contain, not by their name.", name=exc.filename),
        "empty": _("%(name)s is empty.", name=exc.filename),
    }.get(exc.code, _("This file cannot be accepted: %(name)s.", name=exc.filename))


def _uploads(form: ComplaintForm) -> list[Upload]:
    files = form.files()
    if len(files) > MAX_FILES:
        raise AttachmentRejected("too_many")
    return [Upload(f.filename, f.read(MAX_BYTES + 1)) for f in files]  # one byte more shows "too large"


@bp.route("/lapor", methods=["GET", "POST"])
@limiter.limit("5 per minute; 30 per day", methods=["POST"])
def complaint_form():
    """The complaint form; a valid one is filed and the reporter sees the tracking ID once."""
    with services.db().session() as s:
        options = _options(s)
    form = ComplaintForm(data=None if request.method == "POST" else NEW,
                         regions={r.code for r in options["regions"]}, today=_today())
    if request.method == "GET":
        return _render_form(form, {}, options=options)
    if form.website.data:  # the honeypot: hidden from people by CSS; bots that fill every field give themselves away
        session[FILED] = {"decoy": True}  # a bot learns nothing: it sees a thank-you page
        return redirect(url_for(".complaint_sent"))
    chosen = bool(form.files())
    if not form.validate():
        return _render_form(form, form.problems(), chosen, 422, options)
    data = _complaint(form)
    try:
        filed = public.submit_complaint(services.db(), services.process_engine(), data, _uploads(form),
                                        services.settings().attachment_dir, services.notifier())
    except InvalidComplaint as exc:
        return _render_form(form, _domain_messages(exc.fields), chosen, 422)
    except AttachmentRejected as exc:
        return _render_form(form, {"attachments": _attachment_message(exc)}, chosen, 422)
    except AttachmentNotStored:  # a full disk: nothing was filed, the files are gone again
        current_app.logger.exception("a complaint's file could not be stored")
        return _render_form(form, {"attachments": errors.not_stored_message()}, chosen, 503)
    tracking_id = filed.complaint.tracking_id
    session[FILED] = {"tracking_id": tracking_id, "emailed": bool(data.reporter_email),
                      "link": url_for(".tracking", tracking_id=tracking_id, kode=filed.tracking_secret, _external=True)}
    _grant(filed.complaint)  # "open the tracking page" needs no secret in its address
    return redirect(url_for(".complaint_sent"))


@bp.get("/lapor/terkirim")
def complaint_sent():
    """The tracking ID and secret link, shown once: a reload shows a notice instead."""
    return _private(make_response(render_template("public/sent.html", filed=session.pop(FILED, None))))


# -- tracking -------------------------------------------------------------------------------
#
# The secret never stays in a URL: the form POSTs it, and the e-mailed link's `?kode=` is
# exchanged at once for a grant in this browser's signed session (workflows.public.tracking_grant)
# and redirected to /lacak/<id> without it. webapp.logs masks `kode=` in the access log line of
# that one request. Later pages and answers find the grant in the session.

GRANTS = "public.tracking"  # session key: {tracking ID: grant}
MAX_GRANTS = 5  # reports one browser keeps open at once; the oldest is forgotten first


def _grant(complaint) -> None:
    grants = {k: v for k, v in (session.get(GRANTS) or {}).items() if k != complaint.tracking_id}
    grants[complaint.tracking_id] = public.tracking_grant(complaint)
    session[GRANTS] = dict(list(grants.items())[-MAX_GRANTS:])


def _granted(tracking_id: str) -> str | None:
    grant = (session.get(GRANTS) or {}).get(tracking_id)
    return grant if isinstance(grant, str) else None


def _tracking_input(raw_id, raw_secret) -> tuple[str, str]:
    """ID and secret as typed, or taken from a pasted tracking link."""
    tracking_id, secret = clean(raw_id, 2000), clean(raw_secret, 200)
    if "/" in tracking_id or "kode=" in tracking_id:
        parts = urlsplit(tracking_id)
        secret = secret or clean((parse_qs(parts.query).get("kode") or [""])[0], 200)
        tracking_id = parts.path.rstrip("/").rpartition("/")[2]
    return tracking_id.replace(" ", "").upper()[:40], secret


def _track_failed(tracking_id: str = ""):
    message = _("We found no report with this tracking ID and secret code. Check both and try again; "
                "the secret code is part of the link you received when you sent the report.")
    page = render_template("public/track.html", tracking_id=tracking_id, failed=message, errors={})
    return _private(make_response(page, 404))


@bp.route("/lacak", methods=["GET", "POST"])
@limiter.limit("10 per minute; 60 per hour", methods=["POST"])
def track_form():
    """Enter the tracking ID and secret (or paste the whole link) to open the tracking page."""
    if request.method == "GET":
        return _private(make_response(render_template("public/track.html", tracking_id="", errors={})))
    tracking_id, secret = _tracking_input(request.form.get("tracking_id"), request.form.get("kode"))
    messages = {"tracking_id": _("Enter your tracking ID, such as TDK-7K3Q-9MXA, or paste your secret link."),
                "kode": _("Enter the secret code, or paste the whole secret link into the first field.")}
    missing = {name: messages[name] for name, value in (("tracking_id", tracking_id), ("kode", secret)) if not value}
    if missing:
        page = render_template("public/track.html", tracking_id=tracking_id, errors=missing)
        return _private(make_response(page, 422))
    with services.db().session() as s:
        try:
            complaint = public.track(s, tracking_id, secret)
        except public.TrackingFailed:
            return _track_failed(tracking_id)
        _grant(complaint)
        return _private(redirect(url_for(".tracking", tracking_id=complaint.tracking_id)))


def _latest_public_value(events, forms: dict, field_name: str):
    """The newest shown value of a form field (the timeline names fields by their titles)."""
    titles = {(schema.get("properties") or {}).get(field_name, {}).get("title") for schema in forms.values()
              if isinstance(schema, dict)} - {None}
    for event in reversed(events):
        for title, value in event.fields:
            if event.kind == "answer" and title in titles:
                return event, value
    return None, None


def _reporter_forms(s, complaint, instance, task_id=None, values=None, messages=None) -> list[dict]:
    forms = content_language.forms_of(instance.process_version)  # in the reporter's language
    result = []
    for task in public.reporter_tasks(s, complaint):
        schema = (forms.get(task.form) if task.form else None) or {"properties": {}}
        ui_schema = forms.get(task.ui_form) if task.ui_form else None
        mine = task.id == task_id
        fields = form_render.build_fields(schema, ui_schema, values if mine else None, messages if mine else None)
        result.append({"task": task, "name": content_language.task_label(s, task), "schema": schema, "fields": fields,
                       "form_errors": form_render.form_errors_outside_fields(messages or {}, fields) if mine else []})
    return result


def _tracking_page(tracking_id: str, secret: str | None, status: int = 200, alert: str | None = None,
                   **task_form):
    with services.db().session() as s:
        try:
            complaint = public.track(s, tracking_id, secret, _granted(tracking_id))
        except public.TrackingFailed:
            return _track_failed(tracking_id)
        instance = case_of(s, complaint)
        forms = content_language.forms_of(instance.process_version)
        events = public.public_timeline(s, complaint, forms, lambda element_id, name: content_language.element_label(
            s, instance.id, element_id, name))
        names = dict(s.execute(select(Agency.code, Agency.name)).all())
        page = render_template(
            "public/tracking.html", c=complaint, timeline=events, alert=alert,
            category=content_language.category_label(
                s.scalars(select(Category).where(Category.code == complaint.category_code)).first()) or None,
            region=names.get(complaint.region_code) if complaint.region_code else None,
            lead_agency=names.get(complaint.lead_agency_code) if complaint.lead_agency_code else None,
            deadline=public.current_deadline(s, complaint),
            attachments=list(s.scalars(select(Attachment.filename).where(Attachment.complaint_id == complaint.id)
                                       .order_by(Attachment.id))),
            tasks=_reporter_forms(s, complaint, instance, **task_form),
            question=_latest_public_value(events, forms, "details_question"),
            answer=_latest_public_value(events, forms, "answer"))
    return _private(make_response(page, status))


@bp.get("/lacak/<tracking_id>")
@limiter.limit("30 per minute; 300 per day")
def tracking(tracking_id: str):
    """The tracking page: status, public timeline, deadline and the reporter's own open tasks.

    Opened with the e-mailed link (`?kode=`), it swaps the secret for a grant in the session
    and redirects to its own address without it; without a grant it asks for the secret."""
    tracking_id, secret = _tracking_input(tracking_id, request.args.get("kode"))
    if "kode" in request.args:
        with services.db().session() as s:
            try:
                complaint = public.track(s, tracking_id, secret)
            except public.TrackingFailed:
                return _track_failed(tracking_id)
            _grant(complaint)
        return _private(redirect(url_for(".tracking", tracking_id=complaint.tracking_id)))
    if _granted(tracking_id) is None:
        page = render_template("public/track.html", tracking_id=tracking_id, errors={}, ask_secret=True)
        return _private(make_response(page))
    return _tracking_page(tracking_id, None)


def _open_reporter_task(s: Session, complaint: Complaint, task_id: str) -> HumanTask | None:
    """The case's task `task_id` if it is the reporter's and still open."""
    task = s.get(HumanTask, task_id) if _TASK_ID.match(task_id) else None
    if (task is None or task.process_instance_id != complaint.process_instance_id
            or task.role != roles.REPORTER or task.state != "ready"):
        return None
    return task


@bp.post("/lacak/<tracking_id>/tugas/<task_id>")
@limiter.limit("10 per minute; 60 per hour")
def complete_task(tracking_id: str, task_id: str):
    """The reporter completes one of their tasks: allowed by the session's grant, or a secret in
    the form field `kode` (pages rendered before the grant existed)."""
    tracking_id, secret = _tracking_input(tracking_id, request.form.get("kode"))
    grant = None if secret else _granted(tracking_id)
    closed = _("This step is no longer open: it was already answered or the case moved on. Nothing was saved.")
    with services.db().session() as s:
        try:
            complaint = public.track(s, tracking_id, secret, grant)
        except public.TrackingFailed:
            return _track_failed(tracking_id)
        _grant(complaint)
        task = _open_reporter_task(s, complaint, task_id)
        if task is not None:
            schema = services.process_engine().form_schema(s, task) or {"properties": {}}
            forms = s.get_one(ProcessInstance, task.process_instance_id).process_version.forms
            ui_schema = forms.get(task.ui_form) if task.ui_form else None
    if task is None:
        return _tracking_page(tracking_id, secret, 409, closed)
    data, messages = form_render.parse_submission(schema, ui_schema, request.form)
    if messages:
        return _tracking_page(tracking_id, secret, 422, task_id=task_id, values=request.form, messages=messages)
    try:
        public.complete_reporter_task(services.db(), services.process_engine(), tracking_id, secret, task_id, data,
                                      grant)
    except FormInvalid as exc:
        return _tracking_page(tracking_id, secret, 422, task_id=task_id, values=request.form,
                              messages=form_render.field_messages(exc.fields))
    except (TaskNotReady, ConcurrentUpdate, NotAllowed, public.TrackingFailed):
        return _tracking_page(tracking_id, secret, 409, closed)
    except StepFailed:
        return _tracking_page(tracking_id, secret, 500, _(
            "Your answer could not be processed because of a problem on our side, so nothing was saved. "
            "The administrators can see the problem; please try again later."), task_id=task_id, values=request.form)
    flash(_("Thank you, your answer was sent. It is shown in the history below."), "success")
    return _private(redirect(url_for(".tracking", tracking_id=tracking_id)))


# -- the public listing ---------------------------------------------------------------------

@bp.get("/laporan")
def listing():
    """Reports that are not *rahasia*, with counts, search, filters and pages; no personal data."""
    raw_page = clean(request.args.get("page"), 6)
    q = public.ListingQuery(
        text=clean(request.args.get("q"), 200) or None, category=clean(request.args.get("category"), 100) or None,
        status=clean(request.args.get("status"), 40) or None,
        page=int(raw_page) if raw_page.isdigit() and int(raw_page) > 0 else 1, per_page=PER_PAGE)
    with services.db().session() as s:
        page = public.public_listing(s, q)
        if page.page > page.pages:  # a stale link past the end: show the last page
            q.page = page.pages
            page = public.public_listing(s, q)
        return render_template(
            "public/listing.html", page=page, q=q, counts=public.public_counts(s, now()),
            filtered=bool(q.text or q.category or q.status), statuses=labels.STATUS,
            query_args={k: v for k, v in (("q", q.text), ("category", q.category), ("status", q.status)) if v},
            categories=list(s.scalars(select(Category).order_by(Category.name))),
            category_names=content_language.category_names(s),
            agency_names=dict(s.execute(select(Agency.code, Agency.name)).all()))
