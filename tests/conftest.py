"""Shared fixtures: a database per test on SQLite and (when configured) PostgreSQL.

Set TINDAK_TEST_POSTGRES_URL (as .ci/run does) and every test that takes `db` runs twice,
once per backend. A configured PostgreSQL that cannot be reached fails the run.
"""
from __future__ import annotations

import os
import shutil
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text

from engine.clock import set_clock
from engine.db import Base, Database
from engine.deploy import deploy
from engine.serialization import forget_cached_specs
from workflows import reference_data, schema, sla
from workflows.process import make_process_engine
from workflows.routing import seed_lanes

ROOT = Path(__file__).resolve().parent.parent
BPMN_DIR = ROOT / "bpmn"
DATA = Path(__file__).resolve().parent / "data"
POSTGRES_URL = os.environ.get("TINDAK_TEST_POSTGRES_URL")
BACKENDS = ["sqlite"] + (["postgres"] if POSTGRES_URL else [])
if os.environ.get("TINDAK_REQUIRE_POSTGRES") and not POSTGRES_URL:
    raise RuntimeError("TINDAK_REQUIRE_POSTGRES is set but TINDAK_TEST_POSTGRES_URL is not")


def _seed(db: Database) -> None:
    with db.transaction() as session:
        seed_lanes(session)
        reference_data.seed_categories(session)
        sla.seed_defaults(session)
        reference_data.seed_demo_organisation(session)
    with db.transaction() as session:
        deploy(session, [BPMN_DIR], deployed_by="tests")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    db = Database(f"sqlite:///{path}")
    schema.upgrade(db)
    _seed(db)
    db.dispose()  # closing the last connection checkpoints the WAL into the file
    return path


@pytest.fixture(scope="session")
def postgres_schema() -> str:
    """A database of this test run's own (so parallel runs never meet), migrated to head."""
    url = make_url(POSTGRES_URL)
    name = f"tindak_test_{os.getpid()}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    own_url = url.set(database=name).render_as_string(hide_password=False)
    db = Database(own_url)
    schema.upgrade(db)
    db.dispose()
    yield own_url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _reset_postgres(url: str) -> Database:
    db = Database(url)
    tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
    with db.engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    _seed(db)
    return db


@pytest.fixture(params=BACKENDS)
def db(request, tmp_path) -> Database:
    """A seeded database (demo organisation, categories, bpmn/ deployed), new for each test."""
    forget_cached_specs()
    if request.param == "sqlite":
        path = tmp_path / "tindak.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        database = Database(f"sqlite:///{path}")
    else:
        database = _reset_postgres(request.getfixturevalue("postgres_schema"))
    yield database
    database.dispose()
    forget_cached_specs()


class FrozenClock:
    """The engine's clock (SpiffWorkflow's timers included), standing still until a test moves it."""

    def __init__(self, start):
        self.now = start

    def at(self, moment) -> "FrozenClock":
        self.now = moment
        return self


# Monday 6 April 2026, 09:00 WIB: an ordinary working week
MONDAY = datetime(2026, 4, 6, 2, 0, tzinfo=timezone.utc)


@pytest.fixture
def clock():
    """Time frozen at MONDAY; `clock.at(moment)` moves it. Restored afterwards."""
    current = FrozenClock(MONDAY)
    set_clock(lambda: current.now)
    try:
        yield current
    finally:
        set_clock(None)


@pytest.fixture
def process_engine(db):
    return make_process_engine(db)


@pytest.fixture
def app(db):
    from webapp.app import create_app
    from webapp.config import Settings

    settings = Settings.from_env({"TINDAK_SECRET_KEY": "test-secret", "TINDAK_DATABASE_URL": db.url})
    application = create_app(settings, db=db, testing=True)
    application.config["WTF_CSRF_ENABLED"] = False  # CSRF has its own test with it switched on
    # rate limits stay on: they count in this test's own database (webapp/ratelimit.py), so they start at zero
    return application


@pytest.fixture
def client(app):
    return app.test_client()


class AuthActions:
    """Log a test client in as one of the demo users (password tindak-demo)."""

    def __init__(self, client):
        self.client = client

    def login(self, username: str, password: str = "tindak-demo"):
        response = self.client.post("/login", data={"username": username, "password": password})
        assert response.status_code == 302, f"login as {username} failed"
        return response

    def logout(self):
        return self.client.post("/logout")


@pytest.fixture
def auth(client):
    return AuthActions(client)
