"""The working-day calendar page: national holidays, the admin's exceptions, working weeks,
and the history of its changes. A change is previewed (what it would move in running cases),
then saved for new deadlines only or saved and applied to running cases in batches, as an SLA
change is."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import flash, jsonify, redirect, render_template, request, url_for
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from engine.clock import now
from engine.errors import NotFound
from webapp import services
from webapp.views import sla_admin
from webapp.views.sla_admin import CALENDAR_PROBLEMS, CHANGES_PER_PAGE, apply_progress, bp, moves_context
from workflows import calendar_admin, calendar_changes
from workflows.calendar import JAKARTA
from workflows.models import Agency, User
from workflows.sla import CalendarChange


def _calendar_page(form: dict | None = None, errors: dict | None = None, week_errors: dict | None = None,
                   week_values: dict | None = None):
    this_year = now().astimezone(JAKARTA).year
    year = min(max(request.args.get("year", this_year, type=int), calendar_admin.FIRST_YEAR), calendar_admin.LAST_YEAR)
    agency = request.args.get("agency") or None
    language = "id" if str(get_locale()) == "id" else "en_US"
    page = max(1, request.args.get("page", 1, type=int))
    with services.db().session() as s:
        days = calendar_admin.calendar_days(s, year, agency)
        agencies = s.scalars(select(Agency).where(Agency.active).order_by(Agency.path)).all()
        history = calendar_changes.history(s, page, CHANGES_PER_PAGE)
        people = dict(s.execute(select(User.username, User.full_name).where(
            User.username.in_({c.changed_by for c in history.rows}))).all())
        names = dict(s.execute(select(Agency.code, Agency.name)).all())
    return render_template(
        "sla_admin/calendar.html", year=year, this_year=this_year, agency=agency, days=days, agencies=agencies,
        agency_names=names, history=history, people=people, holidays=calendar_admin.holidays_of(year, language),
        last_joint_leave_year=calendar_admin.last_joint_leave_year(), form=form or {}, errors=errors or {},
        week_errors=week_errors or {}, week_values=week_values or {}, calc=_calculation(),
    ), (422 if errors or week_errors else 200)


@dataclass
class Calculation:
    """The deadline calculator's fields as typed, and its answer or the problem with them."""

    start: str
    days: str
    agency: str
    error: str | None = None
    due: datetime | None = None
    calendar_days: int | None = None  # from the day of the start to the day of `due`


def _calculation() -> Calculation:
    """The deadline calculator: start + N working days for an agency (from the query string)."""
    args = request.args
    start_text, days_text = args.get("start", ""), args.get("days", "").strip()
    calc = Calculation(start_text or now().astimezone(JAKARTA).strftime("%Y-%m-%dT%H:%M"), days_text or "5",
                       args.get("calc_agency", ""))
    if not (start_text or days_text):
        return calc
    try:
        start = datetime.fromisoformat(start_text).replace(tzinfo=JAKARTA)
    except ValueError:
        calc.error = _("Enter a start date and time.")
        return calc
    if not days_text.isdigit() or not 0 < int(days_text) <= 3650:
        calc.error = _("Enter a whole number of working days from 1 to 3650.")
        return calc
    book = services.process_engine().sla_book
    book.reload()  # another worker process may have changed the calendar
    calc.due = book.calendar.add_working_days(start, int(days_text), calc.agency or None)
    calc.calendar_days = (calc.due.astimezone(JAKARTA).date() - start.date()).days
    return calc


@bp.get("/calendar")
def calendar():
    return _calendar_page()


# ---- changes: preview, save, apply -------------------------------------------------------

ACTIONS = ("preview", "save", "apply", "edit")


def _action() -> str:
    """What the pressed button asks for. The page's forms always say; a bare POST saves for new
    deadlines only (what these addresses did before changes could be previewed)."""
    action = request.form.get("action") or "save"
    return action if action in ACTIONS else "preview"


def _preview_page(change_request, action_url: str, hidden: list[tuple[str, str]]):
    result = calendar_changes.preview(services.db(), services.process_engine(), change_request)
    with services.db().session() as s:
        agencies = dict(s.execute(select(Agency.code, Agency.name)).all())
    return render_template("sla_admin/calendar_preview.html", result=result, edit=result.edit, action_url=action_url,
                           hidden=hidden, agency_names=agencies, **moves_context(result))


