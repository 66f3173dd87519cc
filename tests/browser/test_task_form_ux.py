"""Task forms and the case page in a real browser (issue 13): only the chosen branch's fields,
the case diagram at a readable scale, readable navbar links."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import login, shot

TITLE = "Antrean poli penyakit dalam RSUD Soedarso"  # a demo complaint waiting for verification


def _open_verify_task(page, base):
    page.goto(f"{base}/tasks/?tab=team&q={TITLE.replace(' ', '+')}")
    page.locator("[data-testid=task-row]").first.get_by_role("link", name=re.compile("Antrean poli")).click()
    page.wait_for_url(re.compile(r"/tasks/[0-9a-f-]+$"))


def test_the_verifier_sees_only_the_fields_of_the_decision_taken(page, live_server):
    login(page, live_server, "verifikator")
    _open_verify_task(page, live_server)
    agency, reason, question = page.locator("#field-lead_agency"), page.locator("#field-reason"), \
        page.locator("#field-details_question")
    # nothing decided yet: no branch is shown, and nothing says "the reporter will read this"
    for control in (agency, reason, question):
        expect(control).to_be_hidden()
    expect(page.locator("[data-testid^=public-]:visible")).to_have_count(0)
    expect(page.locator("#field-note")).to_be_visible()

    page.get_by_label("Disposisikan ke instansi").check()
    expect(agency).to_be_visible()
    expect(reason).to_be_hidden()
    expect(question).to_be_hidden()
    expect(agency).to_have_attribute("required", "")
    expect(page.locator("[data-testid^=public-]:visible")).to_have_count(0)
    shot(page, "ux-01-verify-disposisi")

    page.get_by_label("Arsipkan").check()
    expect(reason).to_be_visible()
    expect(agency).to_be_hidden()
    expect(question).to_be_hidden()
    expect(page.locator("[data-testid=public-reason]")).to_be_visible()
    expect(page.locator("[data-testid=when-reason] legend")).to_contain_text("Hanya bila Anda memilih “Arsipkan”")
    shot(page, "ux-02-verify-arsipkan")
    # an archive reason typed, then back to disposisi: the reason is hidden, disabled, not sent
    page.fill("#field-reason", "tidak jadi")
    page.get_by_label("Disposisikan ke instansi").check()
    expect(reason).to_be_disabled()
    expect(reason).not_to_have_attribute("required", "")


def test_without_javascript_every_branch_is_shown_under_its_heading(browser, live_server):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="id-ID", java_script_enabled=False)
    page = context.new_page()
    try:
        login(page, live_server, "verifikator")
        _open_verify_task(page, live_server)
        for name, choice in (("lead_agency", "Disposisikan ke instansi"), ("details_question", "Minta data tambahan"),
                             ("reason", "Arsipkan")):
            group = page.locator(f"[data-testid=when-{name}]")
            expect(group.locator(f"#field-{name}")).to_be_visible()
            expect(group.locator("legend")).to_contain_text(f"Hanya bila Anda memilih “{choice}")
        shot(page, "ux-03-verify-no-javascript")
    finally:
        context.close()
