"""Stuck cases ("Kasus bermasalah"): the list for admins, and the repairs for super admins.

Every repair goes through a confirmation page that shows what it will do (a migration's
mapping, a token move tried on a copy, the timers a retry would fire) and asks for a reason;
only the confirmation's POST changes the case, through one command of workflows/repair.py.
"""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user

from engine.errors import ConcurrentUpdate, NotFound, RepairRefused
from engine.models import ProcessVersion
from webapp import errors, services
from webapp.extensions import login_manager
from workflows import administration, policy, repair
from workflows.case_errors import StepFailed
from workflows.commands import Forbidden

bp = Blueprint("stuck_cases", __name__, url_prefix="/admin/stuck-cases")
PER_PAGE = 25

REASONS = {
    "task_missing": _l("The step “%(detail)s”, where the case waits now, does not exist in the new version."),
    "passed_missing": _l("The step “%(detail)s”, which the case already passed, does not exist in the new "
                         "version."),
    "call_changed": _l("The call activity “%(detail)s” calls another process (or is gone) in the new version."),
    "called_missing": _l("The called process “%(detail)s” is not part of the new version."),
    "other_process": _l("The version belongs to another process (%(detail)s)."),
    "same_version": _l("The case already runs on version %(detail)s."),
    "case_completed": _l("The case is already finished."),
    "target_unknown": _l("“%(detail)s” is not a user task or script task of this process version."),
    "same_step": _l("The case already waits at “%(detail)s”."),
    "no_token": _l("The main process of this case waits at no step that can be moved (it may be inside a "
                   "called process)."),
    "choose_token": _l("The case waits at several steps (%(detail)s); choose which one to move."),
    "token_unknown": _l("The chosen step is no longer waiting; reload the page."),
    "error": _l("The move failed: %(detail)s"),
}
REASON_PROBLEMS = {"required": _l("Give a reason: it is kept in the case's history."),
                   "too_long": _l("Keep the reason under 1,000 characters.")}


def reason_text(code: str, detail: str = "") -> str:
    template = REASONS.get(code)
    return str(template) % {"detail": detail} if template else f"{code}: {detail}"


@bp.before_request
def only_admins():
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not policy.sees_stuck_cases(current_user):
        raise Forbidden("stuck cases are for super admins and agency admins")
    if request.endpoint != "stuck_cases.index" and not policy.can_repair_cases(current_user):
        raise Forbidden("only super admins repair cases")
    return None


@bp.context_processor
def _helpers():
    return {"manages_organisation": administration.manages_organisation(current_user),
            "reason_text": reason_text, "can_repair": policy.can_repair_cases(current_user)}


@bp.get("/")
def index():
    page = max(1, request.args.get("page", 1, type=int))
    engine = services.process_engine()
    with services.db().session() as s:
        stuck = repair.stuck_cases(s, engine, current_user, page, PER_PAGE)
        groups = repair.stuck_versions(s, current_user)
    return render_template("stuck_cases/index.html", page=stuck, groups=groups)


def _view(complaint_id: int) -> repair.RepairView:
    with services.db().session() as s:
        return repair.repair_view(s, services.process_engine(), current_user, complaint_id)


@bp.get("/<int:complaint_id>")
def case(complaint_id: int):
    return render_template("stuck_cases/case.html", view=_view(complaint_id))


def _reason_error(exc: repair.RepairInvalid) -> str:
    return str(REASON_PROBLEMS.get(exc.fields.get("reason", ""), REASON_PROBLEMS["required"]))


def _failed(exc: StepFailed) -> None:
    flash(_("The repair failed: %(message)s", message=errors.step_failed_message(exc)) + " "
          + _("Technical detail: %(detail)s", detail=exc.error.message), "danger")


def _back_to_case(complaint_id: int):
    return redirect(url_for(".case", complaint_id=complaint_id))


def _refused(prefix: str, exc: RepairRefused) -> None:
    flash(prefix + " " + " ".join(reason_text(code, detail) for code, detail in exc.reasons), "danger")


def _repair(complaint_id: int, run, refused_prefix: str, done):
    """Run one repair command with the reason typed; returns (redirect, None) when it ran or was
    refused, or (None, message) when the reason must be fixed on the same page.
    `done(result)` says what happened."""
    try:
        result = run(request.form.get("reason", ""))
    except repair.RepairInvalid as exc:
        return None, _reason_error(exc)
    except RepairRefused as exc:
        _refused(refused_prefix, exc)
    except StepFailed as exc:
        _failed(exc)
    except ConcurrentUpdate:
        flash(_("Someone else changed this case in the meantime. Look at it again and retry."), "warning")
    else:
        flash(done(result), "success")
    return _back_to_case(complaint_id), None


