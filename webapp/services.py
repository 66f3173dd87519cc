"""The app's shared services (database, process engine, settings), reached from views."""
from __future__ import annotations

from pathlib import Path

from flask import current_app

import webapp
from engine.db import Database
from webapp.config import Settings
from workflows.notifications import Notifier
from workflows.process import ComplaintEngine, make_process_engine


def db() -> Database:
    return current_app.extensions["tindak.db"]


def settings() -> Settings:
    return current_app.extensions["tindak.settings"]


CATALOGS = Path(webapp.__file__).parent / "translations"  # the notices' texts are in the app's catalog


def notifier() -> Notifier:
    return Notifier(settings().public_url, CATALOGS)


def process_engine() -> ComplaintEngine:
    """The configured engine, built on first use (it reads the lane table)."""
    engine = current_app.extensions.get("tindak.engine")
    if engine is None:
        engine = current_app.extensions["tindak.engine"] = make_process_engine(db(), notifier())
    return engine
