"""The rate limits' default store: the application's own database (`tindak-db://`).

Flask-Limiter keeps its counters in a `limits` storage. With `memory://` each gunicorn worker
counted on its own, so N workers allowed N times the limit. This storage keeps them in the
database every web process already shares (workflows.rate_counters), so no other service is
needed; `TINDAK_RATELIMIT_STORAGE_URI` (e.g. redis://) still chooses another store. It supports
the fixed-window strategy, Flask-Limiter's default and the one Tindak uses.
"""
from __future__ import annotations

from limits.errors import ConfigurationError
from limits.storage import Storage
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from engine.db import Database
from workflows import rate_counters

URI = "tindak-db://"
SWEEP_EVERY = 500  # increments between two sweeps of finished windows (per process)


class DatabaseStorage(Storage):
    STORAGE_SCHEME = ["tindak-db"]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False,
                 database: Database | None = None, **options):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        if database is None:
            raise ConfigurationError("tindak-db:// needs the application's database (RATELIMIT_STORAGE_OPTIONS)")
        self.database = database
        self._increments = 0

    @property
    def base_exceptions(self):
        return SQLAlchemyError

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        value = rate_counters.increment(self.database, key, expiry, amount)
        self._increments += 1
        if self._increments % SWEEP_EVERY == 0:
            rate_counters.sweep(self.database)
        return value

    def get(self, key: str) -> int:
        return rate_counters.count(self.database, key)

    def get_expiry(self, key: str) -> float:
        return rate_counters.window_end(self.database, key)

    def check(self) -> bool:
        try:
            with self.database.session() as session:
                session.execute(text("SELECT 1"))
            return True
        except SQLAlchemyError:
            return False

    def reset(self) -> int | None:
        return rate_counters.clear_all(self.database)

    def clear(self, key: str) -> None:
        rate_counters.clear(self.database, key)
