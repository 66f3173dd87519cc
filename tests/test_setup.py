"""Setting up: migrations match the models, and `tindak init --demo` twice duplicates nothing."""
from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.util import CommandError
from click.testing import CliRunner
from sqlalchemy import func, select

from engine.db import Base, Database
from engine.models import AuditEvent, HumanTask, ProcessVersion
from webapp.cli import main
from workflows.coordination import CoordinationRequest
from workflows.models import Agency, Complaint, User
from workflows.schema import alembic_config


def test_migrations_match_the_models(db):
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == [], "a model changed without a migration"


def counts(db):
    with db.session() as s:
        return {model.__name__: s.scalar(select(func.count()).select_from(model))
                for model in (Complaint, User, Agency, ProcessVersion, HumanTask, AuditEvent)}


def test_init_demo_twice_keeps_data_and_adds_nothing(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'instance' / 'tindak.db'}"
    monkeypatch.setenv("TINDAK_DATABASE_URL", url)
    runner = CliRunner()
    first = runner.invoke(main, ["init", "--demo"])
    assert first.exit_code == 0, first.output
    assert "34 complaints added" in first.output
    db = Database(url)
    before = counts(db)
    assert before["Complaint"] == 34 and before["ProcessVersion"] == 3  # complaint, coordination, its round
    second = runner.invoke(main, ["init", "--demo"])
    assert second.exit_code == 0, second.output
    assert "0 complaints added" in second.output and "unchanged" in second.output
    assert counts(db) == before
    with db.session() as s:
        statuses = set(s.scalars(select(Complaint.status)))
    assert {"belum_terverifikasi", "tertunda", "terdisposisi", "proses", "selesai", "diarsipkan"} <= statuses
    with db.session() as s:  # a coordination under way, and a transfer waiting for Kubu Raya's verifier
        ready = s.scalars(select(HumanTask).where(HumanTask.state == "ready"))
        waiting = {(t.element_id, t.agency_code) for t in ready}
        requests = {(r.agency_code, r.status) for r in s.scalars(select(CoordinationRequest))}
    assert {("coordination_reply", "pemkab-kuburaya"), ("redispose_complaint", "pemkab-kuburaya")} <= waiting
    assert requests == {("dinkes-kalbar", "answered"), ("pemkab-kuburaya", "waiting")}
    db.dispose()


def test_serve_refuses_without_a_database(tmp_path, monkeypatch):
    monkeypatch.setenv("TINDAK_DATABASE_URL", f"sqlite:///{tmp_path / 'none.db'}")
    result = CliRunner().invoke(main, ["serve"])
    assert result.exit_code == 1 and "tindak init" in result.output


def test_migrations_without_a_connection_or_a_url_say_so():
    config = alembic_config("sqlite://")
    config.remove_main_option("sqlalchemy.url")
    with pytest.raises(CommandError, match="sqlalchemy.url"):
        command.upgrade(config, "head")
