"""Coordination in a real browser: Dinas PUPR asks Dinas Kesehatan and Kubu Raya, adds Pontianak, answers.

Checks on what a page's script changes use Playwright's `expect`, which waits for the script to
have run: a bare `is_hidden()` right after a navigation races it on a busy machine.
"""
from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import login, logout, shot

TITLE = "Jalan berlubang besar di Jl. Arteri Supadio"  # a demo complaint waiting for verification
QUESTION = "Apakah ruas Jl. Arteri Supadio jalan provinsi atau kabupaten? Mohon data perbaikan terakhir."


def requests_shown(page) -> dict[str, str]:
    rows = page.locator("[data-testid=coordination] [data-testid=request]")
    return {rows.nth(i).get_attribute("data-agency"): rows.nth(i).get_attribute("data-status")
            for i in range(rows.count())}


def complete_from_case(page, task_name: str) -> None:
    page.locator("[data-testid=current-tasks]").get_by_role("link", name=task_name).click()
    page.wait_for_url(re.compile(r"/tasks/[0-9a-f-]+$"))


def test_pupr_coordinates_and_answers(page, live_server):
    base = live_server

    # -- the verifier sends the complaint to Dinas PUPR
    login(page, base, "verifikator")
    page.goto(f"{base}/tasks/?tab=team&q={TITLE.replace(' ', '+')}")
    page.locator("[data-testid=task-row]").first.get_by_role("link", name=re.compile("Jalan berlubang")).click()
    page.get_by_label("Disposisikan ke instansi").check()
    page.select_option("#field-lead_agency", "pupr-kalbar")
    page.click("[data-testid=complete]")
    page.wait_for_url(re.compile(r"/cases/\d+"))
    case_url = page.url.split("#")[0]
    logout(page, base)

    # -- PUPR decides to ask other agencies, and asks Dinkes (required) and Kubu Raya, each its own question
    login(page, base, "pupr.penghubung")
    page.goto(case_url)
    complete_from_case(page, "Tindak lanjuti laporan")
    page.get_by_label("Minta koordinasi instansi lain").check()
    page.click("[data-testid=complete]")
    page.wait_for_url(re.compile(r"/cases/\d+"))
    page.click("[data-testid=ask-agencies]")
    page.wait_for_url(re.compile(r"/coordination/request$"))
    expect(page.locator("[data-no-js]")).to_be_hidden()  # the boxes come from the script
    page.check("#agencies-dinkes-kalbar")
    page.check("#agencies-pemkab-kuburaya")
    page.fill("#question-all", QUESTION)
    page.fill("#question-dinkes-kalbar", "Adakah risiko kesehatan dari genangan di lubang itu?")
    page.check("#required-dinkes-kalbar")
    page.uncheck("#agencies-pemkab-kuburaya")  # a box hides with its agency, and comes back with what was typed
    expect(page.locator("[data-ask=pemkab-kuburaya]")).to_be_hidden()
    page.check("#agencies-pemkab-kuburaya")
    expect(page.locator("[data-ask=pemkab-kuburaya]")).to_be_visible()
    shot(page, "coordination-01-request-form")
    page.click("[data-testid=send-request]")
    page.wait_for_url(re.compile(r"/cases/\d+"))
    assert requests_shown(page) == {"dinkes-kalbar": "waiting", "pemkab-kuburaya": "waiting"}
    expect(page.locator("[data-testid=stop-waiting]")).to_be_disabled()
    assert "Proses" in page.locator("[data-testid=status]").first.inner_text()
    shot(page, "coordination-02-lead-waiting")
    logout(page, base)

    # -- Dinas Kesehatan reads the question and says it is not theirs, suggesting Pontianak
    login(page, base, "dinkes.penghubung")
    page.goto(case_url)
    question = page.locator("[data-testid=question-for-you]").inner_text()
    assert QUESTION in question and "risiko kesehatan" in question
    page.click("[data-testid=answer-link]")
    page.wait_for_url(re.compile(r"/tasks/[0-9a-f-]+$"))
    page.get_by_label("Bukan wewenang kami").check()
    page.fill("#field-reason", "Jalan bukan urusan kesehatan.")
    page.select_option("#field-suggested_agency", "pemkot-pontianak")
    shot(page, "coordination-03-reply-form")
    page.click("[data-testid=complete]")
    page.wait_for_url(re.compile(r"/cases/\d+"))
    logout(page, base)

    # -- Kubu Raya writes in the thread, mentioning PUPR
    login(page, base, "kuburaya.penghubung")
    page.goto(case_url)
    page.fill("#coordination-body", "Ruas itu jalan provinsi; data perbaikan kami kirim besok.")
    page.check("#mention-pupr-kalbar")
    page.click("[data-testid=send-message]")
    page.wait_for_url(re.compile(r"/cases/\d+"))
    assert page.locator("[data-testid=coordination] [data-testid=message]").count() == 1
    logout(page, base)

    # -- PUPR asks the suggested agency too
    login(page, base, "pupr.penghubung")
    page.goto(case_url)
    page.click("[data-testid=add-suggested]")
    page.wait_for_url(re.compile(r"/cases/\d+"))
    assert requests_shown(page)["pemkot-pontianak"] == "waiting"
    # ... and, in the same round, Dinas Pendidikan for information
    page.click("[data-testid=add-agencies]")
    page.check("#agencies-disdik-kalbar")
    page.fill("#question-disdik-kalbar", "Apakah ada sekolah di ruas jalan itu?")
    page.click("[data-testid=send-add]")
    page.wait_for_url(re.compile(r"/cases/\d+"))
    assert requests_shown(page)["disdik-kalbar"] == "waiting"
    logout(page, base)

    # -- Pontianak answers
    login(page, base, "pontianak.penghubung")
    page.goto(case_url)
    page.click("[data-testid=answer-link]")
    page.get_by_label("Kirim jawaban").check()
    page.fill("#field-answer", "Pemkot menambal lubang di sisi kota pekan ini.")
    page.click("[data-testid=complete]")
    page.wait_for_url(re.compile(r"/cases/\d+"))
    logout(page, base)

    # -- PUPR stops waiting for Kubu Raya and sends the combined answer
    login(page, base, "pupr.penghubung")
    page.goto(case_url)
    expect(page.locator("[data-testid=stop-waiting]")).to_be_enabled()
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("[data-testid=stop-waiting]")
    page.wait_for_url(re.compile(r"/cases/\d+"))
    assert requests_shown(page) == {"dinkes-kalbar": "not_ours", "pemkab-kuburaya": "cancelled",
                                    "pemkot-pontianak": "answered", "disdik-kalbar": "cancelled"}
    shot(page, "coordination-04-lead-after-stop")
    complete_from_case(page, "Susun jawaban gabungan")
    page.get_by_label("Kirim jawaban gabungan ke pelapor").check()
    page.fill("#field-answer",
              "Lubang ditambal Pemkot Pontianak pekan ini; PUPR memperbaiki ruas provinsi bulan depan.")
    page.click("[data-testid=complete]")
    page.wait_for_url(re.compile(r"/cases/\d+"))
    assert "Proses" in page.locator("[data-testid=status]").first.inner_text()
    assert "Lubang ditambal Pemkot Pontianak" in page.locator("[data-testid=timeline]").inner_text()
    shot(page, "coordination-05-answered")
