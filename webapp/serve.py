"""Running the app under gunicorn, configured from the command line rather than a file."""
from __future__ import annotations

from gunicorn.app.base import BaseApplication

from webapp.app import create_app
from webapp.config import Settings
from webapp.logs import GunicornLogger


class TindakServer(BaseApplication):
    def __init__(self, settings: Settings, bind: str, workers: int):
        self.settings, self.bind, self.workers = settings, bind, workers
        super().__init__()

    def load_config(self) -> None:
        self.cfg.set("bind", self.bind)
        self.cfg.set("workers", self.workers)
        self.cfg.set("accesslog", "-")
        self.cfg.set("logger_class", GunicornLogger)  # masks the tracking secret in the access log
        self.cfg.set("timeout", 60)

    def load(self):
        # each worker builds its own app (and its own database connection pool)
        return create_app(self.settings)


def serve(settings: Settings, bind: str, workers: int) -> None:
    TindakServer(settings, bind, workers).run()
