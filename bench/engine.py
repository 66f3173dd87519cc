"""Engine benchmark: intake and lifecycle throughput, persisted vs bare, and task-list latency.

Prints its figures, the last line one JSON object. `--quick` for a run under a minute.
PostgreSQL figures come from TINDAK_TEST_POSTGRES_URL (a scratch database is made beside it).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import create_engine, insert, make_url, select, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine.clock import now  # noqa: E402
from engine.db import Database  # noqa: E402
from engine.deploy import deploy  # noqa: E402
from engine.models import HumanTask, ProcessInstance, ProcessVersion  # noqa: E402
from engine.scripting import make_script_engine  # noqa: E402
from workflows import reference_data, schema  # noqa: E402
from workflows.complaints import ComplaintInput, file_complaint  # noqa: E402
from workflows.dashboard import dashboard  # noqa: E402
from workflows.demo import complete_step  # noqa: E402
from workflows.governments import Governments  # noqa: E402
from workflows.models import Complaint, User  # noqa: E402
from workflows.process import make_process_engine  # noqa: E402
from workflows.routing import seed_lanes  # noqa: E402
from workflows.script_functions import script_functions  # noqa: E402
from workflows.sla import SlaBook, seed_defaults  # noqa: E402
from workflows.task_lists import TaskFilter, task_page  # noqa: E402

STEPS = [
    ("verify_complaint", {"decision": "disposisi", "lead_agency": "dinkes-kalbar"}),
    ("follow_up", {"decision": "jawab", "answer": "Sudah ditindaklanjuti."}),
    ("review_answer", {"satisfied": "puas", "rating": 5}),
]
INPUT = dict(title="Jalan berlubang di Jl. Ahmad Yani", description="Lubang besar sejak sebulan.",
             category="infrastruktur")


def fresh_database(kind: str, scratch: Path) -> Database:
    if kind == "sqlite":
        return Database(f"sqlite:///{scratch / 'bench.db'}")
    url = make_url(os.environ["TINDAK_TEST_POSTGRES_URL"])
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text('DROP DATABASE IF EXISTS "tindak_bench" WITH (FORCE)'))
        conn.execute(text('CREATE DATABASE "tindak_bench"'))
    admin.dispose()
    return Database(url.set(database="tindak_bench").render_as_string(hide_password=False))


def prepare(db: Database) -> None:
    schema.upgrade(db)
    with db.transaction() as s:
        seed_lanes(s)
        reference_data.seed_categories(s)
        reference_data.seed_demo_organisation(s)
        seed_defaults(s)
    with db.transaction() as s:
        deploy(s, [ROOT / "bpmn"], deployed_by="bench")


def rate(n: int, seconds: float) -> float:
    return round(n / seconds, 1)


def bench_start(db: Database, n: int) -> float:
    engine = make_process_engine(db)
    began = time.perf_counter()
    for _ in range(n):
        with db.transaction() as s:
            file_complaint(s, engine, ComplaintInput(**INPUT))
    return rate(n, time.perf_counter() - began)


def bench_lifecycle(db: Database, n: int) -> float:
    engine = make_process_engine(db)
    began = time.perf_counter()
    for _ in range(n):
        with db.transaction() as s:
            instance_id = file_complaint(s, engine, ComplaintInput(**INPUT)).complaint.process_instance_id
        for element_id, data in STEPS:
            with db.transaction() as s:
                complete_step(s, engine, instance_id, element_id, data, "bench")
    return rate(n, time.perf_counter() - began)


def bare(n: int) -> tuple[float, float]:
    """The same diagram run by SpiffWorkflow in memory: (starts/s, lifecycles/s)."""
    parser = SpiffBpmnParser(validator=VALIDATOR)
    parser.add_bpmn_files(sorted(str(path) for path in (ROOT / "bpmn").glob("*.bpmn")))  # and what it calls
    spec, subs = parser.get_spec("complaint"), parser.get_subprocess_specs("complaint")
    script_engine = make_script_engine({**script_functions(), **SlaBook(None).script_functions(),
                                        **Governments(None).script_functions()})
    initial = {"complaint_id": 1, "category": "infrastruktur", "classification": "pengaduan", "channel": "web"}

    def start() -> BpmnWorkflow:
        wf = BpmnWorkflow(spec, subs, script_engine=script_engine)
        for task in wf.get_tasks(state=TaskState.READY):
            task.set_data(**initial)
        wf.do_engine_steps()
        return wf

    began = time.perf_counter()
    for _ in range(n):
        start()
    starts = rate(n, time.perf_counter() - began)
    began = time.perf_counter()
    for _ in range(n):
        wf = start()
        for element_id, data in STEPS:
            [task] = wf.get_tasks(state=TaskState.READY, manual=True)
            assert task.task_spec.bpmn_id == element_id
            task.set_data(**{k: v for k, v in data.items() if k != "answer"})
            task.run()
            wf.do_engine_steps()
        assert wf.completed
    return starts, rate(n, time.perf_counter() - began)


def fill_task_table(db: Database, cases: int, open_tasks: int) -> None:
    """Bulk rows shaped like real ones: `cases` complaints, `open_tasks` READY tasks."""
    agencies = ["dinkes-kalbar", "disdik-kalbar", "pupr-kalbar", "inspektorat-kalbar",
                "pemkot-pontianak", "pemkab-kuburaya"]
    with db.session() as s:
        pv_id = s.scalar(select(ProcessVersion.id))
        first = (s.scalar(select(ProcessInstance.id).order_by(ProcessInstance.id.desc())) or 0) + 1
    start = now()
    chunk = 10_000
    for base in range(0, cases, chunk):
        ids = range(first + base, first + min(base + chunk, cases))
        with db.transaction() as s:
            s.execute(insert(ProcessInstance), [
                {"id": i, "process_version_id": pv_id, "state": "{}", "version": 1, "completed": False,
                 "created_at": start, "updated_at": start} for i in ids])
            s.execute(insert(Complaint), [
                {"tracking_id": f"B{i:011d}", "tracking_secret_hash": "x", "title": f"Keluhan {i}",
                 "description": "bench", "category_code": "kesehatan", "classification": "pengaduan",
                 "channel": "web", "process_instance_id": i, "status": "terdisposisi",
                 "lead_agency_code": agencies[i % 6], "created_at": start, "anonymous": True,
                 "confidential": False} for i in ids])
            s.execute(insert(HumanTask), [
                {"id": f"{i:036d}", "process_instance_id": i, "element_id": "follow_up",
                 "name": "Tindak lanjuti laporan", "lane": "Penghubung Instansi", "role": "liaison",
                 "agency_code": agencies[i % 6], "state": "ready" if (i - first) < open_tasks else "completed",
                 "created_at": start - timedelta(hours=i % 500), "due_at": start + timedelta(hours=i % 997)}
                for i in ids])
    if db.is_postgres:
        with db.engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))
    else:
        with db.engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")


def bench_task_list(db: Database, reads: int) -> float:
    with db.session() as s:
        user = s.scalars(select(User).where(User.username == "dinkes.penghubung")).one()
    timings = []
    for i in range(reads):
        began = time.perf_counter()
        with db.session() as s:
            page = task_page(s, user, "team", TaskFilter(per_page=50, page=1 + i % 5))
        timings.append(time.perf_counter() - began)
        assert len(page.rows) == 50
    return round(statistics.quantiles(timings, n=20)[18] * 1000, 2)


def bench_dashboard(db: Database, reads: int) -> float:
    """p95 of the governor's dashboard (every agency of the province, all counts) in ms."""
    with db.session() as s:
        user = s.scalars(select(User).where(User.username == "gubernur")).one()
    timings = []
    for _ in range(reads):
        began = time.perf_counter()
        with db.session() as s:
            board = dashboard(s, user)
        timings.append(time.perf_counter() - began)
        assert board.totals.open_tasks > 0
    return round(statistics.quantiles(timings, n=20)[18] * 1000, 2)


