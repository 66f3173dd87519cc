"""The citizens' pages through the test client: filing, the one-time confirmation, tracking, replies, listing."""
from __future__ import annotations

import io
import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from engine.clock import now
from tests.casework import Case
from webapp.extensions import limiter
from webapp.views import public as public_view
from workflows.models import Attachment, CaseNote, Complaint, OutboxMessage

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
EXE = b"MZ\x90\x00\x03\x00\x00\x00 this program cannot be run in DOS mode"
VALID = {"title": "Puskesmas Kampung Dalam tutup jam 10", "description": "Sudah tiga hari berturut-turut.",
         "category": "kesehatan", "classification": "pengaduan", "anonymous": "1"}
SCRIPT = "<script>alert('x')</script>"
DISPOSE = {"decision": "disposisi", "lead_agency": "dinkes-kalbar", "note": "Catatan internal: pelapor sering lapor"}
ANSWER = {"decision": "jawab", "answer": "Jam buka sudah dikembalikan ke pukul 07.30."}


@pytest.fixture
def app(app, tmp_path):
    """The app with the public pages (registered here until the lead adds them to the app)."""
    if "public" not in app.blueprints:
        app.register_blueprint(public_view.bp)
    app.extensions["tindak.settings"].attachment_dir = tmp_path / "attachments"
    return app


def body(response) -> str:
    return response.get_data(as_text=True)


def count(db, model=Complaint) -> int:
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(model))


def only_complaint(db) -> Complaint:
    with db.session() as s:
        [complaint] = s.scalars(select(Complaint)).all()
        return complaint


def errors_of(page: str) -> set[str]:
    return set(re.findall(r'data-testid="error-([\w-]+)"', page))


def input_tag(page: str, name: str) -> str:
    match = re.search(rf'<input[^>]*\bname="{name}"[^>]*>', page)
    assert match, name
    return match.group(0)


def tracking_url(case: Case) -> str:
    """The secret link of the first e-mail (opening it redirects to the page without the secret)."""
    return f"/lacak/{case.complaint.tracking_id}?kode={case.secret}"


def open_tracking(client, case: Case):
    return client.get(tracking_url(case), follow_redirects=True)


def file_via_form(client, **fields) -> tuple[str, str]:
    """Post the form; return the tracking ID and the secret link from the confirmation page."""
    response = client.post("/lapor", data={**VALID, **fields})
    assert response.status_code == 302, body(response)
    page = body(client.get(response.location))
    tracking_id = re.search(r'data-testid="tracking-id">([^<]+)<', page).group(1)
    link = re.search(r'id="tracking-link"[^>]*>([^<]+)</textarea>', page).group(1).replace("&amp;", "&")
    return tracking_id, link


# -- the form ---------------------------------------------------------------------------------

def test_form_has_anonim_preselected_and_rahasia_not(client):
    page = body(client.get("/lapor"))
    assert " checked" in input_tag(page, "anonymous")
    assert " checked" not in input_tag(page, "confidential")
    honeypot = input_tag(page, "website")
    assert 'tabindex="-1"' in honeypot and 'autocomplete="off"' in honeypot
    files = input_tag(page, "attachments")
    assert "multiple" in files and 'accept="image/jpeg,image/png,image/gif,image/webp,application/pdf"' in files
    assert 'value="pemkab-kuburaya"' in page and 'value="pemprov-kalbar"' in page  # regions
    assert 'value="dinkes-kalbar"' not in page  # a dinas is not a region
    assert 'value="kesehatan"' in page and 'href="/login"' in page


