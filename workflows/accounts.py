"""Accounts: checking passwords, changing them, sessions, personal API tokens.

Sessions: the session and remember-me cookies hold `User.get_id()`, which carries the user's
session generation and when the session began. `user_for_session` refuses a cookie whose
generation is old (logging out, a password change or reset and deactivation raise it, ending
every session and remember-me cookie of the user at once) or that began more than
MAX_SESSION_AGE ago, whatever expiry the browser was told.

API tokens expire (DEFAULT_TOKEN_LIFETIME unless the caller says otherwise) and are revoked
with a password change, an admin's reset or deactivation.
"""
from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload
from werkzeug.security import check_password_hash, generate_password_hash

from engine.clock import now
from engine.db import Database
from workflows.digests import sha256_hex
from workflows.models import Agency, ApiToken, User

MIN_PASSWORD_LENGTH = 10
MAX_SESSION_AGE = timedelta(days=30)  # also the longest a remember-me cookie may be kept
DEFAULT_TOKEN_LIFETIME = timedelta(days=90)
LAST_USED_GRANULARITY = timedelta(minutes=1)  # a token's last use is written at most this often
# checked against when the user does not exist, so both answers take as long
_DUMMY_HASH = generate_password_hash("not-a-password-anyone-has")


def users_with_role(session: Session, role: str | None, agency_code: str | None = None, *,
                    with_email: bool = False) -> list[User]:
    """Active users with `role` at the agency `agency_code` (at any agency when it is None), by
    name; `with_email` keeps only those with an e-mail address (for notices)."""
    if not role:
        return []
    query = select(User).where(User.active, User.role == role).order_by(User.full_name, User.id)
    if agency_code:
        query = query.join(Agency, User.agency_id == Agency.id).where(Agency.code == agency_code)
    if with_email:
        query = query.where(User.email.is_not(None), User.email != "")
    return list(session.scalars(query))


class PasswordRejected(ValueError):
    pass


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The active user with this username and password, or None (same time either way)."""
    user = session.scalars(select(User).where(User.username == (username or "").strip())).first()
    if user is None or not user.password_hash:
        check_password_hash(_DUMMY_HASH, password or "")
        return None
    if not check_password_hash(user.password_hash, password or ""):
        return None
    return user if user.active else None


def check_new_password(password: str, username: str = "") -> None:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise PasswordRejected(f"at least {MIN_PASSWORD_LENGTH} characters")
    if username and password.lower() == username.lower():
        raise PasswordRejected("must differ from the username")


def change_password(db: Database, user_id: int, current: str, new: str) -> None:
    """Change one's own password: every session, remember-me cookie and API token of the user ends
    (the caller logs the current browser in again)."""
    with db.transaction() as session:
        user = session.get(User, user_id)
        if user is None or not check_password_hash(user.password_hash or "", current or ""):
            raise PasswordRejected("current password is wrong")
        check_new_password(new, user.username)
        user.password_hash = generate_password_hash(new)
        end_all_access(session, user)


def end_all_access(session: Session, user: User) -> None:
    """In the caller's transaction: end the user's sessions and remember-me cookies, revoke its tokens."""
    user.session_generation = (user.session_generation or 0) + 1
    if user.id is not None:
        revoke_tokens_of(session, user.id)


def end_sessions(db: Database, user_id: int) -> None:
    """Logging out: every session and remember-me cookie of the user ends, on every device."""
    with db.transaction() as session:
        user = session.get(User, user_id)
        if user is not None:
            user.session_generation = (user.session_generation or 0) + 1


def user_for_session(session: Session, key: str, max_age: timedelta = MAX_SESSION_AGE) -> User | None:
    """The active user a session or remember-me cookie (`User.get_id()`) still stands for, or None."""
    parts = (key or "").split(":")
    if len(parts) != 4 or not all(p.isdigit() for p in parts[:3]):
        return None  # also sessions from before generations existed: their users log in again
    user_id, generation, started = (int(p) for p in parts[:3])
    user = session.get(User, user_id, options=[joinedload(User.agency)])
    if user is None or not user.active or (user.session_generation or 0) != generation:
        return None
    if (user.password_hash or "")[-12:] != parts[3]:
        return None  # the password was changed by some other path
    age = now().timestamp() - started
    if age > max(max_age, timedelta(0)).total_seconds() or age < -300:
        return None
    user.session_started = started
    return user


def set_password(session: Session, user: User, new: str) -> None:
    check_new_password(new, user.username)
    user.password_hash = generate_password_hash(new)


def create_api_token(db: Database, user_id: int, name: str, lifetime: timedelta = DEFAULT_TOKEN_LIFETIME) -> str:
    """Create a token valid for `lifetime` and return it; it is shown once and only its hash is stored."""
    name = (name or "").strip()[:100]
    if not name:
        raise ValueError("a token needs a name")
    if lifetime <= timedelta(0):
        raise ValueError("a token must live a while")
    token = "tdk_" + secrets.token_urlsafe(32)
    with db.transaction() as session:
        created = now()
        session.add(ApiToken(user_id=user_id, name=name, token_hash=sha256_hex(token), created_at=created,
                             expires_at=created + lifetime))
    return token


def revoke_api_token(db: Database, user_id: int, token_id: int) -> None:
    with db.transaction() as session:
        token = session.get(ApiToken, token_id)
        if token is None or token.user_id != user_id:
            raise LookupError(token_id)
        token.revoked_at = token.revoked_at or now()


def user_for_token(db: Database, token: str) -> User | None:
    """The active owner of an unrevoked, unexpired token (and note when it was last used)."""
    digest = sha256_hex(token or "")
    moment = now()
    with db.session() as session:  # most calls only read: no write lock for them
        row = session.scalars(select(ApiToken).where(
            ApiToken.token_hash == digest, ApiToken.revoked_at.is_(None), ApiToken.expires_at > moment)).first()
        if row is None or not row.user.active:
            return None
        user, token_id, last_used = row.user, row.id, row.last_used_at
        _ = user.agency  # loaded before the session closes
    if last_used is None or moment - last_used >= LAST_USED_GRANULARITY:
        with db.transaction() as session:
            stored = session.get(ApiToken, token_id)
            if stored is None:
                return None  # deleted meanwhile, with its user: the token stands for no one now
            stored.last_used_at = moment
    return user


def revoke_tokens_of(session: Session, user_id: int) -> int:
    """Revoke every live token of a user in the caller's transaction; returns how many."""
    count = 0
    for token in session.scalars(select(ApiToken).where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))):
        token.revoked_at = now()
        count += 1
    return count


def live_tokens_of(session: Session, user_id: int) -> list[ApiToken]:
    """The tokens of a user that still work (neither revoked nor expired)."""
    moment = now()
    return [t for t in tokens_of(session, user_id) if t.revoked_at is None and t.expires_at > moment]


def tokens_of(session: Session, user_id: int) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).where(ApiToken.user_id == user_id)
                                .order_by(ApiToken.created_at.desc())))
