"""What admins do: manage users, the agency tree and complaint categories.

Each command is one transaction with the rule checked inside it. Super admins manage
everything; an agency admin manages the users of its own agency whose role is at most its own
(liaison, agency admin: workflows.policy.can_manage_user and roles.PRIVILEGE), and grants only
those roles. Its agency head, verifiers, designers, the Ombudsman and super admins see more than
it does (verifiers even anonymous reporters' names), so only a super admin manages them. The
rule is checked on every action, on the account as it is and as it would be afterwards. A user
an actor may not manage answers like a user that does not exist (UserNotFound), so ids cannot be
probed; granting a role beyond one's own is Forbidden.

Every change is logged to the "tindak.admin" logger with its actor; there is no database
audit table for admin changes yet.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, false, func, or_, select, true
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.db import Database
from engine.errors import NotFound
from workflows import policy, roles
from workflows.accounts import MIN_PASSWORD_LENGTH, end_all_access, revoke_tokens_of, set_password
from workflows.commands import Forbidden
from workflows.emails import is_email
from workflows.models import Agency, Category, Complaint, User
from workflows.paging import Page, paginate

log = logging.getLogger("tindak.admin")

USERNAME = re.compile(r"[a-z0-9][a-z0-9.-]{1,99}")
AGENCY_CODE = re.compile(r"[a-z0-9][a-z0-9-]{1,99}")  # no "_" or "%": codes go into LIKE prefixes
CATEGORY_CODE = re.compile(r"[a-z0-9][a-z0-9_]{1,99}")
AGENCY_KINDS = ("province", "regency", "city", "dinas", "unit", "ombudsman", "vertical")
AGENCY_ROLES = roles.roles_at_most(roles.AGENCY_ADMIN)  # what an agency admin grants
MAX_PATH = 1000


class AdminError(ValueError):
    """Input the admin must correct.

    `fields` maps a form field ("" for the form as a whole) to a problem code such as
    "username_taken"; `details` holds numbers for the message (e.g. count=3).
    """

    def __init__(self, fields: dict[str, str], **details):
        self.fields = fields
        self.details = details
        super().__init__("; ".join(f"{k or 'form'}: {v}" for k, v in fields.items()))


class UserNotFound(NotFound):
    """No such user, or none the actor may manage."""


class AgencyNotFound(NotFound):
    pass


class CategoryNotFound(NotFound):
    pass


def manages_organisation(user: User) -> bool:
    """Agencies and categories are for super admins only."""
    return user.role == roles.SUPER_ADMIN


def assignable_roles(actor: User) -> tuple[str, ...]:
    """The roles this actor may give to a user."""
    return policy.manageable_roles(actor)


def _audit(actor: User, change: str, target: str, **details) -> None:
    log.info("%s %s %s %s", actor.username, change, target,
             " ".join(f"{k}={v}" for k, v in details.items()))


def _require_organisation_admin(actor: User) -> None:
    if not manages_organisation(actor):
        raise Forbidden("only super admins manage agencies and categories")


def _text(value: str | None) -> str:
    return (value or "").strip()


def _password_problem(password: str | None, username: str) -> str | None:
    if password is None or len(password) < MIN_PASSWORD_LENGTH:
        return "password_too_short"
    if password.lower() == username.lower():
        return "password_is_username"
    return None


# ---- users ----------------------------------------------------------------------------

def _may_manage(session: Session, actor: User, user: User) -> bool:
    # an agency admin without an agency would otherwise manage every user without one
    return policy.can_manage_user(session, actor, user) and (
        actor.role == roles.SUPER_ADMIN or actor.agency_id is not None)


def managed_user(session: Session, actor: User, user_id: int) -> User:
    """The user if the actor may manage it; UserNotFound otherwise."""
    user = session.get(User, user_id)
    if user is None or not _may_manage(session, actor, user):
        raise UserNotFound(user_id)
    return user


def _check_profile(session: Session, full_name: str, email: str, role: str,
                   agency_code: str, current: Agency | None = None) -> tuple[dict[str, str], Agency | None]:
    problems = {}
    if not full_name:
        problems["full_name"] = "required"
    elif len(full_name) > 200:
        problems["full_name"] = "too_long"
    if email and not is_email(email):
        problems["email"] = "email_format"
    if role not in roles.STAFF_ROLES:
        problems["role"] = "unknown_role"
    agency = session.scalars(select(Agency).where(Agency.code == agency_code)).first() if agency_code else None
    # a user may stay in an agency deactivated meanwhile, but nobody joins one
    if agency is None or (not agency.active and agency is not current):
        problems["agency"] = "unknown_agency"
    return problems, agency


def _check_may_grant(session: Session, actor: User, user: User, role_changed: bool) -> None:
    if not _may_manage(session, actor, user):
        raise Forbidden("this user would be outside the actor's agency, or above the actor's own role")
    if role_changed and user.role not in assignable_roles(actor):
        raise Forbidden(f"{actor.role} may not grant the role {user.role}")


def create_user(db: Database, actor: User, username: str, full_name: str, email: str | None,
                role: str, agency_code: str, password: str) -> User:
    """Create an active user; AdminError for bad input, Forbidden outside the actor's rights."""
    username, full_name, email = _text(username).lower(), _text(full_name), _text(email)
    with db.transaction() as session:
        problems, agency = _check_profile(session, full_name, email, role, agency_code)
        if not USERNAME.fullmatch(username):
            problems["username"] = "username_format"
        elif session.scalar(select(User.id).where(User.username == username)) is not None:
            problems["username"] = "username_taken"
        if problem := _password_problem(password, username):
            problems["password"] = problem
        if problems:
            raise AdminError(problems)
        assert agency is not None  # an unknown agency is one of the problems
        user = User(username=username, full_name=full_name, email=email or None, role=role,
                    agency_id=agency.id, agency=agency, active=True)
        _check_may_grant(session, actor, user, role_changed=True)
        set_password(session, user, password)
        session.add(user)
        try:
            session.flush()
        except IntegrityError as exc:  # created by someone else a moment ago
            raise AdminError({"username": "username_taken"}) from exc
    _audit(actor, "created user", username, role=role, agency=agency.code)
    return user


