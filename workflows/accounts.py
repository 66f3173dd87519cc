"""Accounts: checking passwords, changing them, personal API tokens."""
from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from engine.clock import now
from engine.db import Database
from workflows.models import ApiToken, User

MIN_PASSWORD_LENGTH = 10
# checked against when the user does not exist, so both answers take as long
_DUMMY_HASH = generate_password_hash("not-a-password-anyone-has")


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
    with db.transaction() as session:
        user = session.get(User, user_id)
        if user is None or not check_password_hash(user.password_hash or "", current or ""):
            raise PasswordRejected("current password is wrong")
        check_new_password(new, user.username)
        user.password_hash = generate_password_hash(new)


def set_password(session: Session, user: User, new: str) -> None:
    check_new_password(new, user.username)
    user.password_hash = generate_password_hash(new)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_api_token(db: Database, user_id: int, name: str) -> str:
    """Create a token and return it; it is shown once and only its hash is stored."""
    name = (name or "").strip()[:100]
    if not name:
        raise ValueError("a token needs a name")
    token = "tdk_" + secrets.token_urlsafe(32)
    with db.transaction() as session:
        session.add(ApiToken(user_id=user_id, name=name, token_hash=hash_token(token)))
    return token


def revoke_api_token(db: Database, user_id: int, token_id: int) -> None:
    with db.transaction() as session:
        token = session.get(ApiToken, token_id)
        if token is None or token.user_id != user_id:
            raise LookupError(token_id)
        token.revoked_at = token.revoked_at or now()


def user_for_token(db: Database, token: str) -> User | None:
    """The active owner of an unrevoked token (and note when it was last used)."""
    with db.transaction() as session:
        row = session.scalars(select(ApiToken).where(
            ApiToken.token_hash == hash_token(token or ""), ApiToken.revoked_at.is_(None))).first()
        if row is None or not row.user.active:
            return None
        row.last_used_at = now()
        user = row.user
        _ = user.agency  # loaded before the session closes
        return user


def revoke_tokens_of(session: Session, user_id: int) -> int:
    """Revoke every live token of a user in the caller's transaction; returns how many."""
    count = 0
    for token in session.scalars(select(ApiToken).where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))):
        token.revoked_at = now()
        count += 1
    return count


def live_tokens_of(session: Session, user_id: int) -> list[ApiToken]:
    """The tokens of a user that still work (not revoked)."""
    return [t for t in tokens_of(session, user_id) if t.revoked_at is None]


def tokens_of(session: Session, user_id: int) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).where(ApiToken.user_id == user_id)
                                .order_by(ApiToken.created_at.desc())))
