"""The working-day calendar page: national holidays, the admin's exceptions, working weeks."""
from __future__ import annotations

from datetime import datetime

from flask import flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from engine.clock import now
from engine.errors import NotFound
from webapp import services
from workflows import calendar_admin
from workflows.calendar import JAKARTA
from workflows.models import Agency

from webapp.views.sla_admin import CALENDAR_PROBLEMS, bp


def _calendar_page(form: dict | None = None, errors: dict | None = None, week_errors: dict | None = None,
                   week_values: dict | None = None):
    this_year = now().astimezone(JAKARTA).year
    year = min(max(request.args.get("year", this_year, type=int), calendar_admin.FIRST_YEAR), calendar_admin.LAST_YEAR)
    agency = request.args.get("agency") or None
    language = "id" if str(get_locale()) == "id" else "en_US"
    with services.db().session() as s:
        days = calendar_admin.calendar_days(s, year, agency)
        agencies = s.scalars(select(Agency).where(Agency.active).order_by(Agency.path)).all()
    return render_template(
        "sla_admin/calendar.html", year=year, this_year=this_year, agency=agency, days=days, agencies=agencies,
        agency_names={a.code: a.name for a in agencies}, holidays=calendar_admin.holidays_of(year, language),
        last_joint_leave_year=calendar_admin.last_joint_leave_year(), form=form or {}, errors=errors or {},
        week_errors=week_errors or {}, week_values=week_values or {}, calc=_calculation(),
    ), (422 if errors or week_errors else 200)


def _calculation() -> dict:
    """The deadline calculator: start + N working days for an agency (from the query string)."""
    args = request.args
    start_text, days_text = args.get("start", ""), args.get("days", "").strip()
    calc = {"start": start_text or now().astimezone(JAKARTA).strftime("%Y-%m-%dT%H:%M"),
            "days": days_text or "5", "agency": args.get("calc_agency", ""), "error": None, "due": None}
    if not (start_text or days_text):
        return calc
    try:
        start = datetime.fromisoformat(start_text).replace(tzinfo=JAKARTA)
    except ValueError:
        calc["error"] = _("Enter a start date and time.")
        return calc
    if not days_text.isdigit() or not 0 < int(days_text) <= 3650:
        calc["error"] = _("Enter a whole number of working days from 1 to 3650.")
        return calc
    book = services.process_engine().sla_book
    book.reload()  # another worker process may have changed the calendar
    calc["due"] = book.calendar.add_working_days(start, int(days_text), calc["agency"] or None)
    calc["calendar_days"] = (calc["due"].astimezone(JAKARTA).date() - start.date()).days
    return calc


@bp.get("/calendar")
def calendar():
    return _calendar_page()


@bp.post("/calendar/days")
def add_day():
    form = {k: request.form.get(k, "") for k in ("day", "kind", "description", "agency")}
    try:
        row = calendar_admin.add_day(services.db(), current_user, form["day"], form["kind"], form["description"],
                                     form["agency"] or None)
    except calendar_admin.InvalidCalendar as exc:
        return _calendar_page(form, {k: str(CALENDAR_PROBLEMS.get(v, v)) for k, v in exc.fields.items()})
    services.process_engine().sla_book.reload()
    flash(_("%(day)s was added as a day off.", day=row.day.isoformat()) if row.kind == "off"
          else _("%(day)s was added as a working day.", day=row.day.isoformat()), "success")
    return redirect(url_for(".calendar", year=row.day.year, agency=request.args.get("agency") or None))


@bp.post("/calendar/days/<int:day_id>/delete")
def remove_day(day_id: int):
    row = calendar_admin.remove_day(services.db(), current_user, day_id)
    services.process_engine().sla_book.reload()
    flash(_("%(day)s was removed from the calendar.", day=row.day.isoformat()), "success")
    return redirect(url_for(".calendar", year=row.day.year, agency=request.args.get("agency") or None))


@bp.post("/calendar/agencies/<code>/week")
def set_week(code: str):
    try:
        calendar_admin.set_working_week(services.db(), current_user, code, request.form.getlist("weekday"))
    except calendar_admin.InvalidCalendar as exc:
        if exc.fields.get("agency") == "unknown_agency":
            raise NotFound(f"agency {code}") from None
        return _calendar_page(week_errors={code: str(CALENDAR_PROBLEMS.get(exc.fields["weekdays"]))},
                              week_values={code: request.form.getlist("weekday")})
    services.process_engine().sla_book.reload()
    flash(_("The working week was saved."), "success")
    return redirect(url_for(".calendar", year=request.args.get("year"), _anchor="weeks"))
