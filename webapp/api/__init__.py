"""The JSON API under /api/v1, documented by the OpenAPI document at /api/v1/openapi.json.

flask-smorest builds that document from the marshmallow schemas of `webapp.api.schemas`.
Authentication, CSRF and error answers live in `webapp.api.blueprint` (shared by every
endpoint group); see docs/api.md for how to call it.
"""
from __future__ import annotations

from flask import Blueprint, Flask
from flask_smorest import Api

from webapp.api.blueprint import API_PREFIX, READ_SECURITY, SECURITY_SCHEMES
from webapp.api.errors import ErrorSchema

API_DESCRIPTION = """Tindak's JSON API: task lists, tasks with their forms, and cases.

Authenticate with a personal API token (`Authorization: Bearer tdk_...`) or, from pages of
Tindak itself, with the login session; with the session, POST requests carry the page's CSRF
token in the `X-CSRFToken` header. Times are ISO 8601 with an offset (UTC).

Every error answers `{"error": {"code", "message", "fields"}}`.
"""


class TindakApi(Api):
    """flask-smorest's Api, answering errors in Tindak's shape instead of its own."""

    ERROR_SCHEMA = ErrorSchema

    def _register_error_handlers(self):
        # flask-smorest would register an app-wide HTTPException handler and so replace the HTML
        # error pages of webapp/errors.py; our blueprints register their own handler instead.
        pass


def api_blueprint(app: Flask) -> Blueprint:
    """Set up the API on `app`; returns an empty blueprint for the caller to register."""
    from webapp.api import cases, intake, tasks

    app.config.update(
        API_TITLE="Tindak API",
        API_VERSION="1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX=API_PREFIX,
        OPENAPI_JSON_PATH="openapi.json",
        API_SPEC_OPTIONS={"info": {"description": API_DESCRIPTION,
                                   "license": {"name": "AGPL-3.0-or-later"}},
                          "security": READ_SECURITY,
                          "servers": [{"url": "/"}]},
    )
    api = TindakApi(app)
    for name, scheme in SECURITY_SCHEMES.items():
        api.spec.components.security_scheme(name, scheme)
    api.register_blueprint(tasks.bp)
    api.register_blueprint(cases.bp)
    api.register_blueprint(intake.bp)
    return Blueprint("api_root", __name__)
