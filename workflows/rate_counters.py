"""Fixed-window counters in the database, the store behind the rate limits (webapp.ratelimit).

One row per limit and caller (its key hashed): a count and when its window ends, in seconds
since the epoch (the rate-limit library's clock). Incrementing is one upsert statement, atomic
on SQLite and PostgreSQL alike, so concurrent web processes never lose a count. Rows of finished
windows are deleted now and then by `sweep`.
"""
from __future__ import annotations

import time
from typing import Any, cast

from sqlalchemy import CursorResult, Result, case, delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from engine.db import Database
from workflows.digests import sha256_hex
from workflows.models import RateLimitCounter

SWEEP_GRACE = 60.0  # seconds a finished window's row stays before `sweep` removes it


def increment(db: Database, key: str, expiry: float, amount: int = 1) -> int:
    """Add `amount` to the window of `key` (a new one of `expiry` seconds if none is running)."""
    moment = time.time()
    ends = moment + expiry
    insert = pg_insert if db.is_postgres else sqlite_insert
    finished = RateLimitCounter.expires_at <= moment
    statement = (insert(RateLimitCounter).values(key_hash=sha256_hex(key), count=amount, expires_at=ends)
                 .on_conflict_do_update(index_elements=["key_hash"], set_={
                     "count": case((finished, amount), else_=RateLimitCounter.count + amount),
                     "expires_at": case((finished, ends), else_=RateLimitCounter.expires_at)})
                 .returning(RateLimitCounter.count))
    with db.transaction() as session:
        return session.execute(statement).scalar_one()


def _row(db: Database, key: str) -> tuple[int, float] | None:
    with db.session() as session:
        row = session.execute(select(RateLimitCounter.count, RateLimitCounter.expires_at)
                              .where(RateLimitCounter.key_hash == sha256_hex(key))).first()
    if row is None:
        return None
    counted, expires_at = row  # by position: to mypy `row.count` is the tuple method count()
    return (counted, expires_at) if expires_at > time.time() else None


def count(db: Database, key: str) -> int:
    row = _row(db, key)
    return row[0] if row else 0


def window_end(db: Database, key: str) -> float:
    """When the running window of `key` ends (now if none runs)."""
    row = _row(db, key)
    return row[1] if row else time.time()


def clear(db: Database, key: str) -> None:
    with db.transaction() as session:
        session.execute(delete(RateLimitCounter).where(RateLimitCounter.key_hash == sha256_hex(key)))


def clear_all(db: Database) -> int:
    with db.transaction() as session:
        return _deleted(session.execute(delete(RateLimitCounter)))


def sweep(db: Database) -> int:
    """Delete the rows of windows that ended a while ago; returns how many."""
    with db.transaction() as session:
        return _deleted(session.execute(delete(RateLimitCounter).where(
            RateLimitCounter.expires_at < time.time() - SWEEP_GRACE)))


def _deleted(result: Result[Any]) -> int:
    """How many rows a DELETE removed."""
    # Session.execute is typed to return a Result; a DELETE's is a CursorResult, which has rowcount
    return cast(CursorResult[Any], result).rowcount or 0
