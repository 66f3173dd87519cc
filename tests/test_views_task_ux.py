"""Issue 13: what the liaison is told happens after the answer, the reporter's step on the case
page, the reporter's reply form, and small things (favicon, home page, one task name, back link)."""
from __future__ import annotations

import json
import re

from sqlalchemy import select

from engine.models import HumanTask
from tests.casework import Case
from tests.conftest import BPMN_DIR

DISPOSE = {"decision": "disposisi", "lead_agency": "dinkes-kalbar"}
ANSWER = {"decision": "jawab", "answer": "Lampu sudah kami ganti pada 3 Desember."}


def body(response) -> str:
    return response.get_data(as_text=True)


def dinkes_case(db, engine) -> Case:
    return Case(db, engine).do("verify_complaint", DISPOSE, "verifikator")


def ready_task(db, case: Case) -> HumanTask:
    with db.session() as s:
        return s.scalars(select(HumanTask).where(HumanTask.process_instance_id == case.instance_id,
                                                 HumanTask.state == "ready")).one()


# -- item 6: the answer step says what happens next --------------------------------------

def test_the_answer_step_says_the_case_stays_proses_until_the_reporter_replies_and_until_when(
        client, auth, db, process_engine):
    case = dinkes_case(db, process_engine)
    task = ready_task(db, case)
    auth.login("dinkes.penghubung")
    page = body(client.get(f"/tasks/{task.id}"))
    [notice] = re.findall(r'<div class="alert alert-info small" role="note" data-testid="what-next"[^>]*>.*?</div>',
                          page, re.S)
    # shown for the "send the answer" choice only
    assert 'data-show-when="decision"' in notice and 'data-show-values="[&#34;jawab&#34;]"' in notice
    text = re.sub(r"\s+", " ", notice)
    assert "status laporan tetap “Proses” sampai pelapor menanggapi" in text
    # the date is the SLA book's reporter_reply deadline counted from now (10 working days)
    due = process_engine.sla_book.due("reporter_reply", "infrastruktur", "dinkes-kalbar")
    from flask_babel import format_datetime
    with client.application.test_request_context():
        from flask_babel import force_locale
        with force_locale("id"):
            shown = format_datetime(due, "d MMM yyyy HH:mm")
    assert f"paling lambat sampai {shown} WIB" in text and "“Selesai”" in text
    # the diagram's instructions state the rule too
    assert "Setelah jawaban dikirim" in page


def test_the_verifier_is_not_told_about_the_reporters_reply(client, auth, db, process_engine):
    case = Case(db, process_engine)
    auth.login("verifikator")
    assert 'data-testid="what-next"' not in body(client.get(f"/tasks/{ready_task(db, case).id}"))


# -- item 6: the reporter's step on the case page ----------------------------------------

def test_the_case_page_shows_the_reporters_step_as_waiting_without_link_or_claim(client, auth, db, process_engine):
    case = dinkes_case(db, process_engine).do("follow_up", ANSWER, "dinkes.penghubung")
    task = ready_task(db, case)
    assert task.role == "reporter" and task.due_at is not None
    auth.login("dinkes.penghubung")
    page = body(client.get(f"/cases/{case.complaint_id}"))
    [item] = re.findall(r'<li class="list-group-item px-0" data-testid="open-task" data-role="reporter">.*?</li>',
                        page, re.S)
    text = re.sub(r"\s+", " ", item)
    assert re.search(r"Menunggu pelapor hingga \d{1,2} \w+ \d{4} \d\d:\d\d WIB", text)
    assert "<a " not in item and f"/tasks/{task.id}" not in item
    assert "claim" not in item.lower() and "belum diklaim" not in text.lower()


# -- item 6: the reply is one clear choice with an optional rating ------------------------

def test_the_reply_is_satisfied_or_not_with_an_optional_rating_that_does_not_repeat_puas():
    schema = json.loads((BPMN_DIR / "forms" / "review_answer.json").read_text())
    assert schema["required"] == ["satisfied"]
    choices = [o["title"] for o in schema["properties"]["satisfied"]["oneOf"]]
    assert len(choices) == 2 and "puas" in choices[0].lower() and "tidak puas" in choices[1].lower()
    ratings = [o["title"] for o in schema["properties"]["rating"]["oneOf"]]
    assert [o["const"] for o in schema["properties"]["rating"]["oneOf"]] == [1, 2, 3, 4, 5]
    assert all("puas" not in title.lower() for title in ratings)
    assert all(title.count("★") == n for n, title in enumerate(ratings, 1))


def test_the_reporter_may_reply_satisfied_without_a_rating(client, db, process_engine):
    case = dinkes_case(db, process_engine).do("follow_up", ANSWER, "dinkes.penghubung")
    task = ready_task(db, case)
    tracking = case.complaint.tracking_id
    page = body(client.get(f"/lacak/{tracking}?kode={case.secret}"))
    assert not re.search(r'name="rating"[^>]* required', page)
    response = client.post(f"/lacak/{tracking}/tugas/{task.id}", data={"kode": case.secret, "satisfied": "puas"})
    assert response.status_code == 302
    assert case.status == "selesai"


# -- item 8: small ones -------------------------------------------------------------------

def test_favicon_ico_answers_with_the_svg_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response.headers["Location"].endswith("/static/favicon.svg")
    assert client.get("/static/favicon.svg").status_code == 200
    assert 'rel="icon" href="/static/favicon.svg"' in body(client.get("/login"))
    assert 'rel="icon" href="/static/favicon.svg"' in body(client.get("/lapor"))  # the citizens' layout too


def test_citizens_land_on_the_complaint_form_with_tracking_and_listing_after_it(client):
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"].endswith("/lapor")
    page = body(client.get("/lapor"))
    menu = page[page.index('aria-label="Menu utama"'):]
    assert menu.index("/lapor") < menu.index("/lacak") < menu.index("/laporan")


def test_the_follow_up_task_has_one_name_everywhere():
    diagram = (BPMN_DIR / "complaint.bpmn").read_text()
    name = re.search(r'<bpmn:userTask id="follow_up" name="([^"]+)"', diagram).group(1)
    schema = json.loads((BPMN_DIR / "forms" / "follow_up.json").read_text())
    assert name == schema["title"] == "Tindak lanjuti laporan"


def test_back_to_my_tasks_opens_my_tasks(client, auth, db, process_engine):
    case = Case(db, process_engine)
    auth.login("verifikator")
    page = body(client.get(f"/tasks/{ready_task(db, case).id}"))
    assert re.search(r'href="/tasks/\?tab=mine" data-testid="back-to-mine">Kembali ke tugas saya<', page)
