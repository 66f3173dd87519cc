"""The officers' task list and task page, through the Flask test client."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from engine.clock import now
from engine.errors import ConcurrentUpdate, FormInvalid
from engine.models import HumanTask, ProcessVersion
from tests.casework import Case
from workflows.models import Agency, User

DISPOSE = {"decision": "disposisi", "lead_agency": "dinkes-kalbar"}


@pytest.fixture
def english(client):
    client.post("/language/en")


def new_case(db, engine, **fields) -> Case:
    return Case(db, engine, **fields)


def dinkes_case(db, engine, **fields) -> Case:
    """A case waiting for the Dinkes liaison's follow-up."""
    return Case(db, engine, **fields).do("verify_complaint", DISPOSE, "verifikator")


def task_of(case: Case) -> HumanTask:
    [task] = case.ready()
    return task


def set_task(db, task_id, **values) -> None:
    with db.transaction() as s:
        task = s.get(HumanTask, task_id)
        for key, value in values.items():
            setattr(task, key, value)


def tracking_ids(response) -> list[str]:
    return re.findall(r'data-tracking-id="([^"]+)"', response.get_data(as_text=True))


def count(html: str, tab: str) -> int:
    return int(re.search(rf'data-testid="count-{tab}">(\d+)<', html).group(1))


def active_tab(html: str) -> str:
    return re.search(r'class="nav-link active" href="[^"]*" data-testid="tab-(\w+)"', html).group(1)


def tracking(case: Case) -> str:
    return case.complaint.tracking_id


# -- the list: tabs and counts ------------------------------------------------------------

def test_new_complaint_is_a_team_task_for_the_verifier(client, auth, db, process_engine):
    case = new_case(db, process_engine)
    auth.login("verifikator")
    html = client.get("/tasks/").get_data(as_text=True)
    assert active_tab(html) == "team"
    assert (count(html, "mine"), count(html, "team")) == (0, 1)
    assert 'data-testid="tab-agency"' not in html  # verifiers have no agency tab
    assert tracking(case) in html and f'href="/tasks/{task_of(case).id}"' in html
    assert 'data-testid="claim"' in html


def test_my_tasks_is_the_default_once_i_hold_one(client, auth, db, process_engine):
    case = new_case(db, process_engine)
    new_case(db, process_engine, title="Kedua")
    auth.login("verifikator")
    client.post(f"/tasks/{task_of(case).id}/claim")
    html = client.get("/tasks/").get_data(as_text=True)
    assert active_tab(html) == "mine"
    assert (count(html, "mine"), count(html, "team")) == (1, 1)
    assert tracking_ids(client.get("/tasks/")) == [tracking(case)]
    assert 'data-testid="release"' in html


def test_empty_lists_say_what_to_do(client, auth, english):
    auth.login("dinkes.penghubung")
    mine = client.get("/tasks/?tab=mine").get_data(as_text=True)
    assert 'data-testid="empty"' in mine and "No tasks waiting for you." in mine
    assert "Team tasks" in mine
    team = client.get("/tasks/").get_data(as_text=True)
    assert active_tab(team) == "team" and 'data-testid="empty"' in team


def test_agency_tab_is_for_heads_and_admins(client, auth, db, process_engine):
    case = dinkes_case(db, process_engine)
    auth.login("dinkes.penghubung")
    html = client.get("/tasks/?tab=agency").get_data(as_text=True)
    assert 'data-testid="tab-agency"' not in html and active_tab(html) == "team"
    assert tracking_ids(client.get("/tasks/?tab=team")) == [tracking(case)]
    auth.logout()
    auth.login("dinkes.kepala")
    html = client.get("/tasks/?tab=agency").get_data(as_text=True)
    assert active_tab(html) == "agency" and count(html, "agency") == 1
    assert tracking(case) in html
    assert "Dinas Kesehatan Provinsi Kalimantan Barat" in html  # the task's agency column


