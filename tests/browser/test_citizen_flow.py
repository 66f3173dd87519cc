"""A citizen's complaint end to end in a real browser: filed anonymously with a photo, handled by
the verifier and the agency (which never sees the reporter's name), reopened, then finished."""
from __future__ import annotations

import re

from tests.browser.conftest import login, logout, shot

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200
TITLE = "Genangan air di depan SDN 14 Pontianak Barat"
NAME = "Rudi Hartono"


def answer_as_agency(page, base, text):
    login(page, base, "dinkes.penghubung")
    page.goto(f"{base}/tasks/?tab=team&q={TITLE.split()[0]}+air")
    row = page.locator("[data-testid=task-row]", has_text="Genangan air").first
    row.get_by_role("link", name=re.compile("Genangan air")).click()
    page.wait_for_url(re.compile(r"/tasks/[0-9a-f-]+$"))
    assert NAME not in page.content()  # anonim: the agency never sees who reported it
    page.get_by_label("Kirim jawaban/tindak lanjut").check()
    page.fill("#field-answer", text)
    page.click("[data-testid=complete]")
    page.wait_for_url(re.compile(r"/cases/\d+"))
    assert NAME not in page.content()
    logout(page, base)


def reply_as_reporter(page, link, satisfied: bool):
    page.goto(link)
    task = page.locator("[data-testid=reporter-task][data-element=review_answer]")
    if satisfied:
        task.get_by_label("Ya, saya puas: laporan selesai").check()
        task.get_by_label("5 Sangat baik").check()  # the optional star rating
    else:
        task.get_by_label("Tidak puas: buka kembali laporan").check()
        task.get_by_label("2 Buruk").check()
        task.locator("textarea").first.fill("Air masih menggenang setelah hujan kemarin.")
    task.locator("[data-testid=send-answer]").click()
    page.wait_for_load_state()


def test_citizen_files_and_the_case_is_finished_everywhere(page, live_server, tmp_path):
    base = live_server
    photo = tmp_path / "genangan.png"
    photo.write_bytes(PNG)

    # -- the citizen files an anonymous complaint with a photo
    page.goto(f"{base}/lapor")
    assert page.locator("#anonymous").is_checked() and not page.locator("#confidential").is_checked()
    page.fill("#title", TITLE)
    page.fill("#description", "Setiap hujan, air setinggi 30 cm menggenang di depan sekolah; murid tidak bisa lewat.")
    page.select_option("#category", "infrastruktur")
    page.check("#classification-pengaduan")
    page.select_option("#region", "pemkot-pontianak")
    page.fill("#address", "Jl. Komyos Sudarso, Pontianak Barat")
    page.set_input_files("#attachments", str(photo))
    page.fill("#reporter_name", NAME)
    shot(page, "citizen-01-form")
    page.click("[data-testid=submit]")
    page.wait_for_url(f"{base}/lapor/terkirim")
    tracking_id = page.locator("[data-testid=tracking-id]").inner_text().strip()
    link = page.locator("[data-testid=tracking-link]").input_value().strip()
    assert re.fullmatch(r"TDK-[0-9A-Z]{4}-[0-9A-Z]{4}", tracking_id)
    shot(page, "citizen-02-sent")

    # -- the verifier sees it, reporter's name included, and dispositions it
    login(page, base, "verifikator")
    page.goto(f"{base}/tasks/?tab=team&q={tracking_id}")
    page.locator("[data-testid=task-row]").first.get_by_role("link").first.click()
    page.wait_for_url(re.compile(r"/tasks/[0-9a-f-]+$"))
    assert NAME in page.content() and "genangan.png" in page.content()
    page.get_by_label("Disposisikan ke instansi").check()
    page.select_option("#field-lead_agency", "dinkes-kalbar")
    page.click("[data-testid=complete]")
    page.wait_for_url(re.compile(r"/cases/\d+"))
    case_url = page.url
    logout(page, base)

    # -- the agency answers; the reporter is not satisfied; the agency answers again; satisfied
    answer_as_agency(page, base, "Saluran di depan sekolah akan kami bersihkan hari Kamis.")
    reply_as_reporter(page, link, satisfied=False)
    assert "Proses" in page.locator("[data-testid=status]").inner_text()
    answer_as_agency(page, base, "Saluran sudah dibersihkan dan diperlebar pada 2 Desember.")
    reply_as_reporter(page, link, satisfied=True)
    shot(page, "citizen-03-tracking-finished")

    # -- Selesai everywhere: tracking page, officer's case page, public listing
    assert page.locator("[data-testid=status]").get_attribute("data-status") == "selesai"
    assert "Saluran sudah dibersihkan" in page.content()
    login(page, base, "verifikator")
    page.goto(case_url)
    assert "Selesai" in page.locator("[data-testid=status]").inner_text()
    logout(page, base)
    page.goto(f"{base}/laporan?q={tracking_id}")
    listing = page.content()
    assert tracking_id in listing and "Selesai" in listing and NAME not in listing
    shot(page, "citizen-04-listing")
