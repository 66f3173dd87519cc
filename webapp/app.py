"""The Flask application factory."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from flask import Flask, jsonify, request, session
from flask_login import current_user
from sqlalchemy import text

from engine.db import Database
from webapp import errors, filters, logs, ratelimit, request_limits
from webapp.config import Settings
from webapp.extensions import babel, csrf, limiter, login_manager

LANGUAGES = ("id", "en")


def _locale() -> str:
    lang = session.get("lang")
    return lang if isinstance(lang, str) and lang in LANGUAGES else "id"


def create_app(settings: Settings | None = None, db: Database | None = None, testing: bool = False) -> Flask:
    """Build the app; nothing connects or reads files until a request needs it."""
    settings = settings or Settings.from_env()
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=settings.secret_key,
        TESTING=testing,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.secure_cookies,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=settings.secure_cookies,
        # the server refuses older cookies too (workflows.accounts.user_for_session)
        REMEMBER_COOKIE_DURATION=timedelta(days=min(settings.remember_days, 30)),
        WTF_CSRF_TIME_LIMIT=None,  # a form left open all morning still submits
        BABEL_DEFAULT_LOCALE="id",
        BABEL_DEFAULT_TIMEZONE="Asia/Jakarta",
        BABEL_TRANSLATION_DIRECTORIES=str(Path(__file__).parent / "translations"),
        RATELIMIT_STORAGE_URI=settings.ratelimit_storage_uri or ratelimit.URI,
        RATELIMIT_ENABLED=settings.ratelimit_enabled,
        TINDAK_OPEN311_JURISDICTION=settings.open311_jurisdiction or None,
    )
    app.extensions["tindak.settings"] = settings
    logs.install_filters()
    app.extensions["tindak.db"] = db or Database(settings.database_url)
    # the rate limits count in this database unless TINDAK_RATELIMIT_STORAGE_URI names another store
    app.config["RATELIMIT_STORAGE_OPTIONS"] = (
        {"database": app.extensions["tindak.db"]} if app.config["RATELIMIT_STORAGE_URI"] == ratelimit.URI else {})

    # before_request hooks run in this order: size caps, then rate limits, then the CSRF
    # check (which parses the form), so a flood is counted and refused without parsing it
    request_limits.configure(app)
    limiter.init_app(app)
    app.before_request(request_limits.route_limits_first)
    csrf.init_app(app)
    login_manager.init_app(app)
    babel.init_app(app, locale_selector=_locale)
    filters.register(app)
    errors.register(app)
    if settings.behind_proxy:
        from werkzeug.middleware.proxy_fix import ProxyFix

        # wrapping `wsgi_app` is how Flask documents adding WSGI middleware (`app` stays the app);
        # mypy only sees a method being replaced
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)  # type: ignore[method-assign]

    from webapp.views import register_blueprints

    register_blueprints(app)

    @app.get("/healthz")
    def healthz():
        try:
            with app.extensions["tindak.db"].session() as s:
                s.execute(text("SELECT 1"))
            return jsonify(status="ok", database="ok")
        except Exception as exc:  # the health check must answer, whatever broke
            return jsonify(status="error", database=exc.__class__.__name__), 503

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
            "script-src 'self'; font-src 'self' data:; frame-ancestors 'none'")
        # A logged-in officer's pages hold case data (names of reporters, confidential cases):
        # no browser or proxy cache keeps them, unless the view chose its own Cache-Control.
        if ("Cache-Control" not in response.headers and request.endpoint != "static"
                and current_user.is_authenticated):
            response.headers["Cache-Control"] = "no-store"
        return response

    return app
