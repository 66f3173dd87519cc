"""Who may take a task: the lane → role table plus the agency named in the task's data."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.task_projection import Routing
from workflows.models import LaneRole
from workflows.roles import DEFAULT_LANES


class LaneRouter:
    """Routes a task by its lane; the mapping is read from `lane_role` once per process."""

    def __init__(self, mapping: dict[str, tuple[str, str | None]] | None = None):
        self.mapping = dict(mapping or DEFAULT_LANES)

    @classmethod
    def from_database(cls, session: Session) -> "LaneRouter":
        rows = session.scalars(select(LaneRole)).all()
        return cls({r.lane: (r.role, r.agency_variable) for r in rows} or None)

    def __call__(self, lane: str | None, properties: dict, data: dict) -> Routing:
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