def test_valid_submission_files_a_web_complaint_and_shows_the_id_once(client, db):
    three_days_ago = (now().date() - timedelta(days=3)).isoformat()
    tracking_id, link = file_via_form(client, reporter_email="warga@example.org", latitude="-0,0263",
                                      longitude="109.3425", incident_date=three_days_ago)
    complaint = only_complaint(db)
    assert (complaint.tracking_id, complaint.channel, complaint.anonymous, complaint.confidential) == (
        tracking_id, "web", True, False)
    assert (complaint.latitude, complaint.longitude) == (-0.0263, 109.3425)
    assert link.endswith(f"/lacak/{tracking_id}?kode=" + link.rpartition("kode=")[2])
    with db.session() as s:
        assert s.scalars(select(OutboxMessage.recipient)).all() == ["warga@example.org"]
    again = client.get("/lapor/terkirim")
    assert 'data-testid="sent-gone"' in body(again) and tracking_id not in body(again)
    assert again.headers["Cache-Control"] == "no-store"


def test_without_an_email_the_page_says_no_mails_come(client, db):
    response = client.post("/lapor", data={**VALID, "anonymous": "", "confidential": "1"})
    page = body(client.get(response.location))
    assert 'data-testid="not-emailed"' in page
    complaint = only_complaint(db)
    assert (complaint.anonymous, complaint.confidential) == (True, True)  # an empty box still ticks it
    client.post("/lapor", data={k: v for k, v in VALID.items() if k != "anonymous"})
    with db.session() as s:
        assert sorted(s.scalars(select(Complaint.anonymous))) == [False, True]
        assert s.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_missing_fields_show_errors_next_to_them_and_keep_what_was_typed(client, db):
    response = client.post("/lapor", data={"title": "", "description": "", "address": "Jl. Gajah Mada 12",
                                           "classification": "aspirasi", "confidential": "1"})
    page = body(response)
    assert response.status_code == 422
    assert errors_of(page) == {"title", "description", "category"}
    assert 'value="Jl. Gajah Mada 12"' in input_tag(page, "address")
    assert " checked" in input_tag(page, "confidential") and " checked" not in input_tag(page, "anonymous")
    assert re.search(r'value="aspirasi" checked', page)
    assert count(db) == 0


@pytest.mark.parametrize("fields, field", [
    ({"category": "tidak-ada"}, "category"),
    ({"reporter_email": "bukan-surel"}, "reporter_email"),
    ({"reporter_phone": "telepon saya"}, "reporter_phone"),
    ({"incident_date": "2999-01-01"}, "incident_date"),
    ({"incident_date": "kemarin"}, "incident_date"),
    ({"latitude": "-0.02"}, "location"),
    ({"latitude": "nan", "longitude": "109"}, "location"),
    ({"title": "x" * 201}, "title"),
    ({"address": "x" * 501}, "address"),
    ({"classification": "lainnya"}, "classification"),
    ({"region": "dinkes-kalbar"}, "region"),  # a dinas is not a region
])
def test_bad_values_are_refused_with_a_message_at_the_field(client, db, fields, field):
    response = client.post("/lapor", data={**VALID, **fields})
    assert response.status_code == 422
    assert errors_of(body(response)) == {field}
    assert count(db) == 0


def test_a_form_without_a_type_of_report_is_refused(client, db):
    response = client.post("/lapor", data={k: v for k, v in VALID.items() if k != "classification"})
    assert response.status_code == 422 and errors_of(body(response)) == {"classification"}
    assert count(db) == 0


def test_html_is_stored_as_text_and_escaped_on_every_page(client, db, auth, process_engine):
    _tracking_id, link = file_via_form(client, title=SCRIPT, description=f"Isi {SCRIPT}", address=SCRIPT)
    complaint = only_complaint(db)
    assert complaint.title == SCRIPT and complaint.description == f"Isi {SCRIPT}"
    escaped = "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"
    pages = [body(client.get(link.partition("localhost")[2], follow_redirects=True)), body(client.get("/laporan"))]
    auth.login("verifikator")
    pages.append(body(client.get(f"/cases/{complaint.id}")))
    for page in pages:
        assert escaped in page and SCRIPT not in page


# -- attachments ----------------------------------------------------------------------------

