"""Timer benchmark: due timers fired per second (one worker, two workers), and the time to
preview and re-arm running cases after an SLA change.

Prints its figures, the last line one JSON object. `--quick` for a run under a minute.
Uses PostgreSQL from TINDAK_TEST_POSTGRES_URL (a scratch database is made beside it);
without it, SQLite and one worker only.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, func, make_url, select, text  # noqa: E402

from engine.clock import set_clock  # noqa: E402
from engine.db import Database  # noqa: E402
from engine.deploy import deploy  # noqa: E402
from engine.models import AuditEvent  # noqa: E402
from workflows import reference_data, schema, sla, sla_changes, worker  # noqa: E402
from workflows.process import make_process_engine  # noqa: E402
from workflows.routing import seed_lanes  # noqa: E402

ARMED = datetime(2026, 11, 24, 3, 0, tzinfo=timezone.utc)
LATER = ARMED + timedelta(days=30)
PROBE = ROOT / "tests" / "data" / "sla_probe"


def scratch_database(kind: str, folder: Path, name: str) -> Database:
    if kind == "sqlite":
        return Database(f"sqlite:///{folder / (name + '.db')}")
    url = make_url(os.environ["TINDAK_TEST_POSTGRES_URL"])
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return Database(url.set(database=name).render_as_string(hide_password=False))


def prepare(db: Database, cases: int) -> None:
    schema.upgrade(db)
    with db.transaction() as s:
        seed_lanes(s)
        reference_data.seed_categories(s)
        reference_data.seed_demo_organisation(s)
        sla.seed_defaults(s)
    with db.transaction() as s:
        deploy(s, [PROBE], deployed_by="bench")
    engine = make_process_engine(db)
    set_clock(lambda: ARMED)
    try:
        for base in range(0, cases, 500):
            with db.transaction() as s:
                for _ in range(min(500, cases - base)):
                    engine.start(s, "sla_probe", {"category": "kesehatan", "lead_agency": "dinkes-kalbar"}, "bench")
    finally:
        set_clock(None)


def _work(url: str) -> None:
    set_clock(lambda: LATER)
    db = Database(url)
    engine = make_process_engine(db)
    idle = 0
    while idle < 2:
        idle = idle + 1 if worker.fire_due_timers(db, engine, limit=50) == 0 else 0
    db.dispose()


def fire_rate(db: Database, cases: int, workers: int) -> float:
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_work, args=(db.url,)) for _ in range(workers)]
    began = time.perf_counter()
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    elapsed = time.perf_counter() - began
    with db.session() as s:
        fired = s.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.kind == "timer_fired"))
    assert fired == cases, f"{fired} of {cases} timers fired"
    return round(cases / elapsed, 1)


def rearm_times(db: Database) -> tuple[float, float, int]:
    engine = make_process_engine(db)
    set_clock(lambda: ARMED + timedelta(hours=1))
    try:
        edit = sla_changes.SlaEdit("first_response", 3, "working_days")
        began = time.perf_counter()
        preview = sla_changes.preview(db, engine, edit)
        preview_s = time.perf_counter() - began
        change_id = sla_changes.save_policy(db, engine, "bench", edit)
        began = time.perf_counter()
        moved, _ = sla_changes.apply_to_running(db, engine, "bench", change_id)
        apply_s = time.perf_counter() - began
    finally:
        set_clock(None)
    assert moved == preview.cases
    return round(preview_s, 2), round(apply_s, 2), moved


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a small run, under a minute")
    args = parser.parse_args()
    cases = 1000 if args.quick else 10_000
    kind = "postgres" if os.environ.get("TINDAK_TEST_POSTGRES_URL") else "sqlite"
    figures: dict[str, float] = {"due_timers": cases}
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        runs = [1, 2] if kind == "postgres" else [1]
        for workers in runs:
            db = scratch_database(kind, folder, f"tindak_bench_timers_{workers}")
            prepare(db, cases)
            figures[f"timers_fired_per_s_{workers}_worker_{kind}"] = fire_rate(db, cases, workers)
            db.dispose()
            print(f"{workers} worker(s): {figures[f'timers_fired_per_s_{workers}_worker_{kind}']} timers/s", flush=True)
        if kind == "postgres":
            figures["two_to_one_worker_ratio"] = round(
                figures["timers_fired_per_s_2_worker_postgres"] / figures["timers_fired_per_s_1_worker_postgres"], 2)
        db = scratch_database(kind, folder, "tindak_bench_rearm")
        prepare(db, cases)
        preview_s, apply_s, moved = rearm_times(db)
        figures.update({f"sla_preview_s_{kind}": preview_s, f"sla_rearm_s_{kind}": apply_s, "rearmed_cases": moved})
        print(f"preview {preview_s}s, re-arm {apply_s}s for {moved} running cases", flush=True)
        db.dispose()
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
