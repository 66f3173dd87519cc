"""An officer's day in a real browser: verify and disposition, then claim and answer as the agency."""
from __future__ import annotations

import re

from tests.browser.conftest import login, logout, shot

TITLE = "Antrean poli penyakit dalam RSUD Soedarso"  # a demo complaint waiting for verification


def open_task_from_list(page, base, tab):
    page.goto(f"{base}/tasks/?tab={tab}&q={TITLE.replace(' ', '+')}")
    row = page.locator("[data-testid=task-row]").first
    return row


def test_verify_disposition_then_agency_answers(page, live_server):
    base = live_server
    # -- the verifier dispositions the complaint to Dinas Kesehatan
    login(page, base, "verifikator")
    assert "Rina Kartika" in page.locator("[data-testid=who]").inner_text()
    row = open_task_from_list(page, base, "team")
    shot(page, "officer-01-verifier-team-tasks")
    row.get_by_role("link", name=re.compile("Antrean poli")).click()
    page.wait_for_url(re.compile(r"/tasks/[0-9a-f-]+$"))
    page.get_by_label("Disposisikan ke instansi").check()
    page.select_option("#field-lead_agency", "dinkes-kalbar")
    page.fill("#field-note", "Mohon ditindaklanjuti oleh Dinkes Provinsi.")
    shot(page, "officer-02-verify-form")
    page.click("[data-testid=complete]")
    page.wait_for_url(re.compile(r"/cases/\d+"))
    assert "Terdisposisi" in page.locator("[data-testid=status]").inner_text()
    case_url = page.url
    logout(page, base)

    # -- the liaison of Dinas Kesehatan claims and answers it
    login(page, base, "dinkes.penghubung")
    row = open_task_from_list(page, base, "team")
    row.locator("[data-testid=claim]:visible").first.click()
    page.wait_for_load_state()
    row = open_task_from_list(page, base, "mine")
    row.get_by_role("link", name=re.compile("Antrean poli")).click()
    page.get_by_label("Kirim jawaban/tindak lanjut").check()
    page.fill("#field-answer", "Jadwal poli penyakit dalam kami tambah mulai 1 Desember; "
                               "antrean daring dapat dipakai sejak pukul 06.00.")
    shot(page, "officer-03-answer-form")
    page.click("[data-testid=complete]")
    page.wait_for_url(re.compile(r"/cases/\d+"))
    assert page.url.split("#")[0] == case_url.split("#")[0]

    # -- the case page shows the new status and the diagram with done and current steps
    assert "Proses" in page.locator("[data-testid=status]").inner_text()
    diagram = page.locator("[data-testid=diagram]")
    page.wait_for_selector("[data-testid=diagram][data-rendered=true]")
    assert int(diagram.get_attribute("data-marked-done")) >= 3
    # the reporter's reply task, its deadline timer and the 60-day completion clock
    assert int(diagram.get_attribute("data-marked-active")) >= 1
    assert page.locator(".djs-element.active").count() >= 1
    assert "Jadwal poli penyakit dalam kami tambah" in page.locator("[data-testid=timeline]").inner_text()
    shot(page, "officer-04-case-page")


def test_agency_cannot_open_another_agencys_case(page, live_server):
    base = live_server
    login(page, base, "pupr.penghubung")
    response = page.goto(f"{base}/cases/1")  # the Dinas Kesehatan complaint above
    assert response.status == 404
    assert page.locator("[data-testid=error-message]").is_visible()
    shot(page, "officer-05-not-found")
