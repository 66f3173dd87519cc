"""Privacy edges (issue 12): who sees a case and its reporter while it waits for a verifier."""
from __future__ import annotations

from sqlalchemy import select

from tests.casework import Case
from workflows import policy
from workflows.models import User


def user(db, username):
    with db.session() as s:
        return s.scalars(select(User).where(User.username == username)).one()


def identity(db, username, case):
    with db.session() as s:
        return policy.sees_reporter_identity(s, user(db, username), case.complaint)


def visible(db, username, case):
    with db.session() as s:
        return policy.can_view_case(s, user(db, username), case.complaint_id)


def transfer_to_kuburaya(db, process_engine, anonymous):
    """At PUPR (province), said not ours, re-disposed to Kubu Raya: waits for Kubu Raya's verifier."""
    case = Case(db, process_engine, anonymous=anonymous, reporter_name="Ani")
    case.do("verify_complaint", {"decision": "disposisi", "lead_agency": "pupr-kalbar"})
    case.do("follow_up", {"decision": "bukan_wewenang", "reason": "Jalan kabupaten."})
    case.do("redispose_complaint", {"lead_agency": "pemkab-kuburaya"})
    assert [t.agency_code for t in case.ready()] == ["pemkab-kuburaya"]
    return case


def back_to_the_province(db, process_engine):
    """At Dinas Kesehatan (province), said not ours: waits for the province's verifier."""
    case = Case(db, process_engine, anonymous=True, reporter_name="Budi")
    case.do("verify_complaint", {"decision": "disposisi", "lead_agency": "dinkes-kalbar"})
    case.do("follow_up", {"decision": "bukan_wewenang", "reason": "Bukan kami."})
    assert [(t.role, t.agency_code) for t in case.ready()] == [("verifier", "pemprov-kalbar")]
    return case


def test_the_receiving_governments_office_neither_sees_the_case_nor_the_named_reporter(db, process_engine):
    case = transfer_to_kuburaya(db, process_engine, anonymous=False)
    assert not visible(db, "kuburaya.penghubung", case)
    assert not identity(db, "kuburaya.penghubung", case)
    assert visible(db, "kuburaya.verifikator", case) and identity(db, "kuburaya.verifikator", case)
    assert visible(db, "pupr.penghubung", case)  # it was at PUPR: it still sees its history
    case.do("redispose_complaint", {"lead_agency": "pemkab-kuburaya"})  # Kubu Raya's verifier confirms
    assert visible(db, "kuburaya.penghubung", case) and identity(db, "kuburaya.penghubung", case)


def test_a_regency_verifier_does_not_see_the_anonymous_reporter_of_a_province_case(db, process_engine):
    case = back_to_the_province(db, process_engine)
    assert identity(db, "verifikator", case)
    assert not identity(db, "kuburaya.verifikator", case)
    assert not visible(db, "kuburaya.verifikator", case)  # not in its queue, never its case
    assert identity(db, "admin", case)


def test_a_new_complaint_in_the_pool_shows_its_reporter_to_every_verifier(db, process_engine):
    case = Case(db, process_engine, anonymous=True, reporter_name="Siti")
    assert identity(db, "verifikator", case) and identity(db, "kuburaya.verifikator", case)
    assert not identity(db, "dinkes.penghubung", case)


def test_nobody_who_may_not_see_the_case_sees_a_named_reporter(db, process_engine):
    case = Case(db, process_engine, anonymous=False, reporter_name="Siti")
    case.do("verify_complaint", {"decision": "disposisi", "lead_agency": "dinkes-kalbar"})
    assert identity(db, "dinkes.penghubung", case)
    assert not identity(db, "pupr.penghubung", case) and not identity(db, "perancang", case)
