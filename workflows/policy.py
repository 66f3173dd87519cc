"""Who may see and do what: the one place authorization is decided.

Rules (docs/domain.md, Roles):
- super admin: sees every case; may assign any task; acts on any task.
- verifier: sees new complaints, cases of its government awaiting verification, cases with a
  verifier task open in its queue, and cases it has acted on; acts on verifier tasks of its
  regional government (workflows/governments.py), and on those routed to no government (new
  complaints); one under no government acts on all.
- agency admin / liaison: sees cases that are or were routed to its own agency; acts on
  its role's tasks for its agency. An agency admin may assign its agency's tasks.
- agency head (pimpinan): the same for its agency and every agency below it; may assign.
- ombudsman: sees escalated cases (status Dialihkan ke Ombudsman, or an Ombudsman task);
  acts on Ombudsman tasks.
- designer: diagrams only, no cases: the process library, uploading, checking and deploying
  diagrams, the lane → role table and new SLA keys (`can_design`; super admins too).
- accounts: super admins manage every account; an agency admin those of its own agency whose
  role is at most its own (liaison, agency admin; roles.PRIVILEGE), on every action.
Stuck cases (a step failed): super admins list and repair them (retry, move to another version,
move the token); agency admins list those of the cases they may see, and repair nothing.
A reporter's identity is shown only to those who may see the case; on an *anonim* complaint only
to super admins and to verifiers of the case's government (its lead agency's) or whose queue holds
it (a new complaint is in every verifier's queue).
"""
from __future__ import annotations

from sqlalchemy import ColumnElement, and_, exists, false, or_, select, true
from sqlalchemy.orm import Session

from engine.models import AuditEvent, HumanTask
from workflows import roles
from workflows.accounts import users_with_role
from workflows.governments import verifier_scope
from workflows.models import Agency, Complaint, User

AWAITING_VERIFICATION = ("belum_terverifikasi", "tertunda")


def agency_codes_in_scope(session: Session, user: User) -> list[str]:
    """The agencies a user acts for: its own, plus those below it for an agency head."""
    if user.agency is None:
        return []
    if user.role == roles.AGENCY_HEAD:
        return list(session.scalars(select(Agency.code).where(Agency.path.startswith(user.agency.path))))
    return [user.agency.code]


AGENCY_ROLES = (roles.AGENCY_ADMIN, roles.LIAISON, roles.AGENCY_HEAD)


def _routed_to(codes: list[str]) -> ColumnElement[bool]:
    # a verifier task names its government's office as agency: that office's staff are not routed to
    # the case by it (a transfer waiting for that government's verifier is not theirs yet)
    ever_routed = exists().where(
        HumanTask.process_instance_id == Complaint.process_instance_id, HumanTask.agency_code.in_(codes),
        HumanTask.role.in_(AGENCY_ROLES))
    return or_(Complaint.lead_agency_code.in_(codes), ever_routed)


def visible_cases(session: Session, user: User) -> ColumnElement[bool]:
    """A condition on Complaint selecting the cases the user may see."""
    if not user.active:
        return false()
    if user.role == roles.SUPER_ADMIN:
        return true()
    if user.role == roles.VERIFIER:
        open_verifier_task = exists().where(
            HumanTask.process_instance_id == Complaint.process_instance_id,
            HumanTask.role == roles.VERIFIER, HumanTask.state == "ready", _in_verifier_scope(session, user))
        acted = exists().where(
            AuditEvent.process_instance_id == Complaint.process_instance_id, AuditEvent.actor == user.username)
        # awaiting verification: a new complaint (no lead agency yet) or one of its own government
        scope = verifier_scope(session, user)
        own = true() if scope is None else or_(Complaint.lead_agency_code.is_(None),
                                                Complaint.lead_agency_code.in_(scope))
        return or_(and_(Complaint.status.in_(AWAITING_VERIFICATION), own), open_verifier_task, acted)
    if user.role in (roles.AGENCY_ADMIN, roles.LIAISON, roles.AGENCY_HEAD):
        codes = agency_codes_in_scope(session, user)
        return _routed_to(codes) if codes else false()
    if user.role == roles.OMBUDSMAN:
        ombudsman_task = exists().where(
            HumanTask.process_instance_id == Complaint.process_instance_id, HumanTask.role == roles.OMBUDSMAN)
        return or_(Complaint.status == "dialihkan_ombudsman", ombudsman_task)
    return false()


def can_view_case(session: Session, user: User, complaint_id: int) -> bool:
    return session.scalar(
        select(exists().where(Complaint.id == complaint_id, visible_cases(session, user)))) or False


