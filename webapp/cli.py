"""The `tindak` command: init, deploy, serve."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from engine.db import Database
from engine.deploy import deploy as deploy_processes
from engine.errors import InvalidDiagram
from webapp.config import Settings


def _database(settings: Settings) -> Database:
    settings.ensure_instance_folder()
    return Database(settings.database_url)


@click.group()
def main() -> None:
    """Tindak: public-service complaints, handled on editable BPMN diagrams."""


@main.command()
@click.option("--demo", is_flag=True, help="Also deploy bpmn/ and load the West Kalimantan demo data.")
def init(demo: bool) -> None:
    """Create or upgrade the database schema (and seed the demo)."""
    from workflows import setup

    settings = Settings.from_env()
    db = _database(settings)
    setup.initialise(db)
    click.echo(f"schema up to date at {settings.database_url}")
    if demo:
        _deploy(db, [settings.bpmn_dir], "init --demo")
        added = setup.load_demo(db)
        click.echo(f"demo data ready ({added} complaints added)")


def _deploy(db: Database, paths: list[Path], who: str) -> None:
    try:
        with db.transaction() as session:
            results = deploy_processes(session, paths, deployed_by=who)
    except InvalidDiagram as exc:
        click.echo(f"Deployment refused, nothing was changed ({len(exc.problems)} problem(s)):", err=True)
        for problem in exc.problems:
            click.echo(f"  {problem}", err=True)
        sys.exit(1)
    for r in results:
        click.echo(f"{r.process_id}: version {r.version} ({'new' if r.created else 'unchanged'})")


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--by", "deployed_by", default=None, help="Who deploys (default: $USER).")
def deploy(paths: tuple[Path, ...], deployed_by: str | None) -> None:
    """Parse, validate and store new versions of the processes in PATHS (default: bpmn/)."""
    import getpass

    settings = Settings.from_env()
    _deploy(_database(settings), list(paths) or [settings.bpmn_dir], deployed_by or getpass.getuser())


@main.command()
@click.option("--bind", default=None, help="host:port (default 127.0.0.1:$PORT, or 5000)")
@click.option("--workers", type=int, default=None, help="web processes (default $TINDAK_WEB_WORKERS or 2)")
@click.option("--with-worker", is_flag=True, help="Also run one background worker (single-machine set-ups).")
def serve(bind: str | None, workers: int | None, with_worker: bool) -> None:
    """Serve the web application with gunicorn."""
    import subprocess

    from webapp.serve import serve as run_server

    settings = Settings.from_env()
    if settings.database_url.startswith("sqlite") and not Path(settings.database_url.removeprefix("sqlite:///")).exists():
        click.echo("No database yet: run `tindak init` (or `tindak init --demo`) first.", err=True)
        sys.exit(1)
    background = subprocess.Popen([sys.executable, "-m", "webapp.cli", "worker"]) if with_worker else None
    try:
        run_server(settings, bind or f"{settings.host}:{settings.port}", workers or settings.workers)
    finally:
        if background is not None:
            background.terminate()  # SIGTERM: the worker finishes its round and exits
            background.wait(timeout=30)


@main.command()
@click.option("--once", is_flag=True, help="Do one round of work and exit.")
def worker(once: bool) -> None:
    """Send queued notices and fire due timers (runs until SIGTERM)."""
    import logging

    from workflows import worker as background
    from workflows.notifications import Notifier
    from workflows.process import make_process_engine

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("spiff").setLevel(logging.WARNING)  # SpiffWorkflow logs every task state change
    settings = Settings.from_env()
    db = _database(settings)
    engine = make_process_engine(db, Notifier(settings.public_url))
    worker_settings = background.WorkerSettings(smtp=settings.smtp())
    if once:
        click.echo(f"{background.run_once(db, engine, worker_settings)} done")
    else:
        background.run(db, engine, worker_settings)


@main.command("repair-due-dates")
def repair_due_dates() -> None:
    """Give overdue tasks back the due date older versions dropped when their deadline fired (once, after upgrading)."""
    from workflows.deadlines import restore_due_dates
    from workflows.process import make_process_engine

    db = _database(Settings.from_env())
    click.echo(f"{restore_due_dates(db, make_process_engine(db))} task(s) given their due date back")


if __name__ == "__main__":
    main()
