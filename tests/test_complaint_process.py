"""Every path of bpmn/complaint.bpmn, run through the persisted engine.

Each step is a separate transaction that loads the case from the database, so every wait
state is saved and restored; `Case.check_save_restore` also checks that round trip directly.
"""
from __future__ import annotations

from uuid import UUID

import pytest
from sqlalchemy import select

from tests.casework import Case
from workflows import policy
from workflows.models import User

DISPOSE = {"decision": "disposisi", "lead_agency": "dinkes-kalbar"}
ANSWER = {"decision": "jawab", "answer": "Sudah kami perbaiki pada 3 Desember."}
NOT_OURS = {"decision": "bukan_wewenang", "reason": "Jalan kota.", "suggested_agency": "pemkot-pontianak"}


@pytest.fixture
def case(db, process_engine):
    return Case(db, process_engine)


def test_new_complaint_waits_for_verification(case):
    assert case.status == "belum_terverifikasi"
    [task] = case.ready()
    assert (task.element_id, task.role, task.agency_code, task.lane) == (
        "verify_complaint", "verifier", None, "Verifikator")
    assert task.form == "verify.json"
    assert [e.kind for e in case.events()] == ["started"]


def test_disposition_routes_to_the_agency_liaison(case):
    case.do("verify_complaint", DISPOSE, "verifikator")
    assert case.status == "terdisposisi"
    assert case.complaint.lead_agency_code == "dinkes-kalbar"
    [task] = case.ready()
    assert (task.element_id, task.role, task.agency_code) == ("follow_up", "liaison", "dinkes-kalbar")


def test_answer_then_satisfied_reporter_finishes(case):
    case.do("verify_complaint", DISPOSE).do("follow_up", ANSWER, "dinkes.penghubung")
    assert case.status == "proses"
    [task] = case.ready()
    assert (task.element_id, task.role) == ("review_answer", "reporter")
    case.do("review_answer", {"satisfied": "puas", "rating": 5}, "pelapor")
    assert case.status == "selesai"
    assert case.ready() == []
    assert case.instance().completed
    assert case.events()[-1].kind == "completed"


def test_answer_text_is_kept_out_of_task_data_but_in_the_audit_log(case):
    case.do("verify_complaint", DISPOSE).do("follow_up", ANSWER, "dinkes.penghubung")
    assert "Sudah kami perbaiki" not in case.instance().state
    completed = case.events("task_completed")[-1]
    assert completed.data["form"]["answer"] == ANSWER["answer"]
    assert completed.actor == "dinkes.penghubung"


def test_ask_reporter_for_details_and_back_to_verification(case):
    case.do("verify_complaint", {"decision": "tunda", "details_question": "Di nomor berapa?"})
    assert case.status == "tertunda"
    assert case.ready_elements() == ["provide_details"]
    case.do("provide_details", {"details": "Depan rumah nomor 12."}, "pelapor")
    assert case.status == "belum_terverifikasi"
    assert case.ready_elements() == ["verify_complaint"]


def test_archive_with_reason(case):
    case.do("verify_complaint", {"decision": "arsipkan", "reason": "Laporan ganda."})
    assert case.status == "diarsipkan"
    assert case.ready() == []
    assert case.instance().completed


def test_not_our_authority_goes_back_for_redisposition(case):
    case.do("verify_complaint", DISPOSE).do("follow_up", NOT_OURS, "dinkes.penghubung")
    assert case.status == "belum_terverifikasi"
    [task] = case.ready()
    # the province's verifiers: Dinas Kesehatan belongs to the province
    assert (task.element_id, task.role, task.agency_code) == ("redispose_complaint", "verifier", "pemprov-kalbar")
    case.do("redispose_complaint", {"lead_agency": "pupr-kalbar"}, "verifikator")
    assert case.status == "terdisposisi"
    [task] = case.ready()
    assert (task.element_id, task.agency_code) == ("follow_up", "pupr-kalbar")


def acts(db, username: str, task) -> bool:
    with db.session() as s:
        user = s.scalars(select(User).where(User.username == username)).one()
        return policy.can_act_on_task(s, user, task)


def test_new_complaints_are_for_every_verifier(db, case):
    [task] = case.ready()
    assert task.agency_code is None
    assert acts(db, "verifikator", task) and acts(db, "kuburaya.verifikator", task)


