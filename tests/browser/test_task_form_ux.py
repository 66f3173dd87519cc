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


MIN_SCALE = 0.6


def _ratio(fg, bg) -> float:
    def luminance(rgb):
        def channel(c):
            c /= 255
            return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
        r, g, b = (channel(c) for c in rgb)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b
    high, low = sorted((luminance(fg), luminance(bg)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def _rgba(text):
    parts = [float(p) for p in re.findall(r"[\d.]+", text)]
    return parts[:3], (parts[3] if len(parts) > 3 else 1.0)


def test_the_case_diagram_is_readable_and_shows_the_current_step(page, live_server):
    login(page, live_server, "verifikator")
    _open_verify_task(page, live_server)
    page.locator("nav[aria-label=breadcrumb] a[href*='/cases/']").click()
    diagram = page.locator("[data-testid=diagram]")
    expect(diagram).to_have_attribute("data-rendered", "true")
    assert page.viewport_size["width"] == 1280
    scale = float(diagram.get_attribute("data-scale"))
    assert scale >= MIN_SCALE
    # the scale the drawing really has (the viewport group's transform), not only what the script says
    drawn = page.evaluate("() => document.querySelector('#case-diagram .viewport').getCTM().a")
    assert abs(drawn - scale) < 0.01
    frame = diagram.bounding_box()
    current = page.locator(".djs-element.active[data-element-id=verify_complaint]").bounding_box()
    assert frame["x"] <= current["x"] and current["x"] + current["width"] <= frame["x"] + frame["width"]
    assert frame["y"] <= current["y"] and current["y"] + current["height"] <= frame["y"] + frame["height"]
    diagram.scroll_into_view_if_needed()
    shot(page, "ux-04-case-diagram", diagram)

    # the zoom buttons work from the keyboard
    zoom_in = page.locator("[data-diagram-zoom=in]")
    zoom_in.focus()
    page.keyboard.press("Enter")
    expect(diagram).to_have_attribute("data-scale", f"{min(scale * 1.25, 3):.3f}")
    page.locator("[data-diagram-zoom=out]").focus()
    page.keyboard.press("Space")
    page.keyboard.press("Space")
    page.locator("[data-diagram-zoom=fit]").focus()
    page.keyboard.press("Enter")
    expect(diagram).to_have_attribute("data-scale", f"{scale:.3f}")


def test_officers_navbar_links_meet_wcag_aa_contrast(page, live_server):
    login(page, live_server, "verifikator")
    colours = page.evaluate("""() => {
        const nav = document.querySelector('nav.navbar');
        const link = nav.querySelector('.nav-link:not(.active)');
        return [getComputedStyle(link).color, getComputedStyle(nav).backgroundColor];
    }""")
    (fg, alpha), (bg, _a) = _rgba(colours[0]), _rgba(colours[1])
    shown = [alpha * f + (1 - alpha) * b for f, b in zip(fg, bg)]
    assert _ratio(shown, bg) >= 4.5, colours
    shot(page, "ux-05-navbar")


def test_the_liaison_sees_the_answer_or_the_not_ours_fields_and_what_happens_next(page, live_server):
    login(page, live_server, "dinkes.penghubung")
    page.goto(f"{live_server}/tasks/?tab=team")
    row = page.locator("[data-testid=task-row]", has_text="Tindak lanjuti laporan").first
    row.locator("a[href*='/tasks/']").first.click()
    page.wait_for_url(re.compile(r"/tasks/[0-9a-f-]+$"))
    answer, reason, suggested = (page.locator(f"#field-{n}") for n in ("answer", "reason", "suggested_agency"))
    what_next = page.locator("[data-testid=what-next]")
    page.get_by_label("Kirim jawaban/tindak lanjut").check()
    expect(answer).to_be_visible()
    expect(reason).to_be_hidden()
    expect(suggested).to_be_hidden()
    expect(what_next).to_be_visible()
    expect(what_next).to_contain_text("tetap “Proses” sampai pelapor menanggapi, paling lambat sampai")
    shot(page, "ux-06-follow-up-answer")
    page.get_by_label("Bukan wewenang kami").check()
    expect(reason).to_be_visible()
    expect(suggested).to_be_visible()
    expect(answer).to_be_hidden()
    expect(what_next).to_be_hidden()
    # the answer is sent: the case page says it waits for the reporter, and the diagram shows that step
    page.get_by_label("Kirim jawaban/tindak lanjut").check()
    page.fill("#field-answer", "Obat akan diganti melalui klaim BPJS; silakan hubungi loket pengaduan RSUD.")
    page.click("[data-testid=complete]")
    page.wait_for_url(re.compile(r"/cases/\d+"))
    waiting = page.locator("[data-testid=waiting-for-reporter]")
    expect(waiting).to_contain_text(re.compile(r"Menunggu pelapor hingga \d{1,2} \w+ \d{4} \d\d:\d\d WIB"))
    expect(page.locator("[data-role=reporter] a")).to_have_count(0)
    diagram = page.locator("[data-testid=diagram]")
    expect(diagram).to_have_attribute("data-rendered", "true")
    assert float(diagram.get_attribute("data-scale")) >= MIN_SCALE
    frame = diagram.bounding_box()
    step = page.locator(".djs-element.active[data-element-id=review_answer]").bounding_box()
    assert frame["x"] <= step["x"] and step["x"] + step["width"] <= frame["x"] + frame["width"]
    assert frame["y"] <= step["y"] and step["y"] + step["height"] <= frame["y"] + frame["height"]
    shot(page, "ux-07-case-waiting-for-reporter")
