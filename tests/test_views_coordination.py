"""The coordination section of the case page (webapp/views/coordination.py) and its forms
(coordination_asks.py for the lead, coordination_thread.py for the thread)."""
from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import select

from tests.casework import Case
from tests.test_coordination import (  # noqa: F401  (fixtures shared with the domain tests)
    DINKES,
    DISDIK,
    KUBURAYA,
    PONTIANAK,
    PUPR,
    QUESTION,
    HostCase,
    engine,
    host,
    request_coordination,
)
from tests.test_coordination_attachments import DOCX, DOCX_TYPE, EXE, PNG
from workflows.models import Complaint, OutboxMessage


@pytest.fixture
def case(db, engine, host, clock):
    return request_coordination(HostCase(db, engine))


def page(client, case, status=200) -> str:
    response = client.get(f"/cases/{case.complaint_id}")
    assert response.status_code == status
    return response.get_data(as_text=True)


def section(html: str) -> str:
    match = re.search(r'<section[^>]*data-testid="coordination".*?</section>', html, re.DOTALL)
    assert match, "no coordination section on the page"
    return match.group(0)


def requests_shown(html: str) -> dict[str, str]:
    return dict(re.findall(r'data-testid="request" data-agency="([^"]+)" data-status="([^"]+)"', html))


def url(case, action: str) -> str:
    return f"/cases/{case.complaint_id}/coordination/{action}"


def flashed(client) -> list[str]:
    """The categories of the messages waiting to be flashed (their words get translated)."""
    with client.session_transaction() as flask_session:
        return [category for category, _message in flask_session.pop("_flashes", [])]


def redirected_to_section(response, case) -> None:
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/cases/{case.complaint_id}#coordination")


def test_the_lead_sees_requests_by_round_and_cannot_stop_yet(client, auth, case):
    auth.login("pupr.penghubung")
    html = section(page(client, case))
    assert requests_shown(html) == {DINKES: "waiting", KUBURAYA: "waiting"}
    assert 'data-round="1"' in html and QUESTION in html
    assert html.count('data-testid="required"') == 1
    assert re.search(r'data-testid="stop-waiting"[^>]*disabled', html, re.DOTALL)
    assert 'data-testid="stop-help"' in html and "Dinas Kesehatan" in html
    assert 'data-testid="add-agencies"' in html
    assert re.search(r'data-testid="request-due">\d', html)  # the reply task's deadline
    assert 'data-testid="message-form"' in html


def test_an_asked_agency_sees_its_question_but_not_the_leads_buttons(client, auth, case):
    auth.login("dinkes.penghubung")
    html = section(page(client, case))
    callout = re.search(r'data-testid="question-for-you".*?</div>\s*</div>', html, re.DOTALL).group(0)
    assert QUESTION in callout and 'data-testid="answer-link"' in callout
    assert case.task("coordination_reply", DINKES).id in callout
    assert "stop-waiting" not in html and 'data-testid="add-agencies"' not in html
    assert 'data-testid="message-form"' in html  # involved agencies write in the thread


def test_an_anonymous_reporter_stays_hidden_from_the_asked_agency(client, auth, case):
    auth.login("kuburaya.penghubung")
    html = page(client, case)
    assert 'data-testid="identity-hidden"' in html and "Budi Santoso" not in html


def test_uninvolved_officers_get_404_everywhere(client, auth, case):
    auth.login("disdik.penghubung")
    page(client, case, 404)
    for action in ("request", "agencies", "messages"):
        assert client.get(url(case, action)).status_code == 404
    for action, data in (("agencies", {"agencies": DISDIK, "question": "?"}), ("stop", {}),
                         ("messages", {"body": "Halo"}), ("request", {}), ("agencies/suggested", {"request_id": 1})):
        assert client.post(url(case, action), data=data).status_code == 404


def test_an_asked_agency_may_not_steer(client, auth, case):
    auth.login("dinkes.penghubung")
    assert client.post(url(case, "stop")).status_code == 403
    assert client.post(url(case, "agencies"), data={"agencies": DISDIK, "question": "?"}).status_code == 403
    assert client.get(url(case, "agencies")).status_code == 403
    assert requests_shown(section(page(client, case))) == {DINKES: "waiting", KUBURAYA: "waiting"}


