"""Who is calling the API: a personal API token (Bearer) or the browser's login session.

API blueprints are exempt from Flask-WTF's automatic CSRF check, because a Bearer token is
not sent by the browser on its own and so cannot be forged across sites. A request that
authenticates with the session cookie gets the CSRF check back here: its unsafe methods
must carry the token in the `X-CSRFToken` header.
"""
from __future__ import annotations

from flask import current_app, g, request
from flask_babel import gettext as _
from flask_login import current_user

from webapp import services
from webapp.api.errors import api_error
from webapp.extensions import csrf
from workflows.accounts import user_for_token
from workflows.models import User

BEARER_CHALLENGE = 'Bearer realm="tindak"'


def _unauthorized(message: str, error: str | None = None):
    response, status = api_error(401, message)
    challenge = BEARER_CHALLENGE + (f', error="{error}"' if error else "")
    response.headers["WWW-Authenticate"] = challenge
    return response, status


def _bearer_token() -> str | None:
    """The token of an `Authorization: Bearer ...` header; "" for a malformed one; None if absent."""
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _sep, token = header.strip().partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def authenticate():
    """`before_request` of every API blueprint: set `g.api_user`, or answer 401 / 400 (CSRF)."""
    token = _bearer_token()
    if token is not None:
        user = user_for_token(services.db(), token) if token else None
        if user is None:
            return _unauthorized(_("The API token is unknown, revoked, or belongs to a deactivated account."),
                                 "invalid_token")
        g.api_user = user
        g.api_auth = "bearer"
        return None
    if current_user.is_authenticated:
        g.api_user = current_user._get_current_object()
        g.api_auth = "session"
        if current_app.config.get("WTF_CSRF_ENABLED", True):
            csrf.protect()  # raises CSRFError (400) for an unsafe method without a valid token
        return None
    return _unauthorized(_("Log in, or send a personal API token as a Bearer token."))


def api_user() -> User:
    """The user the current API request acts for (set by `authenticate`)."""
    return g.api_user
