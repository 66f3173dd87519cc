"""Reference data a process keeps in memory for diagrams to read, re-read at most every `ttl` seconds.

Diagram functions (`sla_due`, `government_of`) run inside the engine, where no session is at hand;
they read a copy that is at most `ttl` old. An admin page that changes the data calls `reload()`
so its own process sees the change at once; the other processes catch up within `ttl`.
"""
from __future__ import annotations

import threading
import time as clock_time

from sqlalchemy.orm import Session

from engine.db import Database


class Reread:
    """Subclasses fill themselves in `load(session)`."""

    def __init__(self, db: Database | None, ttl: float = 30.0):
        self.db, self.ttl = db, ttl
        self._loaded_at = -1e9
        self._lock = threading.Lock()

    def load(self, session: Session) -> None:
        raise NotImplementedError

    def loaded(self) -> None:
        """Subclasses call this at the end of `load`."""
        self._loaded_at = clock_time.monotonic()

    def reload(self) -> None:
        if self.db is None:
            return
        with self.db.session() as session:
            self.load(session)

    def fresh(self) -> None:
        """Re-read when the copy is older than the time-to-live (one thread does it)."""
        if clock_time.monotonic() - self._loaded_at > self.ttl:
            with self._lock:
                if clock_time.monotonic() - self._loaded_at > self.ttl:
                    self.reload()
