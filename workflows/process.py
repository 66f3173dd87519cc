"""The process engine as the complaint domain configures it."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.db import Database
from engine.models import ProcessInstance
from engine.projection import VariableProjection
from engine.runtime import ProcessEngine
from workflows.coordination import CoordinationHooks
from workflows.governments import Governments
from workflows.models import Complaint
from workflows.notifications import Notifier
from workflows.publication import publish_answer
from workflows.routing import LaneRouter
from workflows.script_functions import script_functions
from workflows.sla import SlaBook

COMPLAINT_PROCESS = "complaint"
NEW_COMPLAINTS = "tindak.new_complaints"  # session.info key: {instance id: Complaint}

# task-data variable -> Complaint column; the diagram's scripts set these
PROJECTED = {"status": "status", "lead_agency": "lead_agency_code"}
AUDITED = {"status": "status_changed", "lead_agency": "lead_agency_changed"}


def _complaint_of(session: Session, instance: ProcessInstance) -> Complaint | None:
    # a complaint filed in this transaction registered itself; no query needed
    known = session.info.get(NEW_COMPLAINTS, {}).get(instance.id)
    if known is not None:
        return known
    return session.scalars(select(Complaint).where(Complaint.process_instance_id == instance.id)).first()


class ComplaintEngine(ProcessEngine):
    """The process engine as Tindak runs it, with the SLA book its timer functions read
    (the SLA and calendar admin pages reload it after a change) and the lane router (the
    designer's lane page reloads it)."""

    def __init__(self, sla_book: SlaBook, **kwargs):
        super().__init__(**kwargs)
        self.sla_book = sla_book

    @property
    def lane_router(self) -> LaneRouter | None:
        return self.router if isinstance(self.router, LaneRouter) else None


def make_process_engine(db: Database | None = None, notifier: Notifier | None = None) -> ComplaintEngine:
    """The engine with Tindak's script functions, lane routing and status projection.

    With a notifier, every status change also queues a notice to the reporter.
    """
    router = LaneRouter()
    sla_book, governments = SlaBook(db), Governments(db)
    if db is not None:
        with db.session() as session:
            router = LaneRouter.from_database(session, db)
            sla_book.load(session)
            governments.load(session)
    on_change = [notifier.status_changed] if notifier else []
    coordination = CoordinationHooks(notifier.public_url if notifier else "")
    return ComplaintEngine(
        sla_book=sla_book,
        functions={**script_functions(), **sla_book.script_functions(), **governments.script_functions()},
        router=router,
        save_hooks=[VariableProjection(PROJECTED, _complaint_of, AUDITED, on_change), coordination.saved],
        task_hooks=[notifier.tasks_created] if notifier else [],
        timer_hooks=[notifier.timer_fired] if notifier else [],
        completion_hooks=[coordination.completed],
        element_hooks=[publish_answer],
    )
