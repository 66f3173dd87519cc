"""Designers change which role takes the tasks of a diagram lane (table `lane_role`).

Each command is one transaction with the rule checked inside it, logs who changed what to the
"tindak.admin" logger (as the other admin changes do), and then reloads the running engine's
lane router so new tasks are routed the new way at once in this process; other web and worker
processes re-read the table within the router's time-to-live (30 seconds). Tasks already open
keep the role and agency they were given.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from sqlalchemy import func, select

from engine.db import Database
from engine.errors import NotFound
from workflows import policy, roles
from workflows.commands import Forbidden
from workflows.models import LaneRole, User
from workflows.process import ComplaintEngine

log = logging.getLogger("tindak.admin")

# who may take a lane's tasks: every role that works on cases (a designer does not)
LANE_ROLES = (roles.REPORTER, roles.VERIFIER, roles.AGENCY_ADMIN, roles.LIAISON, roles.AGENCY_HEAD,
              roles.OMBUDSMAN, roles.SUPER_ADMIN)
VARIABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,99}")
MAX_LANE = 200


class InvalidLane(ValueError):
    """Input the designer must correct: `fields` maps a form field to a problem code."""

    def __init__(self, fields: dict[str, str]):
        self.fields = fields
        super().__init__("; ".join(f"{k}: {v}" for k, v in fields.items()))


class LaneNotFound(NotFound):
    pass


@dataclass
class LaneEdit:
    lane: str
    role: str
    agency_variable: str = ""

    def cleaned(self) -> "LaneEdit":
        return LaneEdit(" ".join((self.lane or "").split()), (self.role or "").strip(),
                        (self.agency_variable or "").strip())


def _require(actor: User) -> None:
    if not policy.can_design(actor):
        raise Forbidden("only designers and super admins change the lane table")


def _check(session, edit: LaneEdit, current: LaneRole | None) -> None:
    problems = {}
    if not edit.lane:
        problems["lane"] = "required"
    elif len(edit.lane) > MAX_LANE:
        problems["lane"] = "too_long"
    else:
        other = session.scalars(select(LaneRole).where(LaneRole.lane == edit.lane)).first()
        if other is not None and other is not current:
            problems["lane"] = "duplicate"
    if edit.role not in LANE_ROLES:
        problems["role"] = "unknown_role"
    if edit.agency_variable and not VARIABLE.fullmatch(edit.agency_variable):
        problems["agency_variable"] = "bad_variable"
    if problems:
        raise InvalidLane(problems)


def _reload(engine: ComplaintEngine | None) -> None:
    router = getattr(engine, "lane_router", None)
    if router is not None:
        router.reload()


def save_lane(db: Database, engine: ComplaintEngine | None, actor: User, edit: LaneEdit,
              lane_id: int | None = None) -> int:
    """Add a lane (lane_id None) or change one; returns its id. Raises InvalidLane, LaneNotFound."""
    _require(actor)
    edit = edit.cleaned()
    with db.transaction() as session:
        row = None
        if lane_id is not None:
            row = session.get(LaneRole, lane_id)
            if row is None:
                raise LaneNotFound(lane_id)
        _check(session, edit, row)
        before = None if row is None else (row.lane, row.role, row.agency_variable)
        if row is None:
            row = LaneRole(lane=edit.lane)
            session.add(row)
        row.lane, row.role, row.agency_variable = edit.lane, edit.role, edit.agency_variable or None
        session.flush()
        saved_id = row.id
    log.info("%s %s lane_role %r: %s -> %s", actor.username, "added" if before is None else "changed",
             edit.lane, before, (edit.lane, edit.role, edit.agency_variable or None))
    _reload(engine)
    return saved_id


def delete_lane(db: Database, engine: ComplaintEngine | None, actor: User, lane_id: int) -> str:
    """Remove a lane's row; its tasks then go to nobody (unless a task names its role). Returns the lane.

    The last row stays: an empty table would route by the built-in default lanes instead,
    which nobody would expect from a removal (InvalidLane "last_lane").
    """
    _require(actor)
    with db.transaction() as session:
        row = session.get(LaneRole, lane_id)
        if row is None:
            raise LaneNotFound(lane_id)
        if session.execute(select(func.count(LaneRole.id))).scalar_one() <= 1:
            raise InvalidLane({"": "last_lane"})
        before = (row.lane, row.role, row.agency_variable)
        session.delete(row)
    log.info("%s removed lane_role %r: %s", actor.username, before[0], before)
    _reload(engine)
    return before[0]
