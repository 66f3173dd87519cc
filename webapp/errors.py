"""Each error type mapped once to an HTTP answer: an HTML page, or JSON under /api/."""
from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

from engine.errors import ConcurrentUpdate, NotAllowed, NotFound, TaskNotReady
from workflows.attachments import AttachmentNotStored
from workflows.cases import CaseNotFound
from workflows.commands import Forbidden

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


def error_response(status: int, message: str | None = None, fields: dict | None = None):
    message = message or MESSAGES.get(status, MESSAGES[500])()
    if wants_json():
        body = {"error": {"code": CODES.get(status, "error"), "message": message, "fields": fields or {}}}
        return jsonify(body), status
    return render_template("errors/error.html", status=status, message=message), status


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

    @app.errorhandler(Forbidden)
    @app.errorhandler(NotAllowed)
    def forbidden(exc):
        return error_response(403)

    @app.errorhandler(ConcurrentUpdate)
    def conflict(_exc):
        return error_response(409)

    @app.errorhandler(TaskNotReady)
    def not_ready(_exc):
        return error_response(409, _("This task was already completed or is no longer open."))

    @app.errorhandler(AttachmentNotStored)
    def not_stored(_exc):
        app.logger.exception("a file could not be stored on %s", request.path)
        return error_response(503, not_stored_message())

    @app.errorhandler(Exception)
    def unexpected(exc):
        app.logger.exception("unhandled error on %s", request.path)
        return error_response(500)
