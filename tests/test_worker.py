"""The worker: timers fire exactly once with several worker processes, and survive SIGKILL.

These run on PostgreSQL (FOR UPDATE SKIP LOCKED is what lets workers share the queue);
with TINDAK_TEST_POSTGRES_URL unset they are skipped, and CI sets it.
"""
from __future__ import annotations

import multiprocessing
import os
import signal
import time
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from engine.clock import set_clock
from engine.db import Database
from engine.deploy import deploy
from engine.models import AuditEvent, ProcessInstance
from tests.conftest import DATA, POSTGRES_URL, _reset_postgres
from workflows import worker
from workflows.process import make_process_engine

ARMED = datetime(2026, 11, 24, 3, 0, tzinfo=timezone.utc)
LATER = ARMED + timedelta(days=30)  # every probe timer (5 working days) is due by then


@pytest.fixture
def pg(request):
    if not POSTGRES_URL:
        pytest.skip("PostgreSQL not configured (TINDAK_TEST_POSTGRES_URL)")
    db = _reset_postgres(request.getfixturevalue("postgres_schema"))
    yield db
    db.dispose()


def start_probes(db: Database, count: int) -> None:
    engine = make_process_engine(db)
    set_clock(lambda: ARMED)
    try:
        with db.transaction() as s:
            deploy(s, [DATA / "sla_probe"], deployed_by="tests")
        with db.transaction() as s:
            for _ in range(count):
                engine.start(s, "sla_probe", {"category": "kesehatan", "lead_agency": "dinkes-kalbar"}, "tests")
    finally:
        set_clock(None)


def work_until_idle(url: str, slow: float = 0.0) -> None:
    """A worker process: fire everything due at LATER, then exit."""
    set_clock(lambda: LATER)
    db = Database(url)
    engine = make_process_engine(db)
    if slow:  # stretch each case's transaction, so a SIGKILL lands mid-batch
        original = engine.fire_timers

        def slowly(session, instance_id, actor="system"):
            time.sleep(slow)
            return original(session, instance_id, actor)
        engine.fire_timers = slowly
    idle = 0
    while idle < 2:
        idle = idle + 1 if worker.fire_due_timers(db, engine, limit=25) == 0 else 0
    db.dispose()


def fired_counts(db: Database) -> tuple[int, int, int]:
    with db.session() as s:
        events = s.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.kind == "timer_fired"))
        distinct = s.scalar(select(func.count(func.distinct(AuditEvent.process_instance_id)))
                            .where(AuditEvent.kind == "timer_fired"))
        open_ = s.scalar(select(func.count()).select_from(ProcessInstance).where(ProcessInstance.completed.is_(False)))
    return events, distinct, open_


def test_several_workers_fire_each_of_1000_timers_exactly_once(pg):
    start_probes(pg, 1000)
    ctx = multiprocessing.get_context("spawn")
    workers = [ctx.Process(target=work_until_idle, args=(pg.url,)) for _ in range(3)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=600)
        assert w.exitcode == 0
    assert fired_counts(pg) == (1000, 1000, 0)


def test_a_worker_killed_mid_batch_loses_and_doubles_nothing(pg):
    start_probes(pg, 200)
    ctx = multiprocessing.get_context("spawn")
    victim = ctx.Process(target=work_until_idle, args=(pg.url, 0.02))
    victim.start()
    deadline = time.monotonic() + 120
    while fired_counts(pg)[0] < 20 and time.monotonic() < deadline:
        time.sleep(0.05)
    os.kill(victim.pid, signal.SIGKILL)
    victim.join()
    partial = fired_counts(pg)
    assert 20 <= partial[0] < 200 and partial[0] == partial[1]  # killed part-way, nothing doubled
    fresh = ctx.Process(target=work_until_idle, args=(pg.url,))
    fresh.start()
    fresh.join(timeout=600)
    assert fresh.exitcode == 0
    assert fired_counts(pg) == (200, 200, 0)


def test_worker_stops_cleanly_on_sigterm(tmp_path):
    """`tindak worker` finishes its round and exits 0 on SIGTERM."""
    import subprocess
    import sys

    env = {**os.environ, "TINDAK_DATABASE_URL": f"sqlite:///{tmp_path / 'w.db'}"}
    subprocess.run([sys.executable, "-m", "webapp.cli", "init"], env=env, check=True, capture_output=True)
    proc = subprocess.Popen([sys.executable, "-m", "webapp.cli", "worker"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 60
    output = ""
    while "worker started" not in output and time.monotonic() < deadline:
        output += proc.stdout.readline()
    proc.send_signal(signal.SIGTERM)
    rest, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0
    assert "worker stopped" in output + rest
