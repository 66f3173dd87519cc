"""SLA policies and the working-day calendar (super admins only).

SLA: list, edit a default or an override through a preview of what it would move, apply a
saved change to running cases in batches (the browser drives them, so 10,000 cases show
progress and can be left and resumed), delete an override. Calendar (calendar.py): national
holidays, the admin's extra days, each agency's working week, a deadline calculator, and the
same preview, apply and history for calendar changes.
"""
from __future__ import annotations

from babel.dates import get_day_names
from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import format_date, get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from engine import rearm
from engine.errors import NotFound
from webapp import content_language, services
from webapp.extensions import login_manager
from workflows import calendar_admin, sla_changes
from workflows.commands import Forbidden
from workflows.models import Agency, Category, Complaint, User
from workflows.paging import paginate
from workflows.sla import DEFAULTS, UNITS, SlaChange, SlaPolicy
from workflows.sla_changes import InvalidSla, SlaEdit

bp = Blueprint("sla_admin", __name__, url_prefix="/admin")

BATCH = 200
CHANGES_PER_PAGE = 20
OVERDUE_SHOWN = 100
UNIT_LABELS = {"working_days": _l("working days"), "calendar_days": _l("calendar days"),
               "working_hours": _l("working hours"), "hours": _l("hours")}
SLA_PROBLEMS = {
    "duration": _l("Enter a whole number from 1 to 3650."),
    "unit": _l("Choose one of the units."),
    "yellow_share": _l("Enter a share between 0 and 1, e.g. 0.75: yellow when three quarters of the time are used."),
    "category": _l("Choose an existing category."),
    "agency": _l("Choose an existing agency."),
    "scope": _l("Choose a category, an agency, or both."),
    "": _l("This deadline has no default policy, so it cannot have overrides."),
}
CALENDAR_PROBLEMS = {
    "required": _l("This field is required."),
    "bad_date": _l("This is not a valid date. Pick one from the calendar."),
    "year_out_of_range": _l("Choose a date between the years 2000 and 2100."),
    "duplicate_day": _l("This day is already in the list for the same agency. Remove it first to change it."),
    "unknown_kind": _l("Choose a day off or a working day."),
    "too_long": _l("This is too long."),
    "unknown_agency": _l("Choose an existing agency."),
    "empty_week": _l("Tick at least one working day."),
    "bad_weekday": _l("Tick days from Monday to Sunday only."),
}


@bp.before_request
def only_super_admins():
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not calendar_admin.manages_deadlines(current_user):
        raise Forbidden("SLA policies and the calendar are for super admins")
    return None


def duration_text(duration: int, unit: str) -> str:
    """'5 working days' (Indonesian: '5 hari kerja')."""
    if unit == "working_days":
        return ngettext("%(num)d working day", "%(num)d working days", duration)
    if unit == "calendar_days":
        return ngettext("%(num)d calendar day", "%(num)d calendar days", duration)
    if unit == "working_hours":
        return ngettext("%(num)d working hour", "%(num)d working hours", duration)
    return ngettext("%(num)d hour", "%(num)d hours", duration)


@bp.context_processor
def _helpers():
    names = get_day_names("abbreviated", locale=get_locale())  # 0 = Monday
    return {"unit_label": lambda u: str(UNIT_LABELS.get(u, u)), "duration_text": duration_text,
            "units": UNITS, "manages_organisation": True, "format_date": format_date,
            "weekdays": [(iso, names[iso - 1]) for iso in calendar_admin.WEEKDAYS]}


@bp.app_context_processor
def _tabs():
    return {"sla_admin_tabs": True}  # admin/_tabs.html shows the SLA and calendar tabs


# ---- SLA policies ---------------------------------------------------------------------

def _names(session) -> tuple[dict[str, str], dict[str, str]]:
    return (content_language.category_names(session),
            dict(session.execute(select(Agency.code, Agency.name)).all()))


def _policy(session, key: str, category: str | None, agency: str | None) -> SlaPolicy | None:
    return session.scalars(select(SlaPolicy).where(
        SlaPolicy.key == key,
        SlaPolicy.category_code.is_(None) if category is None else SlaPolicy.category_code == category,
        SlaPolicy.agency_code.is_(None) if agency is None else SlaPolicy.agency_code == agency)).first()


