"""Answers become public only where the diagram says (workflows/publication.py).

An officer's `x-public` fields reach the reporter when the case passes an element with the
property `publishAnswer` naming the task. tests/data/approval/complaint.bpmn puts the head of
agency's approval between the liaison's draft and that point; bpmn/complaint.bpmn publishes right
after each answer, so the reporter sees what they saw before publish points existed.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from lxml import etree
from sqlalchemy import select

from engine.deploy import deploy
from engine.models import HumanTask
from tests.casework import Case
from tests.conftest import BPMN_DIR, DATA
from tests.test_complaint_timers import reach_the_completion_limit
from webapp.views import public as public_view
from workflows import public
from workflows.models import Complaint
from workflows.publication import PUBLISH_PROPERTY, PUBLISHED, public_fields, published_tasks

APPROVAL = DATA / "approval"
DRAFT_1 = "KONSEP-1: petugas datang minggu depan."
DRAFT_2 = "KONSEP-2: petugas datang Senin 13 April pukul 09.00 dan mengganti lampu."
NOTE = "CATATAN-UNTUK-PIMPINAN"
REMARK = "CATATAN-PIMPINAN: kurang jelas kapan."
DISPOSE = {"decision": "disposisi", "lead_agency": "dinkes-kalbar"}
ANSWER = {"decision": "jawab", "answer": "Lampu sudah diganti 3 Desember."}
NOT_OURS = {"decision": "bukan_wewenang", "reason": "Jalan kota.", "suggested_agency": "pemkot-pontianak"}
SPIFF = {"s": "http://spiffworkflow.org/bpmn/schema/1.0/core", "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL"}


def deploy_folder(db, folder: Path) -> None:
    with db.transaction() as s:
        deploy(s, [folder], deployed_by="tests")


@pytest.fixture
def approval(db):
    """The approval diagram deployed as the newest version of `complaint`: new cases start on it."""
    deploy_folder(db, APPROVAL)


def shown(db, case: Case) -> list[tuple[str, list]]:
    """(kind, fields) of what the reporter's timeline shows, oldest first."""
    with db.session() as s:
        return [(e.kind, e.fields) for e in public.public_timeline(s, s.get(Complaint, case.complaint_id))]


def answers(db, case: Case) -> list[str]:
    return [value for kind, fields in shown(db, case) if kind == "answer" for _title, value in fields]


def published(case: Case) -> list[tuple[str, str]]:
    """(publishing element, published task's element) of each answer_published event."""
    return [(e.element_id, e.data["task"]) for e in case.events(PUBLISHED)]


def task_ids(case: Case, element_id: str) -> list[str]:
    with case.db.session() as s:
        return list(s.scalars(select(HumanTask.id).where(
            HumanTask.process_instance_id == case.instance_id, HumanTask.element_id == element_id)
            .order_by(HumanTask.created_at, HumanTask.id)))


# -- a diagram with an approval step ---------------------------------------------------------------

def test_a_draft_is_public_only_once_the_head_approves_it(db, process_engine, approval):
    case = Case(db, process_engine)
    assert case.ready_elements() == ["draft_answer"]
    case.do("draft_answer", {"answer": DRAFT_1, "internal_note": NOTE}, "dinkes.penghubung")
    [approve] = case.ready()
    assert (approve.element_id, approve.role, approve.agency_code) == ("approve_answer", "agency_head", "dinkes-kalbar")
    assert answers(db, case) == []

    case.do("approve_answer", {"approval": "tolak", "remark": REMARK}, "dinkes.kepala")
    assert case.ready_elements() == ["draft_answer"] and answers(db, case) == []
    case.do("draft_answer", {"answer": DRAFT_2}, "dinkes.penghubung")
    assert answers(db, case) == []

    case.do("approve_answer", {"approval": "setuju"}, "dinkes.kepala")
    assert case.status == "proses" and case.instance().completed
    assert answers(db, case) == [DRAFT_2]  # the draft sent back never
    text = repr(shown(db, case))
    for hidden in (DRAFT_1, NOTE, REMARK, "dinkes.penghubung", "dinkes.kepala"):
        assert hidden not in text
    [event] = case.events(PUBLISHED)
    assert (event.element_id, event.data["task"], event.actor) == ("publish_answer", "draft_answer", "dinkes.kepala")
    assert event.task_id == task_ids(case, "draft_answer")[1]  # the second draft's task


