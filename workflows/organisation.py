"""The organisation super admins keep: the agency tree and the complaint categories.

Each command is one transaction and logs who changed what (logger tindak.admin).
"""
from __future__ import annotations

import logging

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.db import Database
from engine.models import HumanTask
from workflows.administration import (
    AGENCY_CODE,
    AGENCY_KINDS,
    CATEGORY_CODE,
    MAX_PATH,
    AdminError,
    AgencyNotFound,
    CategoryNotFound,
    _audit,
    _require_organisation_admin,
    _text,
)
from workflows.models import Agency, Category, User
from workflows.reference_data import add_agency

log = logging.getLogger("tindak.admin")


# ---- agencies -------------------------------------------------------------------------

def agency_by_code(session: Session, code: str) -> Agency:
    agency = session.scalars(select(Agency).where(Agency.code == code)).first()
    if agency is None:
        raise AgencyNotFound(code)
    return agency


def _agency_problems(name: str, kind: str) -> dict[str, str]:
    problems = {}
    if not name:
        problems["name"] = "required"
    elif len(name) > 300:
        problems["name"] = "too_long"
    if kind not in AGENCY_KINDS:
        problems["kind"] = "unknown_kind"
    return problems


def _parent(session: Session, parent_code: str | None, problems: dict[str, str]) -> Agency | None:
    if not parent_code:
        return None
    parent = session.scalars(select(Agency).where(Agency.code == parent_code)).first()
    if parent is None or not parent.active:
        problems["parent"] = "unknown_parent"
    return parent


def create_agency(db: Database, actor: User, code: str, name: str, kind: str, parent_code: str | None) -> Agency:
    """Add an agency at the top level or under an active parent."""
    _require_organisation_admin(actor)
    code, name = _text(code).lower(), _text(name)
    with db.transaction() as session:
        problems = _agency_problems(name, kind)
        if not AGENCY_CODE.fullmatch(code):
            problems["code"] = "agency_code_format"
        elif session.scalar(select(Agency.id).where(Agency.code == code)) is not None:
            problems["code"] = "code_taken"
        parent = _parent(session, parent_code, problems)
        if problems:
            raise AdminError(problems)
        agency = add_agency(session, code, name, kind, parent)
        session.flush()
    _audit(actor, "created agency", code, parent=parent_code or "-", kind=kind)
    return agency


def edit_agency(db: Database, actor: User, code: str, name: str, kind: str) -> Agency:
    """Rename an agency or change its kind (its code stays: cases refer to it)."""
    _require_organisation_admin(actor)
    name = _text(name)
    with db.transaction() as session:
        agency = agency_by_code(session, code)
        if problems := _agency_problems(name, kind):
            raise AdminError(problems)
        agency.name, agency.kind = name, kind
    _audit(actor, "edited agency", code, kind=kind)
    return agency


def move_agency(db: Database, actor: User, code: str, parent_code: str | None) -> Agency:
    """Put an agency (with everything below it) under another parent, or at the top level."""
    _require_organisation_admin(actor)
    with db.transaction() as session:
        agency = agency_by_code(session, code)
        problems: dict[str, str] = {}
        parent = _parent(session, parent_code, problems)
        if parent is not None and parent.path.startswith(agency.path):
            problems["parent"] = "parent_in_subtree"
        if problems:
            raise AdminError(problems)
        old, new = agency.path, f"{parent.path if parent else '/'}{agency.code}/"
        subtree = list(session.scalars(select(Agency).where(Agency.path.startswith(old, autoescape=True))))
        if max(len(new) + len(a.path) - len(old) for a in subtree) > MAX_PATH:
            raise AdminError({"parent": "tree_too_deep"})
        for each in subtree:
            each.path = new + each.path[len(old):]
        agency.parent_id, agency.parent = (parent.id if parent else None), parent
    _audit(actor, "moved agency", code, parent=parent_code or "-")
    return agency