def test_a_case_without_coordination_has_no_section(client, auth, db, process_engine):
    case = Case(db, process_engine)
    auth.login("admin")
    html = client.get(f"/cases/{case.complaint_id}").get_data(as_text=True)
    assert 'data-testid="case-summary"' in html or 'data-testid="tracking-id"' in html
    assert 'data-testid="coordination"' not in html


def test_adding_agencies_with_mistakes_keeps_what_was_typed(client, auth, case):
    auth.login("pupr.penghubung")
    response = client.post(url(case, "agencies"), data={
        "agencies": [PONTIANAK, DISDIK], "question_all": "", f"question-{DISDIK}": "Data sekolah?",
        "required": [DISDIK]})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f'data-testid="error-question-{PONTIANAK}"' in html  # Pontianak got no question at all
    assert f'data-testid="error-question-{DISDIK}"' not in html and "Data sekolah?" in html
    assert f'value="{PONTIANAK}" id="agencies-{PONTIANAK}" checked' in html
    assert f'value="{DISDIK}" id="required-{DISDIK}" checked' in html
    response = client.post(url(case, "agencies"), data={"question_all": "Mohon data."})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and 'data-testid="error-agencies"' in html and "Mohon data." in html
    assert requests_shown(section(page(client, case))) == {DINKES: "waiting", KUBURAYA: "waiting"}


