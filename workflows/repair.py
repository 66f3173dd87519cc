"""Stuck cases: the admins' list ("Kasus bermasalah") and the repairs a super admin makes.

A case is stuck while `process_instance.error_at` is set (workflows/case_errors.py marks it;
the next step that succeeds clears it). Repairs, each one transaction, audited by the engine
with who, when, what and the reason given:

- retry: fire the case's due timers and run its ready automatic steps now, ignoring back-off;
- migrate: move the case to another version of its process (engine/migration.py), one case or
  every stuck case of a version, each atomically;
- move the token to another step of the same version (engine/tokens.py).

A repair whose step fails again is rolled back whole, the case's error is updated and the caller
gets StepFailed; one that cannot be done at all raises RepairRefused and changes nothing.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine import migration, tokens
from engine.clock import now
from engine.db import Database
from engine.errors import ConcurrentUpdate, NotFound, RepairRefused
from engine.models import ProcessInstance, ProcessVersion
from engine.repair import describe_failure
from engine.runtime import ProcessEngine
from engine.tokens import Move, Step
from workflows import policy
from workflows.case_errors import StepFailed, is_step_failure, recording_failures
from workflows.cases import visible_complaint
from workflows.commands import Forbidden
from workflows.models import Complaint, User
from workflows.paging import Page, paginate

REASON_LIMIT = 1000
BULK_LIMIT = 500  # stuck cases of one version handled by one bulk preview or migration


class RepairInvalid(ValueError):
    """A repair request is incomplete (e.g. no reason given); `fields` name what is wrong."""

    def __init__(self, fields: dict[str, str]):
        self.fields = fields
        super().__init__("; ".join(f"{k}: {v}" for k, v in fields.items()))


@dataclass
class StuckCase:
    complaint: Complaint
    instance_id: int
    process_id: str
    version: int
    version_id: int
    element_id: str | None
    element_name: str | None
    message: str
    since: datetime
    attempts: int
    retry_after: datetime | None


@dataclass
class VersionGroup:
    """The stuck cases of one process version, and the newer versions they could move to."""

    version: ProcessVersion
    cases: int
    newer: list[ProcessVersion] = field(default_factory=list)


@dataclass
class RepairView:
    """What the repair page of one case shows."""

    complaint: Complaint
    stuck: StuckCase | None
    process_id: str
    version: int
    completed: bool
    tokens: list[Step]
    targets: list[Step]
    due: list[Step]
    newer: list[ProcessVersion]


def _require_viewer(user: User) -> None:
    if not policy.sees_stuck_cases(user):
        raise Forbidden("the list of stuck cases is for super admins and agency admins")


def _require_repairer(user: User) -> None:
    if not policy.can_repair_cases(user):
        raise Forbidden("only super admins repair cases")


def _reason(reason: str | None) -> str:
    text = (reason or "").strip()
    if not text:
        raise RepairInvalid({"reason": "required"})
    if len(text) > REASON_LIMIT:
        raise RepairInvalid({"reason": "too_long"})
    return text


def _stuck(engine: ProcessEngine, session: Session, complaint: Complaint, instance: ProcessInstance) -> StuckCase:
    assert instance.error_at is not None  # callers pass only cases in error
    pv = instance.process_version
    return StuckCase(
        complaint=complaint, instance_id=instance.id, process_id=pv.process_id, version=pv.version,
        version_id=pv.id, element_id=instance.error_element_id,
        element_name=engine.element_name(session, instance.id, instance.error_element_id),
        message=instance.error_message or "", since=instance.error_at, attempts=instance.error_count or 0,
        retry_after=instance.retry_after)


def _stuck_query(session: Session, user: User):
    return (select(Complaint, ProcessInstance)
            .join(ProcessInstance, ProcessInstance.id == Complaint.process_instance_id)
            .where(ProcessInstance.error_at.is_not(None), policy.visible_cases(session, user)))


def stuck_cases(session: Session, engine: ProcessEngine, user: User, page: int = 1, per_page: int = 25) -> Page:
    """Cases in error the user may see, the most recent failure first."""
    _require_viewer(user)
    query = _stuck_query(session, user)
    return paginate(session, query.order_by(ProcessInstance.error_at.desc(), ProcessInstance.id.desc()), page,
                    per_page, rows="tuples", each=lambda r: _stuck(engine, session, *r))


def newer_versions(session: Session, pv: ProcessVersion) -> list[ProcessVersion]:
    """Versions of the same process deployed after this one, newest first."""
    return list(session.scalars(select(ProcessVersion).where(
        ProcessVersion.process_id == pv.process_id, ProcessVersion.version > pv.version)
        .order_by(ProcessVersion.version.desc())))


def stuck_versions(session: Session, user: User) -> list[VersionGroup]:
    """Per process version with stuck cases: how many, and where they could move (super admins)."""
    if not policy.can_repair_cases(user):
        return []
    counts = session.execute(
        select(ProcessInstance.process_version_id, func.count())
        .where(ProcessInstance.error_at.is_not(None)).group_by(ProcessInstance.process_version_id)).all()
    groups = []
    for version_id, count in counts:
        pv = session.get(ProcessVersion, version_id)
        assert pv is not None  # a case's version is stored, and versions are never deleted
        groups.append(VersionGroup(pv, count, newer_versions(session, pv)))
    return sorted(groups, key=lambda g: (g.version.process_id, g.version.version))


def _case(session: Session, user: User, complaint_id: int) -> tuple[Complaint, ProcessInstance]:
    complaint = visible_complaint(session, user, complaint_id)
    instance = session.get(ProcessInstance, complaint.process_instance_id) if complaint.process_instance_id else None
    if instance is None:
        raise NotFound(f"case of complaint {complaint_id}")
    return complaint, instance


def repair_view(session: Session, engine: ProcessEngine, user: User, complaint_id: int) -> RepairView:
    _require_repairer(user)
    complaint, instance = _case(session, user, complaint_id)
    _, workflow = engine.load(session, instance.id)
    pv = instance.process_version
    return RepairView(
        complaint=complaint, stuck=_stuck(engine, session, complaint, instance) if instance.error_at else None,
        process_id=pv.process_id, version=pv.version, completed=instance.completed,
        tokens=tokens.tokens(workflow), targets=tokens.targets(workflow), due=tokens.due_now(workflow, now()),
        newer=newer_versions(session, pv))


# -- retry --------------------------------------------------------------------------------

def retry(db: Database, engine: ProcessEngine, user: User, complaint_id: int, reason: str) -> list[str]:
    """Run the case on now (due timers, ready automatic steps), whatever its back-off.

    Returns the timers that fired. Raises StepFailed when it fails again (error updated).
    """
    _require_repairer(user)
    reason = _reason(reason)
    with recording_failures(db, engine, user.username) as guard, db.transaction() as session:
        _complaint, instance = _case(session, user, complaint_id)
        with guard.step(instance.id):
            return engine.retry(session, instance.id, user.username, reason)


# -- migrate to another version -----------------------------------------------------------

def _version_of_same_process(session: Session, instance: ProcessInstance, target_version_id: int) -> ProcessVersion:
    target = session.get(ProcessVersion, target_version_id)
    if target is None or target.process_id != instance.process_version.process_id:
        raise NotFound(f"process version {target_version_id} of {instance.process_version.process_id}")
    return target


def migration_preview(session: Session, engine: ProcessEngine, user: User, complaint_id: int,
                      target_version_id: int) -> migration.MigrationPlan:
    _require_repairer(user)
    _complaint, instance = _case(session, user, complaint_id)
    target = _version_of_same_process(session, instance, target_version_id)
    return migration.plan(session, engine, instance.id, target.id)


def migrate(db: Database, engine: ProcessEngine, user: User, complaint_id: int, target_version_id: int,
            reason: str) -> migration.MigrationPlan:
    """Move one case to another version of its process, atomically.

    Raises RepairRefused (the case stays where it was) when a step it uses is missing there.
    """
    _require_repairer(user)
    reason = _reason(reason)
    with recording_failures(db, engine, user.username) as guard, db.transaction() as session:
        _complaint, instance = _case(session, user, complaint_id)
        target = _version_of_same_process(session, instance, target_version_id)
        with guard.step(instance.id):
            return migration.migrate(session, engine, instance.id, target.id, user.username, reason)


@dataclass
class BulkRow:
    complaint: Complaint
    plan: migration.MigrationPlan | None = None
    outcome: str | None = None  # after a bulk migration: "moved" | "refused" | "failed" | "changed"
    detail: list[tuple[str, str]] = field(default_factory=list)


def _stuck_of_version(session: Session, version_id: int) -> list[tuple[Complaint, ProcessInstance]]:
    return list(session.execute(
        select(Complaint, ProcessInstance).join(ProcessInstance, ProcessInstance.id == Complaint.process_instance_id)
        .where(ProcessInstance.process_version_id == version_id, ProcessInstance.error_at.is_not(None))
        .order_by(ProcessInstance.error_at.desc(), ProcessInstance.id.desc()).limit(BULK_LIMIT)).all())


def _versions(session: Session, from_version_id: int, to_version_id: int) -> tuple[ProcessVersion, ProcessVersion]:
    source, target = session.get(ProcessVersion, from_version_id), session.get(ProcessVersion, to_version_id)
    if source is None or target is None or source.process_id != target.process_id:
        raise NotFound(f"process versions {from_version_id} and {to_version_id}")
    return source, target


def bulk_preview(session: Session, engine: ProcessEngine, user: User, from_version_id: int,
                 to_version_id: int) -> tuple[ProcessVersion, ProcessVersion, list[BulkRow]]:
    """For every stuck case of a version: would it move to the target version, and if not, why."""
    _require_repairer(user)
    source, target = _versions(session, from_version_id, to_version_id)
    rows = [BulkRow(c, migration.plan(session, engine, i.id, target.id))
            for c, i in _stuck_of_version(session, source.id)]
    return source, target, rows


def migrate_all(db: Database, engine: ProcessEngine, user: User, from_version_id: int, to_version_id: int,
                reason: str) -> list[BulkRow]:
    """Move every stuck case of a version that can move, each case in its own transaction; those
    that cannot stay where they are, with the reason."""
    _require_repairer(user)
    reason = _reason(reason)
    with db.session() as session:
        source, target = _versions(session, from_version_id, to_version_id)
        cases = [(c, i.id) for c, i in _stuck_of_version(session, source.id)]
    rows = []
    for complaint, _instance_id in cases:
        row = BulkRow(complaint)
        try:
            row.plan = migrate(db, engine, user, complaint.id, target.id, reason)
            row.outcome = "moved"
        except RepairRefused as exc:
            row.outcome, row.detail = "refused", exc.reasons
        except ConcurrentUpdate:
            row.outcome = "changed"
        except StepFailed as exc:
            row.outcome, row.detail = "failed", [("error", exc.error.message)]
        rows.append(row)
    return rows


# -- move the token -----------------------------------------------------------------------

@dataclass
class MovePreview:
    move: Move | None
    before: list[Step]
    after: list[Step]
    failure: tuple[str | None, str | None, str] | None = None  # (element id, name, message) of a step that would fail


def move_preview(session: Session, engine: ProcessEngine, user: User, complaint_id: int, target_element_id: str,
                 from_task_id: str | None = None) -> MovePreview:
    """What moving the token would give, tried on a copy never saved. Raises RepairRefused."""
    _require_repairer(user)
    _complaint, instance = _case(session, user, complaint_id)
    try:
        move, before, after = engine.preview_move(session, instance.id, target_element_id, from_task_id)
    except RepairRefused:
        raise
    except Exception as exc:  # noqa: BLE001 (a step after the new place fails: show it, save nothing)
        if not is_step_failure(exc):
            raise
        _, workflow = engine.load(session, instance.id)
        return MovePreview(None, tokens.active_steps(workflow), [], describe_failure(exc))
    return MovePreview(move, before, after)


def move_token(db: Database, engine: ProcessEngine, user: User, complaint_id: int, target_element_id: str,
               from_task_id: str | None, reason: str) -> Move:
    """Move the case's token to another step of its version. Raises RepairRefused, StepFailed."""
    _require_repairer(user)
    reason = _reason(reason)
    with recording_failures(db, engine, user.username) as guard, db.transaction() as session:
        _complaint, instance = _case(session, user, complaint_id)
        with guard.step(instance.id):
            return engine.move_token(session, instance.id, target_element_id, from_task_id or None,
                                     user.username, reason)
