"""Logging in with a limit per account: after MAX_FAILURES failed attempts on one username,
that username is locked for a while, longer after each further failure (1, 2, 4 ... up to 30
minutes), and a successful log-in clears the count.

The count lives in the database (`login_throttle`), so every web process sees the same lock.
It is kept per typed username, whether or not an account has that name, so neither the
lockout nor its message tells an attacker which usernames exist; names are stored hashed,
since people sometimes type their password into the username field.

Each attempt is counted *before* its password is checked, in a short transaction of its own:
however many attempts arrive at once, at most MAX_FAILURES run before the lock holds. The
password hash is checked outside that transaction, so a slow hash holds no write lock.
"""
from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from engine.clock import now
from engine.db import Database
from workflows.accounts import authenticate
from workflows.digests import sha256_hex
from workflows.models import LoginThrottle, User

MAX_FAILURES = 5
FIRST_LOCK = timedelta(minutes=1)
MAX_LOCK = timedelta(minutes=30)
FORGET_AFTER = timedelta(hours=24)  # failures this old no longer count


class LoginFailed(LookupError):
    """Wrong username or password, or a deactivated account: deliberately one answer for all."""


class AccountLocked(LookupError):
    """Too many failed attempts on this username; try again after `until`."""

    def __init__(self, until: datetime):
        super().__init__(until)
        self.until = until

    @property
    def minutes(self) -> int:
        return max(1, math.ceil((self.until - now()).total_seconds() / 60))


def _key(username: str) -> str:
    return sha256_hex((username or "").strip().lower())


def lock_length(failures: int) -> timedelta:
    """How long the lock lasts after `failures` failures in a row (none below MAX_FAILURES)."""
    if failures < MAX_FAILURES:
        return timedelta(0)
    return min(FIRST_LOCK * (2 ** min(failures - MAX_FAILURES, 20)), MAX_LOCK)


def _insert_ignore(session: Session, key: str, moment: datetime) -> None:
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(insert(LoginThrottle).values(key_hash=key, failures=0, last_failure_at=moment)
                    .on_conflict_do_nothing(index_elements=["key_hash"]))


def _count_attempt(db: Database, key: str) -> datetime | None:
    """Count one attempt as failed until it succeeds; the end of the lock if locked instead."""
    moment = now()
    with db.transaction() as session:
        session.execute(delete(LoginThrottle).where(LoginThrottle.last_failure_at < moment - FORGET_AFTER,
                                                    LoginThrottle.key_hash != key))
        _insert_ignore(session, key, moment)
        row = session.scalars(select(LoginThrottle).where(LoginThrottle.key_hash == key).with_for_update()).one()
        if row.locked_until is not None and row.locked_until > moment:
            return row.locked_until
        if moment - row.last_failure_at > FORGET_AFTER:
            row.failures = 0
        row.failures += 1
        row.last_failure_at = moment
        length = lock_length(row.failures)
        row.locked_until = moment + length if length else None
    return None


def _clear(db: Database, key: str) -> None:
    with db.transaction() as session:
        session.execute(delete(LoginThrottle).where(LoginThrottle.key_hash == key))


def log_in(db: Database, username: str, password: str) -> User:
    """The active user with this username and password; AccountLocked or LoginFailed otherwise."""
    key = _key(username)
    locked_until = _count_attempt(db, key)
    if locked_until is not None:
        raise AccountLocked(locked_until)
    with db.session() as session:
        user = authenticate(session, username, password)  # the agency is joined-loaded
    if user is None:
        raise LoginFailed(username)
    _clear(db, key)
    return user
