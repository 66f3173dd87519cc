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
