"""Each error type mapped once to an HTTP answer: an HTML page, or JSON under /api/."""
from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

from engine.errors import ConcurrentUpdate, NotAllowed, NotFound, RepairRefused, TaskNotReady
from workflows.case_errors import StepFailed
from workflows.cases import CaseNotFound
from workflows.commands import Forbidden
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
}
CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
         409: "conflict", 413: "too_large", 422: "invalid", 429: "rate_limited", 500: "server_error"}


def wants_json() -> bool:
    return request.path.startswith("/api/")


def error_response(status: int, message: str | None = None, fields: dict | None = None, code: str | None = None):
    message = message or MESSAGES.get(status, MESSAGES[500])()
    if wants_json():
        body = {"error": {"code": code or CODES.get(status, "error"), "message": message, "fields": fields or {}}}
        return jsonify(body), status
    return render_template("errors/error.html", status=status, message=message), status


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

    @app.errorhandler(TaskNotReady)
    def not_ready(_exc):
        return error_response(409, _("This task was already completed or is no longer open."))

    @app.errorhandler(Exception)
    def unexpected(exc):
        app.logger.exception("unhandled error on %s", request.path)
        return error_response(500)
