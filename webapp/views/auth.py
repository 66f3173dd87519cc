"""Logging in and out, choosing the language."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy.orm import joinedload
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import DataRequired

from webapp import services
from webapp.extensions import limiter, login_manager
from workflows.accounts import authenticate
from workflows.models import User

bp = Blueprint("auth", __name__)
login_manager.login_view = "auth.login"
login_manager.login_message = _l("Please log in to continue.")
login_manager.login_message_category = "info"


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    raw_id, _, stamp = user_id.partition(":")
    if not raw_id.isdigit():
        return None
    with services.db().session() as s:
        user = s.get(User, int(raw_id), options=[joinedload(User.agency)])
    if user is None or not user.active or user.get_id() != user_id:
        return None  # deactivated, or the password changed since this session began
    return user


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired()])
    password = PasswordField(_l("Password"), validators=[DataRequired()])
    remember = BooleanField(_l("Keep me logged in on this device"))


def _safe_next(target: str | None) -> str | None:
    if not target:
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc and target.startswith("/") else None


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("10 per minute; 50 per hour", methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("tasks.index"))
    form = LoginForm()
    if form.validate_on_submit():
        with services.db().session() as s:
            user = authenticate(s, form.username.data, form.password.data)  # agency: joined-loaded
        if user is None:
            flash(_("Wrong username or password, or the account is deactivated."), "danger")
        else:
            login_user(user, remember=form.remember.data)
            return redirect(_safe_next(request.args.get("next")) or url_for("tasks.index"))
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@login_required
def logout():
    logout_user()
    flash(_("You have logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.post("/language/<lang>")
def language(lang: str):
    if lang in ("id", "en"):
        session["lang"] = lang
    return redirect(_safe_next(request.form.get("next")) or url_for("tasks.index"))


@bp.get("/favicon.ico")
def favicon():
    """Browsers ask for /favicon.ico on a first visit whatever the page links; send the icon we have."""
    return redirect(url_for("static", filename="favicon.svg"), 301)


@bp.get("/")
def home():
    """Officers land on their tasks; citizens on the complaint form ("Lapor"), the one thing most
    of them came for; tracking and the listing of others' complaints are the next menu items."""
    return redirect(url_for("tasks.index") if current_user.is_authenticated else url_for("public.complaint_form"))
