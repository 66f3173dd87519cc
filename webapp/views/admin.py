"""Administration pages: users (super and agency admins), agencies and categories (super admins)."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import EqualTo

from webapp import services
from webapp.extensions import login_manager
from webapp.labels import ROLE
from workflows import administration as admin
from workflows import policy, roles
from workflows.accounts import MIN_PASSWORD_LENGTH
from workflows.commands import Forbidden

bp = Blueprint("admin", __name__, url_prefix="/admin")

KIND = {
    "province": _l("Province"), "regency": _l("Regency"), "city": _l("City"),
    "dinas": _l("Agency office (dinas)"), "unit": _l("Unit"), "ombudsman": _l("Ombudsman"),
    "vertical": _l("Vertical agency"),
}
PROBLEMS = {
    "required": _l("This field is required."),
    "too_long": _l("This is too long."),
    "username_format": _l("Use 2 to 100 characters: lowercase letters, digits, dots or dashes."),
    "username_taken": _l("This username is already taken."),
    "email_format": _l("This is not a valid email address."),
    "unknown_role": _l("Choose one of the roles."),
    "own_role": _l("You cannot change your own role."),
    "unknown_agency": _l("Choose an existing, active agency."),
    "password_is_username": _l("The password must differ from the username."),
    "deactivate_self": _l("You cannot deactivate your own account."),
    "agency_inactive": _l("This user's agency is deactivated. Reactivate the agency first."),
    "reset_own_password": _l("Change your own password on your profile page."),
    "agency_code_format": _l("Use 2 to 100 characters: lowercase letters, digits or dashes."),
    "category_code_format": _l("Use 2 to 100 characters: lowercase letters, digits or underscores."),
    "code_taken": _l("This code is already in use."),
    "unknown_kind": _l("Choose one of the kinds."),
    "unknown_parent": _l("Choose an existing, active agency."),
    "parent_in_subtree": _l("An agency cannot be moved under itself or one of its sub-agencies."),
    "tree_too_deep": _l("The agency tree would become too deep."),
    "parent_inactive": _l("The parent agency is deactivated. Reactivate it first."),
}


def problem_text(code: str, count: int = 0) -> str:
    """The message shown for a problem code of workflows.administration.AdminError."""
    if code == "password_too_short":
        return _("The password needs at least %(count)s characters.", count=MIN_PASSWORD_LENGTH)
    if code == "agency_has_users":
        return ngettext("This agency still has %(num)d active user. Deactivate or move it first.",
                        "This agency still has %(num)d active users. Deactivate or move them first.", count)
    if code == "agency_has_children":
        return ngettext("This agency still has %(num)d active sub-agency. Deactivate or move it first.",
                        "This agency still has %(num)d active sub-agencies. Deactivate or move them first.", count)
    if code == "agency_has_tasks":
        return ngettext("This agency still has %(num)d open task. It must be finished first.",
                        "This agency still has %(num)d open tasks. They must be finished first.", count)
    return str(PROBLEMS.get(code, code))


def show_problems(form: FlaskForm, exc: admin.AdminError) -> None:
    """Put each problem next to its field (or above the form)."""
    for name, code in exc.fields.items():
        message = problem_text(code, exc.details.get("count", 0))
        if name and name in form:
            form[name].errors = [*form[name].errors, message]
        else:
            form.form_errors.append(message)


@bp.before_request
def only_admins():
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not policy.manages_users(current_user):
        raise Forbidden("administration is for super admins and agency admins")
    if not admin.manages_organisation(current_user) and current_user.agency is None:
        raise Forbidden("an agency admin without an agency manages nobody")
    return None


@bp.context_processor
def admin_labels():
    return {"kind_label": lambda code: str(KIND.get(code, code)),
            "manages_organisation": admin.manages_organisation(current_user),
            "min_password": MIN_PASSWORD_LENGTH}


def _require_organisation_admin() -> None:
    if not admin.manages_organisation(current_user):
        raise Forbidden("agencies and categories are for super admins")


def _back(default: str) -> str:
    target = request.form.get("next") or ""
    return target if target.startswith("/admin/") and "//" not in target else default


def _rendered(template: str, form: FlaskForm, **context):
    return render_template(template, form=form, **context), (422 if form.errors else 200)


# ---- users ----------------------------------------------------------------------------

class UserForm(FlaskForm):
    full_name = StringField(_l("Full name"))
    email = StringField(_l("Email (optional)"))
    role = SelectField(_l("Role"), validate_choice=False)  # the command decides what is allowed
    agency = SelectField(_l("Agency"), validate_choice=False)


class NewUserForm(UserForm):
    username = StringField(_l("Username"))
    password = PasswordField(_l("Initial password"))
    confirm = PasswordField(_l("Repeat the password"),
                            validators=[EqualTo("password", message=_l("The two passwords differ."))])


class ResetPasswordForm(FlaskForm):
    password = PasswordField(_l("New password"))
    confirm = PasswordField(_l("Repeat the new password"),
                            validators=[EqualTo("password", message=_l("The two passwords differ."))])


def _user_choices(form: UserForm, keep_agency=None) -> None:
    form.role.choices = [SelectChoice("", _("Choose a role"))] + [
        SelectChoice(r, str(ROLE.get(r, r))) for r in admin.assignable_roles(current_user)]
    with services.db().session() as s:
        if admin.manages_organisation(current_user):
            nodes = admin.agency_tree(s)
            form.agency.choices = [SelectChoice("", _("Choose an agency"))] + [
                SelectChoice(n.agency.code, "\u2003" * n.depth + n.agency.name) for n in nodes
                if n.agency.active or n.agency.code == keep_agency]
        else:
            form.agency.choices = [SelectChoice(current_user.agency.code, current_user.agency.name)]


@bp.get("/users")
def users():
    active = {"1": True, "0": False}.get(request.args.get("active", ""))
    f = admin.UserFilter(text=request.args.get("q"), role=request.args.get("role") or None,
                         agency=request.args.get("agency") or None, active=active,
                         page=request.args.get("page", 1, type=int))
    with services.db().session() as s:
        page = admin.user_page(s, current_user, f)
        agencies = admin.agency_tree(s) if admin.manages_organisation(current_user) else []
    return render_template("admin/users.html", page=page, f=f, agencies=agencies,
                           roles=admin.assignable_roles(current_user) or roles.STAFF_ROLES,
                           active=request.args.get("active", ""))


@bp.route("/users/new", methods=["GET", "POST"])
def new_user():
    form = NewUserForm()
    if request.method == "GET" and not admin.manages_organisation(current_user):
        form.agency.data = current_user.agency.code
    _user_choices(form)
    if form.validate_on_submit():
        try:
            user = admin.create_user(services.db(), current_user, form.username.data, form.full_name.data,
                                     form.email.data, form.role.data, form.agency.data, form.password.data)
        except admin.AdminError as exc:
            show_problems(form, exc)
        else:
            flash(_("User %(username)s was created.", username=user.username), "success")
            return redirect(url_for(".users"))
    return _rendered("admin/user_form.html", form, user=None)


def _user_page(user_id: int, form: UserForm | None = None, reset: ResetPasswordForm | None = None):
    with services.db().session() as s:
        user = admin.managed_user(s, current_user, user_id)  # its agency is joined-loaded
    if form is None:
        form = UserForm(data={"full_name": user.full_name, "email": user.email, "role": user.role,
                              "agency": user.agency.code if user.agency else ""})
    _user_choices(form, keep_agency=user.agency.code if user.agency else None)
    if user.role not in {c.value for c in form.role.choices}:  # shown, though this admin may not grant it
        form.role.choices.append(SelectChoice(user.role, str(ROLE.get(user.role, user.role))))
    reset = reset or ResetPasswordForm(prefix="reset")
    status = 422 if form.errors or reset.errors else 200
    return render_template("admin/user_form.html", form=form, reset=reset, user=user), status


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
def edit_user(user_id: int):
    if request.method == "GET":
        return _user_page(user_id)
    form = UserForm()
    if form.validate_on_submit():
        try:
            user = admin.update_user(services.db(), current_user, user_id, form.full_name.data,
                                     form.email.data, form.role.data, form.agency.data)
        except admin.AdminError as exc:
            show_problems(form, exc)
        else:
            flash(_("The changes to %(username)s were saved.", username=user.username), "success")
            return redirect(url_for(".users"))
    return _user_page(user_id, form=form)


@bp.post("/users/<int:user_id>/password")
def reset_password(user_id: int):
    reset = ResetPasswordForm(prefix="reset")
    if reset.validate_on_submit():
        try:
            user = admin.reset_password(services.db(), current_user, user_id, reset.password.data)
        except admin.AdminError as exc:
            show_problems(reset, exc)
        else:
            flash(_("The password of %(username)s was reset. Tell them the new password in person.",
                    username=user.username), "success")
            return redirect(url_for(".edit_user", user_id=user_id))
    return _user_page(user_id, reset=reset)


@bp.post("/users/<int:user_id>/<any(deactivate, reactivate):action>")
def set_user_active(user_id: int, action: str):
    command = admin.deactivate_user if action == "deactivate" else admin.reactivate_user
    try:
        user = command(services.db(), current_user, user_id)
    except admin.AdminError as exc:
        flash(problem_text(next(iter(exc.fields.values()))), "danger")
    else:
        message = (_("%(username)s was deactivated and can no longer log in.", username=user.username)
                   if action == "deactivate" else _("%(username)s was reactivated.", username=user.username))
        flash(message, "success")
    return redirect(_back(url_for(".users")))


# ---- agencies -------------------------------------------------------------------------

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
            agency = admin.create_agency(services.db(), current_user, form.code.data, form.name.data,
                                         form.kind.data, form.parent.data or None)
        except admin.AdminError as exc:
            show_problems(form, exc)
        else:
            flash(_("The agency %(name)s was created.", name=agency.name), "success")
            return redirect(url_for(".agencies"))
    return _rendered("admin/agency_form.html", form, agency=None)


def _agency_page(code: str, form: AgencyForm | None = None, move: MoveAgencyForm | None = None):
    with services.db().session() as s:
        agency = admin.agency_by_code(s, code)
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
            agency = admin.edit_agency(services.db(), current_user, code, form.name.data, form.kind.data)
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
            agency = admin.move_agency(services.db(), current_user, code, move.parent.data or None)
        except admin.AdminError as exc:
            show_problems(move, exc)
        else:
            flash(_("%(name)s was moved.", name=agency.name), "success")
            return redirect(url_for(".agencies"))
    return _agency_page(code, move=move)


@bp.post("/agencies/<code>/<any(deactivate, reactivate):action>")
def set_agency_active(code: str, action: str):
    _require_organisation_admin()
    command = admin.deactivate_agency if action == "deactivate" else admin.reactivate_agency
    try:
        agency = command(services.db(), current_user, code)
    except admin.AdminError as exc:
        flash(problem_text(next(iter(exc.fields.values())), exc.details.get("count", 0)), "danger")
    else:
        flash(_("%(name)s was deactivated.", name=agency.name) if action == "deactivate"
              else _("%(name)s was reactivated.", name=agency.name), "success")
    return redirect(_back(url_for(".agencies")))


# ---- categories -----------------------------------------------------------------------

class CategoryForm(FlaskForm):
    name = StringField(_l("Name"))
    description = TextAreaField(_l("Description (optional)"))


class NewCategoryForm(CategoryForm):
    code = StringField(_l("Code"))


@bp.get("/categories")
def categories():
    _require_organisation_admin()
    with services.db().session() as s:
        rows = admin.categories_with_counts(s)
    return render_template("admin/categories.html", rows=rows)


@bp.route("/categories/new", methods=["GET", "POST"])
def new_category():
    _require_organisation_admin()
    form = NewCategoryForm()
    if form.validate_on_submit():
        try:
            category = admin.create_category(services.db(), current_user, form.code.data,
                                             form.name.data, form.description.data)
        except admin.AdminError as exc:
            show_problems(form, exc)
        else:
            flash(_("The category %(name)s was created.", name=category.name), "success")
            return redirect(url_for(".categories"))
    return _rendered("admin/category_form.html", form, category=None)


@bp.route("/categories/<code>", methods=["GET", "POST"])
def edit_category(code: str):
    _require_organisation_admin()
    with services.db().session() as s:
        category = admin.category_by_code(s, code)
    form = CategoryForm(data={"name": category.name, "description": category.description})
    if form.validate_on_submit():
        try:
            category = admin.edit_category(services.db(), current_user, code, form.name.data, form.description.data)
        except admin.AdminError as exc:
            show_problems(form, exc)
        else:
            flash(_("The changes to %(name)s were saved.", name=category.name), "success")
            return redirect(url_for(".categories"))
    return _rendered("admin/category_form.html", form, category=category)


@bp.post("/categories/<code>/<any(deactivate, reactivate):action>")
def set_category_active(code: str, action: str):
    _require_organisation_admin()
    command = admin.deactivate_category if action == "deactivate" else admin.reactivate_category
    category = command(services.db(), current_user, code)
    flash(_("%(name)s was deactivated. It is no longer offered to reporters.", name=category.name)
          if action == "deactivate" else _("%(name)s was reactivated.", name=category.name), "success")
    return redirect(url_for(".categories"))
