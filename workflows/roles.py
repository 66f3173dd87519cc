"""Roles of people who use Tindak, and the default lane → role mapping of the diagrams."""
from __future__ import annotations

SUPER_ADMIN = "super_admin"
VERIFIER = "verifier"
AGENCY_ADMIN = "agency_admin"
LIAISON = "liaison"
AGENCY_HEAD = "agency_head"
OMBUDSMAN = "ombudsman"
DESIGNER = "designer"
REPORTER = "reporter"  # not a user account: the citizen, through the tracking link

STAFF_ROLES = (SUPER_ADMIN, VERIFIER, AGENCY_ADMIN, LIAISON, AGENCY_HEAD, OMBUDSMAN, DESIGNER)

# lane name in the diagram -> (role that takes its tasks, task variable naming the agency)
DEFAULT_LANES: dict[str, tuple[str, str | None]] = {
    "Pelapor": (REPORTER, None),
    "Verifikator": (VERIFIER, "government"),  # workflows/governments.py
    "Admin Instansi": (AGENCY_ADMIN, "lead_agency"),
    "Penghubung Instansi": (LIAISON, "lead_agency"),
    "Pimpinan Instansi": (AGENCY_HEAD, "lead_agency"),
    "Ombudsman": (OMBUDSMAN, None),
}

# Privilege order, for deciding who may manage whose account. A higher level sees or does more:
# an agency head sees its whole subtree and takes escalations; verifiers and super admins see
# anonymous reporters' identities; verifiers, the Ombudsman and designers act beyond one agency
# (and a designer's diagrams run as code). Roles on one level are not comparable to each other,
# only the order matters: an agency admin manages roles at most its own level (liaison, agency
# admin), never one above. An unknown role counts as the highest.
PRIVILEGE: dict[str, int] = {
    LIAISON: 10,
    AGENCY_ADMIN: 20,
    AGENCY_HEAD: 30,
    VERIFIER: 40,
    OMBUDSMAN: 40,
    DESIGNER: 40,
    SUPER_ADMIN: 50,
}
_HIGHEST = max(PRIVILEGE.values()) + 1


def at_most(role: str | None, ceiling: str) -> bool:
    """Whether `role` is at most as privileged as `ceiling`."""
    return PRIVILEGE.get(role or "", _HIGHEST) <= PRIVILEGE.get(ceiling, 0)


def roles_at_most(ceiling: str) -> tuple[str, ...]:
    """The staff roles at most as privileged as `ceiling`, in STAFF_ROLES order."""
    return tuple(r for r in STAFF_ROLES if at_most(r, ceiling))