def test_the_governor_sees_the_dinas_below_and_filters_by_agency(client, auth, db, process_engine):
    dinkes = dinkes_case(db, process_engine, title="Puskesmas tutup")
    pupr = new_case(db, process_engine, title="Jalan rusak").do(
        "verify_complaint", {"decision": "disposisi", "lead_agency": "pupr-kalbar"}, "verifikator")
    auth.login("gubernur")
    assert sorted(tracking_ids(client.get("/tasks/?tab=agency"))) == sorted([tracking(dinkes), tracking(pupr)])
    assert tracking_ids(client.get("/tasks/?tab=agency&agency=pupr-kalbar")) == [tracking(pupr)]
    html = client.get("/tasks/?tab=agency&agency=pupr-kalbar").get_data(as_text=True)
    assert '<option value="pupr-kalbar" selected>' in html  # the filter keeps its value


# -- filters, sorting, pagination -----------------------------------------------------------

def test_each_filter_narrows_the_list(client, auth, db, process_engine):
    road = new_case(db, process_engine, title="Jalan berlubang", category="infrastruktur")
    clinic = new_case(db, process_engine, title="Antrean puskesmas", category="kesehatan")
    follow = dinkes_case(db, process_engine, title="Obat habis", category="kesehatan")
    set_task(db, task_of(road).id, due_at=now() - timedelta(hours=1))
    set_task(db, task_of(clinic).id, due_at=now() + timedelta(days=2))
    auth.login("admin")
    base = "/tasks/?tab=agency"
    assert sorted(tracking_ids(client.get(base))) == sorted(map(tracking, (road, clinic, follow)))
    assert sorted(tracking_ids(client.get(base + "&category=kesehatan"))) == sorted(map(tracking, (clinic, follow)))
    assert tracking_ids(client.get(base + "&status=terdisposisi")) == [tracking(follow)]
    assert tracking_ids(client.get(base + "&overdue=1")) == [tracking(road)]
    assert tracking_ids(client.get(base + "&q=puskesmas")) == [tracking(clinic)]
    assert tracking_ids(client.get(base + "&q=" + tracking(follow).lower())) == [tracking(follow)]
    html = client.get(base + "&category=kesehatan&q=obat&overdue=1&status=proses").get_data(as_text=True)
    assert 'data-testid="empty"' in html
    assert '<option value="kesehatan" selected>' in html and 'value="obat"' in html
    assert '<option value="proses" selected>' in html and re.search(r'id="filter-overdue"[^>]*checked', html)


def test_sorting_by_due_date_or_by_age(client, auth, db, process_engine):
    first, second, third = (new_case(db, process_engine, title=t) for t in ("Satu", "Dua", "Tiga"))
    set_task(db, task_of(first).id, due_at=now() + timedelta(days=3))
    set_task(db, task_of(second).id, due_at=now() + timedelta(days=1))
    auth.login("verifikator")
    assert tracking_ids(client.get("/tasks/?tab=team")) == [tracking(second), tracking(first), tracking(third)]
    assert tracking_ids(client.get("/tasks/?tab=team&sort=age")) == [tracking(first), tracking(second), tracking(third)]


def test_deadline_badges(client, auth, db, process_engine):
    late, soon, later, undated = (new_case(db, process_engine, title=t) for t in ("A", "B", "C", "D"))
    start = now() - timedelta(days=4)
    set_task(db, task_of(undated).id, due_at=None)  # as a task without a deadline timer
    set_task(db, task_of(late).id, created_at=start, due_at=now() - timedelta(hours=2))
    set_task(db, task_of(soon).id, created_at=start, due_at=now() + timedelta(hours=6))
    set_task(db, task_of(later).id, created_at=start, due_at=now() + timedelta(days=10))
    auth.login("verifikator")
    html = client.get("/tasks/?tab=team").get_data(as_text=True)
    assert re.findall(r'data-sla="(\w+)"', html) == ["red", "yellow", "green", "none"]
    assert "sla-red" in html and "sla-yellow" in html and "sla-green" in html


