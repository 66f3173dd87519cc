"""The background worker: sends queued notices and fires due timers, until told to stop."""
from __future__ import annotations

import logging
import signal
import threading
from dataclasses import dataclass

from engine.db import Database
from engine.errors import ConcurrentUpdate, EngineError
from engine.runtime import ProcessEngine
from workflows import outbox

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
    """
    fired, passed_over = 0, set()  # cases that failed or had nothing to fire yet: not again this round
    for _ in range(limit):
        instance_id = None
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
            log.info("case %s changed while its timers ran; it is retried next round", instance_id)
            passed_over.add(instance_id)
        except EngineError:
            log.exception("timers of case %s failed; nothing of it was saved", instance_id)
            passed_over.add(instance_id)
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
