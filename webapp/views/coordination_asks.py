"""The lead agency's coordination forms: ask agencies, add agencies to the running round, stop waiting.

Asking and adding share one form: tick agencies, write a question for all of them and, per agency,
what is needed from that one, and tick whose answer is required. Each agency receives the common
question followed by its own. A form with a mistake comes back with everything typed kept and the
message next to the field (422); without JavaScript, "Show a box per agency" re-renders the form.
"""
from __future__ import annotations

from collections.abc import Collection
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from engine.errors import ConcurrentUpdate, FormInvalid, TaskNotReady
from webapp import form_render, services
from webapp.views.coordination import case_anchor, request_task, section_url
from workflows import commands, coordination
from workflows.cases import visible_complaint
from workflows.coordination import FIELD, Ask, CoordinationRefused, CoordinationRequest
from workflows.models import Agency, Complaint, User

bp = Blueprint("coordination_asks", __name__, url_prefix="/cases")


def _user() -> User:
    return current_user._get_current_object()


def _complaint(complaint_id: int) -> Complaint:
    with services.db().session() as s:
        return visible_complaint(s, _user(), complaint_id)


def _names(codes) -> dict[str, str]:
    with services.db().session() as s:
        return dict(s.execute(select(Agency.code, Agency.name).where(Agency.code.in_(list(codes)))).all())


# -- the form ----------------------------------------------------------------------------------

def _submitted() -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The typed values (to show again) and the rows for the workflow, one per ticked agency."""
    picked = list(dict.fromkeys(code for code in request.form.getlist("agencies") if code))
    common = request.form.get("question_all", "").strip()
    own = {code: request.form.get(f"question-{code}", "").strip() for code in picked}
    required = [code for code in request.form.getlist("required") if code in picked]
    rows = [{"agency": code, "question": "\n\n".join(text for text in (common, own[code]) if text),
             "required": code in required} for code in picked]
    return {"agencies": picked, "question_all": common, "questions": own, "required": required}, rows


def _messages(fields: dict[str, str], picked: list[str]) -> dict[str, str]:
    """Engine field messages ("coordination_requests.1.question") as messages next to this form's fields."""
    names = _names(picked)
    errors: dict[str, str] = {}
    for key, message in fields.items():
        parts = key.split(".")
        row = int(parts[1]) if len(parts) == 3 and parts[1].isdigit() and int(parts[1]) < len(picked) else None
        if row is not None and parts[2] == "question":
            errors[f"question-{picked[row]}"] = _("Write what you need from this agency, here or in the question "
                                                  "for every agency.")
        elif row is not None:
            name = names.get(picked[row], picked[row])
            errors["agencies"] = {
                "already asked in this round": _("%(name)s was already asked in this round.", name=name),
                "the lead agency cannot ask itself": _("Your own agency cannot be asked."),
            }.get(message, _("%(name)s cannot be asked.", name=name))
        elif parts[0] == FIELD and message == "required":
            errors["agencies"] = _("Choose at least one agency.")
        elif parts[0] == FIELD:
            errors["agencies"] = _("Too many agencies: at most %(count)d at once and %(round)d in one round.",
                                   count=coordination.MAX_AGENCIES, round=coordination.MAX_AGENCIES_PER_ROUND)
        else:
            errors.setdefault("agencies", form_render.field_messages({key: message})[key])
    return errors


def _render(kind: str, complaint: Complaint, status: int = 200, errors: dict | None = None,
            values: dict | None = None):
    with services.db().session() as s:
        round_no = coordination.current_round(s, complaint.id)
        asked = {r.agency_code for r in coordination.requests_of(s, complaint.id) if r.round == round_no}
        groups = agency_choices(s, {complaint.lead_agency_code} | (asked if kind == "add" else set()))
    values = values or {"agencies": [], "question_all": "", "questions": {}, "required": []}
    names = {o.value: o.label.strip() for g in groups for o in g.options}
    return render_template("coordination/asks.html", kind=kind, c=complaint, groups=groups, names=names,
                           errors=errors or {}, values=values, case_url=case_anchor(complaint.id),
                           action=section_url(complaint.id, "request" if kind == "request" else "agencies"),
                           max_agencies=coordination.MAX_AGENCIES), status


