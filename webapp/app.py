"""The Flask application factory."""
from __future__ import annotations

from flask import Flask, jsonify
from sqlalchemy import text

from engine.db import Database
from webapp.config import Settings


def create_app(settings: Settings | None = None, db: Database | None = None) -> Flask:
    """Build the app; nothing connects or reads files until a request needs it."""
    settings = settings or Settings.from_env()
    app = Flask(__name__)
    app.config["SECRET_KEY"] = settings.secret_key
    app.extensions["tindak.settings"] = settings
    app.extensions["tindak.db"] = db or Database(settings.database_url)

    @app.get("/healthz")
    def healthz():
        try:
            with app.extensions["tindak.db"].session() as session:
                session.execute(text("SELECT 1"))
            return jsonify(status="ok", database="ok")
        except Exception as exc:  # the health check must answer, whatever broke
            return jsonify(status="error", database=str(exc.__class__.__name__)), 503

    return app
