"""The blueprint every API endpoint group uses: authentication, CSRF, errors and their docs."""
from __future__ import annotations

import http

import flask_smorest
from flask import current_app
from werkzeug.exceptions import HTTPException

from webapp.api.access import authenticate, rate_limit_key
from webapp.api.errors import handle_http_exception
from webapp.extensions import csrf, limiter

API_PREFIX = "/api/v1"
DEFAULT_RATE_LIMIT = "600 per minute"

# OpenAPI security schemes (registered on the spec in webapp.api.api_blueprint)
SECURITY_SCHEMES = {
    "bearerAuth": {"type": "http", "scheme": "bearer",
                   "description": "A personal API token (tdk_...), created on the account page."},
    "sessionCookie": {"type": "apiKey", "in": "cookie", "name": "session",
                      "description": "The browser's login session (same origin only)."},
    "csrfToken": {"type": "apiKey", "in": "header", "name": "X-CSRFToken",
                  "description": "With the session cookie, unsafe requests carry the page's CSRF token."},
}
READ_SECURITY: list[dict[str, list[str]]] = [{"bearerAuth": []}, {"sessionCookie": []}]
WRITE_SECURITY: list[dict[str, list[str]]] = [{"bearerAuth": []}, {"sessionCookie": [], "csrfToken": []}]


def _rate_limit() -> str:
    return current_app.config.get("TINDAK_API_RATE_LIMIT", DEFAULT_RATE_LIMIT)


class ApiBlueprint(flask_smorest.Blueprint):
    """A flask-smorest blueprint whose views need a user (token or session) and answer errors as JSON."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        csrf.exempt(self)  # session requests get their CSRF check back in `authenticate`
        # per user, not per address (a whole office may share one public address): webapp.api.access
        limiter.limit(_rate_limit, key_func=rate_limit_key)(self)
        self.before_request(authenticate)
        self.register_error_handler(HTTPException, handle_http_exception)

    def errors(self, *statuses: int):
        """Document error answers (the shared Error schema) of a view, e.g. `@bp.errors(401, 404)`."""
        def decorator(func):
            for status in statuses:
                func = self.alt_response(status, response=http.HTTPStatus(status).name)(func)
            return func
        return decorator

    def reads(self, func):
        """Mark a view as read-only in the docs (Bearer token or session cookie)."""
        return self.doc(security=READ_SECURITY)(func)

    def writes(self, func):
        """Mark a view as changing data in the docs (Bearer token, or session cookie plus CSRF header)."""
        return self.doc(security=WRITE_SECURITY)(func)
