"""Open311 GeoReport v2 under /open311/v2, discovery at /open311/discovery.{xml,json}.

Existing Open311 clients (FixMyStreet, mobile apps, dashboards) read our categories as
services, post complaints with an API key and follow public requests. docs/open311.md is the
guide: supported calls, how our fields map, curl examples, the demo key.
"""
from __future__ import annotations

from flask import Blueprint, current_app

from webapp.extensions import csrf, limiter

DEFAULT_RATE_LIMIT = "300 per minute"


def _rate_limit() -> str:
    return current_app.config.get("TINDAK_OPEN311_RATE_LIMIT", DEFAULT_RATE_LIMIT)


def open311_blueprint() -> Blueprint:
    """The blueprint (url_prefix /open311) for the app factory to register."""
    from webapp.open311 import errors, views

    bp = Blueprint("open311", __name__, url_prefix="/open311")
    csrf.exempt(bp)  # machine clients post form-encoded with an api_key, never with a login session
    limiter.limit(_rate_limit)(bp)
    views.register(bp)
    errors.register(bp)
    return bp
