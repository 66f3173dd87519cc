"""Helpers for the stuck-case tests: complaints that run on tests/data/stuck_v1 (a script after the
user task `prepare` fails; the deadline of `escalate` needs an SLA policy the tests add later)."""
from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from engine.deploy import deploy
from engine.models import HumanTask, ProcessInstance, ProcessVersion
from tests.casework import Case
from tests.conftest import DATA
from workflows import commands, complaints
from workflows.case_errors import StepFailed
from workflows.models import User

STUCK_V1, STUCK_V2, STUCK_RENAMED = DATA / "stuck_v1", DATA / "stuck_v2", DATA / "stuck_renamed"


def deploy_folder(db, folder) -> int:
    """Deploy one folder; returns the id of the process version it created."""
    with db.transaction() as s:
        [result] = deploy(s, [folder], deployed_by="perancang")
        return s.scalar(select(ProcessVersion.id).where(
            ProcessVersion.process_id == result.process_id, ProcessVersion.version == result.version))


@pytest.fixture
def stuck_v1(db, monkeypatch) -> int:
    """Complaints filed in this test run on the `stuck` process (v1, whose script fails)."""
    monkeypatch.setattr(complaints, "COMPLAINT_PROCESS", "stuck")
    return deploy_folder(db, STUCK_V1)


def user(db, username: str) -> User:
    with db.session() as s:
        return s.scalars(select(User).options(joinedload(User.agency)).where(User.username == username)).one()


def new_case(db, engine) -> Case:
    return Case(db, engine, category="kesehatan")


def ready(db, case: Case, element_id: str) -> HumanTask:
    [task] = [t for t in case.ready() if t.element_id == element_id]
    return task


def fail_prepare(db, engine, case: Case, note: str = "Data sudah lengkap") -> StepFailed:
    """The verifier completes `prepare`; the script after it fails."""
    task = ready(db, case, "prepare")
    with pytest.raises(StepFailed) as failed:
        commands.complete_task(db, engine, user(db, "verifikator"), task.id, {"note": note})
    return failed.value


def instance(db, case: Case) -> ProcessInstance:
    with db.session() as s:
        found = s.get(ProcessInstance, case.instance_id)
        found.process_version  # noqa: B018 (load it before the session closes)
        return found
