"""A verifier who loses a race for a task sees who completed it and where the case is, not 404."""
from __future__ import annotations

import pytest
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from tests.casework import Case
from workflows.accounts import create_api_token
from workflows.models import Agency, User

DISPOSE = {"decision": "disposisi", "lead_agency": "dinkes-kalbar"}


@pytest.fixture
def second_verifier(db):
    with db.transaction() as s:
        agency = s.scalars(select(Agency).join(User, User.agency_id == Agency.id)
                           .where(User.username == "verifikator")).first()
        s.add(User(username="verifikator2", full_name="Sari Verifikator Dua", role="verifier",
                   agency_id=agency.id, password_hash=generate_password_hash("tindak-demo")))
    return "verifikator2"


def logged_in(app, username):
    client = app.test_client()
    assert client.post("/login", data={"username": username, "password": "tindak-demo"}).status_code == 302
    return client


def full_name(db, username) -> str:
    with db.session() as s:
        return s.scalar(select(User.full_name).where(User.username == username))


def test_the_verifier_who_loses_the_race_sees_who_won_and_the_way_on(app, db, process_engine, second_verifier):
    case = Case(db, process_engine)
    [task] = case.ready()
    winner, loser = logged_in(app, "verifikator"), logged_in(app, second_verifier)
    assert winner.get(f"/tasks/{task.id}").status_code == 200
    assert loser.get(f"/tasks/{task.id}").status_code == 200  # both have the form open
    assert winner.post(f"/tasks/{task.id}", data=DISPOSE).status_code == 302
    response = loser.post(f"/tasks/{task.id}", data=DISPOSE)
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert 'data-testid="task-gone"' in page
    assert full_name(db, "verifikator") in page  # who completed it
    assert 'data-testid="completed-at"' in page
    assert 'data-testid="case-status"' in page and "Terdisposisi" in page  # where the case is now
    assert 'href="/tasks/"' in page  # a way on: the task list (the case is out of this verifier's sight)
    assert "Halaman ini tidak ada" not in page
    again = loser.get(f"/tasks/{task.id}")
    assert again.status_code == 410 and full_name(db, "verifikator") in again.get_data(as_text=True)


def test_the_api_says_who_completed_the_task_and_links_the_case(app, db, process_engine, second_verifier):
    case = Case(db, process_engine)
    [task] = case.ready()
    with db.session() as s:
        loser_id = s.scalar(select(User.id).where(User.username == second_verifier))
    headers = {"Authorization": f"Bearer {create_api_token(db, loser_id, 'test')}"}
    client = app.test_client()
    assert client.get(f"/api/v1/tasks/{task.id}", headers=headers).status_code == 200
    case.do("verify_complaint", DISPOSE, "verifikator")
    response = client.post(f"/api/v1/tasks/{task.id}/complete", json=DISPOSE, headers=headers)
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "task_completed"
    assert error["completed_by"] == "verifikator" and error["completed_at"]
    assert error["case_status"] == "terdisposisi"
    assert error["case"] is None  # the caller may no longer see the case
    response = client.get(f"/api/v1/tasks/{task.id}", headers=headers)
    assert response.status_code == 410
    assert response.get_json()["error"]["completed_by"] == "verifikator"


def test_a_colleague_who_still_sees_the_case_gets_the_case_link(app, db, process_engine):
    case = Case(db, process_engine)
    [task] = case.ready()
    admin = logged_in(app, "admin")  # the super admin sees every case
    case.do("verify_complaint", DISPOSE, "verifikator")
    response = admin.post(f"/tasks/{task.id}", data=DISPOSE)
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert full_name(db, "verifikator") in page and f"/cases/{case.complaint.id}" in page


def test_someone_who_could_never_act_on_it_still_gets_404(app, db, process_engine):
    case = Case(db, process_engine)
    [task] = case.ready()
    case.do("verify_complaint", DISPOSE, "verifikator")
    outsider = logged_in(app, "pupr.penghubung")
    assert outsider.get(f"/tasks/{task.id}").status_code == 404
    assert outsider.post(f"/tasks/{task.id}", data=DISPOSE).status_code == 404