def test_a_photo_is_stored_and_listed_on_the_tracking_page(client, db, app):
    _tracking_id, link = file_via_form(client, attachments=[(io.BytesIO(PNG), "lubang.png")])
    with db.session() as s:
        [row] = s.scalars(select(Attachment)).all()
    assert (row.filename, row.content_type) == ("lubang.png", "image/png")
    assert (app.extensions["tindak.settings"].attachment_dir / row.storage_key).read_bytes() == PNG
    assert "lubang.png" in body(client.get(link.partition("localhost")[2], follow_redirects=True))


@pytest.mark.parametrize("files, mentioned", [
    ([(EXE, "foto.jpg")], "foto.jpg"),
    ([(PNG, f"{n}.png") for n in range(6)], "5"),
    ([(b"", "kosong.pdf")], "kosong.pdf"),
])
def test_bad_uploads_are_refused_clearly_and_nothing_is_filed(client, db, app, files, mentioned):
    response = client.post("/lapor", data={**VALID, "attachments": [(io.BytesIO(d), n) for d, n in files]})
    page = body(response)
    assert response.status_code == 422
    assert errors_of(page) == {"attachments"}
    error = re.search(r'data-testid="error-attachments">(.*?)</div>', page, re.DOTALL).group(1)
    assert mentioned in error
    assert 'data-testid="files-dropped"' in page and 'value="Puskesmas Kampung Dalam tutup jam 10"' in page
    assert count(db) == 0 and count(db, Attachment) == 0
    folder = app.extensions["tindak.settings"].attachment_dir
    assert not folder.exists() or not any(folder.iterdir())


def test_a_request_over_the_size_limit_gets_a_clear_413_page(client, app, db):
    app.config["TINDAK_MAX_UPLOAD_LENGTH"] = 2000  # stands for the 60 MB of the real app
    response = client.post("/lapor", data={**VALID, "attachments": [(io.BytesIO(PNG + b"0" * 4000), "besar.png")]})
    assert response.status_code == 413
    assert 'data-testid="error-message"' in body(response) and 'href="/lapor"' in body(response)
    assert count(db) == 0


# -- spam defence -----------------------------------------------------------------------------

def test_a_filled_honeypot_files_nothing_but_looks_like_success(client, db):
    response = client.post("/lapor", data={**VALID, "website": "http://spam.example"})
    assert response.status_code == 302
    page = body(client.get(response.location))
    assert 'data-testid="sent-generic"' in page and "TDK-" not in page
    assert count(db) == 0


def test_a_flood_of_reports_gets_429(client, app, db):
    app.config["RATELIMIT_ENABLED"] = True
    limiter.reset()
    try:
        codes = [client.post("/lapor", data={**VALID, "title": ""}).status_code for _ in range(6)]
        flooded = client.post("/lapor", data=VALID)
    finally:
        limiter.reset()
    assert codes[:5] == [422] * 5 and codes[5] == 429
    assert flooded.status_code == 429 and 'data-testid="error-message"' in body(flooded)
    assert count(db) == 0


def test_the_form_needs_its_csrf_token(client, app, db):
    app.config["WTF_CSRF_ENABLED"] = True
    response = client.post("/lapor", data=VALID)
    assert response.status_code == 400 and 'href="/lapor"' in body(response)
    assert count(db) == 0


def test_the_form_carries_its_csrf_token_and_files_with_it(client, app, db):
    app.config["WTF_CSRF_ENABLED"] = True
    page = body(client.get("/lapor"))
    form = page[page.index('data-testid="complaint-form"'):]
    token = re.search(r'value="([^"]+)"', input_tag(form, "csrf_token")).group(1)
    response = client.post("/lapor", data={**VALID, "csrf_token": token})
    assert response.status_code == 302 and count(db) == 1


# -- tracking -------------------------------------------------------------------------------

