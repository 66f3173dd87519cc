"""The user's own profile: details, changing the password, personal API tokens."""
from __future__ import annotations

from datetime import timedelta

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user
from flask_wtf import FlaskForm
from sqlalchemy.orm import joinedload
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from engine.clock import now
from webapp import services
from webapp.extensions import limiter, login_manager
from workflows import accounts
from workflows.models import User

bp = Blueprint("account", __name__, url_prefix="/account")


class PasswordForm(FlaskForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired()])
    new = PasswordField(_l("New password"), validators=[DataRequired()])
    confirm = PasswordField(_l("Repeat the new password"), validators=[
        DataRequired(), EqualTo("new", message=_l("The two new passwords differ."))])


class TokenForm(FlaskForm):
    name = StringField(_l("Token name"), validators=[DataRequired(), Length(max=100)])


def password_problem(exc: accounts.PasswordRejected) -> tuple[str, str]:
    """The form field and message for a password workflows.accounts refused."""
    text = str(exc)
    if text == "current password is wrong":
        return "current", _("The current password is wrong.")
    if text == "must differ from the username":
        return "new", _("The password must differ from the username.")
    return "new", _("The password needs at least %(count)s characters.", count=accounts.MIN_PASSWORD_LENGTH)


@bp.before_request
def logged_in_only():
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    return None


def _page(password: PasswordForm | None = None, token_form: TokenForm | None = None,
          new_token: tuple[str, str] | None = None, status: int = 200):
    """The profile page; `new_token` is (name, token) right after creating one, shown once."""
    with services.db().session() as s:
        tokens = accounts.tokens_of(s, current_user.id)
    page = render_template(
        "account/profile.html", tokens=tokens, new_token=new_token, now=now(),
        token_days=services.settings().api_token_days,
        password=password or PasswordForm(prefix="password", formdata=None),
        token_form=token_form or TokenForm(prefix="token", formdata=None),
        min_password=accounts.MIN_PASSWORD_LENGTH)
    response = current_app.make_response((page, status))
    if new_token:
        response.headers["Cache-Control"] = "no-store"  # the token must not linger in a cache
    return response


@bp.get("/")
def profile():
    return _page()


@bp.post("/password")
@limiter.limit("10 per minute; 30 per hour")
def change_password():
    form = PasswordForm(prefix="password")
    if form.validate_on_submit():
        try:
            accounts.change_password(services.db(), current_user.id, form.current.data, form.new.data)
        except accounts.PasswordRejected as exc:
            name, message = password_problem(exc)
            form[name].errors = [*form[name].errors, message]
        else:
            # the new password hash changes the session stamp: log this session in again
            with services.db().session() as s:
                user = s.get(User, current_user.id, options=[joinedload(User.agency)])
            remember = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies
            login_user(user, remember=remember)
            flash(_("Your password was changed. Other devices where you were logged in are logged out, "
                    "and your API tokens were revoked."), "success")
            return redirect(url_for(".profile"))
    return _page(password=form, status=422)


@bp.post("/tokens")
def create_token():
    form = TokenForm(prefix="token")
    if form.validate_on_submit():
        try:
            token = accounts.create_api_token(services.db(), current_user.id, form.name.data,
                                              timedelta(days=services.settings().api_token_days))
        except ValueError:
            form.name.errors = [*form.name.errors, _("Give the token a name.")]
        else:
            return _page(new_token=(form.name.data.strip(), token))
    return _page(token_form=form, status=422)


@bp.post("/tokens/<int:token_id>/revoke")
def revoke_token(token_id: int):
    try:
        accounts.revoke_api_token(services.db(), current_user.id, token_id)
    except LookupError:
        abort(404)  # someone else's token answers like a missing one
    flash(_("The token was revoked. Programs using it can no longer connect."), "success")
    return redirect(url_for(".profile"))