def deactivate_agency(db: Database, actor: User, code: str) -> Agency:
    """Refused while the agency still has active users, active sub-agencies or open tasks."""
    _require_organisation_admin(actor)
    with db.transaction() as session:
        agency = agency_by_code(session, code)
        users = session.scalar(select(func.count(User.id)).where(User.agency_id == agency.id, User.active))
        if users:
            raise AdminError({"": "agency_has_users"}, count=users)
        children = session.scalar(select(func.count(Agency.id)).where(Agency.parent_id == agency.id, Agency.active))
        if children:
            raise AdminError({"": "agency_has_children"}, count=children)
        tasks = session.scalar(select(func.count(HumanTask.id)).where(
            HumanTask.agency_code == agency.code, HumanTask.state == "ready"))
        if tasks:
            raise AdminError({"": "agency_has_tasks"}, count=tasks)
        agency.active = False
    _audit(actor, "deactivated agency", code)
    return agency


def reactivate_agency(db: Database, actor: User, code: str) -> Agency:
    _require_organisation_admin(actor)
    with db.transaction() as session:
        agency = agency_by_code(session, code)
        if agency.parent is not None and not agency.parent.active:
            raise AdminError({"": "parent_inactive"})
        agency.active = True
    _audit(actor, "reactivated agency", code)
    return agency


# ---- categories -----------------------------------------------------------------------

def category_by_code(session: Session, code: str) -> Category:
    category = session.scalars(select(Category).where(Category.code == code)).first()
    if category is None:
        raise CategoryNotFound(code)
    return category


def _category_problems(name: str, description: str, name_en: str = "") -> dict[str, str]:
    problems = {}
    if not name:
        problems["name"] = "required"
    elif len(name) > 200:
        problems["name"] = "too_long"
    if len(name_en) > 200:
        problems["name_en"] = "too_long"
    if len(description) > 2000:
        problems["description"] = "too_long"
    return problems


def create_category(db: Database, actor: User, code: str, name: str, description: str | None,
                    name_en: str | None = None) -> Category:
    """A new category; `name_en` is its name for English visitors (empty: the Indonesian name)."""
    _require_organisation_admin(actor)
    code, name, description, name_en = _text(code).lower(), _text(name), _text(description), _text(name_en)
    with db.transaction() as session:
        problems = _category_problems(name, description, name_en)
        if not CATEGORY_CODE.fullmatch(code):
            problems["code"] = "category_code_format"
        elif session.scalar(select(Category.id).where(Category.code == code)) is not None:
            problems["code"] = "code_taken"
        if problems:
            raise AdminError(problems)
        category = Category(code=code, name=name, name_en=name_en, description=description, active=True)
        session.add(category)
        session.flush()
    _audit(actor, "created category", code)
    return category


def edit_category(db: Database, actor: User, code: str, name: str, description: str | None,
                  name_en: str | None = None) -> Category:
    """Change a category's names and description (its code stays: complaints refer to it).
    `name_en` None leaves the English name as it is."""
    _require_organisation_admin(actor)
    name, description = _text(name), _text(description)
    with db.transaction() as session:
        category = category_by_code(session, code)
        english = category.name_en if name_en is None else _text(name_en)
        if problems := _category_problems(name, description, english):
            raise AdminError(problems)
        category.name, category.description, category.name_en = name, description, english
    _audit(actor, "edited category", code)
    return category


def _set_category_active(db: Database, actor: User, code: str, active: bool) -> Category:
    _require_organisation_admin(actor)
    with db.transaction() as session:
        category = category_by_code(session, code)
        category.active = active
    _audit(actor, "reactivated category" if active else "deactivated category", code)
    return category


def deactivate_category(db: Database, actor: User, code: str) -> Category:
    """No longer offered to or accepted from reporters; complaints filed under it keep it."""
    return _set_category_active(db, actor, code, False)


def reactivate_category(db: Database, actor: User, code: str) -> Category:
    return _set_category_active(db, actor, code, True)