def test_pagination_shows_25_a_page(client, auth, db, process_engine, english):
    cases = [new_case(db, process_engine, title=f"Laporan {n:02d}") for n in range(27)]
    auth.login("verifikator")
    first = client.get("/tasks/?tab=team&sort=age")
    html = first.get_data(as_text=True)
    assert tracking_ids(first) == [tracking(c) for c in cases[:25]]
    assert "Showing 1–25 of 27 tasks" in html
    assert 'href="/tasks/?tab=team&amp;sort=age&amp;page=2"' in html  # page links keep the sort
    second = client.get("/tasks/?tab=team&sort=age&page=2")
    assert tracking_ids(second) == [tracking(c) for c in cases[25:]]
    assert "Showing 26–27 of 27 tasks" in second.get_data(as_text=True)
    assert tracking_ids(client.get("/tasks/?tab=team&sort=age&page=99")) == tracking_ids(second)
    assert tracking_ids(client.get("/tasks/?tab=team&sort=age&page=abc")) == tracking_ids(first)


# -- claim, release, assign -----------------------------------------------------------------

def test_claim_then_release(client, auth, db, process_engine):
    case = new_case(db, process_engine)
    task_id = task_of(case).id
    auth.login("verifikator")
    response = client.post(f"/tasks/{task_id}/claim", data={"next": "/tasks/?tab=team"})
    assert response.status_code == 302 and response.headers["Location"] == "/tasks/?tab=team"
    assert task_of(case).assignee == "verifikator"
    html = client.get("/tasks/?tab=team").get_data(as_text=True)
    assert 'role="alert"' in html and count(html, "mine") == 1 and count(html, "team") == 0
    client.post(f"/tasks/{task_id}/release")
    assert task_of(case).assignee is None


def test_claim_of_a_task_someone_else_holds_changes_nothing(client, auth, db, process_engine):
    case = new_case(db, process_engine)
    task_id = task_of(case).id
    with db.transaction() as s:
        process_engine.claim(s, task_id, "admin")
    auth.login("verifikator")
    response = client.post(f"/tasks/{task_id}/claim", follow_redirects=True)
    assert response.status_code == 200
    assert "Admin Sistem" in response.get_data(as_text=True)  # the flash names the holder
    assert task_of(case).assignee == "admin"
    response = client.post(f"/tasks/{task_id}/release", follow_redirects=True)
    assert response.status_code == 200 and task_of(case).assignee == "admin"


def test_claim_of_a_finished_task_is_a_message_not_an_error_page(client, auth, db, process_engine):
    case = new_case(db, process_engine)
    task_id = task_of(case).id
    case.do("verify_complaint", DISPOSE, "verifikator")
    auth.login("verifikator")
    response = client.post(f"/tasks/{task_id}/claim")
    assert response.status_code == 302 and response.headers["Location"] == "/tasks/"


def test_next_must_be_a_local_path(client, auth, db, process_engine):
    task_id = task_of(new_case(db, process_engine)).id
    auth.login("verifikator")
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"):
        response = client.post(f"/tasks/{task_id}/release", data={"next": target})
        assert response.headers["Location"] == "/tasks/"


def test_agency_admin_assigns_and_unassigns(client, auth, db, process_engine):
    case = dinkes_case(db, process_engine)
    task_id = task_of(case).id
    auth.login("dinkes.admin")
    html = client.get("/tasks/?tab=agency").get_data(as_text=True)
    assert 'data-testid="assign-form"' in html and '<option value="dinkes.penghubung"' in html
    response = client.post(f"/tasks/{task_id}/assign", data={"assignee": "dinkes.penghubung"}, follow_redirects=True)
    assert "Nurul Hidayah" in response.get_data(as_text=True)
    assert task_of(case).assignee == "dinkes.penghubung"
    client.post(f"/tasks/{task_id}/assign", data={"assignee": ""})
    assert task_of(case).assignee is None


def test_assign_is_refused_to_a_liaison_and_to_users_of_another_agency(client, auth, db, process_engine):
    case = dinkes_case(db, process_engine)
    task_id = task_of(case).id
    auth.login("dinkes.penghubung")
    assert 'data-testid="assign-form"' not in client.get("/tasks/?tab=team").get_data(as_text=True)
    assert client.post(f"/tasks/{task_id}/assign", data={"assignee": "dinkes.penghubung"}).status_code == 403
    auth.logout()
    auth.login("dinkes.admin")
    assert client.post(f"/tasks/{task_id}/assign", data={"assignee": "pupr.penghubung"}).status_code == 403
    assert task_of(case).assignee is None


