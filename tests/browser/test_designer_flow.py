"""A designer's round in a real browser: the library, an upload whose form is broken (the error is
listed and marked on the offending task), the fixed upload deployed, the new version in the library."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import shot

pytestmark = pytest.mark.browser

DATA = Path(__file__).resolve().parents[1] / "data"


def login_designer(page, base: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#username", "perancang")
    page.fill("#password", "tindak-demo")
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{base}/design/")  # designers land on the process library


def upload(page, base: str, files: list[Path]) -> None:
    page.goto(f"{base}/design/upload")
    page.set_input_files("#files", [str(f) for f in files])
    page.get_by_test_id("upload-submit").click()


def version_rows(page, process_id: str):
    return page.locator(f'[data-testid=version-row][data-process="{process_id}"]')


def test_upload_check_fix_and_deploy(page, live_server, tmp_path):
    base = live_server
    page.on("dialog", lambda dialog: dialog.accept())  # the confirmation before deploying
    login_designer(page, base)
    expect(page.locator('[data-testid=process][data-process="complaint"]')).to_be_visible()
    expect(page.get_by_test_id("nav-design")).to_have_class(re.compile(r"\bactive\b"))

    # -- version 1 of a small process goes in first
    upload(page, base, [DATA / "simple_v1" / "simple.bpmn", DATA / "simple_v1" / "forms" / "simple.json"])
    page.wait_for_url(re.compile(r"/design/uploads/[\w-]+$"))
    # no errors; the test diagram has no English texts, which the check lists as warnings
    expect(page.get_by_test_id("check-result")).to_have_attribute("data-result", "warnings")
    page.get_by_test_id("deploy").click()
    page.wait_for_url(f"{base}/design/")
    expect(version_rows(page, "simple")).to_have_count(1)

    # -- a wrong file is refused by the page's script, with the reason
    notes = tmp_path / "notes.txt"
    notes.write_text("not a diagram")
    upload(page, base, [notes])
    expect(page.get_by_test_id("upload-errors")).to_be_visible()
    expect(page.get_by_test_id("upload-errors")).to_contain_text("notes.txt")
    assert page.url == f"{base}/design/upload"

    # -- version 2 with a broken form: the check lists the error and marks the task that names the form
    broken = tmp_path / "broken"
    (broken / "forms").mkdir(parents=True)
    shutil.copy(DATA / "simple_v2" / "simple.bpmn", broken / "simple.bpmn")
    (broken / "forms" / "simple.json").write_text('{"type": "object", "properties": ', encoding="utf-8")
    upload(page, base, [broken / "simple.bpmn", broken / "forms" / "simple.json"])
    page.wait_for_url(re.compile(r"/design/uploads/[\w-]+$"))
    expect(page.get_by_test_id("check-result")).to_have_attribute("data-result", "errors")
    problem = page.locator('[data-testid=problem][data-element="do_it"]')
    expect(problem).to_have_attribute("data-severity", "error")
    expect(problem.get_by_test_id("problem-message")).to_contain_text("forms/simple.json")
    expect(page.get_by_test_id("deploy")).to_have_count(0)
    diagram = page.locator("#upload-diagram")
    expect(diagram).to_have_attribute("data-rendered", "true")
    # the red badge sits on the task's own overlay container, and the shape is marked
    badge = page.locator('.djs-overlays[data-container-id="do_it"] .diagram-badge-error')
    expect(badge).to_be_visible()
    expect(badge).to_contain_text("forms/simple.json")
    expect(page.locator('.djs-element[data-element-id="do_it"].has-error')).to_have_count(1)
    # keyboard: the listed problem centres the diagram on the element
    problem.get_by_test_id("show-element").focus()
    page.keyboard.press("Enter")
    expect(diagram).to_have_attribute("data-centred", "do_it")
    expect(problem).to_have_class(re.compile(r"\bproblem-current\b"))
    path = shot(page, "designer-01-check-with-error")
    assert path.stat().st_size > 10_000

    # -- the fixed upload deploys as version 2, and the library says what changed
    upload(page, base, [DATA / "simple_v2" / "simple.bpmn", DATA / "simple_v2" / "forms" / "simple.json"])
    page.wait_for_url(re.compile(r"/design/uploads/[\w-]+$"))
    # no errors; the test diagram has no English texts, which the check lists as warnings
    expect(page.get_by_test_id("check-result")).to_have_attribute("data-result", "warnings")
    expect(page.locator("#upload-diagram")).to_have_attribute("data-rendered", "true")
    expect(page.locator(".diagram-badge")).to_have_count(0)
    page.get_by_test_id("deploy").click()
    page.wait_for_url(f"{base}/design/")
    expect(page.locator(".alert-success")).to_contain_text("simple")
    newest = page.locator('[data-testid=version-row][data-process="simple"][data-version="2"]')
    expect(newest.get_by_test_id("newest")).to_be_visible()
    expect(newest.get_by_test_id("summary-added")).to_contain_text("Periksa")
    expect(newest.get_by_test_id("deployed-from")).to_contain_text("upload: simple.bpmn, simple.json by perancang")
    shot(page, "designer-02-library-after-deploy")

    # -- the new version's own diagram draws
    newest.get_by_test_id("version-link").click()
    expect(page.locator("#version-diagram")).to_have_attribute("data-rendered", "true")
    shot(page, "designer-03-version")


def test_phone_width_library_and_check(browser, live_server, tmp_path):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="id-ID")
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        login_designer(page, live_server)
        shot(page, "designer-04-library-phone")
        broken = tmp_path / "simple.bpmn"
        broken.write_bytes((DATA / "broken_missing_flow_target.bpmn").read_bytes())
        upload(page, live_server, [broken, DATA / "simple_v1" / "forms" / "simple.json"])
        page.wait_for_url(re.compile(r"/design/uploads/[\w-]+$"))
        expect(page.locator("#upload-diagram")).to_have_attribute("data-rendered", "true")
        # bpmn-js cannot draw a flow to nowhere: the badge goes where the flow starts
        expect(page.locator('.djs-overlays[data-container-id="do_it"] .diagram-badge-error')).to_contain_text(
            "flow_do_it_to_end")
        expect(page.locator('[data-testid=problem] .at-source')).to_be_visible()
        # nothing sticks out sideways on a phone
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        shot(page, "designer-05-check-phone")
    finally:
        context.close()
