"""Open311 error answers, mapped once for the blueprint: the spec's `<errors><error>` list.

HTTP 404 for what does not exist (a service_code, a request, a jurisdiction, a path), 403 for
a missing or wrong api_key, 400 for any other request that cannot be served; the body lists one
`{code, description}` per problem in the format the URL asked for, `code` being the HTTP status.
"""
from __future__ import annotations

from flask import Blueprint, Response, current_app, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException

from webapp import errors as app_errors
from webapp.open311.formats import requested_format, respond
from webapp.open311.params import ParamsInvalid, Problem
from workflows.complaints import InvalidComplaint
from workflows.open311 import KeyRejected, RequestNotFound, ServiceNotFound


class Open311Error(Exception):
    """A refusal of the protocol layer (unknown jurisdiction or format, missing api_key, ...)."""

    def __init__(self, status: int, description: str, headers: dict[str, str] | None = None):
        super().__init__(description)
        self.status, self.description, self.headers = status, description, headers or {}


REASONS = {
    "required": _l("%(field)s is required."),
    "location": _l("A location is required: lat and long, address_string or address_id."),
    "pair": _l("lat and long must be sent together; %(field)s is missing."),
    "number": _l("%(field)s must be a decimal number."),
    "range": _l("%(field)s is out of range."),
    "choice": _l("%(field)s must be one of: %(allowed)s."),
    "single": _l("%(field)s takes a single value."),
    "datetime": _l("%(field)s must be an ISO 8601 date or date and time, e.g. 2024-05-01T08:00:00+07:00."),
    "future": _l("%(field)s must not lie in the future."),
    "too_long": _l("%(field)s is too long: at most %(limit)s characters."),
    "characters": _l("%(field)s contains control characters that are not allowed."),
    "email": _l("%(field)s is not a valid e-mail address."),
    "url": _l("%(field)s must be an http or https URL."),
    "before_start": _l("end_date must not be before start_date."),
    "window": _l("start_date and end_date may be at most 90 days apart."),
}


def describe(problem: Problem) -> str:
    return str(REASONS[problem.reason]) % {"field": problem.field, "limit": problem.limit,
                                           "allowed": ", ".join(problem.allowed)}


def error_response(status: int, descriptions: list[str], headers: dict[str, str] | None = None) -> Response:
    """The spec's error list, one entry per description, with the HTTP status as each code."""
    response = respond(requested_format(), "errors",
                       [{"code": status, "description": str(d)} for d in descriptions], status)
    response.headers.update(headers or {})
    return response


def register(bp: Blueprint) -> None:
    """Answer every error of the blueprint's views in the Open311 shape."""

    @bp.errorhandler(Open311Error)
    def refused(exc: Open311Error):
        return error_response(exc.status, [exc.description], exc.headers)

    @bp.errorhandler(ParamsInvalid)
    def invalid(exc: ParamsInvalid):
        return error_response(400, [describe(p) for p in exc.problems])

    @bp.errorhandler(InvalidComplaint)
    def invalid_complaint(exc: InvalidComplaint):  # the domain's last word, should the params check miss one
        return error_response(400, [f"{name}: {reason}" for name, reason in exc.fields.items()])

    @bp.errorhandler(KeyRejected)
    def key_rejected(_exc):
        return error_response(403, [_("Invalid api_key received: the key is unknown or was revoked.")])

    @bp.errorhandler(ServiceNotFound)
    def unknown_service(exc: ServiceNotFound):
        return error_response(404, [_("No service with service_code %(code)s.", code=exc.args[0])])

    @bp.errorhandler(RequestNotFound)
    def unknown_request(exc: RequestNotFound):
        return error_response(404, [_("No service request %(id)s.", id=exc.args[0])])

    @bp.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if exc.code and exc.code < 400:
            return exc
        status = exc.code or 500
        message = app_errors.MESSAGES.get(status, app_errors.MESSAGES[400])()
        return error_response(status, [message], _kept_headers(exc))

    @bp.errorhandler(app_errors.OperationalError)
    @bp.errorhandler(app_errors.InterfaceError)
    @bp.errorhandler(app_errors.PoolTimeout)
    def database_down(exc: Exception):
        current_app.logger.error("database unavailable on %s: %s", request.path, exc.__class__.__name__)
        return error_response(503, [app_errors.MESSAGES[503]()])

    @bp.errorhandler(Exception)
    def unexpected(exc: Exception):
        current_app.logger.exception("unhandled error on %s", request.path)
        return error_response(500, [app_errors.MESSAGES[500]()])


def _kept_headers(exc: HTTPException) -> dict[str, str]:
    return {name: value for name, value in exc.get_headers() if name in ("Retry-After", "Allow")}