def test_the_answer_appears_when_it_is_published_not_when_it_was_drafted(db, process_engine, approval):
    case = Case(db, process_engine)
    case.do("draft_answer", {"answer": DRAFT_2}, "dinkes.penghubung")
    drafted = case.events("task_completed")[-1].at
    case.do("approve_answer", {"approval": "setuju"}, "dinkes.kepala")
    with db.session() as s:
        [answer] = [e for e in public.public_timeline(s, s.get(Complaint, case.complaint_id)) if e.kind == "answer"]
    assert answer.at == case.events(PUBLISHED)[0].at >= drafted
    assert answer.agency == "Dinas Kesehatan Provinsi Kalimantan Barat"


def test_drafts_refused_to_the_end_are_never_shown(db, process_engine, approval):
    case = Case(db, process_engine)
    for n in range(4):
        case.do("draft_answer", {"answer": f"KONSEP-{n}"}, "dinkes.penghubung")
        case.do("approve_answer", {"approval": "tolak"}, "dinkes.kepala")
    assert case.status == "diarsipkan" and case.instance().completed
    assert answers(db, case) == [] and case.events(PUBLISHED) == []
    assert "KONSEP-" not in repr(shown(db, case))


def test_a_version_that_names_no_publish_point_shows_answers_on_completion(db, process_engine, tmp_path):
    """Cases on versions deployed before publish points keep the rule they started with."""
    folder = tmp_path / "approval"
    shutil.copytree(APPROVAL, folder)
    diagram = folder / "complaint.bpmn"
    text = diagram.read_text(encoding="utf-8")
    line = f'<spiffworkflow:property name="{PUBLISH_PROPERTY}" value="draft_answer" />'
    assert line in text
    diagram.write_text(text.replace(line, ""), encoding="utf-8")
    deploy_folder(db, folder)
    case = Case(db, process_engine)
    case.do("draft_answer", {"answer": DRAFT_1}, "dinkes.penghubung")
    assert answers(db, case) == [DRAFT_1]
    assert case.events(PUBLISHED) == []


def test_the_tracking_page_shows_the_answer_after_approval_only(client, app, db, process_engine, approval):
    if "public" not in app.blueprints:
        app.register_blueprint(public_view.bp)
    case = Case(db, process_engine)
    url = f"/lacak/{case.complaint.tracking_id}?kode={case.secret}"
    case.do("draft_answer", {"answer": DRAFT_1, "internal_note": NOTE}, "dinkes.penghubung")
    before = client.get(url, follow_redirects=True).get_data(as_text=True)
    assert 'data-status="terdisposisi"' in before
    assert DRAFT_1 not in before and 'data-testid="answer"' not in before
    case.do("approve_answer", {"approval": "tolak", "remark": REMARK}, "dinkes.kepala")
    case.do("draft_answer", {"answer": DRAFT_2}, "dinkes.penghubung")
    assert DRAFT_2 not in client.get(url, follow_redirects=True).get_data(as_text=True)
    case.do("approve_answer", {"approval": "setuju"}, "dinkes.kepala")
    after = client.get(url, follow_redirects=True).get_data(as_text=True)
    assert 'data-status="proses"' in after and DRAFT_2 in after
    for hidden in (DRAFT_1, NOTE, REMARK):
        assert hidden not in after


def test_officers_see_the_draft_and_the_publication_on_the_case_page(client, auth, db, process_engine, approval):
    case = Case(db, process_engine)
    case.do("draft_answer", {"answer": DRAFT_1}, "dinkes.penghubung")
    auth.login("dinkes.kepala")
    page = client.get(f"/cases/{case.complaint_id}").get_data(as_text=True)
    assert DRAFT_1 in page and f'data-testid="event-{PUBLISHED}"' not in page
    case.do("approve_answer", {"approval": "setuju"}, "dinkes.kepala")
    page = client.get(f"/cases/{case.complaint_id}").get_data(as_text=True)
    assert f'data-testid="event-{PUBLISHED}"' in page
    assert "Jawaban diumumkan kepada pelapor" in page  # the event's label, in Indonesian


# -- the shipped diagram: published right after each answer ----------------------------------------

@pytest.fixture
def case(db, process_engine):
    return Case(db, process_engine)


