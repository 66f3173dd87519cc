"""The agency tree: create, edit, move, (de)activate."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, StringField

from webapp import services
from webapp.views.admin import KIND, _back, _rendered, _require_organisation_admin, bp, problem_text, show_problems
from workflows import administration as admin
from workflows import organisation


class AgencyForm(FlaskForm):
    name = StringField(_l("Name"))
    kind = SelectField(_l("Kind"), validate_choice=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = [SelectChoice(code, str(label)) for code, label in KIND.items()]


class NewAgencyForm(AgencyForm):
    code = StringField(_l("Code"))
    parent = SelectField(_l("Part of"), validate_choice=False)


class MoveAgencyForm(FlaskForm):
    parent = SelectField(_l("New place in the tree"), validate_choice=False)


def _parent_choices(nodes: list[admin.AgencyNode], moving=None) -> list[SelectChoice]:
    """Active agencies outside the moving agency's own subtree, indented like the tree."""
    return [SelectChoice("", _("(top level)"))] + [
        SelectChoice(n.agency.code, "\u2003" * n.depth + n.agency.name) for n in nodes
        if n.agency.active and not (moving and n.agency.path.startswith(moving.path))]


@bp.get("/agencies")
def agencies():
    _require_organisation_admin()
    with services.db().session() as s:
        nodes = admin.agency_tree(s)
    return render_template("admin/agencies.html", nodes=nodes)


@bp.route("/agencies/new", methods=["GET", "POST"])
def new_agency():
    _require_organisation_admin()
    form = NewAgencyForm()
    if request.method == "GET":
        form.parent.data = request.args.get("parent", "")
    with services.db().session() as s:
        form.parent.choices = _parent_choices(admin.agency_tree(s))
    if form.validate_on_submit():
        try:
            agency = organisation.create_agency(services.db(), current_user, form.code.data, form.name.data,
                                         form.kind.data, form.parent.data or None)
        except admin.AdminError as exc:
            show_problems(form, exc)
        else:
            flash(_("The agency %(name)s was created.", name=agency.name), "success")
            return redirect(url_for(".agencies"))
    return _rendered("admin/agency_form.html", form, agency=None)


def _agency_page(code: str, form: AgencyForm | None = None, move: MoveAgencyForm | None = None):
    with services.db().session() as s:
        agency = organisation.agency_by_code(s, code)
        nodes = admin.agency_tree(s)
        _ = agency.parent
    form = form or AgencyForm(data={"name": agency.name, "kind": agency.kind})
    move = move or MoveAgencyForm(prefix="move", data={"parent": agency.parent.code if agency.parent else ""})
    move.parent.choices = _parent_choices(nodes, moving=agency)
    node = next(n for n in nodes if n.agency.id == agency.id)
    status = 422 if form.errors or move.errors else 200
    return render_template("admin/agency_form.html", form=form, move=move, agency=agency, node=node), status


@bp.route("/agencies/<code>", methods=["GET", "POST"])
def edit_agency(code: str):
    _require_organisation_admin()
    if request.method == "GET":
        return _agency_page(code)
    form = AgencyForm()
    if form.validate_on_submit():
        try:
            agency = organisation.edit_agency(services.db(), current_user, code, form.name.data, form.kind.data)
        except admin.AdminError as exc:
            show_problems(form, exc)
        else:
            flash(_("The changes to %(name)s were saved.", name=agency.name), "success")
            return redirect(url_for(".agencies"))
    return _agency_page(code, form=form)


@bp.post("/agencies/<code>/move")
def move_agency(code: str):
    _require_organisation_admin()
    move = MoveAgencyForm(prefix="move")
    if move.validate_on_submit():
        try:
            agency = organisation.move_agency(services.db(), current_user, code, move.parent.data or None)
        except admin.AdminError as exc:
            show_problems(move, exc)
        else:
            flash(_("%(name)s was moved.", name=agency.name), "success")
            return redirect(url_for(".agencies"))
    return _agency_page(code, move=move)


@bp.post("/agencies/<code>/<any(deactivate, reactivate):action>")
def set_agency_active(code: str, action: str):
    _require_organisation_admin()
    command = organisation.deactivate_agency if action == "deactivate" else organisation.reactivate_agency
    try:
        agency = command(services.db(), current_user, code)
    except admin.AdminError as exc:
        flash(problem_text(next(iter(exc.fields.values())), exc.details.get("count", 0)), "danger")
    else:
        flash(_("%(name)s was deactivated.", name=agency.name) if action == "deactivate"
              else _("%(name)s was reactivated.", name=agency.name), "success")
    return redirect(_back(url_for(".agencies")))
