"""Regional governments (province, regency, city): whose verifiers handle a case.

Every agency belongs to the government above it in the agency tree (a dinas to its province, a
regency's office to its regency); the Ombudsman and vertical agencies belong to none. A case's
`government` variable routes its verifier tasks (lane Verifikator) to that government's verifiers.
A re-disposition to an agency of another government is a transfer: the receiving government's
verifier confirms where the case goes (bpmn/complaint.bpmn, gateway gw_transfer).
"""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.db import Database
from workflows import roles
from workflows.models import Agency, User
from workflows.reread import Reread

GOVERNMENT_KINDS = ("province", "regency", "city")


def governments_by_code(rows: Iterable[tuple[int, str, str, int | None]]) -> dict[str, str | None]:
    """Agency code -> code of its government, from (id, code, kind, parent id) rows."""
    nodes = {agency_id: (code, kind, parent_id) for agency_id, code, kind, parent_id in rows}
    found: dict[str, str | None] = {}
    for agency_id, (code, _kind, _parent) in nodes.items():
        current: int | None = agency_id
        seen: set[int] = set()
        while current is not None and current not in seen and nodes[current][1] not in GOVERNMENT_KINDS:
            seen.add(current)
            current = nodes[current][2] if nodes[current][2] in nodes else None
        found[code] = nodes[current][0] if current is not None and current not in seen else None
    return found


class Governments(Reread):
    """The agency → government map one process knows; `government_of` for diagrams."""

    def __init__(self, db: Database | None, ttl: float = 30.0):
        super().__init__(db, ttl)
        self._of: dict[str, str | None] = {}

    def load(self, session: Session) -> None:
        self._of = governments_by_code(session.execute(select(Agency.id, Agency.code, Agency.kind, Agency.parent_id)))
        self.loaded()

    def of(self, agency_code: str | None) -> str | None:
        """The government of an agency; None for an agency under none, or unknown."""
        self.fresh()
        return self._of.get(agency_code) if agency_code else None

    def script_functions(self) -> dict:
        return {"government_of": self.of}


def government_of(session: Session, agency: Agency | None) -> Agency | None:
    """The government an agency belongs to (itself, for a government), read in the caller's session."""
    seen = set()
    while agency is not None and agency.kind not in GOVERNMENT_KINDS and agency.id not in seen:
        seen.add(agency.id)
        agency = agency.parent
    return agency if agency is not None and agency.kind in GOVERNMENT_KINDS else None


def verifier_scope(session: Session, user: User) -> list[str] | None:
    """The agency codes whose verifier tasks this verifier takes; None: every government's.

    A verifier without an agency, or at an agency under no government, works for the whole
    installation (admin nasional); one at a province, regency or city (or below it) for that
    government's tree.
    """
    if user.role != roles.VERIFIER:
        return []
    government = government_of(session, user.agency)
    if government is None:
        return None
    return list(session.scalars(select(Agency.code).where(Agency.path.startswith(government.path))))
