"""The designer's workspace (designers and super admins): the process library and each version's
diagram with the cases waiting in it; uploading, checking and deploying diagrams (uploads.py);
the lane → role table (lanes.py); new SLA keys (deadlines.py).
"""
from __future__ import annotations

import re

from flask import Blueprint, Response, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from engine.errors import NotFound
from webapp import services
from webapp.extensions import login_manager
from workflows import policy, process_library, roles
from workflows.commands import Forbidden

bp = Blueprint("design", __name__, url_prefix="/design")

VERSIONS_PER_PAGE = 20
CHANGE_KINDS = (("added", _l("Added")), ("removed", _l("Removed")), ("changed", _l("Changed")))


@bp.before_request
def only_designers():
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not policy.can_design(current_user):
        raise Forbidden("the designer's workspace is for designers and super admins")
    return None


@bp.app_context_processor
def _navigation():
    return {"may_design": policy.can_design}


@bp.context_processor
def _helpers():
    return {"change_kinds": CHANGE_KINDS}


def landing_endpoint(user) -> str:
    """Where a user lands after logging in: designers on the library, everyone else on tasks."""
    return "design.library" if user.role == roles.DESIGNER and policy.can_design(user) else "tasks.index"


# ---- the library --------------------------------------------------------------------------------

@bp.get("/")
def library():
    with services.db().session() as s:
        processes = process_library.library(s)
    return render_template("design/library.html", processes=processes)


@bp.get("/processes/<process_id>")
def process(process_id: str):
    page = request.args.get("page", 1, type=int)
    with services.db().session() as s:
        try:
            row, versions = process_library.process_versions(s, process_id, page, VERSIONS_PER_PAGE)
        except LookupError:
            raise NotFound(process_id) from None
    return render_template("design/process.html", process=row, versions=versions)


def _version(session, process_id: str, version: int):
    try:
        return process_library.find_version(session, process_id, version)
    except LookupError:
        raise NotFound(f"{process_id} v{version}") from None


@bp.get("/processes/<process_id>/versions/<int:version>")
def version(process_id: str, version: int):
    with services.db().session() as s:
        pv = _version(s, process_id, version)
        row = process_library.version_row(s, pv)
        info = process_library.version_info(s, pv)
        waiting = process_library.waiting_by_element(s, pv.id)
        newest = process_library.newest_version_number(s, process_id)
    elsewhere = {e: n for e, n in waiting.items() if e not in info.own_elements}
    return render_template("design/version.html", pv=pv, row=row, info=info, waiting=waiting,
                           elsewhere=elsewhere, newest=newest)


@bp.get("/processes/<process_id>/versions/<int:version>/diagram.xml")
def version_xml(process_id: str, version: int):
    with services.db().session() as s:
        pv = _version(s, process_id, version)
        try:
            xml = process_library.own_diagram(s, pv)
        except LookupError:
            raise NotFound(process_id) from None
    response = Response(xml, mimetype="application/xml")
    response.headers["Cache-Control"] = "private, max-age=300"  # a version never changes
    return response


@bp.get("/processes/<process_id>/versions/<int:version>/download")
def download(process_id: str, version: int):
    with services.db().session() as s:
        pv = _version(s, process_id, version)
        data = process_library.version_zip(s, pv)
    response = Response(data, mimetype="application/zip")
    name = re.sub(r"[^A-Za-z0-9._-]", "_", process_id)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}-v{version}.zip"'
    return response


from webapp.views.design import deadlines, lanes, uploads  # noqa: E402,F401  (their routes join this blueprint)