def agency_choices(session, leave_out: Collection[str | None]) -> list[form_render.OptionGroup]:
    """The agency tree as grouped options, without the agencies left out."""
    groups = []
    for group in form_render.agency_groups(session):
        options = [o for o in group.options if o.value not in leave_out]
        if options:
            groups.append(form_render.OptionGroup(group.label, options))
    return groups


# -- the lead asks -------------------------------------------------------------------------------

@bp.route("/<int:complaint_id>/coordination/request", methods=["GET", "POST"])
@login_required
def ask(complaint_id: int):
    user = _user()
    with services.db().session() as s:
        complaint = visible_complaint(s, user, complaint_id)
        task = request_task(s, user, complaint)
    if task is None:
        flash(_("No coordination request is waiting for you on this case."), "warning")
        return redirect(case_anchor(complaint_id))
    if request.method == "GET":
        return _render("request", complaint)
    values, rows = _submitted()
    if request.form.get("refresh"):
        return _render("request", complaint, values=values)
    try:
        commands.complete_task(services.db(), services.process_engine(), user, task.id, {FIELD: rows})
    except FormInvalid as exc:
        return _render("request", complaint, 422, _messages(exc.fields, values["agencies"]), values)
    except (TaskNotReady, ConcurrentUpdate):
        flash(_("Someone else completed or changed this task in the meantime; your answers were not saved."),
              "warning")
        return redirect(case_anchor(complaint_id))
    flash(_("The agencies were asked. Each one now has a task with its own deadline."), "success")
    return redirect(case_anchor(complaint_id))


# -- the lead adds agencies or stops waiting ------------------------------------------------

@bp.route("/<int:complaint_id>/coordination/agencies", methods=["GET", "POST"])
@login_required
def add(complaint_id: int):
    complaint = _complaint(complaint_id)
    with services.db().session() as s:
        if not coordination.is_lead_officer(s, _user(), complaint):
            raise commands.Forbidden("only the lead agency adds agencies")
    if request.method == "GET":
        return _render("add", complaint)
    values, rows = _submitted()
    if request.form.get("refresh"):
        return _render("add", complaint, values=values)
    return _add(complaint, coordination.asks_from(rows), values)


@bp.post("/<int:complaint_id>/coordination/agencies/suggested")
@login_required
def add_suggested(complaint_id: int):
    complaint = _complaint(complaint_id)
    with services.db().session() as s:
        replied = s.get(CoordinationRequest, request.form.get("request_id", type=int) or 0)
    if replied is None or replied.complaint_id != complaint.id or not replied.suggested_agency:
        flash(_("That reply suggests no agency."), "warning")
        return redirect(case_anchor(complaint_id))
    # the suggested agency takes over the question, and the weight, of the agency that suggested it
    return _add(complaint, [Ask(replied.suggested_agency, replied.question, replied.required)], None)


def _add(complaint: Complaint, asks: list[Ask], values: dict | None):
    try:
        added = coordination.add_agencies(services.db(), services.process_engine(), _user(), complaint.id, asks,
                                          services.settings().public_url)
    except FormInvalid as exc:
        picked = [a.agency for a in asks]
        errors = _messages(exc.fields, picked)
        if values is not None:
            return _render("add", complaint, 422, errors, values)
        flash(next(iter(errors.values())), "warning")
        return redirect(case_anchor(complaint.id))
    except CoordinationRefused:
        flash(_("Every agency of this round has already replied, or you stopped waiting: ask them in a new "
                "round instead."), "warning")
        return redirect(case_anchor(complaint.id))
    names = _names(added)
    flash(_("Asked as well: %(names)s.", names=", ".join(names.get(c, c) for c in added)), "success")
    return redirect(case_anchor(complaint.id))


@bp.post("/<int:complaint_id>/coordination/stop")
@login_required
def stop(complaint_id: int):
    complaint = _complaint(complaint_id)
    try:
        coordination.stop_waiting(services.db(), services.process_engine(), _user(), complaint.id)
    except CoordinationRefused as exc:
        if exc.reason == "required_missing":
            names = _names(exc.agencies)
            flash(_("Still waiting for required answers from %(names)s.",
                    names=", ".join(names.get(c, c) for c in exc.agencies)), "warning")
        else:
            flash(_("This case is no longer waiting for answers."), "warning")
        return redirect(case_anchor(complaint_id))
    flash(_("You stopped waiting. Open requests were closed; write the combined answer now."), "success")
    return redirect(case_anchor(complaint_id))
