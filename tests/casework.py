"""A small driver for process tests: file a complaint, act on its tasks, read what users see."""
from __future__ import annotations

import json

from sqlalchemy import select

from engine import serialization
from engine.models import AuditEvent, HumanTask, ProcessInstance
from workflows.complaints import ComplaintInput, file_complaint
from workflows.demo import complete_step
from workflows.models import Complaint


class Case:
    def __init__(self, db, engine, **fields):
        self.db, self.engine = db, engine
        data = dict(title="Lampu jalan mati di Jl. Tanjungpura", description="Sudah dua minggu gelap.",
                    category="infrastruktur")
        data.update(fields)
        with db.transaction() as s:
            filed = file_complaint(s, engine, ComplaintInput(**data))
            self.complaint_id = filed.complaint.id
            self.instance_id = filed.complaint.process_instance_id
            self.secret = filed.tracking_secret
        self.check_save_restore()

    def do(self, element_id: str, data: dict, actor: str = "tester") -> "Case":
        with self.db.transaction() as s:
            complete_step(s, self.engine, self.instance_id, element_id, data, actor)
        self.check_save_restore()
        return self

    @property
    def complaint(self) -> Complaint:
        with self.db.session() as s:
            return s.get(Complaint, self.complaint_id)

    @property
    def status(self) -> str:
        return self.complaint.status

    def ready(self) -> list[HumanTask]:
        with self.db.session() as s:
            return list(s.scalars(select(HumanTask).where(
                HumanTask.process_instance_id == self.instance_id, HumanTask.state == "ready")))

    def ready_elements(self) -> list[str]:
        return sorted(t.element_id for t in self.ready())

    def events(self, kind: str | None = None) -> list[AuditEvent]:
        with self.db.session() as s:
            query = select(AuditEvent).where(AuditEvent.process_instance_id == self.instance_id)
            if kind:
                query = query.where(AuditEvent.kind == kind)
            return list(s.scalars(query.order_by(AuditEvent.id)))

    def instance(self) -> ProcessInstance:
        with self.db.session() as s:
            return s.get(ProcessInstance, self.instance_id)

    def check_save_restore(self) -> None:
        """What the database holds restores to the same workflow, waiting for the same tasks."""
        with self.db.session() as s:
            instance, workflow = self.engine.load(s, self.instance_id)
            saved = instance.state
            pv = instance.process_version
            again = serialization.load_state(
                serialization.dump_state(workflow), pv.id, lambda: pv.spec_json, self.engine.script_engine)
            # same content (key order inside task data may differ after a call activity)
            assert json.loads(serialization.dump_state(again)) == json.loads(saved)
            ready_rows = {t.id for t in s.scalars(select(HumanTask).where(
                HumanTask.process_instance_id == self.instance_id, HumanTask.state == "ready"))}
        from SpiffWorkflow.util.task import TaskState
        assert {str(t.id) for t in again.get_tasks(state=TaskState.READY, manual=True)} == ready_rows
