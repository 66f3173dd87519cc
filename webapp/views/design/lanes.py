"""The lane → role table: which role takes the tasks of each diagram lane, and which task variable
names the agency. Changes reach the running engine's router at once (workflows/lane_admin.py)."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import SelectField, StringField

from engine.errors import NotFound
from webapp import labels, services
from webapp.views.design import bp
from workflows import lane_admin, process_library
from workflows.lane_admin import InvalidLane, LaneEdit
from workflows.models import LaneRole

LANE_PROBLEMS = {
    "required": _l("This field is required."),
    "too_long": _l("This is too long."),
    "duplicate": _l("This lane already has a row. Change that one instead."),
    "unknown_role": _l("Choose one of the roles."),
    "bad_variable": _l("Use a variable name: letters, digits and underscores, not starting with a digit "
                       "(e.g. lead_agency)."),
    "last_lane": _l("The last lane cannot be removed: with an empty table the built-in default lanes would "
                    "apply again. Change it instead."),
}


class LaneForm(FlaskForm):
    lane = StringField(_l("Lane name (as written in the diagram)"))
    role = SelectField(_l("Role that takes its tasks"), choices=[], validate_choice=False)  # the command checks
    agency_variable = StringField(_l("Task variable naming the agency (optional)"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = [(r, str(labels.ROLE.get(r, r))) for r in lane_admin.LANE_ROLES]


def _rows():
    with services.db().session() as s:
        rows = s.scalars(select(LaneRole).order_by(LaneRole.lane)).all()
        used = process_library.lanes_in_use(s)
    return rows, used


@bp.get("/lanes")
def lanes():
    rows, used = _rows()
    mapped = {r.lane for r in rows}
    unmapped = {lane: processes for lane, processes in used.items() if lane not in mapped}
    return render_template("design/lanes.html", rows=rows, used=used, unmapped=unmapped)


def _lane_page(form: LaneForm, row: LaneRole | None, status: int = 200):
    _rows_unused, used = _rows()
    return render_template("design/lane_form.html", form=form, row=row, used=used), status


def _show(form: LaneForm, exc: InvalidLane) -> None:
    for name, code in exc.fields.items():
        field = getattr(form, name, None)
        if field is not None:
            field.errors = [str(LANE_PROBLEMS.get(code, code))]


def _save(form: LaneForm, lane_id: int | None):
    try:
        lane_admin.save_lane(services.db(), services.process_engine(), current_user,
                             LaneEdit(form.lane.data or "", form.role.data or "", form.agency_variable.data or ""),
                             lane_id)
    except InvalidLane as exc:
        _show(form, exc)
        return None
    flash(_("The lane %(lane)s was saved. New tasks in this lane go to the role you chose; open tasks keep "
            "theirs.", lane=" ".join((form.lane.data or "").split())), "success")
    return redirect(url_for(".lanes"), 303)


@bp.route("/lanes/new", methods=["GET", "POST"])
def new_lane():
    form = LaneForm()
    if form.validate_on_submit():
        return _save(form, None) or _lane_page(form, None, 422)
    if not form.is_submitted():
        form.lane.data = request.args.get("lane", "")  # "add a row" from a lane no row names yet
    return _lane_page(form, None)


@bp.route("/lanes/<int:lane_id>", methods=["GET", "POST"])
def edit_lane(lane_id: int):
    with services.db().session() as s:
        row = s.get(LaneRole, lane_id)
    if row is None:
        raise NotFound(f"lane {lane_id}")
    form = LaneForm(data={"lane": row.lane, "role": row.role, "agency_variable": row.agency_variable or ""})
    if form.validate_on_submit():
        return _save(form, lane_id) or _lane_page(form, row, 422)
    return _lane_page(form, row)


@bp.post("/lanes/<int:lane_id>/delete")
def delete_lane(lane_id: int):
    try:
        lane = lane_admin.delete_lane(services.db(), services.process_engine(), current_user, lane_id)
    except lane_admin.LaneNotFound:
        raise NotFound(f"lane {lane_id}") from None
    except InvalidLane as exc:
        flash(str(LANE_PROBLEMS.get(exc.fields.get("", ""), exc)), "danger")
        return redirect(url_for(".lanes"), 303)
    flash(_("The lane %(lane)s was removed. Its new tasks go to nobody until a row names a role for it.",
            lane=lane), "success")
    return redirect(url_for(".lanes"), 303)