@bp.get("/sla")
def policies():
    page = request.args.get("page", 1, type=int)
    with services.db().session() as s:
        rows = s.scalars(select(SlaPolicy).order_by(
            SlaPolicy.key, SlaPolicy.category_code, SlaPolicy.agency_code)).all()
        history = paginate(s, select(SlaChange).order_by(SlaChange.changed_at.desc(), SlaChange.id.desc()),
                           page, CHANGES_PER_PAGE)
        changes = history.rows
        people = dict(s.execute(select(User.username, User.full_name).where(
            User.username.in_({c.changed_by for c in changes}))).all())
        categories, agencies = _names(s)
    order = [key for key, *_ in DEFAULTS] + sorted({p.key for p in rows} - {key for key, *_ in DEFAULTS})
    groups = [(key, next((p for p in rows if p.key == key and not p.category_code and not p.agency_code), None),
               [p for p in rows if p.key == key and (p.category_code or p.agency_code)]) for key in order]
    return render_template("sla_admin/policies.html", groups=[g for g in groups if g[1] or g[2]],
                           history=history, people=people,
                           categories=categories, agencies=agencies)


def _sla_problems(exc: InvalidSla) -> dict[str, str]:
    fields = {"category_code": "category", "agency_code": "agency", "key": ""}
    return {fields.get(name, name): str(SLA_PROBLEMS.get(fields.get(name, name), text))
            for name, text in exc.fields.items()}


def _parse(key: str, form) -> tuple[SlaEdit, dict[str, str]]:
    """The edit the form describes, and the problems found (field → message)."""
    problems = {}
    raw_duration = form.get("duration", "").strip()
    duration = int(raw_duration) if raw_duration.isdigit() else None
    raw_share = form.get("yellow_share", "").strip().replace(",", ".")
    try:
        share = float(raw_share[:-1]) / 100 if raw_share.endswith("%") else float(raw_share)
    except ValueError:
        share = None
    category, agency = form.get("category") or None, form.get("agency") or None
    # stand-ins for unreadable numbers, so the domain check still reports the other fields
    edit = SlaEdit(key, 1 if duration is None else duration, form.get("unit", ""),
                   0.5 if share is None else share, category, agency)
    with services.db().session() as s:
        try:
            sla_changes.check_edit(s, edit)  # the rules save_policy applies; a preview needs them first
        except InvalidSla as exc:
            problems.update(_sla_problems(exc))
    if duration is None:
        problems["duration"] = str(SLA_PROBLEMS["duration"])
    if share is None:
        problems["yellow_share"] = str(SLA_PROBLEMS["yellow_share"])
    if form.get("new") and not (category or agency):
        problems["category"] = str(SLA_PROBLEMS["scope"])
    return edit, problems  # without problems, no stand-in was needed: `edit` holds the numbers read


def _form_page(key: str, values: dict, errors: dict | None = None, new: bool = False):
    with services.db().session() as s:
        default = _policy(s, key, None, None)
        if default is None:
            raise NotFound(f"SLA policy {key}")
        current = None if new else _policy(s, key, values.get("category") or None, values.get("agency") or None)
        if not new and current is None:
            raise NotFound(f"SLA override {key}")
        categories = s.scalars(select(Category).where(Category.active).order_by(Category.name)).all()
        agencies = s.scalars(select(Agency).where(Agency.active).order_by(Agency.path)).all()
    return render_template("sla_admin/edit.html", key=key, default=default, current=current, values=values,
                           errors=errors or {}, new=new, categories=categories, agencies=agencies,
                           names=({c.code: content_language.category_label(c) for c in categories},
                                  {a.code: a.name for a in agencies})
                           ), (422 if errors else 200)


def _values(policy: SlaPolicy, category: str | None = None, agency: str | None = None) -> dict:
    return {"duration": str(policy.duration), "unit": policy.unit, "yellow_share": f"{policy.yellow_share:g}",
            "category": category or policy.category_code or "", "agency": agency or policy.agency_code or ""}


@bp.get("/sla/<key>/new")
def new_override(key: str):
    with services.db().session() as s:
        default = _policy(s, key, None, None)
    if default is None:
        raise NotFound(f"SLA policy {key}")
    values = _values(default, request.args.get("category"), request.args.get("agency"))
    return _form_page(key, values, new=True)


@bp.route("/sla/<key>", methods=["GET", "POST"])
def edit(key: str):
    if request.method == "GET":
        category, agency = request.args.get("category") or None, request.args.get("agency") or None
        with services.db().session() as s:
            policy = _policy(s, key, category, agency)
        if policy is None:
            raise NotFound(f"SLA policy {key}")
        return _form_page(key, _values(policy))
    values = {k: request.form.get(k, "") for k in ("duration", "unit", "yellow_share", "category", "agency")}
    new, action = bool(request.form.get("new")), request.form.get("action", "preview")
    sla_edit, errors = _parse(key, request.form)
    if errors or action == "edit":
        return _form_page(key, values, errors, new)
    if action in ("save", "apply"):
        try:
            change_id = sla_changes.save_policy(services.db(), services.process_engine(), current_user.username,
                                                sla_edit)
        except InvalidSla as exc:  # changed meanwhile (e.g. the default was removed)
            return _form_page(key, values, _sla_problems(exc), new)
        if action == "apply":
            return redirect(url_for(".apply_page", change_id=change_id, start=1))
        flash(_("The deadline was saved. It applies to deadlines set from now on."), "success")
        return redirect(url_for(".policies"))
    return _preview_page(key, values, sla_edit, new)


