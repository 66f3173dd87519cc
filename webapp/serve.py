"""Running the app under gunicorn, configured from the command line rather than a file.

Threads, not sync workers: with sync workers every slow client (a phone on a weak
connection, or someone trickling bytes on purpose) holds a whole process, so a few of them
stop the site. gthread gives each process a pool of threads and keeps idle keep-alive
connections in a poller, so a slow client holds one thread while the others serve.
Bodies are capped per route by the app itself (webapp/request_limits.py).
"""
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
        self.cfg.set("worker_class", "gthread")
        self.cfg.set("threads", self.settings.web_threads)  # each within the database pool (5 + 10)
        self.cfg.set("accesslog", "-")
        self.cfg.set("logger_class", GunicornLogger)  # masks the tracking secret in the access log
        self.cfg.set("timeout", 30)  # a worker whose threads all hang this long is restarted
        self.cfg.set("graceful_timeout", 20)
        self.cfg.set("keepalive", 5)  # idle keep-alive connections wait in the poller, not in a thread
        self.cfg.set("limit_request_line", 4094)
        self.cfg.set("limit_request_fields", 60)
        self.cfg.set("limit_request_field_size", 8190)

    def load(self):
        # each worker builds its own app (and its own database connection pool)
        return create_app(self.settings)


def serve(settings: Settings, bind: str, workers: int) -> None:
    TindakServer(settings, bind, workers).run()