def test_without_javascript_the_boxes_come_from_the_server(client, auth, case):
    auth.login("pupr.penghubung")
    response = client.post(url(case, "agencies"), data={"agencies": [PONTIANAK], "question_all": "Umum",
                                                         "refresh": "1"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and f'data-testid="ask-{PONTIANAK}"' in html and "Umum" in html
    assert PONTIANAK not in case.requests()


def test_adding_agencies_again_and_again_while_the_round_runs(client, auth, case):
    auth.login("pupr.penghubung")
    html = section(page(client, case))
    assert 'data-testid="add-agencies"' in html
    form = client.get(url(case, "agencies")).get_data(as_text=True)
    assert f'value="{DINKES}"' not in form and f'value="{PUPR}"' not in form  # asked already, or the lead
    response = client.post(url(case, "agencies"), data={
        "agencies": [PONTIANAK, DISDIK], "question_all": "Mohon data saluran.",
        f"question-{DISDIK}": "Dan data sekolah di sekitarnya.", "required": [PONTIANAK]})
    redirected_to_section(response, case)
    html = section(page(client, case))
    assert requests_shown(html) == {DINKES: "waiting", KUBURAYA: "waiting", PONTIANAK: "waiting", DISDIK: "waiting"}
    assert html.count('data-testid="required"') == 2  # Dinkes and Pontianak
    assert case.requests()[PONTIANAK].question == "Mohon data saluran."
    assert case.requests()[DISDIK].question == "Mohon data saluran.\n\nDan data sekolah di sekitarnya."
    assert html.count('data-testid="own-question"') == 4  # the round's agencies got different questions
    # a second addition in the same round
    assert 'data-testid="add-agencies"' in html
    response = client.post(url(case, "agencies"), data={"agencies": ["inspektorat-kalbar"], "question_all": "?"})
    redirected_to_section(response, case)
    assert flashed(client) == ["success"]
    assert "inspektorat-kalbar" in case.requests()


def test_adding_is_refused_once_the_round_is_over(client, auth, case):
    for agency, username in ((DINKES, "dinkes.penghubung"), (KUBURAYA, "kuburaya.penghubung")):
        case.do(username, "coordination_reply", {"decision": "jawab", "answer": "Sudah."}, agency=agency)
    auth.login("pupr.penghubung")
    assert 'data-testid="add-agencies"' not in section(page(client, case))
    response = client.post(url(case, "agencies"), data={"agencies": [PONTIANAK], "question_all": "?"})
    redirected_to_section(response, case)
    assert flashed(client) == ["warning"]
    assert PONTIANAK not in case.requests()


def test_asking_the_suggested_agency_from_a_not_ours_reply(client, auth, case):
    case.do("dinkes.penghubung", "coordination_reply", {
        "decision": "bukan_wewenang", "reason": "Bukan urusan kesehatan.", "suggested_agency": PONTIANAK},
        agency=DINKES)
    auth.login("pupr.penghubung")
    html = section(page(client, case))
    assert "Bukan urusan kesehatan." in html and 'data-testid="suggested"' in html
    request_id = re.search(r'name="request_id" value="(\d+)"', html).group(1)
    redirected_to_section(client.post(url(case, "agencies/suggested"), data={"request_id": request_id}), case)
    shown = requests_shown(section(page(client, case)))
    assert shown == {DINKES: "not_ours", KUBURAYA: "waiting", PONTIANAK: "waiting"}
    assert case.requests()[PONTIANAK].required  # like the agency it replaces
    assert ("coordination_reply", "liaison", PONTIANAK) in case.ready_elements()


def test_stop_waiting_is_refused_until_the_required_answers_are_in(client, auth, case):
    auth.login("pupr.penghubung")
    redirected_to_section(client.post(url(case, "stop")), case)
    assert flashed(client) == ["warning"]
    assert requests_shown(section(page(client, case)))[KUBURAYA] == "waiting"
    case.do("dinkes.penghubung", "coordination_reply", {"decision": "jawab", "answer": "Data terlampir."},
            agency=DINKES)
    html = section(page(client, case))
    assert not re.search(r'data-testid="stop-waiting"[^>]*disabled', html, re.DOTALL)
    assert "Data terlampir." in html
    redirected_to_section(client.post(url(case, "stop")), case)
    assert flashed(client) == ["success"]
    html = page(client, case)
    assert requests_shown(section(html)) == {DINKES: "answered", KUBURAYA: "cancelled"}
    assert "stop-waiting" not in section(html)
    assert [t.element_id for t in case.ready()] == ["consolidate_coordination"]


def test_the_thread_with_mentions(client, auth, db, case):
    auth.login("kuburaya.penghubung")
    response = client.post(url(case, "messages"), data={
        "body": "Saluran itu aset kabupaten sejak 2021.", "mentions": [PUPR]})
    redirected_to_section(response, case)
    auth.logout()
    auth.login("pupr.penghubung")
    html = section(page(client, case))
    assert "Saluran itu aset kabupaten sejak 2021." in html
    assert 'data-testid="message-count">1<' in html and 'data-testid="mention"' in html
    with db.session() as s:
        mentioned = s.scalars(select(OutboxMessage.recipient).where(
            OutboxMessage.dedupe_key.startswith("coordination-mention:"))).all()
    assert mentioned == ["pupr.penghubung@tindak.example.org"]
    # mistakes come back with what was typed
    response = client.post(url(case, "messages"), data={"body": "   ", "mentions": [DINKES]})
    assert response.status_code == 422 and 'data-testid="error-body"' in response.get_data(as_text=True)
    response = client.post(url(case, "messages"), data={"body": "Lihat Disdik.", "mentions": [DISDIK]})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and 'data-testid="error-mentions"' in html and "Lihat Disdik." in html


def test_the_lead_asks_through_the_section_form(client, auth, db, engine, host, clock):
    case = HostCase(db, engine)
    auth.login("pupr.penghubung")
    html = section(page(client, case))
    assert 'data-testid="ask-callout"' in html
    # the generic task page cannot draw rows of agencies: it sends the officer to this form
    task_id = case.task("request_coordination", PUPR).id
    for response in (client.get(f"/tasks/{task_id}"), client.post(f"/tasks/{task_id}", data={})):
        assert response.status_code == 302 and response.headers["Location"].endswith(url(case, "request"))
    form = client.get(url(case, "request")).get_data(as_text=True)
    assert f'name="agencies" value="{DINKES}"' in form
    assert f'value="{PUPR}"' not in form  # the lead does not ask itself
    response = client.post(url(case, "request"), data={"agencies": [DINKES, KUBURAYA],
                                                       f"question-{KUBURAYA}": QUESTION, "required": [KUBURAYA]})
    assert response.status_code == 422
    assert f'data-testid="error-question-{DINKES}"' in response.get_data(as_text=True)
    assert case.requests() == {}
    response = client.post(url(case, "request"), data={
        "agencies": [DINKES, KUBURAYA], f"question-{DINKES}": "Kasus DBD?", f"question-{KUBURAYA}": QUESTION,
        "required": [KUBURAYA]})
    redirected_to_section(response, case)
    html = section(page(client, case))
    assert requests_shown(html) == {DINKES: "waiting", KUBURAYA: "waiting"}
    assert 'data-testid="question"' not in html and html.count('data-testid="own-question"') == 2
    assert case.requests()[KUBURAYA].required and not case.requests()[DINKES].required
    assert case.requests()[DINKES].question == "Kasus DBD?"
    # the timeline shows the request row by row, agencies by name
    timeline = re.search(r'data-testid="timeline".*', page(client, case), re.DOTALL).group(0)
    assert "{'agency'" not in timeline and "Instansi: Dinas Kesehatan Provinsi Kalimantan Barat" in timeline
    assert "Pertanyaan untuk instansi ini: Kasus DBD?" in timeline and "Jawaban wajib ditunggu: " in timeline
    # the request is done: the form now only says so
    response = client.get(url(case, "request"), follow_redirects=True)
    assert 'data-testid="coordination"' in response.get_data(as_text=True)


def test_only_the_lead_may_ask(client, auth, db, engine, host, clock):
    case = HostCase(db, engine)
    auth.login("dinkes.admin")  # cannot even see the case yet
    assert client.get(url(case, "request")).status_code == 404
    auth.logout()
    auth.login("gubernur")  # sees the case (PUPR is below the province), but asking is the liaison's task
    flashed(client)  # the welcome
    redirected_to_section(client.get(url(case, "request")), case)
    assert flashed(client) == ["warning"]
    assert case.requests() == {}


def test_the_reporter_never_sees_coordination(client, auth, db, case):
    case.do("dinkes.penghubung", "coordination_reply", {"decision": "jawab", "answer": "JAWABAN-INTERNAL-DINKES"},
            agency=DINKES)
    auth.login("pupr.penghubung")
    client.post(url(case, "messages"), data={"body": "PESAN-INTERNAL-THREAD"})
    client.post(url(case, "stop"))
    case.do("pupr.penghubung", "consolidate_coordination", {
        "decision": "jawab", "answer": "JAWABAN-GABUNGAN untuk pelapor."})
    auth.logout()
    with db.session() as s:
        tracking_id = s.get(Complaint, case.complaint_id).tracking_id
    html = client.get(f"/lacak/{tracking_id}?kode={case.secret}", follow_redirects=True).get_data(as_text=True)
    assert "JAWABAN-GABUNGAN untuk pelapor." in html
    for secret in (QUESTION, "JAWABAN-INTERNAL-DINKES", "PESAN-INTERNAL-THREAD", 'data-testid="coordination"'):
        assert secret not in html
    listing = client.get("/laporan").get_data(as_text=True)
    assert QUESTION not in listing and "PESAN-INTERNAL-THREAD" not in listing


def test_the_task_page_can_show_the_question(db, case):
    from webapp.views.coordination import task_question

    with db.session() as s:
        question = task_question(s, case.task("coordination_reply", KUBURAYA))
        assert (question.request.question, question.request.required) == (QUESTION, False)
        assert question.lead.startswith("Dinas Pekerjaan Umum")
        assert task_question(s, case.task("coordination_reply", DINKES)).request.required


# -- files in the thread -------------------------------------------------------------------------

@pytest.fixture
def folder(app, tmp_path):
    folder = tmp_path / "attachments"
    app.extensions["tindak.settings"].attachment_dir = folder
    return folder


def attach(*files) -> list:
    return [(io.BytesIO(data), name) for name, data in files]


def file_links(html: str) -> list[str]:
    return re.findall(r'href="(/cases/\d+/coordination/attachments/\d+)"', html)


def stored_files(folder) -> list:
    return sorted(folder.rglob("*.*")) if folder.exists() else []


def test_files_in_the_thread_are_shown_and_downloaded_by_the_agencies_involved(client, auth, db, case, folder):
    auth.login("kuburaya.penghubung")
    form = re.search(r'<form[^>]*data-testid="message-form"', section(page(client, case))).group(0)
    assert 'enctype="multipart/form-data"' in form
    response = client.post(url(case, "messages"), data={
        "body": "Foto dan data aset saluran.", "mentions": [PUPR],
        "attachments": attach(("foto saluran.png", PNG), ("aset.docx", DOCX))})
    redirected_to_section(response, case)
    auth.logout()
    auth.login("pupr.penghubung")
    html = section(page(client, case))
    assert 'data-testid="message-attachments"' in html and "foto saluran.png" in html and "aset.docx" in html
    assert "bi-file-earmark-image" in html and "bi-file-earmark-word" in html
    photo, document = file_links(html)
    response = client.get(photo)
    assert response.status_code == 200 and response.data == PNG and response.mimetype == "image/png"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert "private" in response.headers["Cache-Control"]
    response = client.get(document)
    assert (response.status_code, response.mimetype, response.data) == (200, DOCX_TYPE, DOCX)
    assert re.fullmatch(r"attachment; filename=lampiran-\d+\.docx", response.headers["Content-Disposition"])
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    auth.logout()
    auth.login("dinkes.penghubung")  # asked as well: reads the thread, so downloads its files
    assert client.get(photo).status_code == 200
    with db.session() as s:
        [mail] = s.scalars(select(OutboxMessage).where(OutboxMessage.dedupe_key.startswith("coordination-mention:")))
    assert "2 lampiran" in mail.body


def test_thread_files_answer_404_to_everyone_else(client, auth, db, engine, case, folder):
    auth.login("kuburaya.penghubung")
    client.post(url(case, "messages"), data={"body": "Foto lokasi.", "attachments": attach(("lokasi.png", PNG))})
    [link] = file_links(section(page(client, case)))
    attachment_id = link.rpartition("/")[2]
    auth.logout()
    anonymous = client.get(link)
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    for username in ("disdik.penghubung", "pontianak.penghubung", "perancang"):
        auth.login(username)
        response = client.get(link)
        assert response.status_code == 404 and PNG not in response.data, username
        auth.logout()
    auth.login("admin")
    other = HostCase(db, engine)
    assert client.get(f"/cases/{other.complaint_id}/coordination/attachments/{attachment_id}").status_code == 404
    # the reporters' attachment download does not know thread files
    assert client.get(f"/cases/{case.complaint_id}/attachments/{attachment_id}").status_code == 404
    for path in stored_files(folder):
        path.unlink()
    assert client.get(link).status_code == 404


def test_the_reporter_and_the_public_never_see_thread_files(client, auth, db, case, folder):
    auth.login("pupr.penghubung")
    client.post(url(case, "messages"), data={"body": "Catatan internal.",
                                             "attachments": attach(("LAMPIRAN-INTERNAL.pdf", b"%PDF-1.4 x"))})
    [link] = file_links(section(page(client, case)))
    auth.logout()
    with db.session() as s:
        tracking_id = s.get(Complaint, case.complaint_id).tracking_id
    public_pages = [client.get(f"/lacak/{tracking_id}?kode={case.secret}", follow_redirects=True),
                    client.get("/laporan"), client.get(f"/laporan?q={tracking_id}"),
                    client.get("/open311/v2/requests.json"), client.get(f"/open311/v2/requests/{tracking_id}.json")]
    assert public_pages[0].status_code == 200 and tracking_id in public_pages[0].get_data(as_text=True)
    for response in public_pages:
        html = response.get_data(as_text=True)
        assert "LAMPIRAN-INTERNAL" not in html and "coordination/attachments" not in html
    # the secret link is no key to the file
    assert client.get(f"{link}?kode={case.secret}").status_code == 302
    assert b"%PDF-1.4 x" not in client.get(f"{link}?kode={case.secret}", follow_redirects=True).data


def test_a_bad_file_keeps_the_typed_text_and_mentions(client, auth, db, case, folder):
    auth.login("dinkes.penghubung")
    response = client.post(url(case, "messages"), data={
        "body": "Rekap kunjungan terlampir.", "mentions": [PUPR], "attachments": attach(("rekap.xlsx", EXE))})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    error = re.search(r'data-testid="error-attachments">(.*?)</div>', html, re.DOTALL).group(1)
    assert "rekap.xlsx" in error
    assert "Rekap kunjungan terlampir." in html and f'value="{PUPR}" id="mention-{PUPR}" checked' in html
    assert 'enctype="multipart/form-data"' in html
    response = client.post(url(case, "messages"), data={
        "body": "Foto-foto.", "attachments": attach(*[(f"{n}.png", PNG) for n in range(6)])})
    assert response.status_code == 422 and 'data-testid="error-attachments"' in response.get_data(as_text=True)
    # a good file with another mistake: the text is kept and the file must be chosen again
    response = client.post(url(case, "messages"), data={
        "body": "Lihat Disdik.", "mentions": [DISDIK], "attachments": attach(("a.png", PNG))})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and 'data-testid="error-mentions"' in html
    assert 'data-testid="files-dropped"' in html and "Lihat Disdik." in html
    response = client.post(url(case, "messages"), data={"body": "  "})
    assert response.status_code == 422 and 'data-testid="error-body"' in response.get_data(as_text=True)
    html = section(page(client, case))
    assert 'data-testid="message-count">0<' in html and stored_files(folder) == []
    # a file alone is a message
    redirected_to_section(client.post(url(case, "messages"), data={"attachments": attach(("denah.pdf", b"%PDF-1 d"))}),
                          case)
    html = section(page(client, case))
    assert 'data-testid="message-count">1<' in html and "denah.pdf" in html and len(file_links(html)) == 1


def test_task_lists_and_open311_with_several_agencies(client, auth, db, case):
    # each coordinating agency finds its own reply task in its team list, the lead none of them
    reply = {code: case.task("coordination_reply", code).id for code in (DINKES, KUBURAYA)}
    for username, mine in (("dinkes.penghubung", DINKES), ("kuburaya.penghubung", KUBURAYA)):
        auth.login(username)
        html = client.get("/tasks/?tab=team").get_data(as_text=True)
        assert reply[mine] in html and all(task_id not in html for code, task_id in reply.items() if code != mine)
        auth.logout()
    auth.login("pupr.penghubung")
    html = client.get("/tasks/?tab=team").get_data(as_text=True)
    assert all(task_id not in html for task_id in reply.values())
    # Open311 names the lead agency only: the others help, the lead answers the reporter
    with db.session() as s:
        tracking_id = s.get(Complaint, case.complaint_id).tracking_id
    [request] = client.get(f"/open311/v2/requests/{tracking_id}.json").get_json()
    assert request["agency_responsible"] == "Dinas Pekerjaan Umum dan Penataan Ruang Provinsi Kalimantan Barat"


def test_an_agency_whose_part_is_over_sees_the_thread_read_only(client, auth, case):
    for agency, username in ((DINKES, "dinkes.penghubung"), (KUBURAYA, "kuburaya.penghubung")):
        case.do(username, "coordination_reply", {"decision": "jawab", "answer": "Sudah."}, agency=agency)
    auth.login("dinkes.penghubung")
    html = section(page(client, case))
    assert 'data-testid="thread-read-only"' in html and 'data-testid="message-form"' not in html
    assert client.post(url(case, "messages"), data={"body": "Satu lagi."}).status_code == 403
    auth.logout()
    auth.login("pupr.penghubung")  # the lead writes the combined answer, and may still write here
    html = section(page(client, case))
    assert 'data-testid="message-form"' in html and 'data-testid="thread-read-only"' not in html


def test_a_full_disk_leaves_no_thread_file_and_keeps_the_text(client, auth, db, case, folder, monkeypatch):
    from tests.test_views_public import disk_fills_up_on_file

    auth.login("dinkes.penghubung")
    tried = disk_fills_up_on_file(monkeypatch, 2)
    response = client.post(url(case, "messages"), data={
        "body": "Rekap kunjungan terlampir.", "mentions": [PUPR],
        "attachments": attach(("a.png", PNG), ("b.pdf", b"%PDF-1 " + b"d" * 5000))})
    html = response.get_data(as_text=True)
    assert len(tried) == 2
    assert response.status_code == 503
    assert "tidak dapat disimpan" in html and "Rekap kunjungan terlampir." in html
    assert stored_files(folder) == []
    assert 'data-testid="message-count">0<' in section(page(client, case))
