"""load/run.py for a few seconds against a live server thread: it files, officers work, nothing fails.

Counts, not rates: a busy 2-core machine may be slow, never wrong.
"""
from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from engine.db import Database
from engine.deploy import deploy
from load import run as load_run
from webapp.app import create_app
from webapp.config import Settings
from workflows import setup
from workflows.models import Complaint


@pytest.mark.parametrize("url", ["http://10.0.0.1:5000", "http://192.168.1.5", "ftp://127.0.0.1/",
                                 "http://0.0.0.0:5000", "http://[::ffff:8.8.8.8]:80"])
def test_anything_but_loopback_is_refused(url):
    with pytest.raises(load_run.Refused):
        load_run.require_loopback(url)


def test_loopback_is_accepted():
    assert load_run.require_loopback("http://127.0.0.1:5000/") == "http://127.0.0.1:5000"
    assert load_run.require_loopback("http://localhost:8080") == "http://localhost:8080"


@pytest.fixture
def live_server(tmp_path):
    url = f"sqlite:///{tmp_path / 'tindak.db'}"
    db = Database(url)
    setup.initialise(db)
    with db.transaction() as session:
        deploy(session, [Path(__file__).resolve().parent.parent / "bpmn"], deployed_by="tests")
    setup.load_demo(db)
    settings = Settings.from_env({"TINDAK_DATABASE_URL": url, "TINDAK_SECRET_KEY": "load-smoke",
                                  "TINDAK_ATTACHMENT_DIR": str(tmp_path / "attachments")})
    app = create_app(settings, db=db)
    app.config["RATELIMIT_ENABLED"] = False
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", url
    server.shutdown()
    db.dispose()


def test_a_short_run_files_works_and_reconciles(live_server, capsys):
    base, database_url = live_server
    status = load_run.run(load_run.parse([
        "--base-url", base, "--duration", "12", "--complaints", "4", "--rate", "2", "--officers", "2",
        "--database-url", database_url]))
    out = capsys.readouterr().out
    figures = dict(line.split()[:2] for line in out.splitlines() if line.split()[:1] and line.split()[0] in (
        "complaints_filed", "tasks_completed", "errors", "check_integrity_exit"))
    assert status == 0, out
    assert int(figures["complaints_filed"]) > 0 and int(figures["tasks_completed"]) > 0, out
    assert "errors 0 " in out and figures["check_integrity_exit"] == "0", out


def test_the_reconciliation_refuses_a_database_the_run_did_not_write_to(live_server, tmp_path):
    """A server on the port that uses another database must not get a clean bill for the wrong one."""
    _base, database_url = live_server
    db = Database(database_url)
    with db.session() as s:
        complaint_id, tracking_id = s.execute(select(Complaint.id, Complaint.tracking_id).limit(1)).one()
    db.dispose()
    other = f"sqlite:///{tmp_path / 'other.db'}"
    setup.initialise(Database(other))
    assert load_run.filed_here({complaint_id: tracking_id}, {**os.environ, "TINDAK_DATABASE_URL": database_url})
    assert not load_run.filed_here({complaint_id: tracking_id}, {**os.environ, "TINDAK_DATABASE_URL": other})
    assert load_run.check_integrity(other, {complaint_id: tracking_id}) == 2
