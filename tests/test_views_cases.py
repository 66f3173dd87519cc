"""The case page, its diagram XML, notes and attachments, and case search, through the test client."""
from __future__ import annotations

import re
import shutil
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from engine.deploy import deploy
from engine.models import HumanTask
from tests.casework import Case
from tests.conftest import BPMN_DIR
from webapp.views import cases as cases_view
from workflows.models import Attachment, CaseNote, Complaint

DISPOSE_DINKES = {"decision": "disposisi", "lead_agency": "dinkes-kalbar", "note": "Mohon segera dicek.\nTerima kasih."}
DISPOSE_PUPR = {"decision": "disposisi", "lead_agency": "pupr-kalbar"}
ANSWER = {"decision": "jawab", "answer": "Sudah kami tegur kepala puskesmas.\nJam buka kembali normal."}
REPORTER = dict(reporter_name="Budi Santoso", reporter_email="budi.santoso@example.org", reporter_phone="081234567890")


def new_case(db, engine, **fields) -> Case:
    return Case(db, engine, **fields)


def dinkes_case(db, engine, **fields) -> Case:
    fields.setdefault("title", "Puskesmas buka terlambat")
    fields.setdefault("category", "kesehatan")
    return new_case(db, engine, **fields).do("verify_complaint", DISPOSE_DINKES, "verifikator")


def page_of(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.get_data(as_text=True)


def attribute(page: str, name: str) -> str:
    match = re.search(rf'{name}="([^"]*)"', page)
    assert match, name
    return match.group(1)


def texts_of(page: str, testid: str) -> list[str]:
    return [m.strip() for m in re.findall(rf'data-testid="{testid}"[^>]*>([^<]*)<', page)]


def event_block(page: str, kind: str) -> str:
    """The text of the newest timeline entry of one kind, tags removed."""
    match = re.search(rf'<li data-testid="event-{kind}">(.*?)</li>', page, re.S)
    assert match, kind
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(1)).split())


# -- the case page -----------------------------------------------------------------------------

def test_case_page_shows_record_current_task_and_timeline(client, auth, db, process_engine):
    case = dinkes_case(db, process_engine, anonymous=False, **REPORTER)
    auth.login("dinkes.penghubung")
    page = page_of(client, f"/cases/{case.complaint_id}")
    assert case.complaint.tracking_id in texts_of(page, "tracking-id")
    assert texts_of(page, "status")[0] in ("Terdisposisi / Belum Ditindaklanjuti",
                                           "Dispositioned / not yet followed up")
    assert texts_of(page, "lead-agency") == ["Dinas Kesehatan Provinsi Kalimantan Barat"]
    assert "Sudah dua minggu gelap." in texts_of(page, "complaint-text")
    assert texts_of(page, "process-label") == ["complaint v1"]
    # the current task, who holds it (nobody yet), and a link to it
    [task] = case.ready()
    assert f'href="/tasks/{task.id}"' in page
    assert texts_of(page, "task-holder") == ["belum diklaim"]
    # the verifier's answers, with the form's titles and the agency's name
    assert "Rina Kartika (Verifikator Provinsi)" in page
    assert "Disposisikan ke instansi" in page and "Instansi tujuan" in page and "Catatan verifikator" in page
    assert "Mohon segera dicek.\nTerima kasih." in page
    assert page.count('data-testid="event-task_completed"') == 1
    assert 'data-testid="event-started"' in page and 'data-testid="event-status_changed"' in page
    # newest first: the disposition comes before the receipt of the complaint
    assert page.index('data-testid="event-task_completed"') < page.index('data-testid="event-started"')
    assert 'href="/tasks/"' in page  # back to tasks
    assert "Dinas Kesehatan Provinsi Kalimantan Barat" in event_block(page, "lead_agency_changed")
    assert event_block(page, "status_changed").endswith("Belum Terverifikasi Terdisposisi / Belum Ditindaklanjuti")