def update_user(db: Database, actor: User, user_id: int, full_name: str, email: str | None,
                role: str, agency_code: str) -> User:
    """Change a user's name, email, role and agency."""
    full_name, email = _text(full_name), _text(email)
    with db.transaction() as session:
        user = managed_user(session, actor, user_id)
        problems, agency = _check_profile(session, full_name, email, role, agency_code, current=user.agency)
        if user.id == actor.id and role != user.role:
            problems["role"] = "own_role"
        if problems:
            raise AdminError(problems)
        assert agency is not None  # an unknown agency is one of the problems
        role_changed = role != user.role
        user.full_name, user.email, user.role = full_name, email or None, role
        user.agency_id, user.agency = agency.id, agency
        _check_may_grant(session, actor, user, role_changed)
    _audit(actor, "updated user", user.username, role=role, agency=agency.code)
    return user


def deactivate_user(db: Database, actor: User, user_id: int) -> User:
    """The user can no longer log in; its sessions, remember-me cookies and API tokens end for
    good (reactivating it later does not bring them back)."""
    with db.transaction() as session:
        user = managed_user(session, actor, user_id)
        if user.id == actor.id:
            raise AdminError({"": "deactivate_self"})
        user.active = False
        end_all_access(session, user)
    _audit(actor, "deactivated user", user.username)
    return user


def reactivate_user(db: Database, actor: User, user_id: int) -> User:
    with db.transaction() as session:
        user = managed_user(session, actor, user_id)
        if user.agency is not None and not user.agency.active:
            raise AdminError({"": "agency_inactive"})
        user.active = True
    _audit(actor, "reactivated user", user.username)
    return user


def reset_password(db: Database, actor: User, user_id: int, new_password: str) -> User:
    """Set another user's password, ending that user's sessions, remember-me cookies and API tokens."""
    with db.transaction() as session:
        user = managed_user(session, actor, user_id)
        if user.id == actor.id:
            # one's own password changes only with the current one (account page)
            raise AdminError({"": "reset_own_password"})
        if problem := _password_problem(new_password, user.username):
            raise AdminError({"password": problem})
        set_password(session, user, new_password)
        end_all_access(session, user)
    _audit(actor, "reset the password of", user.username)
    return user


def revoke_user_tokens(db: Database, actor: User, user_id: int) -> tuple[User, int]:
    """Revoke every API token of a user (e.g. one leaked); returns the user and how many."""
    with db.transaction() as session:
        user = managed_user(session, actor, user_id)
        count = revoke_tokens_of(session, user.id)
    _audit(actor, "revoked the API tokens of", user.username, count=count)
    return user, count


# ---- what the admin pages list --------------------------------------------------------

@dataclass
class UserFilter:
    text: str | None = None
    role: str | None = None
    agency: str | None = None
    active: bool | None = None
    page: int = 1
    per_page: int = 25


def _managed_users(actor: User) -> ColumnElement[bool]:
    """The SQL form of _may_manage, for lists."""
    if actor.role == roles.SUPER_ADMIN and actor.active:
        return true()
    if actor.role == roles.AGENCY_ADMIN and actor.agency_id is not None and actor.active:
        return and_(User.agency_id == actor.agency_id, User.role.in_(policy.manageable_roles(actor)))
    return false()


def user_page(session: Session, actor: User, f: UserFilter) -> Page:
    """One page of the users the actor manages, by name."""
    query = select(User).outerjoin(Agency, User.agency_id == Agency.id).where(_managed_users(actor))
    if f.text and f.text.strip():
        like = f"%{f.text.strip()}%"
        query = query.where(or_(User.username.ilike(like), User.full_name.ilike(like)))
    if f.role:
        query = query.where(User.role == f.role)
    if f.agency:
        query = query.where(Agency.code == f.agency)
    if f.active is not None:
        query = query.where(User.active.is_(f.active))
    return paginate(session, query.order_by(User.full_name, User.id), f.page, f.per_page)


@dataclass
class AgencyNode:
    agency: Agency
    depth: int
    active_users: int


def agency_tree(session: Session) -> list[AgencyNode]:
    """Every agency, parents before children, siblings by name, with active user counts."""
    agencies = list(session.scalars(select(Agency).order_by(Agency.name)))
    counts = dict(session.execute(select(User.agency_id, func.count(User.id))
                                  .where(User.active).group_by(User.agency_id)).all())
    children: dict[int | None, list[Agency]] = {}
    for agency in agencies:
        children.setdefault(agency.parent_id, []).append(agency)
    nodes: list[AgencyNode] = []

    def walk(parent_id: int | None, depth: int) -> None:
        for agency in children.get(parent_id, []):
            nodes.append(AgencyNode(agency, depth, counts.get(agency.id, 0)))
            walk(agency.id, depth + 1)

    walk(None, 0)
    return nodes


def categories_with_counts(session: Session) -> list[tuple[Category, int]]:
    """Every category (active first, by name) with how many complaints use it."""
    counts = dict(session.execute(select(Complaint.category_code, func.count(Complaint.id))
                                  .group_by(Complaint.category_code)).all())
    categories = session.scalars(select(Category).order_by(Category.active.desc(), Category.name))
    return [(c, counts.get(c.code, 0)) for c in categories]