def moves_context(result: sla_changes.Preview) -> dict:
    """What the preview pages show of the moves: the preview, the cases that would be overdue at
    once (soonest first, at most OVERDUE_SHOWN) with their complaints, and how many there are."""
    overdue: dict[int, list] = {}  # case → its timers that would be past at once, soonest case first
    for move in sorted(result.overdue_now, key=lambda m: m.new_due):
        overdue.setdefault(move.instance_id, []).append(move)
    shown = list(overdue.items())[:OVERDUE_SHOWN]
    with services.db().session() as s:
        complaints = {c.process_instance_id: c for c in s.scalars(select(Complaint).where(
            Complaint.process_instance_id.in_([instance_id for instance_id, _moves in shown])))}
    return {"preview": result, "overdue": shown, "overdue_total": len(overdue), "complaints": complaints}


def _preview_page(key: str, values: dict, sla_edit: SlaEdit, new: bool):
    result = sla_changes.preview(services.db(), services.process_engine(), sla_edit)
    with services.db().session() as s:
        current = _policy(s, key, sla_edit.category_code, sla_edit.agency_code)
        default = _policy(s, key, None, None)
        categories, agencies = _names(s)
    return render_template("sla_admin/preview.html", key=key, values=values, edit=sla_edit, new=new,
                           current=current, default=default, categories=categories, agencies=agencies,
                           **moves_context(result))


@bp.post("/sla/<key>/delete")
def delete(key: str):
    category, agency = request.form.get("category") or None, request.form.get("agency") or None
    try:
        change_id = sla_changes.delete_override(services.db(), services.process_engine(), current_user.username,
                                                key, category, agency)
    except LookupError:
        raise NotFound(f"SLA override {key}") from None
    except InvalidSla:
        flash(_("The default deadline cannot be removed; change its length instead."), "danger")
        return redirect(url_for(".policies"))
    flash(_("The override was removed. Running cases keep their deadlines unless you apply the change "
            "(see change #%(id)s in the history).", id=change_id), "success")
    return redirect(url_for(".policies"))


# ---- applying a change to running cases ------------------------------------------------

def _change(change_id: int) -> SlaChange:
    with services.db().session() as s:
        change = s.get(SlaChange, change_id)
    if change is None:
        raise NotFound(f"SLA change {change_id}")
    return change


def apply_progress(after: int | None) -> tuple[int, int]:
    """How many running cases have timers, and how many of them come up to case id `after` (None: all)."""
    with services.db().session() as s:
        ids = rearm.running_with_timers(s)
    return len(ids), len(ids) if after is None else sum(1 for i in ids if i <= after)


@bp.get("/sla/changes/<int:change_id>/apply")
def apply_page(change_id: int):
    after = max(0, request.args.get("after", 0, type=int))
    done = request.args.get("done") == "1"
    change = _change(change_id)
    total, handled = apply_progress(None if done else after)
    with services.db().session() as s:
        categories, agencies = _names(s)
    return render_template("sla_admin/apply.html", change=change, total=total, handled=handled, after=after,
                           done=done, autostart=request.args.get("start") == "1" and not done,
                           categories=categories, agencies=agencies, batch=BATCH)


@bp.post("/sla/changes/<int:change_id>/apply")
def apply_batch(change_id: int):
    """One batch; JSON {moved, next_after, done, ...} for the page's script, else back to the page."""
    after = max(0, request.values.get("after", 0, type=int))
    _change(change_id)  # 404 for an unknown change
    moved, last = sla_changes.apply_to_running(services.db(), services.process_engine(), current_user.username,
                                               change_id, batch=BATCH, after_id=after)
    done = last is None
    if request.accept_mimetypes.best == "application/json":
        total, handled = apply_progress(last)
        return jsonify(moved=moved, next_after=last, done=done, total_moved=_change(change_id).cases_moved,
                       handled=handled, total=total)
    flash(ngettext("%(num)d case moved in this batch.", "%(num)d cases moved in this batch.", moved), "success")
    return redirect(url_for(".apply_page", change_id=change_id, after=last or after, done=int(done)))


from webapp.views.sla_admin import calendar  # noqa: E402,F401  (its routes join this blueprint)
