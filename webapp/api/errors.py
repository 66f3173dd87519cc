"""Error answers of the JSON API: the shared Error schema and the handler for HTTP errors.

Domain errors (TaskNotFound, Forbidden, ConcurrentUpdate, ...) are mapped once in
`webapp/errors.py`, which already answers in JSON under /api/. This module only turns the
HTTP errors raised inside API views (bad parameters from webargs, CSRF, rate limits) into
the same shape: `{"error": {"code", "message", "fields"}}`.
"""
from __future__ import annotations

import marshmallow as ma
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from webapp import errors


class ErrorBodySchema(ma.Schema):
    code = ma.fields.String(required=True, metadata={"description": "Machine-readable error code",
                                                     "example": "not_found"})
    message = ma.fields.String(required=True, metadata={"description": "What went wrong, for people"})
    # a declared field is taken off the class by marshmallow, so it does not replace Schema.fields
    # at runtime; mypy sees only the class attribute, and the answer's key must stay "fields"
    fields = ma.fields.Dict(  # type: ignore[assignment]
        keys=ma.fields.String(), values=ma.fields.String(), required=True,
        metadata={"description": "Field name (\"\" for the whole form) → what is wrong with it"})
    # only for a task closed meanwhile (codes task_completed, task_closed; 409 or 410)
    completed_by = ma.fields.String(allow_none=True, metadata={"description": "Username who completed the task"})
    completed_by_name = ma.fields.String(allow_none=True)
    completed_at = ma.fields.DateTime(allow_none=True)
    case_status = ma.fields.String(allow_none=True, metadata={"description": "The case's status now"})
    open_tasks = ma.fields.List(ma.fields.String(), metadata={"description": "Names of the case's open tasks now"})
    case = ma.fields.String(allow_none=True, metadata={"description": "The case's API URL; null if out of sight"})


class ErrorSchema(ma.Schema):
    """Every error answer of the API."""

    error = ma.fields.Nested(ErrorBodySchema, required=True)


def api_error(status: int, message: str | None = None, fields: dict | None = None):
    """A JSON error response `(response, status)` in the API's one error shape."""
    return errors.error_response(status, message, fields)


def flatten_messages(messages) -> dict[str, str]:
    """webargs' `{"query": {"tab": ["Must be one of ..."]}}` → `{"tab": "Must be one of ..."}`."""
    flat: dict[str, str] = {}

    def walk(value, path: list[str]) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(inner, path + [str(key)])
        elif isinstance(value, (list, tuple)):
            if all(isinstance(v, str) for v in value):
                flat.setdefault(".".join(path), " ".join(value))
            else:
                for inner in value:
                    walk(inner, path)
        else:
            flat.setdefault(".".join(path), str(value))

    for location_messages in (messages or {}).values():  # drop the location ("query", "json")
        walk(location_messages, [])
    if "_schema" in flat:  # marshmallow's name for "the whole object"
        flat[""] = flat.pop("_schema")
    return flat


def handle_http_exception(exc: HTTPException):
    """Blueprint error handler: any HTTP error raised in an API view, in the API's shape."""
    if exc.code and exc.code < 400:
        return exc
    status = exc.code or 500
    data = getattr(exc, "data", None) or {}
    fields = flatten_messages(data.get("messages")) if "messages" in data else None
    message = data.get("message")
    if isinstance(exc, CSRFError):
        message = _("The CSRF token is missing or invalid. Send it in the X-CSRFToken header.")
    elif fields:
        message = _("Some parameters are not valid.") if status == 400 else None
    response, status = api_error(status, message, fields)
    for name, value in (data.get("headers") or {}).items():
        response.headers[name] = value
    return response, status