def test_wrong_secret_and_wrong_id_get_the_same_answer(client, db, process_engine):
    case = Case(db, process_engine)
    tracking_id = case.complaint.tracking_id
    wrong_secret = client.post("/lacak", data={"tracking_id": tracking_id, "kode": "salah"})
    wrong_id = client.post("/lacak", data={"tracking_id": "TDK-0000-0000", "kode": case.secret})
    assert wrong_secret.status_code == wrong_id.status_code == 404
    assert body(wrong_secret).replace(tracking_id, "ID") == body(wrong_id).replace("TDK-0000-0000", "ID")
    by_link = client.get(f"/lacak/{tracking_id}?kode=salah")
    assert by_link.status_code == 404 and 'data-testid="track-failed"' in body(by_link)
    assert case.complaint.title not in body(by_link)


def test_the_form_opens_the_tracking_page_with_id_and_secret_or_the_pasted_link(client, db, process_engine):
    case = Case(db, process_engine)
    tracking_id = case.complaint.tracking_id
    typed = client.post("/lacak", data={"tracking_id": f" {tracking_id.lower()} ", "kode": case.secret})
    pasted = client.post("/lacak", data={"tracking_id": f"https://lapor.example.go.id{tracking_url(case)}"})
    assert typed.status_code == pasted.status_code == 302
    assert typed.location == pasted.location == f"/lacak/{tracking_id}"  # without the secret
    missing = client.post("/lacak", data={"tracking_id": tracking_id})
    assert missing.status_code == 422 and errors_of(body(missing)) == {"kode"}


def test_tracking_page_shows_the_answer_but_no_internal_note_or_officers(client, db, process_engine):
    case = Case(db, process_engine, anonymous=False, reporter_name="Budi Santoso")
    case.do("verify_complaint", DISPOSE, "verifikator").do("follow_up", ANSWER, "dinkes.penghubung")
    with db.transaction() as s:
        s.add(CaseNote(complaint_id=case.complaint_id, author_id=1, body="Catatan rahasia antarpetugas"))
    response = open_tracking(client, case)
    page = body(response)
    assert response.status_code == 200
    assert ANSWER["answer"] in page and "Dinas Kesehatan Provinsi Kalimantan Barat" in page
    for hidden in ("Catatan internal", "Catatan rahasia", "dinkes.penghubung", "Nurul Hidayah", "Rina Kartika"):
        assert hidden not in page
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert '<meta name="robots" content="noindex">' in page
    assert 'data-status="proses"' in page and 'data-testid="reporter-task"' in page


def test_reporter_adds_details_when_asked(client, db, process_engine):
    case = Case(db, process_engine)
    case.do("verify_complaint", {"decision": "tunda", "details_question": "Di puskesmas mana tepatnya?"}, "verifikator")
    page = body(open_tracking(client, case))
    assert 'data-status="tertunda"' in page and "Di puskesmas mana tepatnya?" in page
    [task] = case.ready()
    url = f"/lacak/{case.complaint.tracking_id}/tugas/{task.id}"
    empty = client.post(url, data={"kode": case.secret, "details": "  "})
    assert empty.status_code == 422 and errors_of(body(empty)) == {"details"}
    done = client.post(url, data={"kode": case.secret, "details": "Puskesmas Kampung Dalam, Pontianak Timur."})
    assert done.status_code == 302 and done.location == f"/lacak/{case.complaint.tracking_id}"
    assert case.status == "belum_terverifikasi" and case.ready_elements() == ["verify_complaint"]
    after = body(client.get(done.location))
    assert "Puskesmas Kampung Dalam, Pontianak Timur." in after and 'data-testid="flash"' in after
    assert 'data-testid="reporter-task"' not in after
    again = client.post(url, data={"kode": case.secret, "details": "lagi"})
    assert again.status_code == 409 and 'data-testid="task-alert"' in body(again)


def answered_case(db, process_engine) -> Case:
    return (Case(db, process_engine).do("verify_complaint", DISPOSE, "verifikator")
            .do("follow_up", ANSWER, "dinkes.penghubung"))


