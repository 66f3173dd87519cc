"""An English-speaking verifier sees the diagram's own texts in English: the task's name and
instructions, the form's labels and choices, the category; no Indonesian from the form is left."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login, shot

pytestmark = pytest.mark.browser
FORMS = Path(__file__).resolve().parents[2] / "bpmn" / "forms"


def indonesian_texts(form: str) -> set[str]:
    """The titles and choice labels the Indonesian form shows."""
    schema = json.loads((FORMS / form).read_text(encoding="utf-8"))
    found = {schema.get("title", "")}
    for prop in schema.get("properties", {}).values():
        found.add(prop.get("title", ""))
        found |= {option.get("title", "") for option in prop.get("oneOf", [])}
    return {text for text in found if text}


def test_a_verify_task_reads_in_english(page, live_server):
    base = live_server
    login(page, base, "verifikator")
    page.locator("form[action*='/language/en'] button").first.click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.goto(f"{base}/tasks/?tab=team")
    expect(page.locator("tbody")).to_contain_text("Verify the complaint")
    row = page.locator("tbody tr", has_text="Verify the complaint").first
    row.locator("a[href*='/tasks/']").first.click()
    page.wait_for_url(re.compile(r"/tasks/[0-9a-f-]+$"))

    english = json.loads((FORMS / "verify.en.json").read_text(encoding="utf-8"))
    main = page.locator("main")
    expect(main).to_contain_text("Check that the complaint is clear and complete")  # the instructions
    for key in ("decision.title", "decision.choices.disposisi", "decision.choices.arsipkan"):
        expect(main).to_contain_text(english[key])
    form_text = page.locator("main form").first.inner_text()
    left = {text for text in indonesian_texts("verify.json") if text in form_text}
    assert left == set(), f"Indonesian left on the English form: {left}"
    shot(page, "english-verify-task", page.locator("main"))
