"""The JSON API under /api/v1 (placeholder until built)."""
from flask import Blueprint, Flask


def api_blueprint(app: Flask) -> Blueprint:
    bp = Blueprint("api", __name__, url_prefix="/api/v1")

    @bp.get("/openapi.json")
    def openapi():
        return {}

    return bp