def test_reporter_is_satisfied_and_the_case_is_finished(client, db, process_engine):
    case = answered_case(db, process_engine)
    [task] = case.ready()
    page = body(open_tracking(client, case))
    assert 'data-testid="answer"' in page and 'name="satisfied"' in page and 'name="rating"' in page
    response = client.post(f"/lacak/{case.complaint.tracking_id}/tugas/{task.id}",
                           data={"kode": case.secret, "satisfied": "puas", "rating": "5"})
    assert response.status_code == 302
    assert case.status == "selesai" and case.events("task_completed")[-1].actor == "pelapor"


def test_reporter_not_satisfied_needs_a_reason_and_reopens_the_case(client, db, process_engine):
    case = answered_case(db, process_engine)
    [task] = case.ready()
    url = f"/lacak/{case.complaint.tracking_id}/tugas/{task.id}"
    no_reason = client.post(url, data={"kode": case.secret, "satisfied": "tidak_puas", "rating": "2"})
    page = body(no_reason)
    assert no_reason.status_code == 422 and "reason" in errors_of(page)
    assert re.search(r'value="tidak_puas" checked', page) and re.search(r'value="2" checked', page)
    reopened = client.post(url, data={"kode": case.secret, "satisfied": "tidak_puas", "rating": "2",
                                      "reason": "Puskesmas masih buka jam 10."})
    assert reopened.status_code == 302
    assert case.ready_elements() == ["follow_up"] and case.status != "selesai"


def test_reporter_task_needs_the_secret_and_a_task_of_this_case(client, db, process_engine):
    case = answered_case(db, process_engine)
    other = Case(db, process_engine)
    [task] = case.ready()
    [officer_task] = other.ready()
    wrong = client.post(f"/lacak/{case.complaint.tracking_id}/tugas/{task.id}",
                        data={"kode": "salah", "satisfied": "puas", "rating": "5"})
    assert wrong.status_code == 404 and 'data-testid="track-failed"' in body(wrong)
    foreign = client.post(f"/lacak/{other.complaint.tracking_id}/tugas/{officer_task.id}",
                          data={"kode": other.secret, "decision": "arsipkan", "reason": "x"})
    assert foreign.status_code == 409
    assert case.status == "proses" and other.ready_elements() == ["verify_complaint"]


# -- the public listing -----------------------------------------------------------------------

def test_listing_hides_rahasia_shows_counts_and_no_personal_data(client, db, process_engine):
    Case(db, process_engine, title="Jalan berlubang di Sungai Raya", category="infrastruktur", anonymous=False,
         reporter_name="Budi Santoso", reporter_email="budi@example.org", reporter_phone="081234567890",
         description="Lubang besar. " + "Sangat berbahaya. " * 30)
    Case(db, process_engine, title="Pungli di kantor desa", confidential=True)
    done = Case(db, process_engine, title="Puskesmas tutup")
    done.do("verify_complaint", DISPOSE).do("follow_up", ANSWER)
    done.do("review_answer", {"satisfied": "puas", "rating": 4}, "pelapor")
    page = body(client.get("/laporan"))
    assert "Jalan berlubang di Sungai Raya" in page and "Puskesmas tutup" in page
    assert "Pungli di kantor desa" not in page
    for personal in ("Budi Santoso", "budi@example.org", "081234567890"):
        assert personal not in page
    counts = dict(re.findall(r'data-testid="count-(\w+)">(\d+)<', page))
    assert counts == {"received": "2", "in_process": "1", "finished_this_month": "1"}
    excerpts = re.findall(r'data-testid="row-excerpt">([^<]*)<', page)
    assert max(len(e) for e in excerpts) <= 200 and any(e.startswith("Lubang besar.") for e in excerpts)
    assert "Dinas Kesehatan Provinsi Kalimantan Barat" in page  # the lead agency of the finished one


