"""The authorization matrix over HTTP: every role × resource × action, with direct URL guessing.

Visibility answers 404 (a hidden case or task looks like a missing one); a visible task the
user may not act on answers 403.
"""
from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.models import HumanTask
from tests.test_policy import VISIBILITY, make_cases

ACTORS = {  # username -> case names whose open task the user may act on
    "admin": {"new", "dinkes", "pupr", "moved", "ombudsman"},
    "verifikator": {"new"},
    "dinkes.penghubung": {"dinkes"},
    "dinkes.admin": set(),
    "dinkes.kepala": set(),
    "pupr.penghubung": {"pupr"},
    "kuburaya.penghubung": {"moved"},
    "kuburaya.verifikator": {"new"},
    "gubernur": set(),
    "ombudsman": {"ombudsman"},
    "perancang": set(),
}


def open_task_id(db, case):
    with db.session() as s:
        return s.scalars(select(HumanTask.id).where(
            HumanTask.process_instance_id == case.instance_id, HumanTask.state == "ready")).one()


@pytest.mark.parametrize("username", sorted(VISIBILITY))
def test_http_matrix(db, process_engine, client, auth, username):
    cases = make_cases(db, process_engine)
    auth.login(username)
    for name, case in cases.items():
        visible = VISIBILITY[username][name]
        seen = 200 if visible else 404
        cid = case.complaint_id
        assert client.get(f"/cases/{cid}").status_code == seen, (username, name, "case page")
        assert client.get(f"/cases/{cid}/diagram.xml").status_code == seen, (username, name, "diagram")
        assert client.get(f"/api/v1/cases/{cid}").status_code == seen, (username, name, "api case")
        task_id = open_task_id(db, case)
        assert client.get(f"/tasks/{task_id}").status_code == seen, (username, name, "task page")
        assert client.get(f"/api/v1/tasks/{task_id}").status_code == seen, (username, name, "api task")
        claim = client.post(f"/tasks/{task_id}/claim", data={"next": "/tasks/"})
        expected = 302 if name in ACTORS[username] else (403 if visible else 404)
        assert claim.status_code == expected, (username, name, "claim")
        if claim.status_code == 302:
            client.post(f"/tasks/{task_id}/release", data={"next": "/tasks/"})
    admin_page = client.get("/admin/users").status_code
    assert admin_page == (200 if username in ("admin", "dinkes.admin") else 403)


def message(response) -> str:
    html = response.get_data(as_text=True)
    start = html.index('data-testid="error-message"')
    return html[start:html.index("</p>", start)]


def test_guessing_ids_reveals_nothing(db, process_engine, client, auth):
    cases = make_cases(db, process_engine)
    auth.login("pupr.penghubung")
    hidden = cases["dinkes"]
    missing_case = client.get("/cases/999999")
    hidden_case = client.get(f"/cases/{hidden.complaint_id}")
    assert missing_case.status_code == hidden_case.status_code == 404
    assert message(missing_case) == message(hidden_case)
    fake_task = client.get("/tasks/00000000-0000-0000-0000-000000000000")
    real_hidden_task = client.get(f"/tasks/{open_task_id(db, hidden)}")
    assert fake_task.status_code == real_hidden_task.status_code == 404


def test_logged_out_gets_login_or_401(db, client):
    assert client.get("/cases/1").status_code == 302
    assert client.get("/tasks/").status_code == 302
    assert client.get("/api/v1/cases/1").status_code == 401
