"""The web app's blueprints, one module each."""
from flask import Flask


def register_blueprints(app: Flask) -> None:
    from webapp.api import api_blueprint
    from webapp.open311 import open311_blueprint
    from webapp.views import (
        account,
        admin,
        auth,
        cases,
        coordination_asks,
        coordination_thread,
        open311_keys,
        public,
        sla_admin,
        tasks,
    )

    for module in (auth, tasks, cases, coordination_asks, coordination_thread, admin, account, public, sla_admin,
                   open311_keys):
        app.register_blueprint(module.bp)
    app.register_blueprint(api_blueprint(app))
    app.register_blueprint(open311_blueprint())
    from webapp.views import dashboard, stuck_cases
    app.register_blueprint(dashboard.bp)
    app.register_blueprint(stuck_cases.bp)
    from webapp.views import design
    app.register_blueprint(design.bp)