# -- retry ----------------------------------------------------------------------------------

@bp.route("/<int:complaint_id>/retry", methods=["GET", "POST"])
def retry(complaint_id: int):
    reason_error = None
    if request.method == "POST":
        done, reason_error = _repair(
            complaint_id,
            lambda reason: repair.retry(services.db(), services.process_engine(), current_user, complaint_id, reason),
            _("The case was not run again:"),
            lambda fired: ngettext("The case ran again without error (%(num)d timer fired); it is no longer stuck.",
                                   "The case ran again without error (%(num)d timers fired); it is no longer stuck.",
                                   len(fired)))
        if done:
            return done
    return render_template("stuck_cases/retry.html", view=_view(complaint_id), reason_error=reason_error,
                           reason=request.form.get("reason", "")), (422 if reason_error else 200)


# -- migrate to another version -------------------------------------------------------------

def _target_version(view: repair.RepairView) -> int:
    target = request.values.get("to", type=int)
    if target is None and view.newer:
        target = view.newer[0].id
    if target is None:
        raise NotFound("no newer version")
    return target


@bp.route("/<int:complaint_id>/migrate", methods=["GET", "POST"])
def migrate(complaint_id: int):
    view = _view(complaint_id)
    target = _target_version(view)
    reason_error = None
    if request.method == "POST":
        done, reason_error = _repair(
            complaint_id,
            lambda reason: repair.migrate(services.db(), services.process_engine(), current_user, complaint_id,
                                          target, reason),
            _("The case cannot move to that version and stays where it was:"),
            lambda _result: _("The case now runs on the new version. Its open tasks and deadlines were kept."))
        if done:
            return done
    with services.db().session() as s:
        plan = repair.migration_preview(s, services.process_engine(), current_user, complaint_id, target)
    return render_template("stuck_cases/migrate.html", view=view, plan=plan, target=target,
                           reason_error=reason_error, reason=request.form.get("reason", "")), \
        (422 if reason_error else 200)


@bp.route("/versions/<int:version_id>/migrate", methods=["GET", "POST"])
def migrate_version(version_id: int):
    target = request.values.get("to", type=int)
    if target is None:
        with services.db().session() as s:
            pv = s.get(ProcessVersion, version_id)
            newer = repair.newer_versions(s, pv) if pv else []
        if not newer:
            raise NotFound("no newer version")
        target = newer[0].id
    reason_error, results = None, None
    if request.method == "POST":
        try:
            results = repair.migrate_all(services.db(), services.process_engine(), current_user, version_id, target,
                                         request.form.get("reason", ""))
        except repair.RepairInvalid as exc:
            reason_error = _reason_error(exc)
    with services.db().session() as s:
        source, to, rows = repair.bulk_preview(s, services.process_engine(), current_user, version_id, target)
    return render_template("stuck_cases/bulk.html", source=source, to=to, rows=rows, results=results,
                           reason_error=reason_error, reason=request.form.get("reason", "")), \
        (422 if reason_error else 200)


# -- move the token -------------------------------------------------------------------------

@bp.route("/<int:complaint_id>/move", methods=["GET", "POST"])
def move(complaint_id: int):
    view = _view(complaint_id)
    target = (request.values.get("to") or "").strip()
    source = (request.values.get("from") or "").strip() or None
    if not target:
        flash(_("Choose the step to move the case to."), "warning")
        return _back_to_case(complaint_id)
    reason_error = None
    if request.method == "POST":
        done, reason_error = _repair(
            complaint_id,
            lambda reason: repair.move_token(services.db(), services.process_engine(), current_user, complaint_id,
                                             target, source, reason),
            _("The case was not moved:"),
            lambda moved: _("The case was moved from “%(source)s” to “%(target)s”.", source=moved.source.name,
                            target=moved.target.name))
        if done:
            return done
    try:
        with services.db().session() as s:
            preview = repair.move_preview(s, services.process_engine(), current_user, complaint_id, target, source)
    except RepairRefused as exc:
        _refused(_("The case cannot be moved there:"), exc)
        return _back_to_case(complaint_id)
    return render_template("stuck_cases/move.html", view=view, preview=preview, target=target, source=source,
                           reason_error=reason_error, reason=request.form.get("reason", "")), \
        (422 if reason_error else 200)