def test_timeline_shows_assignment_by_name(client, auth, db, process_engine):
    case = dinkes_case(db, process_engine)
    [task] = case.ready()
    with db.transaction() as s:
        process_engine.assign(s, task.id, "dinkes.penghubung", "dinkes.admin")
    auth.login("dinkes.admin")
    block = event_block(page_of(client, f"/cases/{case.complaint_id}"), "task_assigned")
    assert "Hendra Wijaya (Admin Dinkes)" in block  # who assigned
    assert "Nurul Hidayah (Penghubung Dinkes)" in block  # to whom
    assert "Tindak lanjuti laporan" in block  # which task


def test_case_page_shows_who_holds_a_claimed_task_and_the_answer(client, auth, db, process_engine):
    case = dinkes_case(db, process_engine)
    [task] = case.ready()
    with db.transaction() as s:
        process_engine.claim(s, task.id, "dinkes.penghubung")
    auth.login("dinkes.kepala")
    page = page_of(client, f"/cases/{case.complaint_id}")
    assert texts_of(page, "task-holder") == ["Nurul Hidayah (Penghubung Dinkes)"]
    assert 'data-testid="event-task_claimed"' in page

    case.do("follow_up", ANSWER, "dinkes.penghubung")
    page = page_of(client, f"/cases/{case.complaint_id}")
    assert "Jawaban / tindak lanjut" in page
    assert ANSWER["answer"] in page
    assert case.status == "proses"
    assert "Reporter" in page or "Pelapor" in page  # the reporter now holds the open task


def test_deadline_badge_of_an_open_task(client, auth, db, process_engine):
    case = dinkes_case(db, process_engine)
    with db.transaction() as s:
        row = s.scalars(select(HumanTask).where(HumanTask.process_instance_id == case.instance_id,
                                                HumanTask.state == "ready")).one()
        row.due_at = datetime.now(timezone.utc) - timedelta(hours=1)
    auth.login("dinkes.penghubung")
    page = page_of(client, f"/cases/{case.complaint_id}")
    assert 'data-testid="sla-red"' in page
    with db.transaction() as s:
        s.scalars(select(HumanTask).where(HumanTask.process_instance_id == case.instance_id,
                                          HumanTask.state == "ready")).one().due_at = None
    page = page_of(client, f"/cases/{case.complaint_id}")
    assert texts_of(page, "task-due") == ["—"] and "data-testid=\"sla-" not in page


def test_case_of_another_agency_or_unknown_is_404(client, auth, db, process_engine):
    case = dinkes_case(db, process_engine)
    auth.login("pupr.penghubung")
    for url in (f"/cases/{case.complaint_id}", f"/cases/{case.complaint_id}/diagram.xml", "/cases/999999",
                "/cases/999999/diagram.xml"):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/cases/{case.complaint_id}/notes", data={"body": "Coba"}).status_code == 404


def test_case_page_needs_login(client, db, process_engine):
    case = dinkes_case(db, process_engine)
    response = client.get(f"/cases/{case.complaint_id}")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_anonymous_reporter_is_hidden_from_agencies_but_not_from_the_verifier(client, auth, db, process_engine):
    case = dinkes_case(db, process_engine, anonymous=True, **REPORTER)
    auth.login("dinkes.penghubung")
    page = page_of(client, f"/cases/{case.complaint_id}")
    for secret in REPORTER.values():
        assert secret not in page
    assert 'data-testid="identity-hidden"' in page and 'data-testid="badge-anonymous"' in page
    auth.logout()
    auth.login("verifikator")
    page = page_of(client, f"/cases/{case.complaint_id}")
    for secret in REPORTER.values():
        assert secret in page
    assert 'data-testid="identity-hidden"' not in page


def test_named_reporter_is_visible_to_the_agency(client, auth, db, process_engine):
    case = dinkes_case(db, process_engine, anonymous=False, confidential=True, **REPORTER)
    auth.login("dinkes.penghubung")
    page = page_of(client, f"/cases/{case.complaint_id}")
    assert "Budi Santoso" in page and "081234567890" in page
    assert 'data-testid="identity-hidden"' not in page and 'data-testid="badge-confidential"' in page


# -- the diagram -------------------------------------------------------------------------------

