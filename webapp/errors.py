"""Each error type mapped once to an HTTP answer: an HTML page, or JSON under /api/.

Error pages never need the database: while it is down, loading the officer for the navbar
would fail inside the error page itself. The language comes from the session cookie.
Citizens' routes get the citizens' error page, everyone else the officers' one.
"""
from __future__ import annotations

from flask import Flask, Response, current_app, jsonify, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import escape
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException

from engine.errors import ConcurrentUpdate, NotAllowed, NotFound, RepairRefused, TaskNotReady
from workflows.attachments import AttachmentNotStored
from workflows.case_errors import StepFailed
from workflows.cases import CaseNotFound
from workflows.commands import Forbidden, TaskGone
from workflows.design_upload import UploadNotFound

MESSAGES = {
    400: lambda: _("The request could not be understood."),
    401: lambda: _("Log in, or send a personal API token as a Bearer token."),
    403: lambda: _("You do not have access to this page or action."),
    404: lambda: _("This page does not exist, or you may not see it."),
    405: lambda: _("This action is not possible here."),
    409: lambda: _("Someone else changed this case in the meantime. Reload and try again."),
    413: lambda: _("The upload is too large."),
    422: lambda: _("Some fields are not filled in correctly."),
    429: lambda: _("Too many attempts. Please wait a minute and try again."),
    500: lambda: _("Something went wrong on our side. Nothing was saved; please try again."),
    503: lambda: _("The service is briefly unavailable. Nothing was saved; please try again in a few minutes."),
}
CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
         409: "conflict", 413: "too_large", 422: "invalid", 429: "rate_limited", 500: "server_error",
         503: "unavailable"}


def not_stored_message() -> str:
    return _("The file could not be stored, so nothing was saved. Please try again; if it happens "
             "again, tell the administrator.")


def wants_json() -> bool:
    return request.path.startswith("/api/")


DATABASE_DOWN = (OperationalError, InterfaceError, PoolTimeout)  # the server is down or unreachable
PUBLIC_BLUEPRINTS = ("public",)  # /lapor, /lacak, /laporan (Open311 answers in its own shape)


def is_public() -> bool:
    return request.blueprint in PUBLIC_BLUEPRINTS


def error_response(status: int, message: str | None = None, fields: dict | None = None, code: str | None = None):
    message = message or MESSAGES.get(status, MESSAGES[500])()
    if wants_json():
        body = {"error": {"code": code or CODES.get(status, "error"), "message": message, "fields": fields or {}}}
        return jsonify(body), status
    return error_page(status, message)


def _user_without_database() -> None:
    """Load the officer for the layout if the database answers; otherwise show the page anonymously.

    Flask-Login loads the user for every template (its context processor); when that raises,
    the request's user becomes the anonymous one, which is where Flask-Login keeps it (g).
    """
    from flask import g
    from flask_login import current_user

    from webapp.extensions import login_manager

    try:
        current_user._get_current_object()
    except Exception:  # whatever broke, the error page must not depend on it
        g._login_user = login_manager.anonymous_user()


def task_gone_response(exc: TaskGone):
    """A task closed meanwhile: who completed it, when, where the case is now, and a way on.

    410 when it is only looked at, 409 when someone tried to act on it.
    """
    from webapp.views.tasks import case_url

    gone = exc.gone
    status = 410 if request.method in ("GET", "HEAD") else 409
    link = case_url(gone.complaint_id) if gone.complaint_id is not None else None
    name = gone.completed_by_name or gone.completed_by or "?"
    if gone.state == "completed" and status == 409:
        message = _("This task was already completed by %(name)s; your answers were not saved.", name=name)
    elif gone.state == "completed":
        message = _("This task was already completed by %(name)s.", name=name)
    else:
        message = _("This task was closed without being completed: the case moved on.")
    if wants_json():
        return jsonify({"error": {
            "code": "task_completed" if gone.state == "completed" else "task_closed", "message": message,
            "fields": {}, "completed_by": gone.completed_by, "completed_by_name": gone.completed_by_name,
            "completed_at": gone.completed_at.isoformat() if gone.completed_at else None,
            "case_status": gone.case_status, "open_tasks": gone.open_tasks,
            "case": url_for("cases_api.get_case", complaint_id=gone.complaint_id, _external=False)
            if gone.complaint_id is not None and "cases_api.get_case" in current_app.view_functions else link,
        }}), status
    return render_template("tasks/gone.html", gone=gone, case_link=link, submitted=status == 409), status


