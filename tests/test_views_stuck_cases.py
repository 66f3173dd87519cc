"""Stuck cases through the browser: the officer's page when a step fails, the case page, the
admins' list ("Kasus bermasalah") and the repair pages with their confirmation step."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest

from tests.conftest import MONDAY
from tests.stuck import STUCK_RENAMED, STUCK_V2, deploy_folder, fail_prepare, instance, new_case, ready, stuck_v1
from workflows import sla_changes, worker
from workflows.sla_changes import SlaEdit

__all__ = ["stuck_v1"]  # the fixture, imported for pytest
REASON = "Skrip diperbaiki, kasus dilanjutkan"


def html(response) -> str:
    return response.get_data(as_text=True)


def listed(page: str) -> list[str]:
    return re.findall(r'data-testid="stuck-row" data-tracking-id="([^"]+)"', page)


@pytest.fixture
def stuck_case(db, process_engine, stuck_v1):
    """A case whose officer's step failed (the script after `prepare`)."""
    case = new_case(db, process_engine)
    fail_prepare(db, process_engine, case)
    return case


# -- the officer ----------------------------------------------------------------------------

def test_officer_sees_which_step_failed_and_keeps_the_input(client, auth, db, process_engine, stuck_v1):
    case = new_case(db, process_engine)
    task = ready(db, case, "prepare")
    auth.login("verifikator")
    response = client.post(f"/tasks/{task.id}", data={"note": "Sudah dicek ke lapangan, data lengkap"})
    page = html(response)

    assert response.status_code == 500
    assert 'data-testid="step-failed"' in page
    assert "“Hitung skor” (compute)" in page  # which step, by name and element id
    assert "tidak ada yang disimpan" in page  # nothing was saved (Indonesian by default)
    assert "“Kasus bermasalah”" in page  # where admins find the case
    assert re.search(r'<textarea[^>]*name="note"[^>]*>Sudah dicek ke lapangan, data lengkap</textarea>', page) or \
        'value="Sudah dicek ke lapangan, data lengkap"' in page  # the input is kept
    assert 'data-testid="complete"' in page  # and can be sent again
    assert ready(db, case, "prepare").id == task.id
    assert instance(db, case).error_element_id == "compute"


def test_reporter_gets_a_plain_message_and_keeps_the_answer(app, client, db, process_engine):
    from tests.casework import Case
    from webapp import services

    case = Case(db, process_engine).do("verify_complaint", {"decision": "tunda", "details_question": "Di mana?"},
                                       "verifikator")
    with app.app_context():
        services.process_engine().completion_hooks.append(lambda *_args: 1 / 0)
    [task] = case.ready()
    response = client.post(f"/lacak/{case.complaint.tracking_id}/tugas/{task.id}",
                           data={"kode": case.secret, "details": "Depan pasar Flamboyan"})
    page = html(response)
    assert response.status_code == 500
    assert "tidak ada yang disimpan" in page and "Depan pasar Flamboyan" in page
    assert "ZeroDivisionError" not in page  # no technical detail for the public
    assert instance(db, case).error_message.startswith("ZeroDivisionError")
    assert case.ready_elements() == ["provide_details"]