def actionable_tasks(session: Session, user: User) -> ColumnElement[bool]:
    """A condition on HumanTask selecting the tasks the user may claim and complete."""
    if not user.active:
        return false()
    if user.role == roles.SUPER_ADMIN:
        return HumanTask.role != roles.REPORTER
    condition = HumanTask.role == user.role
    if user.role in (roles.AGENCY_ADMIN, roles.LIAISON, roles.AGENCY_HEAD):
        codes = agency_codes_in_scope(session, user)
        condition = and_(condition, HumanTask.agency_code.in_(codes))
    if user.role == roles.VERIFIER and (scope := verifier_scope(session, user)) is not None:
        condition = and_(condition, or_(HumanTask.agency_code.is_(None), HumanTask.agency_code.in_(scope)))
    return condition


def can_act_on_task(session: Session, user: User, task: HumanTask) -> bool:
    """May claim, release (its own) and complete this task."""
    return session.scalar(select(exists().where(HumanTask.id == task.id, actionable_tasks(session, user)))) or False


def can_assign(session: Session, user: User, task: HumanTask) -> bool:
    """May give this task to a colleague (agency admins and heads, for their agencies)."""
    if user.role == roles.SUPER_ADMIN:
        return True
    if user.role in (roles.AGENCY_ADMIN, roles.AGENCY_HEAD):
        return task.agency_code in agency_codes_in_scope(session, user)
    return False


def assignable_users(session: Session, task: HumanTask) -> list[User]:
    """Active colleagues who could do this task (its role, its agency)."""
    return users_with_role(session, task.role, task.agency_code)


def _in_verifier_scope(session: Session, user: User) -> ColumnElement[bool]:
    """A condition on HumanTask: a verifier task in this verifier's queue (its government's, or the pool)."""
    scope = verifier_scope(session, user)
    return true() if scope is None else or_(HumanTask.agency_code.is_(None), HumanTask.agency_code.in_(scope))


def _verifier_owns(session: Session, user: User, complaint: Complaint) -> bool:
    """The case is of this verifier's government (by its lead agency), or waits in its queue."""
    scope = verifier_scope(session, user)
    if scope is None or (complaint.lead_agency_code is not None and complaint.lead_agency_code in scope):
        return True
    return session.scalar(select(exists().where(
        HumanTask.process_instance_id == complaint.process_instance_id, HumanTask.role == roles.VERIFIER,
        HumanTask.state == "ready", _in_verifier_scope(session, user)))) or False


def sees_reporter_identity(session: Session, user: User, complaint: Complaint) -> bool:
    """Whether the reporter's name and contact may be shown to this user."""
    if not user.active:
        return False
    if user.role == roles.SUPER_ADMIN:
        return True
    if complaint.anonymous:
        return (user.role == roles.VERIFIER and can_view_case(session, user, complaint.id)
                and _verifier_owns(session, user, complaint))
    return can_view_case(session, user, complaint.id)


def can_write_notes(session: Session, user: User, complaint_id: int) -> bool:
    return user.role != roles.DESIGNER and can_view_case(session, user, complaint_id)


def manages_users(user: User) -> bool:
    return user.role in (roles.SUPER_ADMIN, roles.AGENCY_ADMIN)


def can_manage_user(session: Session, user: User, other: User) -> bool:
    """Super admins manage everyone; an agency admin the users of its own agency whose role is at
    most its own (roles.PRIVILEGE): liaisons and agency admins, never its agency head, a verifier,
    designer, Ombudsman or super admin, whose accounts see more than the admin's own.

    This decides every action on an account (opening it, editing, changing its role or agency,
    resetting its password, (de)activating it, revoking its API tokens), checked on the account
    as it is and as it would be after the change."""
    if not user.active:
        return False
    if user.role == roles.SUPER_ADMIN:
        return True
    return (user.role == roles.AGENCY_ADMIN and user.agency_id is not None
            and other.agency_id == user.agency_id and roles.at_most(other.role, roles.AGENCY_ADMIN))


def manageable_roles(user: User) -> tuple[str, ...]:
    """The roles whose accounts this user may manage (and so grant)."""
    if not user.active:
        return ()
    if user.role == roles.SUPER_ADMIN:
        return roles.STAFF_ROLES
    return roles.roles_at_most(roles.AGENCY_ADMIN) if user.role == roles.AGENCY_ADMIN else ()


def sees_stuck_cases(user: User) -> bool:
    """The list of stuck cases (each row still filtered by `visible_cases`)."""
    return user.active and user.role in (roles.SUPER_ADMIN, roles.AGENCY_ADMIN)


def can_repair_cases(user: User) -> bool:
    """Retry a stuck case, move it to another process version, move its token."""
    return user.active and user.role == roles.SUPER_ADMIN


def can_design(user: User) -> bool:
    """The designer's workspace: process versions, deploying diagrams, lanes, new SLA keys."""
    return bool(getattr(user, "is_authenticated", True) and user.active
                and user.role in (roles.DESIGNER, roles.SUPER_ADMIN))