def test_diagram_xml_only_for_those_who_see_the_case(client, auth, db, process_engine):
    case = dinkes_case(db, process_engine)
    assert client.get(f"/cases/{case.complaint_id}/diagram.xml").status_code == 302  # not logged in
    auth.login("dinkes.penghubung")
    response = client.get(f"/cases/{case.complaint_id}/diagram.xml")
    assert response.status_code == 200 and response.mimetype == "application/xml"
    assert 'id="complaint"' in response.get_data(as_text=True)
    auth.logout()
    auth.login("perancang")
    assert client.get(f"/cases/{case.complaint_id}/diagram.xml").status_code == 404


def test_diagram_is_the_case_own_process_version(client, auth, db, process_engine, tmp_path):
    old = dinkes_case(db, process_engine)
    copy = tmp_path / "bpmn"
    shutil.copytree(BPMN_DIR, copy)
    diagram = copy / "complaint.bpmn"
    diagram.write_text(diagram.read_text().replace('name="Verifikasi laporan"', 'name="Verifikasi laporan (v2)"'))
    with db.transaction() as s:
        deployed = {r.process_id: r for r in deploy(s, [copy], deployed_by="perancang")}["complaint"]
    assert deployed.version == 2
    new = dinkes_case(db, process_engine)
    auth.login("dinkes.penghubung")
    assert "(v2)" not in client.get(f"/cases/{old.complaint_id}/diagram.xml").get_data(as_text=True)
    assert "(v2)" in client.get(f"/cases/{new.complaint_id}/diagram.xml").get_data(as_text=True)
    assert texts_of(page_of(client, f"/cases/{old.complaint_id}"), "process-label") == ["complaint v1"]
    assert texts_of(page_of(client, f"/cases/{new.complaint_id}"), "process-label") == ["complaint v2"]


def test_page_passes_done_and_current_steps_to_the_diagram(client, auth, db, process_engine):
    case = dinkes_case(db, process_engine)
    auth.login("dinkes.penghubung")
    page = page_of(client, f"/cases/{case.complaint_id}")
    done, active = attribute(page, "data-done").split(), attribute(page, "data-active").split()
    assert "verify_complaint" in done and "follow_up" not in done
    assert "follow_up" in active and "verify_complaint" not in active
    assert attribute(page, "data-xml-url") == f"/cases/{case.complaint_id}/diagram.xml"
    assert "js/diagram.js" in page and "bpmn-navigated-viewer.production.min.js" in page
    assert "<script>" not in page  # the CSP allows no inline script


# -- notes -------------------------------------------------------------------------------------

def notes_of(db, complaint_id: int) -> list[CaseNote]:
    with db.session() as s:
        return list(s.scalars(select(CaseNote).where(CaseNote.complaint_id == complaint_id)))


def test_add_note_and_colleagues_read_it(client, auth, db, process_engine):
    case = dinkes_case(db, process_engine)
    auth.login("dinkes.penghubung")
    response = client.post(f"/cases/{case.complaint_id}/notes", data={"body": "  Sudah telepon kepala puskesmas.  "})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/cases/{case.complaint_id}#notes")
    [note] = notes_of(db, case.complaint_id)
    assert note.body == "Sudah telepon kepala puskesmas."
    auth.logout()
    auth.login("verifikator")
    page = page_of(client, f"/cases/{case.complaint_id}")
    assert "Sudah telepon kepala puskesmas." in page and "Nurul Hidayah (Penghubung Dinkes)" in page
    assert page.count('data-testid="note"') == 1


def test_empty_note_is_refused_with_an_error(client, auth, db, process_engine):
    case = dinkes_case(db, process_engine)
    auth.login("dinkes.penghubung")
    response = client.post(f"/cases/{case.complaint_id}/notes", data={"body": "   \n "})
    assert response.status_code == 422
    assert 'data-testid="note-error"' in response.get_data(as_text=True)
    assert notes_of(db, case.complaint_id) == []


def test_designer_cannot_write_notes(client, auth, db, process_engine):
    case = dinkes_case(db, process_engine)
    auth.login("perancang")
    response = client.post(f"/cases/{case.complaint_id}/notes", data={"body": "Halo"})
    # designers see no cases at all, so the case answers as if it did not exist (404);
    # should they ever see cases, add_note still refuses them (403)
    assert response.status_code in (403, 404)
    assert notes_of(db, case.complaint_id) == []


