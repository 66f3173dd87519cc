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
from workflows.models import LaneRole
from workflows.process import ComplaintEngine


def check_context(session: Session, engine: ComplaintEngine) -> CheckContext:
    """What diagrams deployed here may rely on."""
    from workflows.sla import SlaPolicy

    return CheckContext(
        functions=engine.script_engine.environment.globals,
        lanes={row.lane: row.role for row in session.scalars(select(LaneRole))},
        sla_keys=set(session.scalars(select(SlaPolicy.key).distinct())),
        sla_functions=("sla_due", "sla_warn_at"),
    )


def check_files(db: Database, engine: ComplaintEngine, paths: list[Path]) -> CheckReport:
    """Check diagrams (and their forms) without deploying them."""
    with db.session() as session:
        return check(paths, check_context(session, engine))


@dataclass
class DeployOutcome:
    processes: list[DeployedProcess]
    report: CheckReport  # warnings the designer should read even though the deployment went through


def deploy_files(db: Database, engine: ComplaintEngine, paths: list[Path], deployed_by: str,
                 deployed_from: str | None = None) -> DeployOutcome:
    """Check, then store new versions in one transaction. Raises InvalidDiagram with every error."""
    report = check_files(db, engine, paths)
    if not report.ok:
        raise InvalidDiagram(report.errors)
    with db.transaction() as session:
        processes = deploy(session, paths, deployed_by=deployed_by)
    return DeployOutcome(processes, report)