def test_a_transfer_to_another_government_goes_through_its_verifier(db, case):
    case.do("verify_complaint", DISPOSE)
    case.do("follow_up", {**NOT_OURS, "suggested_agency": "dpupr-kuburaya"}, "dinkes.penghubung")
    [task] = case.ready()
    assert (task.element_id, task.agency_code) == ("redispose_complaint", "pemprov-kalbar")
    assert acts(db, "verifikator", task) and not acts(db, "kuburaya.verifikator", task)

    # the province's verifier picks Kubu Raya's agency: Kubu Raya's verifier confirms it first
    case.do("redispose_complaint", {"lead_agency": "dpupr-kuburaya"}, "verifikator")
    assert case.status == "belum_terverifikasi"
    assert case.complaint.lead_agency_code == "dinkes-kalbar"  # until the receiving verifier confirms
    [task] = case.ready()
    assert (task.element_id, task.agency_code) == ("redispose_complaint", "pemkab-kuburaya")
    assert acts(db, "kuburaya.verifikator", task) and not acts(db, "verifikator", task)
    with db.session() as s:
        _instance, workflow = case.engine.load(s, case.instance_id)
        assert workflow.get_task_from_id(UUID(task.id)).data["suggested_agency"] == "dpupr-kuburaya"

    case.do("redispose_complaint", {"lead_agency": "dpupr-kuburaya"}, "kuburaya.verifikator")
    assert case.status == "terdisposisi" and case.complaint.lead_agency_code == "dpupr-kuburaya"
    [task] = case.ready()
    assert (task.element_id, task.agency_code) == ("follow_up", "dpupr-kuburaya")
    # every hop is on the record, with who made it
    hops = [(e.element_id, e.actor, e.data["form"].get("lead_agency")) for e in case.events("task_completed")
            if e.element_id == "redispose_complaint"]
    assert hops == [("redispose_complaint", "verifikator", "dpupr-kuburaya"),
                    ("redispose_complaint", "kuburaya.verifikator", "dpupr-kuburaya")]

    # from now on the case is Kubu Raya's: a later "not ours" goes to its verifiers
    case.do("follow_up", {**NOT_OURS, "suggested_agency": "pemkab-kuburaya"}, "pukuburaya.penghubung")
    [task] = case.ready()
    assert (task.element_id, task.agency_code) == ("redispose_complaint", "pemkab-kuburaya")


def test_the_receiving_verifier_may_choose_another_agency_of_its_own(db, case):
    case.do("verify_complaint", DISPOSE).do("follow_up", NOT_OURS, "dinkes.penghubung")
    case.do("redispose_complaint", {"lead_agency": "dpupr-kuburaya"}, "verifikator")
    case.do("redispose_complaint", {"lead_agency": "pemkab-kuburaya"}, "kuburaya.verifikator")
    [task] = case.ready()
    assert (task.element_id, task.agency_code) == ("follow_up", "pemkab-kuburaya")


def test_transfers_between_governments_are_bounded_at_three(case):
    case.do("verify_complaint", DISPOSE).do("follow_up", NOT_OURS, "dinkes.penghubung")
    for agency, government in (("pemkot-pontianak", "pemkot-pontianak"), ("dpupr-kuburaya", "pemkab-kuburaya"),
                               ("pupr-kalbar", "pemprov-kalbar")):
        case.do("redispose_complaint", {"lead_agency": agency})
        [task] = case.ready()
        assert (task.element_id, task.agency_code) == ("redispose_complaint", government)
    # the fourth choice of another government's agency is a disposition straight away
    case.do("redispose_complaint", {"lead_agency": "pemkot-pontianak"})
    assert case.status == "terdisposisi"
    [task] = case.ready()
    assert (task.element_id, task.agency_code) == ("follow_up", "pemkot-pontianak")


def test_unsatisfied_reporter_reopens_with_the_same_agency(case):
    case.do("verify_complaint", DISPOSE).do("follow_up", ANSWER)
    case.do("review_answer", {"satisfied": "tidak_puas", "rating": 2, "reason": "Belum diperbaiki."}, "pelapor")
    assert case.status == "proses"
    [task] = case.ready()
    assert (task.element_id, task.agency_code) == ("follow_up", "dinkes-kalbar")


def test_details_requests_are_bounded_at_three(case):
    for _ in range(3):
        case.do("verify_complaint", {"decision": "tunda", "details_question": "Lokasi?"})
        case.do("provide_details", {"details": "Jl. Gajah Mada."}, "pelapor")
    case.do("verify_complaint", {"decision": "tunda", "details_question": "Lokasi?"})
    assert case.status == "diarsipkan"
    assert case.ready() == []


def test_redispositions_are_bounded_at_three_then_ombudsman(case):
    case.do("verify_complaint", DISPOSE)
    for agency in ("pupr-kalbar", "disdik-kalbar", "inspektorat-kalbar"):
        case.do("follow_up", NOT_OURS)
        case.do("redispose_complaint", {"lead_agency": agency})
    case.do("follow_up", NOT_OURS)
    assert case.status == "dialihkan_ombudsman"
    [task] = case.ready()
    assert (task.element_id, task.role) == ("ombudsman_review", "ombudsman")
    case.do("ombudsman_review", {"finding": "Diambil alih Ombudsman."}, "ombudsman")
    assert case.status == "dialihkan_ombudsman"
    assert case.instance().completed


def test_reopenings_are_bounded_at_three(case):
    case.do("verify_complaint", DISPOSE)
    for _ in range(3):
        case.do("follow_up", ANSWER)
        case.do("review_answer", {"satisfied": "tidak_puas", "rating": 1, "reason": "Belum."}, "pelapor")
    case.do("follow_up", ANSWER)
    case.do("review_answer", {"satisfied": "tidak_puas", "rating": 1, "reason": "Tetap belum."}, "pelapor")
    assert case.status == "selesai"
    assert case.instance().completed


def test_status_changes_are_audited_with_old_and_new(case):
    case.do("verify_complaint", DISPOSE)
    [change] = case.events("status_changed")
    assert (change.data["old"], change.data["new"]) == ("belum_terverifikasi", "terdisposisi")