def run(kind: str, quick: bool, figures: dict) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        db = fresh_database(kind, Path(scratch))
        prepare(db)
        n = 200 if quick else 2000
        figures[f"start_cases_per_s_{kind}"] = bench_start(db, n)
        figures[f"lifecycles_per_s_{kind}"] = bench_lifecycle(db, n // 4)
        cases, open_tasks = (20_000, 10_000) if quick else (200_000, 100_000)
        fill_task_table(db, cases, open_tasks)
        figures[f"task_list_p95_ms_{kind}"] = bench_task_list(db, 100 if quick else 400)
        figures[f"task_list_cases_{kind}"] = cases
        figures[f"dashboard_p95_ms_{kind}"] = bench_dashboard(db, 20 if quick else 40)
        db.dispose()
    print(f"{kind}: " + ", ".join(f"{k}={v}" for k, v in figures.items() if k.endswith(kind)), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a small run, under a minute")
    args = parser.parse_args()
    figures: dict[str, float] = {}
    bare_starts, bare_lifecycles = bare(200 if args.quick else 2000)
    figures.update(bare_start_cases_per_s=bare_starts, bare_lifecycles_per_s=bare_lifecycles)
    print(f"bare: starts/s={bare_starts}, lifecycles/s={bare_lifecycles}", flush=True)
    kinds = ["sqlite"] + (["postgres"] if os.environ.get("TINDAK_TEST_POSTGRES_URL") else [])
    for kind in kinds:
        run(kind, args.quick, figures)
        figures[f"persisted_to_bare_ratio_start_{kind}"] = round(bare_starts / figures[f"start_cases_per_s_{kind}"], 2)
        figures[f"persisted_to_bare_ratio_lifecycle_{kind}"] = round(
            bare_lifecycles / figures[f"lifecycles_per_s_{kind}"], 2)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
