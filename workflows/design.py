"""Process design commands: check diagrams and deploy them, as the CLI and the designer's pages do.

Both build the engine's `CheckContext` from what this installation has: the functions
diagrams may call, the lane → role table, the SLA keys, sample start data of each process.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.check import CheckContext, CheckReport, check
from engine.db import Database
from engine.deploy import DeployedProcess, deploy
from engine.errors import InvalidDiagram
from workflows import roles, statuses
from workflows.complaints import start_data
from workflows.design_upload import Staged, discard, save_report, stage
from workflows.models import Agency, Category, LaneRole
from workflows.process import ComplaintEngine
from workflows.publication import check_publish_points
from workflows.sla import SlaPolicy


def _status_rule(value) -> str | None:
    if value in statuses.LABELS_ID:
        return None
    return f"status '{value}' is not one Tindak knows; use one of: " + ", ".join(statuses.LABELS_ID)


def check_context(session: Session, engine: ComplaintEngine) -> CheckContext:
    """What diagrams deployed here may rely on, with sample values from this installation's data."""
    agencies = set(session.scalars(select(Agency.code)))
    category = session.scalars(select(Category.code).order_by(Category.id).limit(1)).first() or "umum"
    agency = session.scalars(select(Agency.code).where(Agency.parent_id.is_not(None))
                             .order_by(Agency.id).limit(1)).first() or next(iter(agencies), "instansi")

    def agency_rule(value) -> str | None:
        if value is None or value in agencies or not agencies:  # no agencies yet: nothing to compare
            return None
        return f"lead_agency '{value}' is not the code of an agency"

    return CheckContext(
        functions=engine.script_engine.environment.globals,
        lanes={row.lane: row.role for row in session.scalars(select(LaneRole))},
        roles=set(roles.STAFF_ROLES) | {roles.REPORTER},
        sla_keys=set(session.scalars(select(SlaPolicy.key).distinct())),
        sla_functions=("sla_due", "sla_warn_at"),
        # complaints start every process Tindak runs, so any process may count on their variables
        default_start_data=start_data(0, category, "pengaduan", "web"),
        format_samples={"agency": agency},
        value_rules={"status": _status_rule, "lead_agency": agency_rule},
        extra_checks=(check_publish_points,),
        translation_languages=("en",),  # the web app's second language (webapp/translations)
    )


def check_files(db: Database, engine: ComplaintEngine, paths: list[Path], dry_run: bool = True) -> CheckReport:
    """Check diagrams (and their forms) without deploying them; nothing is written."""
    with db.session() as session:
        context = check_context(session, engine)
    return check(paths, context, dry_run=dry_run)


@dataclass
class DeployOutcome:
    processes: list[DeployedProcess]
    report: CheckReport  # warnings the designer should read even though the deployment went through


def deploy_files(db: Database, engine: ComplaintEngine, paths: list[Path], deployed_by: str,
                 deployed_from: str | None = None, allow_old_content: bool = False) -> DeployOutcome:
    """Check, then store new versions in one transaction. Raises InvalidDiagram with every error:
    a deployment that fails the check stores nothing."""
    report = check_files(db, engine, paths)
    if not report.ok:
        raise InvalidDiagram(report.errors)
    with db.transaction() as session:
        processes = deploy(session, paths, deployed_by=deployed_by, deployed_from=deployed_from,
                           allow_old_content=allow_old_content)
    return DeployOutcome(processes, report)


# ---- diagrams uploaded through the designer's pages (workflows/design_upload.py) ----------------

def upload(db: Database, engine: ComplaintEngine, base: Path, owner: str, files: list) -> Staged:
    """Stage uploaded (name, stream) files in a folder of their own and check them.

    Raises design_upload.UploadRefused when the files cannot be checked at all.
    """
    staged = stage(base, owner, files)
    check_upload(db, engine, staged)
    return staged


def check_upload(db: Database, engine: ComplaintEngine, staged: Staged) -> dict:
    """Check an upload and keep the outcome beside its files; returns the stored report."""
    return save_report(staged, check_files(db, engine, [staged.folder]))


def upload_origin(staged: Staged, username: str, limit: int = 500) -> str:
    """`deployed_from` of an upload: "upload: <file names> by <user>", names cut short if many."""
    tail = f" by {username}"
    names = ", ".join(staged.uploaded)
    room = limit - len("upload: ") - len(tail)
    if len(names) > room:
        names = names[:max(0, room - 1)].rstrip(", ") + "…"
    return f"upload: {names}{tail}"


class DeployConflict(RuntimeError):
    """Another deployment of the same process was stored at the same moment; nothing of this one was."""


def deploy_upload(db: Database, engine: ComplaintEngine, staged: Staged, username: str) -> DeployOutcome:
    """Deploy an upload (checked again first) and remove its files.

    Raises InvalidDiagram when the check now finds errors (e.g. a lane or SLA key was removed
    since the upload was checked); the upload is then kept, with the new report beside it.
    Raises DeployConflict when another deployment took the same version number first.
    """
    try:
        outcome = deploy_files(db, engine, [staged.folder], deployed_by=username,
                               deployed_from=upload_origin(staged, username))
    except InvalidDiagram as exc:
        save_report(staged, CheckReport(problems=list(exc.problems)))
        raise
    except IntegrityError:  # (process_id, version) is unique: the other deployment won
        raise DeployConflict(staged.token) from None
    discard(staged)
    return outcome