def test_tasks_of_another_agency_cannot_be_reached_by_guessing(client, auth, db, process_engine):
    task_id = task_of(dinkes_case(db, process_engine)).id
    auth.login("pupr.penghubung")
    assert client.get(f"/tasks/{task_id}").status_code == 404
    assert client.post(f"/tasks/{task_id}/claim").status_code == 404
    assert client.post(f"/tasks/{task_id}", data={"decision": "jawab", "answer": "x"}).status_code == 404
    assert client.get("/tasks/not-a-task").status_code == 404


def test_posts_need_the_csrf_token(app, client, auth, db, process_engine):
    task_id = task_of(new_case(db, process_engine)).id
    auth.login("verifikator")
    app.config["WTF_CSRF_ENABLED"] = True
    assert client.post(f"/tasks/{task_id}/claim").status_code == 400
    assert task_of_id(db, task_id).assignee is None


def task_of_id(db, task_id) -> HumanTask:
    with db.session() as s:
        return s.get(HumanTask, task_id)


# -- the task page --------------------------------------------------------------------------

def test_task_page_shows_the_case_instructions_and_the_form(client, auth, db, process_engine):
    case = new_case(db, process_engine, reporter_name="Siti Aminah", anonymous=True,
                    address="Jl. Tanjungpura 12", latitude=-0.03, longitude=109.33)
    auth.login("verifikator")
    html = client.get(f"/tasks/{task_of(case).id}").get_data(as_text=True)
    assert tracking(case) in html and "Sudah dua minggu gelap." in html
    assert 'class="complaint-text' in html and "Infrastruktur" in html and "Jl. Tanjungpura 12" in html
    assert "Siti Aminah" in html  # verifiers see who reported
    assert "<strong>Disposisikan ke instansi</strong>" in html  # instructions rendered as Markdown
    assert 'data-testid="task-form"' in html
    assert re.search(r'type="radio" name="decision"[^>]*required', html)
    assert '<option value="dinkes-kalbar">' in html


def test_agencies_do_not_see_an_anonymous_reporter(client, auth, db, process_engine):
    case = dinkes_case(db, process_engine, reporter_name="Siti Aminah", anonymous=True)
    auth.login("dinkes.penghubung")
    html = client.get(f"/tasks/{task_of(case).id}").get_data(as_text=True)
    assert "Siti Aminah" not in html and 'data-testid="anonymous"' in html