# -- attachments -------------------------------------------------------------------------------

@pytest.fixture
def stored_attachment(app, db, process_engine, tmp_path):
    folder = tmp_path / "attachments"
    folder.mkdir()
    app.extensions["tindak.settings"].attachment_dir = folder
    case = dinkes_case(db, process_engine)
    (folder / "ab12cd34").write_bytes(b"%PDF-1.4 surat rujukan")
    with db.transaction() as s:
        row = Attachment(complaint_id=case.complaint_id, filename="surat rujukan.pdf",
                         content_type="application/pdf", size=22, storage_key="ab12cd34")
        s.add(row)
        s.flush()
        return case, row.id, folder


def test_attachment_download_for_those_who_see_the_case(client, auth, stored_attachment):
    case, attachment_id, _ = stored_attachment
    url = f"/cases/{case.complaint_id}/attachments/{attachment_id}"
    auth.login("dinkes.penghubung")
    assert url in page_of(client, f"/cases/{case.complaint_id}")
    response = client.get(url)
    assert response.status_code == 200
    assert response.data == b"%PDF-1.4 surat rujukan"
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == f"attachment; filename=lampiran-{attachment_id}.pdf"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    auth.logout()
    auth.login("pupr.penghubung")
    assert client.get(url).status_code == 404


def test_a_download_is_named_by_its_checked_type_not_by_the_uploader(client, auth, db, stored_attachment):
    """A PDF/HTML polyglot uploaded as laporan.html downloads as a PDF, never as a page to open."""
    case, attachment_id, _ = stored_attachment
    with db.transaction() as s:
        s.get(Attachment, attachment_id).filename = "laporan.html"
    auth.login("dinkes.penghubung")
    response = client.get(f"/cases/{case.complaint_id}/attachments/{attachment_id}")
    assert response.headers["Content-Disposition"] == f"attachment; filename=lampiran-{attachment_id}.pdf"
    assert response.mimetype == "application/pdf" and response.headers["X-Content-Type-Options"] == "nosniff"
    with db.transaction() as s:  # a row whose type is not one we accept is served as bytes, nothing else
        s.get(Attachment, attachment_id).content_type = "text/html"
    response = client.get(f"/cases/{case.complaint_id}/attachments/{attachment_id}")
    assert response.mimetype == "application/octet-stream"
    assert response.headers["Content-Disposition"] == f"attachment; filename=lampiran-{attachment_id}.bin"


def test_attachment_missing_or_of_another_case_is_404(client, auth, db, process_engine, stored_attachment):
    case, attachment_id, folder = stored_attachment
    other = dinkes_case(db, process_engine)
    auth.login("dinkes.penghubung")
    assert client.get(f"/cases/{other.complaint_id}/attachments/{attachment_id}").status_code == 404
    assert client.get(f"/cases/{case.complaint_id}/attachments/999999").status_code == 404
    (folder / "ab12cd34").unlink()
    assert client.get(f"/cases/{case.complaint_id}/attachments/{attachment_id}").status_code == 404


# -- search ------------------------------------------------------------------------------------

@pytest.fixture
def three_cases(db, process_engine):
    road = new_case(db, process_engine, title="Jalan berlubang di Sungai Raya", category="infrastruktur",
                    description="Lubang sedalam lutut.").do("verify_complaint", DISPOSE_PUPR, "verifikator")
    clinic = dinkes_case(db, process_engine, title="Obat hipertensi kosong", description="Apotek puskesmas kosong.")
    school = new_case(db, process_engine, title="Guru jarang masuk kelas", category="pendidikan",
                      description="Sering kosong pada hari Jumat.")
    with db.transaction() as s:  # the road case was received long ago
        s.get(Complaint, road.complaint_id).created_at = datetime(2024, 1, 10, 3, 0, tzinfo=timezone.utc)
    return road, clinic, school