def test_listing_filters_search_and_pages(client, db, process_engine, monkeypatch):
    Case(db, process_engine, title="Lampu jalan mati", category="infrastruktur")
    Case(db, process_engine, title="Guru jarang masuk", category="pendidikan")
    Case(db, process_engine, title="Lampu taman rusak", category="infrastruktur")

    def titles(url):
        return re.findall(r'data-testid="row-title">([^<]*)<', body(client.get(url)))

    assert sorted(titles("/laporan?q=lampu")) == ["Lampu jalan mati", "Lampu taman rusak"]
    assert titles("/laporan?category=pendidikan") == ["Guru jarang masuk"]
    assert titles("/laporan?status=selesai") == []
    assert 'data-testid="empty"' in body(client.get("/laporan?status=selesai"))
    monkeypatch.setattr(public_view, "PER_PAGE", 2)
    first, second = body(client.get("/laporan")), body(client.get("/laporan?page=2"))
    assert len(re.findall('data-testid="report-row"', first)) == 2 and 'data-testid="pagination"' in first
    assert len(re.findall('data-testid="report-row"', second)) == 1
    assert titles("/laporan?page=99") == titles("/laporan?page=2")  # past the end: the last page


def test_public_pages_switch_language(client):
    client.post("/language/en", data={"next": "/lapor"})
    page = body(client.get("/lapor"))
    assert '<html lang="en">' in page and "Bahasa Indonesia" in page


# -- the secret stays out of URLs and logs (issue 12.2) ---------------------------------------

def page_url(case: Case) -> str:
    return f"/lacak/{case.complaint.tracking_id}"


def test_the_tracking_form_leads_to_a_url_without_the_secret(client, db, process_engine):
    case = Case(db, process_engine)
    response = client.post("/lacak", data={"tracking_id": case.complaint.tracking_id, "kode": case.secret})
    assert response.status_code == 302 and response.location == page_url(case)
    page = client.get(response.location)
    assert page.status_code == 200 and case.complaint.title in body(page)
    assert case.secret not in body(page)  # not even in a hidden field


def test_the_emailed_link_is_exchanged_for_the_session_at_once(app, client, db, process_engine):
    case = Case(db, process_engine)
    response = client.get(tracking_url(case))
    assert response.status_code == 302 and response.location == page_url(case)
    assert response.headers["Cache-Control"] == "no-store" and response.headers["Referrer-Policy"] == "no-referrer"
    assert client.get(page_url(case)).status_code == 200
    stranger = app.test_client()  # the address alone opens nothing
    page = stranger.get(page_url(case))
    assert case.complaint.title not in body(page) and 'name="kode"' in body(page)


def test_the_reporter_answers_without_the_secret_in_the_page(client, db, process_engine):
    case = answered_case(db, process_engine)
    [task] = case.ready()
    client.get(tracking_url(case))
    response = client.post(f"/lacak/{case.complaint.tracking_id}/tugas/{task.id}",
                           data={"satisfied": "puas", "rating": "5"})
    assert response.status_code == 302 and response.location == page_url(case)
    assert case.status == "selesai"


def test_the_confirmation_page_opens_tracking_without_the_secret_in_the_url(client, db):
    tracking_id, link = file_via_form(client)
    assert "kode=" in link  # the link to keep still carries it
    opened = client.get(f"/lacak/{tracking_id}")
    assert opened.status_code == 200 and VALID["title"] in body(opened)


