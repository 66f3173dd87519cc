"""Who is calling the API: a personal API token (Bearer) or the browser's login session.

API blueprints are exempt from Flask-WTF's automatic CSRF check, because a Bearer token is
not sent by the browser on its own and so cannot be forged across sites. A request that
authenticates with the session cookie gets the CSRF check back here: its unsafe methods
must carry the token in the `X-CSRFToken` header.
"""
from __future__ import annotations

from flask import current_app, g, request
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
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


def token_user(token: str) -> User | None:
    """The owner of a presented token, looked up once per request (the rate limit's key asks
    first, before `authenticate`)."""
    cached = g.get("_tindak_token")
    if cached is not None and cached[0] == token:
        return cached[1]
    user = user_for_token(services.db(), token) if token else None
    g._tindak_token = (token, user)
    return user


def rate_limit_key() -> str:
    """Whom the API's rate limit counts: the user behind a valid token or the session, else the
    address. Keying by the header itself let a caller escape the limit by spelling it differently
    or sending a new made-up token each time."""
    token = _bearer_token()
    user = token_user(token) if token is not None else (
        current_user._get_current_object() if current_user.is_authenticated else None)
    return f"user:{user.id}" if user is not None else "ip:" + get_remote_address()


def authenticate():
    """`before_request` of every API blueprint: set `g.api_user`, or answer 401 / 400 (CSRF)."""
    token = _bearer_token()
    if token is not None:
        user = token_user(token)
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