def test_api_answers_step_failed(client, db, process_engine, stuck_v1):
    from workflows.accounts import create_api_token
    from workflows.models import User

    case = new_case(db, process_engine)
    with db.session() as s:
        user_id = s.query(User.id).filter_by(username="verifikator").scalar()
    token = create_api_token(db, user_id, "test")
    response = client.post(f"/api/v1/tasks/{ready(db, case, 'prepare').id}/complete", json={"note": "x"},
                           headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 500
    error = response.get_json()["error"]
    assert error["code"] == "step_failed" and "compute" in error["message"]


def test_case_page_shows_the_error_while_the_case_is_stuck(client, auth, db, process_engine, stuck_case):
    auth.login("admin")
    page = html(client.get(f"/cases/{stuck_case.complaint_id}"))
    assert 'data-testid="badge-error"' in page and 'data-testid="case-error"' in page
    assert "Hitung skor" in page and "undefined_name" in page
    assert f'href="/admin/stuck-cases/{stuck_case.complaint_id}"' in page  # the repair page
    auth.logout()
    auth.login("verifikator")  # sees the error, repairs nothing
    page = html(client.get(f"/cases/{stuck_case.complaint_id}"))
    assert 'data-testid="case-error"' in page and 'data-testid="repair-link"' not in page


def test_case_page_without_error_shows_none(client, auth, db, process_engine, stuck_v1):
    case = new_case(db, process_engine)
    auth.login("admin")
    page = html(client.get(f"/cases/{case.complaint_id}"))
    assert 'data-testid="case-error"' not in page and 'data-testid="badge-error"' not in page


# -- the list -------------------------------------------------------------------------------

def test_admin_lists_stuck_cases_newest_first(client, auth, db, process_engine, stuck_v1, clock):
    first = new_case(db, process_engine)
    second = new_case(db, process_engine)
    healthy = new_case(db, process_engine)
    fail_prepare(db, process_engine, first)
    clock.at(MONDAY + timedelta(hours=1))
    fail_prepare(db, process_engine, second)
    auth.login("admin")
    page = html(client.get("/admin/stuck-cases/"))
    assert listed(page) == [second.complaint.tracking_id, first.complaint.tracking_id]
    assert healthy.complaint.tracking_id not in page
    assert "stuck v1" in page and "Hitung skor" in page and "compute" in page and "undefined_name" in page
    assert 'data-testid="tab-stuck"' in page and 'data-testid="repair-link"' in page


def test_list_pages(client, auth, db, process_engine, stuck_v1, monkeypatch):
    from webapp.views import stuck_cases

    monkeypatch.setattr(stuck_cases, "PER_PAGE", 1)
    cases = [new_case(db, process_engine) for _ in range(2)]
    for case in cases:
        fail_prepare(db, process_engine, case)
    auth.login("admin")
    assert len(listed(html(client.get("/admin/stuck-cases/?page=1")))) == 1
    assert len(listed(html(client.get("/admin/stuck-cases/?page=2")))) == 1
    assert set(listed(html(client.get("/admin/stuck-cases/?page=1"))) +
               listed(html(client.get("/admin/stuck-cases/?page=2")))) == {c.complaint.tracking_id for c in cases}


def test_agency_admin_lists_only_what_the_policy_lets_it_see(client, auth, db, stuck_case):
    auth.login("dinkes.admin")
    response = client.get("/admin/stuck-cases/")
    assert response.status_code == 200
    assert listed(html(response)) == []  # this case was never routed to Dinkes
    assert 'data-testid="repair-link"' not in html(response)
    with db.transaction() as s:
        s.get(type(stuck_case.complaint), stuck_case.complaint_id).lead_agency_code = "dinkes-kalbar"
    page = html(client.get("/admin/stuck-cases/"))
    assert listed(page) == [stuck_case.complaint.tracking_id] and 'data-testid="repair-link"' not in page


# -- who may --------------------------------------------------------------------------------

@pytest.mark.parametrize("username", ["verifikator", "dinkes.admin", "dinkes.penghubung", "dinkes.kepala", "gubernur",
                                      "ombudsman", "perancang"])
def test_only_super_admins_open_or_use_the_repair_pages(client, auth, db, stuck_case, username):
    v2 = deploy_folder(db, STUCK_V2)
    cid = stuck_case.complaint_id
    auth.login(username)
    v1 = instance(db, stuck_case).process_version_id
    gets = [f"/admin/stuck-cases/{cid}", f"/admin/stuck-cases/{cid}/retry", f"/admin/stuck-cases/{cid}/migrate",
            f"/admin/stuck-cases/{cid}/move?to=finish", f"/admin/stuck-cases/versions/{v1}/migrate"]
    for url in gets:
        assert client.get(url).status_code == 403, url
        if url != gets[0]:  # the repair page itself only shows
            assert client.post(url, data={"reason": REASON, "to": v2}).status_code == 403, url
    assert client.post(f"/admin/stuck-cases/{cid}/move", data={"reason": REASON, "to": "finish"}).status_code == 403
    lists = client.get("/admin/stuck-cases/").status_code
    assert lists == (200 if username == "dinkes.admin" else 403)
    after = instance(db, stuck_case)
    assert (after.process_version.version, after.error_count) == (1, 1)  # untouched


def test_repair_pages_need_login(client, stuck_case):
    response = client.get(f"/admin/stuck-cases/{stuck_case.complaint_id}")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_super_admin_opens_every_repair_page(client, auth, db, stuck_case):
    deploy_folder(db, STUCK_V2)
    auth.login("admin")
    cid = stuck_case.complaint_id
    page = html(client.get(f"/admin/stuck-cases/{cid}"))
    assert 'data-testid="case-error"' in page and 'data-testid="retry-link"' in page
    assert 'data-testid="migrate-preview"' in page and 'data-testid="move-preview"' in page
    for url in (f"/admin/stuck-cases/{cid}/retry", f"/admin/stuck-cases/{cid}/migrate",
                f"/admin/stuck-cases/{cid}/move?to=finish"):
        response = client.get(url)
        assert response.status_code == 200 and 'data-testid="confirm-button"' in html(response), url


# -- the repairs ----------------------------------------------------------------------------

def test_retry_through_the_pages_after_the_sla_policy_is_added(app, client, auth, db, process_engine, stuck_v1,
                                                              clock):
    from webapp import services

    case = new_case(db, process_engine)
    clock.at(MONDAY + timedelta(days=30))
    worker.fire_due_timers(db, process_engine)
    auth.login("admin")
    confirm = html(client.get(f"/admin/stuck-cases/{case.complaint_id}/retry"))
    assert "Tenggat persiapan" in confirm  # the deadline due now, which the retry fires

    response = client.post(f"/admin/stuck-cases/{case.complaint_id}/retry", data={"reason": ""})
    assert response.status_code == 422 and 'data-testid="reason-error"' in html(response)

    failed = client.post(f"/admin/stuck-cases/{case.complaint_id}/retry", data={"reason": REASON},
                         follow_redirects=True)
    assert "stuck_escalation" in html(failed) and instance(db, case).error_count == 2  # fails again, updated

    with app.app_context():
        sla_changes.save_policy(db, services.process_engine(), "admin", SlaEdit("stuck_escalation", 3, "working_days"))
    done = client.post(f"/admin/stuck-cases/{case.complaint_id}/retry", data={"reason": REASON},
                       follow_redirects=True)
    assert done.status_code == 200 and 'alert-success' in html(done)
    assert instance(db, case).error_at is None and case.ready_elements() == ["escalate"]
    assert listed(html(client.get("/admin/stuck-cases/"))) == []


def test_migration_through_the_pages(client, auth, db, stuck_case):
    v2 = deploy_folder(db, STUCK_V2)
    auth.login("admin")
    cid = stuck_case.complaint_id
    preview = html(client.get(f"/admin/stuck-cases/{cid}/migrate?to={v2}"))
    assert 'data-testid="can-move"' in preview
    assert re.findall(r'data-element="(\w+)" data-maps="(\w+)"', preview) == [("prepare", "yes"),
                                                                             ("prepare_deadline", "yes")]
    assert instance(db, stuck_case).process_version_id != v2  # a preview changes nothing

    response = client.post(f"/admin/stuck-cases/{cid}/migrate", data={"to": v2, "reason": REASON})
    assert response.status_code == 302
    after = instance(db, stuck_case)
    assert after.process_version_id == v2 and after.error_at is None
    timeline = html(client.get(f"/cases/{cid}"))
    assert REASON in timeline and "v1 → v2" in timeline  # audited, with the reason


def test_a_migration_that_cannot_map_shows_why_and_changes_nothing(client, auth, db, stuck_case):
    renamed = deploy_folder(db, STUCK_RENAMED)
    auth.login("admin")
    cid = stuck_case.complaint_id
    preview = html(client.get(f"/admin/stuck-cases/{cid}/migrate?to={renamed}"))
    assert 'data-testid="cannot-move"' in preview and 'data-testid="confirm-button"' not in preview
    assert 'data-element="prepare" data-maps="no"' in preview
    assert "“prepare”" in preview  # the reason names the step
    before = instance(db, stuck_case)
    response = client.post(f"/admin/stuck-cases/{cid}/migrate", data={"to": renamed, "reason": REASON},
                           follow_redirects=True)
    assert "“prepare”" in html(response) and "alert-danger" in html(response)
    after = instance(db, stuck_case)
    assert (after.process_version_id, after.state, after.version) == \
        (before.process_version_id, before.state, before.version)


def test_bulk_migration_through_the_pages(client, auth, db, process_engine, stuck_v1):
    cases = [new_case(db, process_engine) for _ in range(2)]
    for case in cases:
        fail_prepare(db, process_engine, case)
    v2 = deploy_folder(db, STUCK_V2)
    auth.login("admin")
    index = html(client.get("/admin/stuck-cases/"))
    assert f'/admin/stuck-cases/versions/{stuck_v1}/migrate?to={v2}' in index
    preview = html(client.get(f"/admin/stuck-cases/versions/{stuck_v1}/migrate?to={v2}"))
    assert re.findall(r'data-testid="bulk-row" data-tracking-id="[^"]+" data-ok="(\w+)"', preview) == ["yes", "yes"]
    result = html(client.post(f"/admin/stuck-cases/versions/{stuck_v1}/migrate", data={"to": v2, "reason": REASON}))
    assert re.findall(r'data-outcome="(\w+)"', result) == ["moved", "moved"]
    assert {instance(db, c).process_version_id for c in cases} == {v2}


def test_moving_the_token_through_the_pages(client, auth, db, stuck_case):
    auth.login("admin")
    cid = stuck_case.complaint_id
    preview = html(client.get(f"/admin/stuck-cases/{cid}/move?to=finish"))
    assert 'data-testid="move-summary"' in preview and "Selesaikan" in preview
    assert stuck_case.ready_elements() == ["prepare"]
    response = client.post(f"/admin/stuck-cases/{cid}/move", data={"to": "finish", "reason": ""})
    assert response.status_code == 422
    response = client.post(f"/admin/stuck-cases/{cid}/move", data={"to": "finish", "reason": REASON})
    assert response.status_code == 302
    assert stuck_case.ready_elements() == ["finish"] and instance(db, stuck_case).error_at is None


def test_a_move_that_would_fail_is_shown_in_the_preview(client, auth, db, stuck_case):
    auth.login("admin")
    preview = html(client.get(f"/admin/stuck-cases/{stuck_case.complaint_id}/move?to=escalate"))
    assert 'data-testid="move-would-fail"' in preview and "stuck_escalation" in preview
    assert 'data-testid="confirm-button"' not in preview