def test_log_filter_masks_secrets(caplog):
    import logging

    from webapp.logs import mask_secrets
    assert mask_secrets('"GET /lacak/TDK-1?kode=abc-DEF_1 HTTP/1.1" 302') == '"GET /lacak/TDK-1?kode=*** HTTP/1.1" 302'
    assert mask_secrets("/lacak/TDK-1?x=1&kode=abc&y=2") == "/lacak/TDK-1?x=1&kode=***&y=2"
    import webapp.app  # noqa: F401  (installs the filter on werkzeug's logger)
    from webapp.app import create_app  # noqa: F401
    from webapp.logs import install_filters
    install_filters()
    with caplog.at_level(logging.INFO, logger="werkzeug"):
        logging.getLogger("werkzeug").info('%s - - [%s] "%s" %s -', "127.0.0.1", "now",
                                           "GET /lacak/TDK-1?kode=rahasia HTTP/1.1", "302")
    assert "rahasia" not in caplog.text and "kode=***" in caplog.text


def test_gunicorn_access_log_of_the_tracking_flow_holds_no_secret(db, process_engine, tmp_path):
    """The real server: the e-mailed link and the tracking form, then the access log is read."""
    import http.cookiejar
    import os
    import socket
    import subprocess
    import sys
    import time
    import urllib.parse
    import urllib.request

    case = Case(db, process_engine)
    tracking_id = case.complaint.tracking_id
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(os.environ, TINDAK_DATABASE_URL=db.url, TINDAK_SECRET_KEY="log-test",
               TINDAK_ATTACHMENT_DIR=str(tmp_path))
    log_path = tmp_path / "server.log"
    code = ("from webapp.config import Settings; from webapp.serve import serve; "
            f"serve(Settings.from_env(), '127.0.0.1:{port}', 1)")
    with open(log_path, "wb") as log:
        server = subprocess.Popen([sys.executable, "-c", code], env=env, stdout=log, stderr=subprocess.STDOUT,
                                  cwd=str(Path(__file__).resolve().parent.parent))
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        emailed = opener.open(f"{base}/lacak/{tracking_id}?kode={case.secret}")
        assert emailed.status == 200 and emailed.url == f"{base}/lacak/{tracking_id}"
        form = opener.open(f"{base}/lacak").read().decode()
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
        typed = opener.open(f"{base}/lacak", data=urllib.parse.urlencode(
            {"csrf_token": csrf, "tracking_id": tracking_id, "kode": case.secret}).encode())
        assert typed.status == 200 and typed.url == f"{base}/lacak/{tracking_id}"
    finally:
        server.terminate()
        server.wait(timeout=30)
    log = log_path.read_text()
    assert f"/lacak/{tracking_id}?kode=***" in log  # the e-mailed link's request, masked
    assert f"GET /lacak/{tracking_id} " in log and "POST /lacak " in log
    assert case.secret not in log

# -- a full disk during an upload -------------------------------------------------------------

def disk_fills_up_on_file(monkeypatch, number: int):
    """The `number`-th attachment written gets half its bytes onto the disk, then ENOSPC."""
    import errno

    from workflows import attachments

    real = attachments.write_private
    written = []

    def write_private(path, data):
        written.append(path)
        if len(written) < number:
            return real(path, data)
        real(path, data[:len(data) // 2])
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(attachments, "write_private", write_private)
    return written


def test_a_full_disk_leaves_no_file_and_says_nothing_was_saved(client, db, app, monkeypatch):
    folder = app.extensions["tindak.settings"].attachment_dir
    tried = disk_fills_up_on_file(monkeypatch, 2)
    response = client.post("/lapor", data={**VALID, "attachments": [(io.BytesIO(PNG), "satu.png"),
                                                                    (io.BytesIO(PNG * 10), "dua.png")]})
    page = body(response)
    assert len(tried) == 2  # the first file was written in full, the second halfway
    assert response.status_code == 503
    assert "tidak dapat disimpan" in page and "Tidak ada yang tersimpan" in page
    assert 'value="Puskesmas Kampung Dalam tutup jam 10"' in page  # what was typed is kept
    assert "Sudah tiga hari berturut-turut." in page
    assert count(db) == 0 and count(db, Attachment) == 0 and count(db, OutboxMessage) == 0
    assert not folder.exists() or not any(folder.iterdir())
