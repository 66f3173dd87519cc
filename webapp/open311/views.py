"""The GeoReport v2 endpoints: discovery, services, service definitions, requests, tokens.

Each view reads its parameters (webapp.open311.params), asks workflows.open311 and writes
the answer in the format of the URL's extension. What they promise is in docs/open311.md.
"""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, request
from flask.blueprints import BlueprintSetupState
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException
from werkzeug.routing import PathConverter

from engine.clock import now
from webapp import services as app
from webapp.open311 import params
from webapp.open311 import representation as rep
from webapp.open311.errors import Open311Error
from webapp.open311.formats import FORMATS, respond
from workflows import open311
from workflows.public import JAKARTA

CHECKED_METHODS = ("GET", "POST")


def jurisdiction_id() -> str:
    """Our one jurisdiction: TINDAK_OPEN311_JURISDICTION, else the public site's host without www."""
    configured = current_app.config.get("TINDAK_OPEN311_JURISDICTION")
    if configured:
        return configured
    return (urlsplit(app.settings().public_url).hostname or "").removeprefix("www.")


def check_request():
    """before_request: refuse what no endpoint serves (NUL bytes, unknown formats and jurisdictions)."""
    texts = [request.path, *(text for pair in request.values.items(multi=True) for text in pair)]
    if any("\x00" in text for text in texts):  # PostgreSQL cannot even compare text holding NUL
        raise Open311Error(400, _("The request contains a NUL character."))
    fmt = (request.view_args or {}).get("fmt")
    if fmt is not None and fmt not in FORMATS:
        raise Open311Error(404, _("Unknown format %(format)s: use .xml or .json.", format=fmt))
    ours = jurisdiction_id()
    for given in request.values.getlist("jurisdiction_id"):
        if given.strip() and given.strip().lower() != ours.lower():
            raise Open311Error(404, _("Unknown jurisdiction_id %(given)s; this endpoint serves %(ours)s.",
                                      given=given.strip(), ours=ours))


def allow_cross_origin(response):
    """after_request: web apps on other sites may read our answers. Safe, as nothing here rests on
    the browser's cookies: reads are public and a POST carries its own api_key."""
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def discovery(fmt: str):
    contact = _("Questions about this API: write to the administrators of %(site)s.",
                site=request.host_url.rstrip("/"))
    return respond(fmt, "discovery", rep.discovery(contact))


def service_list(fmt: str):
    with app.db().session() as s:
        body = [rep.service(category) for category in open311.services(s)]
    return respond(fmt, "services", body)


def service_definition(service_code: str, fmt: str):
    with app.db().session() as s:
        body = rep.service_definition(open311.service(s, service_code))
    return respond(fmt, "service_definition", body)


def create_request(fmt: str):
    api_key = (request.values.get("api_key") or "").strip()
    if not api_key:
        raise Open311Error(403, _("api_key is missing: posting a service request needs an API key."))
    with app.db().session() as s:
        if not open311.check_key(s, api_key):  # a stranger learns nothing about the parameters
            raise open311.KeyRejected()
    data = params.new_complaint(request.values, now().astimezone(JAKARTA).date())
    filed = open311.file_request(app.db(), app.process_engine(), api_key, data,
                                 app.settings().attachment_dir, app.notifier())
    return respond(fmt, "service_requests", [rep.created(filed.complaint.tracking_id)])


def list_requests(fmt: str):
    wanted = params.request_filter(request.args, now())
    with app.db().session() as s:
        body = [rep.service_request(r) for r in open311.find_requests(s, wanted)]
    return respond(fmt, "service_requests", body)


def one_request(service_request_id: str, fmt: str):
    with app.db().session() as s:
        body = [rep.service_request(open311.public_request(s, service_request_id))]
    return respond(fmt, "service_requests", body)


def token(token: str, fmt: str):
    """We file synchronously and issue no tokens: a tracking ID serves as its own token."""
    try:
        with app.db().session() as s:
            found = open311.public_request(s, token)
    except open311.RequestNotFound:
        raise Open311Error(404, _("No token %(token)s.", token=token)) from None
    return respond(fmt, "service_requests", [rep.token(found.tracking_id, token)])


def fallback(rest: str):
    """Any other path or method under /open311: 405 where another method would work, else 404."""
    adapter = current_app.url_map.bind_to_environ(request.environ)
    allowed = [method for method in CHECKED_METHODS if _served(adapter, method)]
    if allowed:
        raise Open311Error(405, _("Use %(methods)s here.", methods=" or ".join(allowed)),
                           {"Allow": ", ".join(allowed)})
    raise Open311Error(404, _("There is no Open311 resource here; the list of endpoints is at %(url)s.",
                              url=request.host_url + "open311/discovery.xml"))


def _served(adapter, method: str) -> bool:
    try:
        endpoint, _args = adapter.match(method=method)
    except HTTPException:
        return False
    return endpoint != "open311.fallback"


class AnyPath(PathConverter):
    """`path`, newlines included: every path under /open311 reaches `fallback`, none the HTML 404 page."""

    regex = "[^/](?s:.*?)"


def register(bp: Blueprint) -> None:
    def add_converter(state: BlueprintSetupState) -> None:
        state.app.url_map.converters.setdefault("open311_any", AnyPath)

    bp.record_once(add_converter)
    bp.before_request(check_request)
    bp.after_request(allow_cross_origin)
    for prefix in ("", "/v2"):  # discovery at the root, and next to the endpoints for clients that look there
        bp.add_url_rule(f"{prefix}/discovery.<fmt>", f"discovery{prefix.replace('/', '_')}", discovery)
    bp.add_url_rule("/v2/services.<fmt>", "services", service_list)
    bp.add_url_rule("/v2/services/<service_code>.<fmt>", "service_definition", service_definition)
    bp.add_url_rule("/v2/requests.<fmt>", "requests", list_requests)
    bp.add_url_rule("/v2/requests.<fmt>", "create_request", create_request, methods=["POST"])
    bp.add_url_rule("/v2/requests/<service_request_id>.<fmt>", "request", one_request)
    bp.add_url_rule("/v2/tokens/<token>.<fmt>", "token", token)
    everything = ["GET", "POST", "PUT", "PATCH", "DELETE"]
    bp.add_url_rule("/", "fallback", fallback, defaults={"rest": ""}, methods=everything)
    bp.add_url_rule("/<open311_any:rest>", "fallback", fallback, methods=everything)
