"""Administration pages: users (super and agency admins), agencies and categories (super admins).

The blueprint and what its pages share live here; each kind of record has its own module.
"""
from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from flask_wtf import FlaskForm

from webapp.extensions import login_manager
from webapp.redirects import local_target
from workflows import administration as admin
from workflows import policy
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
    return local_target(request.form.get("next"), under="/admin/") or default


def _rendered(template: str, form: FlaskForm, **context):
    return render_template(template, form=form, **context), (422 if form.errors else 200)


from webapp.views.admin import agencies, categories, users  # noqa: E402,F401  (register the routes)