def _decide(change_request, action_url: str, hidden: list[tuple[str, str]], year: str | None):
    """Preview, save (for new deadlines only) or save and apply a checked calendar change. `year`
    is the year the calendar page showed (as its address gave it), shown again after a working week is saved."""
    action = _action()
    if action == "preview":
        return _preview_page(change_request, action_url, hidden)
    change_id = calendar_changes.save(services.db(), services.process_engine(), current_user, change_request)
    if action == "apply":
        return redirect(url_for(".calendar_apply_page", change_id=change_id, start=1))
    change = _saved_change(change_id)
    if change.kind == "week_set":
        flash(_("The working week was saved. It applies to deadlines set from now on."), "success")
        return redirect(url_for(".calendar", year=year, _anchor="weeks"))
    assert change.day is not None  # a day added or removed names its day
    day = change.day.isoformat()
    if change.kind == "day_removed":
        flash(_("%(day)s was removed from the calendar.", day=day), "success")
    else:
        assert change.new is not None  # the day as added: {day, kind, description, agency}
        if change.new["kind"] == "off":
            flash(_("%(day)s was added as a day off.", day=day), "success")
        else:
            flash(_("%(day)s was added as a working day.", day=day), "success")
    return redirect(url_for(".calendar", year=change.day.year, agency=request.args.get("agency") or None))


@bp.post("/calendar/days")
def add_day():
    form = {k: request.form.get(k, "") for k in ("day", "kind", "description", "agency")}
    if _action() == "edit":
        return _calendar_page(form)
    change_request = calendar_admin.DayToAdd(form["day"], form["kind"], form["description"], form["agency"] or None)
    try:
        return _decide(change_request, url_for(".add_day", agency=request.args.get("agency") or None),
                       list(form.items()), None)
    except calendar_admin.InvalidCalendar as exc:
        return _calendar_page(form, {k: str(CALENDAR_PROBLEMS.get(v, v)) for k, v in exc.fields.items()})


@bp.post("/calendar/days/<int:day_id>/delete")
def remove_day(day_id: int):
    if _action() == "edit":
        return redirect(url_for(".calendar", agency=request.args.get("agency") or None, _anchor="days"))
    return _decide(calendar_admin.DayToRemove(day_id),
                   url_for(".remove_day", day_id=day_id, agency=request.args.get("agency") or None), [], None)


@bp.post("/calendar/agencies/<code>/week")
def set_week(code: str):
    weekdays = request.form.getlist("weekday")
    if _action() == "edit":
        return _calendar_page(week_values={code: weekdays})
    try:
        return _decide(calendar_admin.WeekToSet(code, tuple(weekdays)),
                       url_for(".set_week", code=code, year=request.args.get("year")),
                       [("weekday", d) for d in weekdays], request.args.get("year"))
    except calendar_admin.InvalidCalendar as exc:
        if exc.fields.get("agency") == "unknown_agency":
            raise NotFound(f"agency {code}") from None
        return _calendar_page(week_errors={code: str(CALENDAR_PROBLEMS.get(exc.fields["weekdays"]))},
                              week_values={code: weekdays})


# ---- applying a saved change to running cases ------------------------------------------

def _saved_change(change_id: int) -> CalendarChange:
    change = calendar_changes.get(services.db(), change_id)
    if change is None:
        raise NotFound(f"calendar change {change_id}")
    return change


@bp.get("/calendar/changes/<int:change_id>/apply")
def calendar_apply_page(change_id: int):
    after = max(0, request.args.get("after", 0, type=int))
    done = request.args.get("done") == "1"
    change = _saved_change(change_id)
    total, handled = apply_progress(None if done else after)
    pending = None
    if not (done or after or request.args.get("start") == "1"):  # before starting: what it would move now
        pending = calendar_changes.preview_saved(services.db(), services.process_engine(), change_id)
    with services.db().session() as s:
        agencies = dict(s.execute(select(Agency.code, Agency.name)).all())
    return render_template("sla_admin/calendar_apply.html", change=change, total=total, handled=handled,
                           after=after, done=done, autostart=request.args.get("start") == "1" and not done,
                           batch=sla_admin.BATCH, pending=pending, agency_names=agencies,
                           **(moves_context(pending) if pending else {}))


@bp.post("/calendar/changes/<int:change_id>/apply")
def calendar_apply_batch(change_id: int):
    """One batch; JSON {moved, next_after, done, ...} for the page's script, else back to the page."""
    after = max(0, request.values.get("after", 0, type=int))
    _saved_change(change_id)  # 404 for an unknown change
    moved, last = calendar_changes.apply_to_running(services.db(), services.process_engine(),
                                                    current_user.username, change_id, batch=sla_admin.BATCH,
                                                    after_id=after)
    done = last is None
    if request.accept_mimetypes.best == "application/json":
        total, handled = apply_progress(last)
        return jsonify(moved=moved, next_after=last, done=done, total_moved=_saved_change(change_id).cases_moved,
                       handled=handled, total=total)
    flash(ngettext("%(num)d case moved in this batch.", "%(num)d cases moved in this batch.", moved), "success")
    return redirect(url_for(".calendar_apply_page", change_id=change_id, after=last or after, done=int(done)))
