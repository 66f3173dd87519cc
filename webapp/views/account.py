"""The user's own profile (placeholder until built)."""
from flask import Blueprint
from flask_login import login_required

bp = Blueprint("account", __name__, url_prefix="/account")


@bp.get("/")
@login_required
def profile():
    return "profile"
