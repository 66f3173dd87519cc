"""SLA keys for designers: the keys that exist, which diagrams call them, and a form for a new one
(workflows/sla_keys.py). Lengths and overrides are changed on the SLA administration pages."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from webapp import services
from webapp.views.design import bp
from webapp.views.sla_admin import UNIT_LABELS, duration_text
from workflows import calendar_admin, process_library, sla_keys
from workflows.sla import DEFAULT_YELLOW_SHARE, UNITS, SlaPolicy
from workflows.sla_changes import InvalidSla

KEY_PROBLEMS = {
    "bad_key": _l("Use 2 to 50 characters: lowercase letters, digits and underscores, starting with a letter "
                  "(e.g. field_inspection)."),
    "duplicate": _l("This key already exists. Choose another, or change its length on the Deadlines page."),
    "required": _l("This field is required."),
    "too_long": _l("This is too long."),
    "duration": _l("Enter a whole number from 1 to 3650."),
    "unit": _l("Choose one of the units."),
    "yellow_share": _l("Enter a share between 0 and 1, e.g. 0.75: yellow when three quarters of the time are used."),
}
FIELDS = ("key", "label", "duration", "unit", "yellow_share")


def _problems(exc: InvalidSla) -> dict[str, str]:
    messages = {}
    for name, code in exc.fields.items():
        messages[name] = str(KEY_PROBLEMS.get(code) or KEY_PROBLEMS.get(name) or code)
    return messages


def _page(values: dict, errors: dict | None = None):
    with services.db().session() as s:
        defaults = s.scalars(select(SlaPolicy).where(SlaPolicy.category_code.is_(None),
                                                     SlaPolicy.agency_code.is_(None)).order_by(SlaPolicy.key)).all()
        used = process_library.sla_keys_in_use(s)
    known = {p.key for p in defaults}
    missing = {key: processes for key, processes in used.items() if key not in known}
    return render_template("design/deadlines.html", defaults=defaults, used=used, missing=missing,
                           values=values, errors=errors or {}, units=UNITS,
                           unit_label=lambda u: str(UNIT_LABELS.get(u, u)), duration_text=duration_text,
                           manages_deadlines=calendar_admin.manages_deadlines(current_user)
                           ), (422 if errors else 200)


@bp.get("/deadlines")
def deadlines():
    values = {"key": request.args.get("key", ""), "label": "", "duration": "", "unit": "working_days",
              "yellow_share": f"{DEFAULT_YELLOW_SHARE:g}"}
    return _page(values)


def _number(text: str) -> int | None:
    text = (text or "").strip()
    return int(text) if text.isdigit() else None


def _share(text: str) -> float | None:
    text = (text or "").strip().replace(",", ".")
    try:
        return float(text[:-1]) / 100 if text.endswith("%") else float(text)
    except ValueError:
        return None


@bp.post("/deadlines")
def new_deadline():
    values = {name: request.form.get(name, "") for name in FIELDS}
    new = sla_keys.NewKey(values["key"].strip(), values["label"], _number(values["duration"]), values["unit"],
                          _share(values["yellow_share"]))
    try:
        sla_keys.create_key(services.db(), services.process_engine(), current_user, new)
    except InvalidSla as exc:
        return _page(values, _problems(exc))
    assert new.duration is not None  # create_key refuses a key without one
    flash(_("The deadline key %(key)s was created: %(length)s. Diagrams may now call sla_due(\"%(key)s\", ...).",
            key=new.key, length=duration_text(new.duration, new.unit)), "success")
    if calendar_admin.manages_deadlines(current_user) and request.form.get("next") == "sla_admin":
        return redirect(url_for("sla_admin.policies"), 303)
    return redirect(url_for(".deadlines"), 303)
