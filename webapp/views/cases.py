"""Case pages and search (placeholder until built)."""
from flask import Blueprint
from flask_login import login_required

bp = Blueprint("cases", __name__, url_prefix="/cases")


@bp.get("/search")
@login_required
def search():
    return "search"