def error_page(status: int, message: str):
    """The HTML error page, rendered without touching the database.

    The officers' layout shows who is logged in, which loads the user from the database; when
    that fails (the database is down) the same page comes without the user's menu. Should even
    that fail, a bare page in the visitor's language still beats the server's English one.
    """
    _user_without_database()
    template = "public/error.html" if is_public() else "errors/error.html"
    for name in dict.fromkeys((template, "errors/plain.html")):
        try:
            return render_template(name, status=status, message=message), status
        except Exception:  # the database behind the layout; try the plainer page
            current_app.logger.exception("error page %s failed to render", name)
            continue
    html = (f'<!doctype html><html lang="{escape(str(get_locale() or "id"))}"><meta charset="utf-8">'
            f'<title>{status} · Tindak</title><p data-testid="error-message">{escape(message)}</p></html>')
    return Response(html, status, mimetype="text/html")


def step_failed_message(exc: StepFailed) -> str:
    """What went wrong when a step of a case failed, for the officer who tried it."""
    name, element = exc.element_name or "?", exc.element_id or "?"
    if exc.recorded:
        return _("The step “%(name)s” (%(element)s) of this case failed, so nothing was saved. The case is now "
                 "listed for administrators under “%(list)s”.", name=name, element=element, list=_("Stuck cases"))
    return _("The step “%(name)s” (%(element)s) of this case failed, so nothing was saved. Please try again "
             "later, or tell an administrator.", name=name, element=element)


def register(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if exc.code and exc.code < 400:
            return exc
        return error_response(exc.code or 500)

    @app.errorhandler(NotFound)
    @app.errorhandler(CaseNotFound)
    def not_found(_exc):
        return error_response(404)

    @app.errorhandler(UploadNotFound)
    def upload_gone(_exc):
        return error_response(404, _("This upload is no longer here: it was deployed, discarded, or kept longer "
                                     "than an hour. Upload the files again."))

    @app.errorhandler(Forbidden)
    @app.errorhandler(NotAllowed)
    def forbidden(exc):
        return error_response(403)

    @app.errorhandler(ConcurrentUpdate)
    def conflict(_exc):
        return error_response(409)

    @app.errorhandler(StepFailed)
    def step_failed(exc: StepFailed):
        app.logger.warning("a step of case %s failed: %s", exc.instance_id, exc.error.message)
        return error_response(500, step_failed_message(exc), code="step_failed")

    @app.errorhandler(RepairRefused)
    def repair_refused(_exc):
        return error_response(409, _("This repair cannot be done; the case was not changed."))

    @app.errorhandler(TaskGone)
    def task_gone(exc: TaskGone):
        return task_gone_response(exc)

    @app.errorhandler(TaskNotReady)
    def not_ready(_exc):
        return error_response(409, _("This task was already completed or is no longer open."))

    @app.errorhandler(AttachmentNotStored)
    def not_stored(_exc):
        app.logger.exception("a file could not be stored on %s", request.path)
        return error_response(503, not_stored_message())

    def database_down(exc):
        app.logger.error("database unavailable on %s: %s", request.path, exc.__class__.__name__)
        return error_response(503)

    for kind in DATABASE_DOWN:
        app.register_error_handler(kind, database_down)

    @app.errorhandler(Exception)
    def unexpected(exc):
        app.logger.exception("unhandled error on %s", request.path)
        return error_response(500)
