"""Logging in and out, choosing the language."""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import DataRequired

from webapp import services
from webapp.extensions import limiter, login_manager
from webapp.redirects import local_target
from workflows import lockout
from workflows.accounts import end_sessions, user_for_session
from workflows.models import User

bp = Blueprint("auth", __name__)
login_manager.login_view = "auth.login"
login_manager.login_message = _l("Please log in to continue.")
login_manager.login_message_category = "info"


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """The user of a session or remember-me cookie, unless it has ended (workflows.accounts)."""
    with services.db().session() as s:
        return user_for_session(s, user_id, timedelta(days=services.settings().remember_days))


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired()])
    password = PasswordField(_l("Password"), validators=[DataRequired()])
    remember = BooleanField(_l("Keep me logged in on this device"))


def _landing(user) -> str:
    """Designers land on the process library; everyone else on their tasks."""
    from webapp.views.design import landing_endpoint

    return landing_endpoint(user)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("10 per minute; 50 per hour", methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for(_landing(current_user)))
    form = LoginForm()
    locked = None
    if form.validate_on_submit():
        try:
            user = lockout.log_in(services.db(), form.username.data, form.password.data)
        except lockout.AccountLocked as exc:
            # the same for usernames without an account: it tells nothing about which exist
            locked = _("Too many failed attempts with this username. For your safety, logging in with it "
                       "is paused for %(minutes)d minutes. Please try again later.", minutes=exc.minutes)
        except lockout.LoginFailed:
            flash(_("Wrong username or password, or the account is deactivated."), "danger")
        else:
            login_user(user, remember=form.remember.data)
            return redirect(local_target(request.args.get("next")) or url_for(_landing(user)))
    return render_template("auth/login.html", form=form, locked=locked)


@bp.post("/logout")
@login_required
def logout():
    end_sessions(services.db(), current_user.id)  # copies of the cookies stop working too
    logout_user()
    flash(_("You have logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.post("/language/<lang>")
def language(lang: str):
    if lang in ("id", "en"):
        session["lang"] = lang
    return redirect(local_target(request.form.get("next")) or url_for("tasks.index"))


@bp.get("/favicon.ico")
def favicon():
    """Browsers ask for /favicon.ico on a first visit whatever the page links; send the icon we have."""
    return redirect(url_for("static", filename="favicon.svg"), 301)


@bp.get("/")
def home():
    """Officers land on their tasks (designers on the process library); citizens on the complaint
    form ("Lapor"), the one thing most of them came for; tracking and the listing of others'
    complaints are the next menu items."""
    if current_user.is_authenticated:
        return redirect(url_for(_landing(current_user)))
    return redirect(url_for("public.complaint_form"))
