"""The `tindak` command: init, deploy, serve, worker, check-integrity."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from engine.db import Database
from engine.errors import InvalidDiagram
from webapp.config import Settings


def _database(settings: Settings) -> Database:
    settings.ensure_instance_folder()
    return Database(settings.database_url)


@click.group()
@click.pass_context
def main(ctx: click.Context) -> None:
    """Tindak: public-service complaints, handled on editable BPMN diagrams."""
    # whatever a command creates (database, attachments, the server's files) is Tindak's user's only;
    # set here, not at import, and given back when the command ends (tests call commands in-process)
    old = os.umask(0o077)
    ctx.call_on_close(lambda: os.umask(old))


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


def _print_problems(problems, heading: str) -> None:
    click.echo(heading, err=True)
    for problem in problems:
        click.echo(f"  {problem}", err=True)


def _deploy(db: Database, paths: list[Path], who: str, allow_old_content: bool = False) -> None:
    from workflows.design import deploy_files
    from workflows.process import make_process_engine

    where = ", ".join(str(p.resolve()) for p in paths)
    click.echo(f"Deploying {where}")
    try:
        outcome = deploy_files(db, make_process_engine(db), paths, deployed_by=who, deployed_from=where,
                               allow_old_content=allow_old_content)
    except InvalidDiagram as exc:
        _print_problems(exc.problems, f"Deployment refused, nothing was changed ({len(exc.problems)} problem(s)):")
        sys.exit(1)
    if outcome.report.warnings:
        _print_problems(outcome.report.warnings, "Warnings (deployed anyway):")
    for r in outcome.processes:
        if r.created:
            state = "new"
        elif r.version == r.latest:
            state = "unchanged"
        else:
            state = (f"same content as version {r.version}, which is not the newest ({r.latest}); nothing deployed "
                     "(use --allow-old-content to make it the newest again)")
        diagrams = [f for f in r.files if not f.startswith("forms/")]
        click.echo(f"{r.process_id}: version {r.version} ({state}) from {', '.join(diagrams)} "
                   f"and {len(r.files) - len(diagrams)} form file(s)")


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--by", "deployed_by", default=None, help="Who deploys (default: $USER).")
@click.option("--allow-old-content", is_flag=True,
              help="Deploy content identical to an older version as the newest version (a roll-back).")
def deploy(paths: tuple[Path, ...], deployed_by: str | None, allow_old_content: bool) -> None:
    """Check, then store new versions of the processes in PATHS (default: $TINDAK_BPMN_DIR or bpmn/).

    The whole deployment is refused if `tindak check` finds any error."""
    import getpass

    settings = Settings.from_env()
    if not paths and not settings.bpmn_dir.is_dir():
        click.echo(f"No folder {settings.bpmn_dir.resolve()}: name the folder to deploy (tindak deploy "
                   "path/to/bpmn) or set TINDAK_BPMN_DIR. Nothing was deployed.", err=True)
        sys.exit(1)
    _deploy(_database(settings), list(paths) or [settings.bpmn_dir], deployed_by or getpass.getuser(),
            allow_old_content)


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--no-dry-run", is_flag=True, help="Only the static checks (faster).")
def check(paths: tuple[Path, ...], no_dry_run: bool) -> None:
    """Check diagrams and forms in PATHS without deploying: structure, forms, scripts and
    expressions, names, timers, lanes, SLA keys, and a dry run of every path. Exit 1 on errors."""
    from workflows.design import check_files
    from workflows.process import make_process_engine

    settings = Settings.from_env()
    db = _database(settings)
    report = check_files(db, make_process_engine(db), list(paths), dry_run=not no_dry_run)
    for problem in report.problems:
        click.echo(str(problem), err=problem.severity == "error")
    for process_id, covered in report.coverage.items():
        click.echo(f"{process_id}: dry run of {covered['runs']} run(s) took {covered['branches']} of "
                   f"{covered['branches_total']} branches")
        for branch in covered["untaken"]:
            click.echo(f"  not reached: {branch}")
    if not report.ok:
        click.echo(f"{len(report.errors)} error(s): deploy would refuse this", err=True)
        sys.exit(1)
    click.echo(f"OK: no errors, {len(report.warnings)} warning(s)")


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

    from webapp.services import CATALOGS
    from workflows import worker as background
    from workflows.notifications import Notifier
    from workflows.outbox import MaskAddresses
    from workflows.process import make_process_engine

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    for handler in logging.getLogger().handlers:
        handler.addFilter(MaskAddresses())  # no reporter's address in the log, not even in a traceback
    logging.getLogger("spiff").setLevel(logging.WARNING)  # SpiffWorkflow logs every task state change
    settings = Settings.from_env()
    db = _database(settings)
    engine = make_process_engine(db, Notifier(settings.public_url, CATALOGS))
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


@main.command("check-integrity")
@click.option("--batch-size", type=int, default=100, show_default=True, help="Workflows read per batch.")
def check_integrity(batch_size: int) -> None:
    """Reconcile the task and timer tables with the workflows; exit 1 when anything disagrees."""
    from workflows.integrity import check
    from workflows.process import make_process_engine

    db = _database(Settings.from_env())
    found = 0
    for finding in check(db, make_process_engine(db), batch_size=max(1, batch_size)):
        found += 1
        click.echo(str(finding))
    if found:
        click.echo(f"{found} inconsistency(ies) found", err=True)
        sys.exit(1)
    click.echo("OK: complaints, cases, task rows and timers agree")


if __name__ == "__main__":
    main()
