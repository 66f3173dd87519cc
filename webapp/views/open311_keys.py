"""The super admin's page for Open311 API keys: list, create (shown once), revoke."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from webapp import services
from workflows import open311, roles

bp = Blueprint("open311_keys", __name__, url_prefix="/admin/open311-keys")


@bp.before_request
@login_required
def _super_admin_only():
    if current_user.role != roles.SUPER_ADMIN:
        abort(403)


def _page(new_key: str | None = None, error: str | None = None, status: int = 200):
    with services.db().session() as s:
        keys = open311.list_keys(s)
    response = render_template("integrations/open311_keys.html", keys=keys, new_key=new_key, error=error,
                               manages_organisation=True, sla_admin_tabs=True)
    return response, status, {"Cache-Control": "no-store"}


@bp.get("/")
def index():
    return _page()


@bp.post("/")
def create():
    name = request.form.get("name", "").strip()
    if not name:
        return _page(error=_("Give the key a name, e.g. the client that will use it."), status=422)
    return _page(new_key=open311.create_key(services.db(), name))


@bp.post("/<int:key_id>/revoke")
def revoke(key_id: int):
    open311.revoke_key(services.db(), key_id)
    flash(_("The key was revoked; requests with it are refused from now on."), "success")
    return redirect(url_for("open311_keys.index"))