def test_the_agency_answer_is_published_as_the_case_moves_to_proses(db, case):
    case.do("verify_complaint", DISPOSE, "verifikator").do("follow_up", ANSWER, "dinkes.penghubung")
    assert published(case) == [("mark_answered", "follow_up")]
    assert answers(db, case) == [ANSWER["answer"]]
    kinds = [kind for kind, _ in shown(db, case)]
    assert kinds[-2:] == ["answer", "status"]  # as before: the answer, then the new status
    # reopened and answered again: the second answer is published too
    case.do("review_answer", {"satisfied": "tidak_puas", "rating": 2, "reason": "Belum."}, "pelapor")
    case.do("follow_up", {"decision": "jawab", "answer": "Diganti lagi 5 Desember."}, "dinkes.penghubung")
    assert published(case) == [("mark_answered", "follow_up")] * 2
    assert answers(db, case) == [ANSWER["answer"], "Diganti lagi 5 Desember."]


def test_the_verifiers_question_and_reason_are_published(db, process_engine):
    asked = Case(db, process_engine).do("verify_complaint", {"decision": "tunda", "details_question": "Di mana?"})
    assert published(asked) == [("mark_pending", "verify_complaint")]
    assert answers(db, asked) == ["Di mana?"]
    archived = Case(db, process_engine).do("verify_complaint", {"decision": "arsipkan", "reason": "Laporan ganda."})
    assert published(archived) == [("mark_archived", "verify_complaint")]
    assert answers(db, archived) == ["Laporan ganda."]


def test_a_disposition_publishes_nothing(db, case):
    case.do("verify_complaint", {**DISPOSE, "note": "Catatan internal"}, "verifikator")
    assert published(case) == [] and answers(db, case) == []


def test_an_answer_typed_beside_not_ours_is_not_published(db, case):
    """Only the 'answer' path publishes; before publish points any filled public field showed."""
    case.do("verify_complaint", DISPOSE).do("follow_up", {**NOT_OURS, "answer": "KETIKAN-TERSISA"})
    assert published(case) == [] and "KETIKAN-TERSISA" not in repr(shown(db, case))


def test_the_ombudsman_finding_is_published_when_the_case_ends(db, case):
    case.do("verify_complaint", DISPOSE)
    for agency in ("pupr-kalbar", "disdik-kalbar", "inspektorat-kalbar"):
        case.do("follow_up", NOT_OURS).do("redispose_complaint", {"lead_agency": agency})
    case.do("follow_up", NOT_OURS).do("ombudsman_review", {"finding": "Diambil alih Ombudsman."}, "ombudsman")
    assert published(case) == [("end_ombudsman", "ombudsman_review")]
    assert answers(db, case) == ["Diambil alih Ombudsman."]


def test_the_ombudsman_message_and_takeover_finding_are_published(db, process_engine, clock):
    case = Case(db, process_engine)
    reach_the_completion_limit(case, clock)  # includes the Ombudsman's message to the reporter
    assert published(case) == [("consent_request_published", "request_consent")]
    assert answers(db, case) == ["Laporan Anda belum selesai dalam 60 hari."]
    case.do("consent_transfer", {"agree": "ya"}, "pelapor")
    case.do("ombudsman_takeover", {"finding": "Ombudsman memanggil Dinas Kesehatan."}, "ombudsman")
    assert published(case)[-1] == ("end_taken_over", "ombudsman_takeover")
    assert answers(db, case)[-1] == "Ombudsman memanggil Dinas Kesehatan."


def test_every_public_field_of_the_shipped_diagram_has_a_publish_point():
    """A task whose form has x-public fields that no publish point names would never reach the reporter."""
    forms = {p.name: json.loads(p.read_text(encoding="utf-8")) for p in (BPMN_DIR / "forms").glob("*.json")}
    for diagram in BPMN_DIR.glob("*.bpmn"):
        root = etree.parse(str(diagram)).getroot()
        named = {name for prop in root.xpath(f"//s:property[@name='{PUBLISH_PROPERTY}']", namespaces=SPIFF)
                 for name in published_tasks(prop.get("value"))}
        with_public = set()
        user_tasks = {t.get("id") for t in root.iterfind(".//bpmn:userTask", SPIFF)}
        for task in root.iterfind(".//bpmn:userTask", SPIFF):
            [form] = task.xpath(".//s:property[@name='formJsonSchemaFilename']/@value", namespaces=SPIFF) or [None]
            if form and public_fields(forms[form]):
                with_public.add(task.get("id"))
        assert named <= user_tasks, f"{diagram.name}: a publish point names no user task: {named - user_tasks}"
        assert with_public <= named, f"{diagram.name}: never published: {with_public - named}"
