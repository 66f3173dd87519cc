"""Upload → check → deploy: diagrams and forms go to a private temporary folder, the check's
problems are listed and drawn on the diagram, and a clean upload can be deployed from there.

The upload form posts normally (a redirect to the check page) or, from its script, asks for
JSON so it can show upload progress; both go through the same code.
"""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from flask import current_app, flash, jsonify, redirect, render_template, request, send_file, url_for
from flask_babel import format_decimal, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from engine.errors import InvalidDiagram
from webapp import services
from webapp.views.design import bp
from workflows import design, design_upload
from workflows.design_upload import UploadRefused

UPLOAD_PROBLEMS = {
    "no_files": _l("Choose at least one .bpmn file (with its form files), or a .zip of them."),
    "too_many": _l("Too many files: at most %(max)s in one upload."),
    "bad_name": _l("%(name)s: a file name may hold only letters, digits, dots, dashes and underscores."),
    "bad_type": _l("%(name)s is not a diagram (.bpmn, .dmn), a form (.json) or a .zip of them."),
    "too_large": _l("%(name)s is larger than %(size)s."),
    "total_too_large": _l("The upload is larger than %(size)s in all."),
    "bad_zip": _l("%(name)s is not a .zip file that can be opened (or it is encrypted)."),
    "duplicate": _l("%(name)s is in the upload twice."),
    "not_text": _l("%(name)s is not a text file (UTF-8)."),
    "not_xml": _l("%(name)s is not XML, so it cannot be a BPMN diagram."),
    "not_bpmn": _l("%(name)s is XML but not a BPMN diagram: its root element is <%(root)s>, not <definitions>."),
    "doctype": _l("%(name)s declares a DOCTYPE. Diagrams do not need one, and for safety it is refused: "
                  "remove it and upload again."),
    "no_diagram": _l("The upload holds no .bpmn diagram."),
}


def upload_dir() -> Path:
    """Where uploads wait: TINDAK_DESIGN_UPLOAD_DIR, else a folder under the system's temp folder."""
    configured = current_app.config.get("TINDAK_DESIGN_UPLOAD_DIR") or services.settings().design_upload_dir
    return Path(configured) if configured else design_upload.default_dir()


def _size(limit: int) -> str:
    return f"{format_decimal(limit / (1024 * 1024), '#,##0.#')} MB"


def upload_messages(exc: UploadRefused) -> list[str]:
    messages = []
    for code, name, details in exc.problems:
        template = UPLOAD_PROBLEMS.get(code, UPLOAD_PROBLEMS["bad_type"])
        messages.append(str(template) % {"name": name, "max": details.get("max", ""),
                                         "size": _size(details.get("max", 0)), "root": details.get("root", "")})
    return messages


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


def _staged(token: str) -> design_upload.Staged:
    return design_upload.load(upload_dir(), token, current_user.username)


@bp.get("/upload")
def upload_form():
    return render_template("design/upload.html", errors=[], limits=_limits())


def _limits() -> dict:
    return {"file": _size(design_upload.MAX_FILE), "total": _size(design_upload.MAX_TOTAL),
            "files": design_upload.MAX_FILES}


@bp.post("/upload")
def upload():
    files = [(f.filename or "", f.stream) for f in request.files.getlist("files")]
    try:
        staged = design.upload(services.db(), services.process_engine(), upload_dir(), current_user.username, files)
    except UploadRefused as exc:
        messages = upload_messages(exc)
        if _wants_json():
            return jsonify(errors=messages), 422
        return render_template("design/upload.html", errors=messages, limits=_limits()), 422
    target = url_for(".check_page", token=staged.token)
    if _wants_json():
        return jsonify(url=target)
    return redirect(target, 303)


def _problem_groups(report: dict) -> tuple[list[dict], list[dict]]:
    problems = report.get("problems", [])
    return ([p for p in problems if p.get("severity", "error") == "error"],
            [p for p in problems if p.get("severity") == "warning"])


@bp.get("/uploads/<token>")
def check_page(token: str):
    staged = _staged(token)
    report = design_upload.load_report(staged) or design.check_upload(services.db(), services.process_engine(),
                                                                      staged)
    errors, warnings = _problem_groups(report)
    expires = datetime.fromtimestamp(staged.expires_at, tz=timezone.utc)
    checked = datetime.fromtimestamp(report.get("checked_at") or staged.created_at, tz=timezone.utc)
    per_file = {name: sum(1 for p in errors + warnings if p.get("file") == name) for name in staged.diagrams}
    return render_template("design/check.html", staged=staged, errors=errors, warnings=warnings,
                           problems=errors + warnings, coverage=report.get("coverage") or {},
                           expires=expires, checked=checked, per_file=per_file)


@bp.get("/uploads/<token>/diagrams/<name>")
def upload_diagram(token: str, name: str):
    path = _staged(token).diagram_path(name)
    response = send_file(path, mimetype="application/xml", max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    # the page's script fetches it; opened directly, an uploaded file is downloaded, never rendered
    response.headers["Content-Disposition"] = "attachment"
    return response


@bp.post("/uploads/<token>/check")
def check_again(token: str):
    staged = _staged(token)
    design.check_upload(services.db(), services.process_engine(), staged)
    flash(_("The upload was checked again."), "info")
    return redirect(url_for(".check_page", token=token), 303)


@bp.post("/uploads/<token>/deploy")
def deploy(token: str):
    staged = _staged(token)
    try:
        outcome = design.deploy_upload(services.db(), services.process_engine(), staged, current_user.username)
    except InvalidDiagram as exc:
        flash(ngettext("Nothing was deployed: the check now finds %(num)d error. It is listed below.",
                       "Nothing was deployed: the check now finds %(num)d errors. They are listed below.",
                       len([p for p in exc.problems if p.severity == "error"])), "danger")
        return redirect(url_for(".check_page", token=token), 303)
    except design.DeployConflict:
        flash(_("Someone else deployed the same process at the same moment, so nothing of this upload was "
                "deployed. Look at the library, then check again and deploy if it is still needed."), "danger")
        return redirect(url_for(".check_page", token=token), 303)
    parts = []
    for p in outcome.processes:
        if p.created:
            parts.append(_("%(process)s: new version %(version)s", process=p.process_id, version=p.version))
        else:
            parts.append(_("%(process)s: unchanged (still version %(version)s)", process=p.process_id,
                           version=p.version))
    flash(_("Deployed. %(outcome)s.", outcome="; ".join(parts)), "success")
    if outcome.report.warnings:
        flash(ngettext("The check found %(num)d warning; it did not stop the deployment.",
                       "The check found %(num)d warnings; they did not stop the deployment.",
                       len(outcome.report.warnings)), "warning")
    return redirect(url_for(".library"), 303)


@bp.post("/uploads/<token>/discard")
def discard(token: str):
    design_upload.discard(_staged(token))
    flash(_("The upload was discarded; nothing was deployed."), "info")
    return redirect(url_for(".upload_form"), 303)
