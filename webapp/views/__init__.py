"""The web app's blueprints, one module each."""
from flask import Flask


def register_blueprints(app: Flask) -> None:
    from webapp.views import account, admin, auth, cases, tasks
    from webapp.api import api_blueprint

    for module in (auth, tasks, cases, admin, account):
        app.register_blueprint(module.bp)
    app.register_blueprint(api_blueprint(app))
