"""Users: list, create, edit, reset passwords, (de)activate."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectChoice, SelectField, StringField
from wtforms.validators import EqualTo

from webapp import services
from webapp.labels import ROLE
from webapp.views.admin import _back, _rendered, bp, problem_text, show_problems
from workflows import accounts, roles
from workflows import administration as admin


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
        live_tokens = len(accounts.live_tokens_of(s, user.id))
    if form is None:
        form = UserForm(data={"full_name": user.full_name, "email": user.email, "role": user.role,
                              "agency": user.agency.code if user.agency else ""})
    _user_choices(form, keep_agency=user.agency.code if user.agency else None)
    if user.role not in {c.value for c in form.role.choices}:  # shown, though this admin may not grant it
        form.role.choices.append(SelectChoice(user.role, str(ROLE.get(user.role, user.role))))
    reset = reset or ResetPasswordForm(prefix="reset")
    status = 422 if form.errors or reset.errors else 200
    return render_template("admin/user_form.html", form=form, reset=reset, user=user,
                           live_tokens=live_tokens), status


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


@bp.post("/users/<int:user_id>/tokens/revoke")
def revoke_tokens(user_id: int):
    user, count = admin.revoke_user_tokens(services.db(), current_user, user_id)
    flash(ngettext("%(num)d API token of %(username)s was revoked.",
                   "%(num)d API tokens of %(username)s were revoked.", count, username=user.username), "success")
    return redirect(url_for(".edit_user", user_id=user_id))