def test_form_errors_come_back_next_to_their_fields_with_the_answers_kept(client, auth, db, process_engine):
    case = new_case(db, process_engine)
    task_id = task_of(case).id
    auth.login("verifikator")
    response = client.post(f"/tasks/{task_id}", data={"decision": "disposisi", "note": "Catatan <penting>"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'data-testid="error-lead_agency"' in html
    assert re.search(r'value="disposisi" checked', html)
    assert "Catatan &lt;penting&gt;</textarea>" in html
    assert case.status == "belum_terverifikasi" and task_of(case).id == task_id
    bogus = client.post(f"/tasks/{task_id}", data={"decision": "bogus"})
    assert bogus.status_code == 422 and 'data-testid="error-decision"' in bogus.get_data(as_text=True)


def test_engine_messages_are_shown_in_the_users_words(client, auth, db, process_engine, english):
    case = new_case(db, process_engine)
    auth.login("verifikator")
    html = client.post(f"/tasks/{task_of(case).id}", data={"decision": "tunda"}).get_data(as_text=True)
    assert "This field is required." in html
    html = client.post(f"/tasks/{task_of(case).id}", data={"decision": "zzz"}).get_data(as_text=True)
    assert "Choose one of the options." in html


def _add_number_field(db) -> None:
    with db.transaction() as s:
        pv = s.scalars(select(ProcessVersion).where(ProcessVersion.process_id == "complaint")).one()
        forms = dict(pv.forms)
        verify = dict(forms["verify.json"])
        verify["properties"] = {**verify["properties"],
                                "days": {"type": "integer", "title": "Hari", "minimum": 1, "maximum": 30}}
        forms["verify.json"] = verify
        pv.forms = forms


def test_numbers_are_typed_before_the_engine_validates_them(client, auth, db, process_engine):
    _add_number_field(db)
    case = new_case(db, process_engine)
    task_id = task_of(case).id
    auth.login("verifikator")
    response = client.post(f"/tasks/{task_id}", data={"decision": "arsipkan", "reason": "Ganda.", "days": "tiga"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and 'data-testid="error-days"' in html and 'value="tiga"' in html
    assert case.events("task_completed") == []
    response = client.post(f"/tasks/{task_id}", data={"decision": "arsipkan", "reason": "Ganda.", "days": "3"})
    assert response.status_code == 302
    assert case.events("task_completed")[-1].data["form"]["days"] == 3


def test_completing_moves_the_case_to_the_next_officer(client, auth, db, process_engine):
    case = new_case(db, process_engine)
    auth.login("verifikator")
    response = client.post(f"/tasks/{task_of(case).id}", data={
        "decision": "disposisi", "lead_agency": "dinkes-kalbar", "note": "Mohon segera."})
    assert response.status_code == 302
    assert re.search(rf"/cases/{case.complaint_id}$", response.headers["Location"])
    assert case.status == "terdisposisi"
    assert case.events("task_completed")[-1].actor == "verifikator"
    assert tracking_ids(client.get("/tasks/?tab=team")) == []
    auth.logout()
    auth.login("dinkes.penghubung")
    assert tracking_ids(client.get("/tasks/?tab=team")) == [tracking(case)]
    html = client.get(f"/tasks/{task_of(case).id}").get_data(as_text=True)
    assert 'data-status="terdisposisi"' in html and 'name="answer"' in html


def test_a_task_completed_meanwhile_keeps_the_typed_answers(client, auth, db, process_engine, english):
    case = new_case(db, process_engine)
    task_id = task_of(case).id
    auth.login("verifikator")
    # another officer asks the reporter for details first (the case stays visible to verifiers)
    case.do("verify_complaint", {"decision": "tunda", "details_question": "Nomor rumah?"}, "admin")
    response = client.post(f"/tasks/{task_id}", data={"decision": "tunda", "details_question": "Di mana tepatnya?"})
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert 'data-testid="task-alert"' in html and "your answers were not saved" in html
    assert "Di mana tepatnya?</textarea>" in html and 'data-testid="complete"' not in html
    assert case.status == "tertunda" and len(case.events("task_completed")) == 1


@pytest.mark.parametrize("error", [ConcurrentUpdate("lost"), FormInvalid({"": "Something is off"})])
def test_errors_raised_by_the_command(client, auth, db, process_engine, monkeypatch, error):
    case = new_case(db, process_engine)

    def refuse(*args, **kwargs):
        raise error

    monkeypatch.setattr("webapp.views.tasks.commands.complete_task", refuse)
    auth.login("verifikator")
    response = client.post(f"/tasks/{task_of(case).id}", data={"decision": "arsipkan", "reason": "Ganda."})
    html = response.get_data(as_text=True)
    if isinstance(error, ConcurrentUpdate):
        assert response.status_code == 409 and 'data-testid="task-alert"' in html
    else:
        assert response.status_code == 422 and "Something is off" in html
    assert "Ganda.</textarea>" in html


def test_a_finished_task_says_who_finished_it(client, auth, db, process_engine):
    case = new_case(db, process_engine)
    task_id = task_of(case).id
    case.do("verify_complaint", DISPOSE, "verifikator")
    auth.login("admin")
    html = client.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert 'data-testid="task-closed"' in html and "Rina Kartika" in html
    assert f'href="/cases/{case.complaint_id}"' in html
    assert 'data-testid="task-form"' not in html


def test_a_task_held_by_someone_else_is_locked(client, auth, db, process_engine):
    case = new_case(db, process_engine)
    task_id = task_of(case).id
    with db.transaction() as s:
        process_engine.claim(s, task_id, "admin")
    auth.login("verifikator")
    html = client.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert 'data-testid="held-by-other"' in html and "Admin Sistem" in html
    assert 'data-testid="complete"' not in html and re.search(r'name="decision"[^>]*disabled', html)
    response = client.post(f"/tasks/{task_id}", data={"decision": "arsipkan", "reason": "Ganda."})
    assert response.status_code == 409 and "Admin Sistem" in response.get_data(as_text=True)
    assert case.status == "belum_terverifikasi"


def test_an_unclaimed_task_is_claimed_by_completing_it(client, auth, db, process_engine):
    case = dinkes_case(db, process_engine)
    auth.login("dinkes.penghubung")
    html = client.get(f"/tasks/{task_of(case).id}").get_data(as_text=True)
    assert 'data-testid="claim"' in html and 'data-testid="complete"' in html
    response = client.post(f"/tasks/{task_of(case).id}", data={"decision": "jawab", "answer": "Sudah diperbaiki."})
    assert response.status_code == 302 and case.status == "proses"
    assert case.events("task_completed")[-1].actor == "dinkes.penghubung"


def test_a_head_sees_a_liaison_task_read_only(client, auth, db, process_engine):
    case = dinkes_case(db, process_engine)
    auth.login("dinkes.kepala")
    html = client.get(f"/tasks/{task_of(case).id}").get_data(as_text=True)
    assert 'data-testid="read-only"' in html and 'data-testid="task-form"' not in html
    assert 'data-testid="assign-form"' in html  # a head may still give it to a colleague
    response = client.post(f"/tasks/{task_of(case).id}", data={"decision": "jawab", "answer": "x"})
    assert response.status_code == 403 and case.status == "terdisposisi"


def test_assign_on_the_task_page_lists_only_colleagues_of_that_agency(client, auth, db, process_engine):
    with db.transaction() as s:
        agency = s.scalars(select(Agency).where(Agency.code == "dinkes-kalbar")).one()
        s.add(User(username="dinkes.penghubung2", full_name="Rudi Penghubung Dua", role="liaison",
                   agency_id=agency.id, password_hash=generate_password_hash("tindak-demo")))
    case = dinkes_case(db, process_engine)
    auth.login("dinkes.admin")
    html = client.get(f"/tasks/{task_of(case).id}").get_data(as_text=True)
    options = re.findall(r'<option value="([^"]*)"', html.split('data-testid="assign-form"')[1].split("</form>")[0])
    assert options == ["", "dinkes.penghubung", "dinkes.penghubung2"]


def test_a_reporter_task_is_read_only_for_officers(client, auth, db, process_engine):
    case = dinkes_case(db, process_engine).do("follow_up", {"decision": "jawab", "answer": "Sudah."},
                                              "dinkes.penghubung")
    assert [t.role for t in case.ready()] == ["reporter"]
    auth.login("admin")
    html = client.get(f"/tasks/{task_of(case).id}").get_data(as_text=True)
    assert 'data-testid="read-only"' in html and 'data-testid="task-form"' not in html
    assert client.post(f"/tasks/{task_of(case).id}", data={"satisfied": "puas", "rating": "5"}).status_code == 403


def test_redisposition_starts_from_the_suggested_agency(client, auth, db, process_engine):
    case = dinkes_case(db, process_engine)
    case.do("follow_up", {"decision": "bukan_wewenang", "reason": "Jalan kabupaten.",
                          "suggested_agency": "dpupr-kuburaya"}, "dinkes.penghubung")
    [task] = case.ready()
    assert task.element_id == "redispose_complaint"
    auth.login("verifikator")
    html = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert '<option value="dpupr-kuburaya" selected>' in html
    response = client.post(f"/tasks/{task.id}", data={"lead_agency": "dpupr-kuburaya"})
    assert response.status_code == 302
    # another government's agency: its verifier confirms, starting from the agency chosen
    [transfer] = case.ready()
    assert (transfer.element_id, transfer.agency_code) == ("redispose_complaint", "pemkab-kuburaya")
    assert client.get(f"/tasks/{transfer.id}").status_code == 200  # sees it, may not act
    assert client.post(f"/tasks/{transfer.id}", data={"lead_agency": "dpupr-kuburaya"}).status_code == 403
    auth.logout()
    auth.login("kuburaya.verifikator")
    html = client.get(f"/tasks/{transfer.id}").get_data(as_text=True)
    assert '<option value="dpupr-kuburaya" selected>' in html
    assert client.post(f"/tasks/{transfer.id}", data={"lead_agency": "dpupr-kuburaya"}).status_code == 302
    [follow_up] = case.ready()
    assert (follow_up.element_id, follow_up.agency_code) == ("follow_up", "dpupr-kuburaya")
