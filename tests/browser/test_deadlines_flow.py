"""A task keeps its deadline after it passes: the verifier's overdue filter and the governor's
dashboard show the overdue verifications, in red, after the worker has fired their deadlines."""
from __future__ import annotations

from datetime import timedelta
from io import BytesIO

import pytest

from engine.clock import now, set_clock
from tests.browser.conftest import demo_server, login, shot
from workflows.process import make_process_engine
from workflows.worker import fire_due_timers

pytestmark = pytest.mark.browser
SLA_RED = (0xDC, 0x35, 0x45)  # .sla-red in webapp/static/css


def red_pixels(png: bytes) -> int:
    """How many pixels of a screenshot are the overdue badge's red (give or take anti-aliasing)."""
    from PIL import Image

    image = Image.open(BytesIO(png)).convert("RGB")
    return sum(1 for pixel in image.get_flattened_data() if all(abs(a - b) <= 12 for a, b in zip(pixel, SLA_RED)))


@pytest.fixture(scope="module")
def overdue_server(tmp_path_factory):
    """The demo, two weeks later, after the worker fired every due timer."""
    later = now() + timedelta(days=14)

    def two_weeks_on(db):
        set_clock(lambda: later)
        engine = make_process_engine(db)
        while fire_due_timers(db, engine, limit=200):
            pass

    try:
        with demo_server(tmp_path_factory.mktemp("overdue"), two_weeks_on) as base:
            yield base
    finally:
        set_clock(None)


def test_overdue_tasks_keep_their_deadline_in_the_list_and_on_the_dashboard(overdue_server, page):
    base = overdue_server
    login(page, base, "verifikator")
    page.goto(f"{base}/tasks/?tab=team&overdue=1")
    badges = page.locator("tbody [data-testid=sla]")
    assert badges.count() > 0, "overdue verifications must still be listed as overdue"
    assert set(badges.evaluate_all("els => els.map(e => e.dataset.sla)")) == {"red"}
    table = page.locator("table").first
    assert red_pixels(table.screenshot()) > 200  # the red badges are really drawn
    shot(page, "deadlines-overdue-list")

    page.context.clear_cookies()
    login(page, base, "gubernur")
    page.goto(f"{base}/dashboard")
    total = page.locator("[data-testid=totals] [data-testid=tasks-red]")
    assert int(total.get_attribute("data-count")) >= badges.count()
    assert red_pixels(page.locator("[data-testid=totals]").screenshot()) > 20
    shot(page, "deadlines-dashboard")
