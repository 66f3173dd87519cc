"""The monitoring dashboard: counts per agency, each a link to the list it counts."""
from __future__ import annotations

from flask import Blueprint, abort, render_template, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from webapp import labels, services
from workflows import dashboard, roles, task_lists
from workflows.dashboard import RUNNING_STATUSES, AgencyRow
from workflows.models import User

bp = Blueprint("dashboard", __name__)

SCOPE = {
    roles.SUPER_ADMIN: _l("All agencies"),
    roles.AGENCY_HEAD: _l("Your agency and the agencies below it"),
    roles.AGENCY_ADMIN: _l("Your agency"),
    roles.VERIFIER: _l("Cases awaiting verification and cases you have handled"),
    roles.OMBUDSMAN: _l("Cases escalated to the Ombudsman"),
}
NO_AGENCY = {
    roles.VERIFIER: _l("Not with an agency yet (verifiers)"),
    roles.OMBUDSMAN: _l("With the Ombudsman"),
}


@bp.app_context_processor
def _navigation():
    return {"may_see_dashboard": dashboard.may_see}


def _user() -> User:
    return current_user._get_current_object()


def row_name(row: AgencyRow) -> str:
    if row.name:
        return row.name
    if row.code:
        return row.code  # an agency deleted since
    assert row.role is not None  # work without an agency is told apart by role (workflows.dashboard)
    return str(NO_AGENCY.get(row.role, labels.ROLE.get(row.role, row.role)))


@bp.get("/dashboard")
@login_required
def index():
    user = _user()
    if not dashboard.may_see(user):
        abort(403)
    with services.db().session() as s:
        board = dashboard.dashboard(s, user)
    # counts link to the list they count where that list has the same scope and a filter for it
    task_lists_match = "agency" in task_lists.tabs_for(user)

    def case_link(row: AgencyRow, status: str) -> str | None:
        if not row.code or status not in RUNNING_STATUSES:
            return None
        return url_for("cases.search", agency=row.code, status=status)

    def task_link(row: AgencyRow | None, colour: str) -> str | None:
        if not task_lists_match or colour not in task_lists.SLA_COLOURS:
            return None
        if row is None:  # the totals: the whole tab
            return url_for("tasks.index", tab="agency", sla=colour)
        return url_for("tasks.index", tab="agency", agency=row.code, sla=colour) if row.code else None

    return render_template(
        "dashboard/index.html", board=board, scope=SCOPE.get(user.role, ""), row_name=row_name,
        case_link=case_link, task_link=task_link, sla_labels=labels.SLA, sla_icons=labels.SLA_ICON,
        yellow_percent=round(task_lists.YELLOW_SHARE * 100))
