"""Process design commands: check diagrams and deploy them, as the CLI and the designer's pages do.

Both build the engine's `CheckContext` from what this installation has: the functions
diagrams may call, the lane → role table, the SLA keys, sample start data of each process.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.check import CheckContext, CheckReport, check
from engine.db import Database
from engine.deploy import DeployedProcess, deploy
from engine.errors import InvalidDiagram
from workflows import roles, statuses
from workflows.complaints import start_data
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
