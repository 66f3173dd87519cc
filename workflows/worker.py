"""The background worker: sends queued notices and fires due timers, until told to stop."""
from __future__ import annotations

import logging
import signal
import threading
from dataclasses import dataclass

from engine.db import Database
from engine.errors import ConcurrentUpdate
from engine.runtime import ProcessEngine
from workflows import outbox
from workflows.case_errors import record_failure

log = logging.getLogger("tindak.worker")


@dataclass
class WorkerSettings:
    smtp: outbox.SmtpSettings | None
    idle_seconds: float = 5.0  # the longest sleep between rounds when there is nothing to do
    batch: int = 50


def fire_due_timers(db: Database, engine: ProcessEngine, limit: int = 50) -> int:
    """Fire due timers, each case in its own transaction; returns how many cases had timers fire.

    The case row is locked while its timers run (SKIP LOCKED lets other workers take the
    next case), and the save checks the version, so a timer fires exactly once however many
    workers run; a worker killed mid-way leaves each case either done or untouched.

    A case whose step fails, whatever the exception, rolls back whole; it is then marked in
    error in a transaction of its own, with a back-off (`engine.repair.backoff`) during which no
    worker claims it, and the round goes on with the other cases.
    """
    fired = 0
    passed_over: set[int] = set()  # cases that failed or had nothing to fire yet: not again this round
    for _ in range(limit):
        instance_id: int | None = None
        try:
            with db.transaction() as session:
                instance_id = engine.claim_due_instance(session, skip=passed_over)
                if instance_id is None:
                    break
                if engine.fire_timers(session, instance_id):
                    fired += 1
                else:
                    passed_over.add(instance_id)
        except ConcurrentUpdate:
            if instance_id is None:
                raise  # only saving a claimed case raises it
            log.info("case %s changed while its timers ran; it is retried next round", instance_id)
            passed_over.add(instance_id)
        except Exception as exc:  # noqa: BLE001 (one poisoned case must not stall the others)
            if instance_id is None:
                raise  # not a case's failure (e.g. the database is down): the round ends
            passed_over.add(instance_id)
            error, recorded = record_failure(db, engine, instance_id, exc, "system", back_off=True)
            log.warning("timers of case %s failed at %s (attempt %s), nothing of it was saved; %s: %s",
                        instance_id, error.element_id or "?", error.attempts or "?",
                        f"next try after {error.retry_after:%Y-%m-%d %H:%M:%S} UTC" if error.retry_after
                        else "not marked", error.message, exc_info=error.attempts <= 1)
            if not recorded:
                log.error("case %s could not be marked; it is tried again next round", instance_id)
    return fired


def run_once(db: Database, engine: ProcessEngine, settings: WorkerSettings) -> int:
    """One round; returns how much work was done."""
    done = fire_due_timers(db, engine, settings.batch)
    if settings.smtp is not None:
        done += outbox.deliver_due(db, settings.smtp, settings.batch)
    return done


def run(db: Database, engine: ProcessEngine, settings: WorkerSettings, stop: threading.Event | None = None) -> None:
    """Work until SIGTERM/SIGINT (or `stop` is set); a round in progress finishes first."""
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
    if settings.smtp is None:
        log.warning("no SMTP server configured (TINDAK_SMTP_HOST): notices stay queued")
    log.info("worker started")
    while not stop.is_set():
        try:
            done = run_once(db, engine, settings)
        except Exception:  # a database hiccup must not kill the worker; try again next round
            log.exception("worker round failed")
            done = 0
        if done:
            log.info("worker round: %s done", done)
        else:
            stop.wait(settings.idle_seconds)
    log.info("worker stopped")