def found(client, **args) -> list[str]:
    response = client.get("/cases/search", query_string=args)
    assert response.status_code == 200, response.status_code
    return re.findall(r'data-case-id="(\d+)"', response.get_data(as_text=True))


def test_search_by_each_criterion(client, auth, three_cases):
    road, clinic, school = (str(c.complaint_id) for c in three_cases)
    auth.login("admin")
    assert found(client) == [school, clinic, road]  # newest first
    assert found(client, q="hipertensi") == [clinic]  # title
    assert found(client, q="lutut") == [road]  # description
    assert found(client, q="kosong") == [school, clinic]
    assert found(client, category="pendidikan") == [school]
    assert found(client, agency="pupr-kalbar") == [road]
    assert found(client, status="belum_terverifikasi") == [school]
    assert found(client, date_to="2024-01-10") == [road]
    assert found(client, date_from="2024-01-11") == [school, clinic]
    assert found(client, q="kosong", category="kesehatan") == [clinic]
    page = client.get("/cases/search", query_string={"q": "tidak ada yang cocok"}).get_data(as_text=True)
    assert 'data-testid="no-results"' in page


def test_search_by_tracking_id_jumps_to_the_case(client, auth, three_cases):
    road = three_cases[0]
    auth.login("pupr.penghubung")
    response = client.get("/cases/search", query_string={"q": road.complaint.tracking_id.lower()})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/cases/{road.complaint_id}")


def test_search_only_finds_visible_cases(client, auth, three_cases):
    road, clinic, _ = three_cases
    auth.login("dinkes.penghubung")
    assert found(client) == [str(clinic.complaint_id)]
    assert found(client, q=road.complaint.tracking_id) == []
    assert found(client, agency="pupr-kalbar") == []


def test_invalid_dates_are_field_errors(client, auth, three_cases):
    auth.login("admin")
    response = client.get("/cases/search", query_string={"date_from": "kemarin"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'data-testid="error-date_from"' in page and 'value="kemarin"' in page
    response = client.get("/cases/search", query_string={"date_from": "2025-02-01", "date_to": "2025-01-01"})
    assert response.status_code == 422 and 'data-testid="error-date_to"' in response.get_data(as_text=True)


def test_search_pages(client, auth, db, process_engine, monkeypatch, three_cases):
    monkeypatch.setattr(cases_view, "PER_PAGE", 2)
    road, clinic, school = (str(c.complaint_id) for c in three_cases)
    auth.login("admin")
    first = client.get("/cases/search").get_data(as_text=True)
    assert re.findall(r'data-case-id="(\d+)"', first) == [school, clinic]
    assert "page=2" in first
    assert found(client, page=2) == [road]
    assert found(client, page="x") == [school, clinic]
    too_far = client.get("/cases/search", query_string={"page": 9, "category": "infrastruktur"})
    assert too_far.status_code == 302 and "page=1" in too_far.headers["Location"]


def test_search_arguments_named_like_url_for_options_are_not_obeyed(client, auth, monkeypatch, three_cases):
    """`_method`, `_scheme`, ... in the address are not search criteria: they neither break the page
    links (500) nor change where the redirect to the last page goes."""
    monkeypatch.setattr(cases_view, "PER_PAGE", 2)
    auth.login("admin")
    page = client.get("/cases/search", query_string={"_method": "DELETE"})
    assert page.status_code == 200 and 'href="/cases/search?page=2"' in page.get_data(as_text=True)
    too_far = client.get("/cases/search", query_string={"page": 9, "category": "infrastruktur", "_method": "DELETE"})
    assert too_far.status_code == 302
    assert too_far.headers["Location"] == "/cases/search?category=infrastruktur&page=1"
    elsewhere = client.get("/cases/search", query_string={"page": 9, "_scheme": "javascript", "_anchor": "x"})
    assert elsewhere.status_code == 302 and elsewhere.headers["Location"] == "/cases/search?page=2"


def test_default_page_size_is_25(client, auth, db, process_engine):
    assert cases_view.PER_PAGE == 25
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Complaint)) == 0
    auth.login("admin")
    page = client.get("/cases/search").get_data(as_text=True)
    assert 'data-testid="no-results"' in page
