"""Browser tests: a live Tindak (demo data, SQLite) in a thread, driven by Debian's Chromium.

Without /usr/bin/chromium these tests are skipped, except when TINDAK_REQUIRE_BROWSER is set
(as in CI), where a missing browser is a failure.
"""
from __future__ import annotations

import os
import shutil
import threading
from contextlib import contextmanager
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from engine.db import Database
from webapp.app import create_app
from webapp.config import Settings
from workflows import setup

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-quic", "--no-first-run"]
SCREENSHOTS = Path(os.environ.get("TINDAK_SCREENSHOTS", "/tmp/tindak-screenshots"))


def _require_browser() -> None:
    if Path(CHROMIUM).exists():
        return
    if os.environ.get("TINDAK_REQUIRE_BROWSER"):
        pytest.fail(f"Chromium not found at {CHROMIUM}; CI must install Debian's chromium package")
    pytest.skip("Chromium is not installed (apt-get install chromium); browser tests skipped")


@contextmanager
def demo_server(folder: Path, before_serving=None):
    """The demo in a new SQLite database under `folder`, served on a free local port: yields its
    base URL. `before_serving(db)` may change the data first (e.g. move time on)."""
    url = f"sqlite:///{folder / 'tindak.db'}"
    db = Database(url)
    setup.initialise(db)
    from engine.deploy import deploy

    with db.transaction() as session:
        deploy(session, [Path(__file__).resolve().parents[2] / "bpmn"], deployed_by="tests")
    setup.load_demo(db)
    if before_serving is not None:
        before_serving(db)
    settings = Settings.from_env({"TINDAK_DATABASE_URL": url, "TINDAK_SECRET_KEY": "browser-tests"})
    app = create_app(settings, db=db)
    app.config["RATELIMIT_ENABLED"] = False
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        db.dispose()


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    """The demo, served on a free local port; yields its base URL."""
    with demo_server(tmp_path_factory.mktemp("live")) as base:
        yield base


@pytest.fixture(scope="module")
def browser():
    _require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="id-ID")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def shot(page, name: str, target=None) -> Path:
    """Save a screenshot (full page, or of `target`, a locator) for people to look at, and check it
    shows something: a blank or one-colour page (a failed render, an unstyled error) fails."""
    from PIL import Image

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    if target is None:
        page.screenshot(path=str(path), full_page=True)
    else:
        target.screenshot(path=str(path))
    with Image.open(path) as image:
        colours = image.convert("RGB").getcolors(maxcolors=1 << 16) or []
        pixels = image.width * image.height
    assert len(colours) > 16 or not colours, f"{name}: the screenshot is nearly blank ({len(colours)} colours)"
    assert max((count for count, _ in colours), default=0) < 0.995 * pixels, f"{name}: one colour fills it"
    return path


def login(page, base: str, username: str, password: str = "tindak-demo") -> None:
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{base}/tasks/**")


def logout(page, base: str) -> None:
    page.context.clear_cookies()
