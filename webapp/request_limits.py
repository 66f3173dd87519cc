"""How much a request may send, decided before anything reads its body.

A small cap everywhere, the upload cap only for the routes that take files and only for a
multipart body (a url-encoded body is parsed all at once, so it never gets the large cap).
This runs as the app's first before_request hook: ahead of the rate limiter, which runs
ahead of the CSRF check (the first thing that parses the form).

Flask-Limiter checks a route's own limits (`@limiter.limit` on a view) only when the view is
called, after every before_request hook, so a flood without a CSRF token would be refused
by CSRF (400) and never counted. `route_limits_first` checks those limits in a hook of its
own, between the limiter's hook and the CSRF check, and tells the limiter that the request
is counted so the view's decorator does not count it twice.
"""
from __future__ import annotations

from flask import Flask, current_app, g, request
from flask_limiter.util import get_qualified_name

from webapp.extensions import limiter

SMALL_BODY = 1024 * 1024  # a task form with long answers is a few kB; the API's JSON too
UPLOAD_BODY = 60 * 1024 * 1024  # the complaint form and thread messages: a few files of 10 MB
FORM_PARTS = 200  # fields + files of a multipart form; the complaint form has about 25
FORM_MEMORY = 512 * 1024  # one text field of a multipart form

UPLOAD_ENDPOINTS = frozenset({"public.complaint_form", "coordination_thread.message"})


def configure(app: Flask) -> None:
    """Caps and the first hook; call before the limiter and CSRF are bound to the app."""
    app.config["MAX_CONTENT_LENGTH"] = SMALL_BODY
    app.config["MAX_FORM_PARTS"] = FORM_PARTS
    app.config["MAX_FORM_MEMORY_SIZE"] = FORM_MEMORY
    app.config["TINDAK_MAX_UPLOAD_LENGTH"] = UPLOAD_BODY
    app.before_request(size_request)


def size_request() -> None:
    if request.endpoint in UPLOAD_ENDPOINTS and request.mimetype == "multipart/form-data":
        request.max_content_length = current_app.config["TINDAK_MAX_UPLOAD_LENGTH"]


def route_limits_first() -> None:
    """Count the view's own rate limits now (429 when over), before CSRF parses the form."""
    view = current_app.view_functions.get(request.endpoint or "")
    if view is None or not current_app.config.get("RATELIMIT_ENABLED", True):
        return
    name = get_qualified_name(view)
    if name not in limiter._marked_for_limiting:  # no @limiter.limit on this view
        return
    # the same call the decorator makes when the view runs (Flask-Limiter 4)
    limiter._check_request_limit(in_middleware=False, callable_name=name)
    g.tindak_route_limits_checked = True


@limiter.request_filter
def _route_limits_already_checked() -> bool:
    return bool(g.get("tindak_route_limits_checked"))
