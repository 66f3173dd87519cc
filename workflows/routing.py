"""Who may take a task: the lane → role table plus the agency named in the task's data."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.db import Database
from engine.task_projection import Routing
from workflows.models import LaneRole
from workflows.reread import Reread
from workflows.roles import DEFAULT_LANES


class LaneRouter(Reread):
    """Routes a task by its lane; the mapping is read from `lane_role`.

    With a database it is re-read at most every `ttl` seconds, and the designer's lane page
    calls `reload()` after a change, so a running process routes new tasks the new way
    without a restart. An empty table routes by the default lanes (workflows/roles.py).
    """

    def __init__(self, mapping: dict[str, tuple[str, str | None]] | None = None,
                 db: Database | None = None, ttl: float = 30.0):
        super().__init__(db, ttl)
        self.mapping = dict(mapping or DEFAULT_LANES)

    @classmethod
    def from_database(cls, session: Session, db: Database | None = None) -> "LaneRouter":
        router = cls(db=db)
        router.load(session)
        return router

    def load(self, session: Session) -> None:
        rows = session.scalars(select(LaneRole)).all()
        self.mapping = {r.lane: (r.role, r.agency_variable) for r in rows} or dict(DEFAULT_LANES)
        self.loaded()

    def __call__(self, lane: str | None, properties: dict, data: dict) -> Routing:
        if self.db is not None:
            self.fresh()
        # a task may name its role itself (property "role"), e.g. in a lane shared by several
        role, agency_variable = self.mapping.get(lane or "", (None, None))
        role = properties.get("role", role)
        agency_variable = properties.get("agencyVariable", agency_variable)
        agency = data.get(agency_variable) if agency_variable else None
        return Routing(role=role, agency_code=agency if isinstance(agency, str) else None)


def seed_lanes(session: Session) -> None:
    """Create the default lane rows that do not exist yet (admins may change them later)."""
    known = set(session.scalars(select(LaneRole.lane)))
    for lane, (role, variable) in DEFAULT_LANES.items():
        if lane not in known:
            session.add(LaneRole(lane=lane, role=role, agency_variable=variable))
