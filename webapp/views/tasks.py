"""Task list and task pages (placeholder until built)."""
from flask import Blueprint
from flask_login import login_required

bp = Blueprint("tasks", __name__, url_prefix="/tasks")


@bp.get("/")
@login_required
def index():
    return "tasks"
