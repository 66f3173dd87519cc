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


# ---- user administration: an agency admin cannot take over higher accounts of its agency ----

FORBIDDEN_TARGETS = ["admin", "verifikator", "perancang", "gubernur", "kalbar.ombudsman"]
ALLOWED_TARGETS = ["kalbar.penghubung", "kalbar.admin2"]
NEW_PASSWORD = "ambil-alih-123"


def _state(db, username):
    from workflows.models import ApiToken, User
    with db.session() as s:
        u = s.scalars(select(User).where(User.username == username)).one()
        rows = s.scalars(select(ApiToken).where(ApiToken.user_id == u.id))
        tokens = sorted((t.id, t.revoked_at is None) for t in rows)
        return {"id": u.id, "full_name": u.full_name, "role": u.role, "agency_id": u.agency_id, "active": u.active,
                "password_hash": u.password_hash, "tokens": tokens}


def _actions(user_id):
    """Every administration action on one user: (name, method, url, form data)."""
    edit = {"full_name": "Diambil Alih", "email": "", "agency": "pemprov-kalbar"}
    return [
        ("view", "get", f"/admin/users/{user_id}", None),
        ("edit", "post", f"/admin/users/{user_id}", edit | {"role": "__keep__"}),
        ("demote", "post", f"/admin/users/{user_id}", edit | {"role": "liaison"}),
        ("move", "post", f"/admin/users/{user_id}", edit | {"role": "__keep__", "agency": "dinkes-kalbar"}),
        ("reset password", "post", f"/admin/users/{user_id}/password",
         {"reset-password": NEW_PASSWORD, "reset-confirm": NEW_PASSWORD}),
        ("deactivate", "post", f"/admin/users/{user_id}/deactivate", {}),
        ("reactivate", "post", f"/admin/users/{user_id}/reactivate", {}),
        ("revoke tokens", "post", f"/admin/users/{user_id}/tokens/revoke", {}),
    ]


@pytest.mark.parametrize("target", FORBIDDEN_TARGETS)
def test_agency_admin_cannot_touch_a_higher_account_of_its_agency(db, client, auth, target):
    from tests.test_policy import add_province_staff
    from workflows.accounts import create_api_token
    add_province_staff(db)
    before = _state(db, target)
    create_api_token(db, before["id"], "program")
    before = _state(db, target)
    auth.login("kalbar.admin")
    listed = client.get("/admin/users").get_data(as_text=True)
    assert f'data-username="{target}"' not in listed
    for name, method, url, data in _actions(before["id"]):
        if data and data.get("role") == "__keep__":
            data = data | {"role": before["role"]}
        response = getattr(client, method)(url, data=data)
        assert response.status_code in (403, 404), (target, name, response.status_code)
        assert _state(db, target) == before, (target, name)
    other = client.application.test_client()
    assert other.post("/login", data={"username": target, "password": NEW_PASSWORD}).status_code == 200


@pytest.mark.parametrize("target", ["dinkes.kepala"])
def test_agency_admin_cannot_touch_its_agency_head(db, client, auth, target):
    before = _state(db, target)
    auth.login("dinkes.admin")
    for name, method, url, data in _actions(before["id"]):
        if data and "agency" in data:
            data = data | {"agency": "dinkes-kalbar"}
        if data and data.get("role") == "__keep__":
            data = data | {"role": before["role"]}
        assert getattr(client, method)(url, data=data).status_code in (403, 404), name
        assert _state(db, target) == before, name


@pytest.mark.parametrize("target", ALLOWED_TARGETS)
def test_agency_admin_still_manages_lower_accounts_of_its_agency(db, client, auth, target):
    from tests.test_policy import add_province_staff
    add_province_staff(db)
    user_id = _state(db, target)["id"]
    auth.login("kalbar.admin")
    assert client.get(f"/admin/users/{user_id}").status_code == 200
    edit = {"full_name": "Nama Baru", "email": "", "role": "liaison", "agency": "pemprov-kalbar"}
    assert client.post(f"/admin/users/{user_id}", data=edit).status_code == 302
    assert client.post(f"/admin/users/{user_id}/password",
                       data={"reset-password": NEW_PASSWORD, "reset-confirm": NEW_PASSWORD}).status_code == 302
    assert client.post(f"/admin/users/{user_id}/deactivate").status_code == 302
    after = _state(db, target)
    assert (after["full_name"], after["role"], after["active"]) == ("Nama Baru", "liaison", False)


@pytest.mark.parametrize("role", ["agency_head", "verifier", "designer", "ombudsman", "super_admin"])
def test_agency_admin_cannot_promote_or_create_above_itself(db, client, auth, role):
    from tests.test_policy import add_province_staff
    add_province_staff(db)
    target = _state(db, "kalbar.penghubung")
    auth.login("kalbar.admin")
    promote = {"full_name": "X", "email": "", "role": role, "agency": "pemprov-kalbar"}
    assert client.post(f"/admin/users/{target['id']}", data=promote).status_code == 403
    assert _state(db, "kalbar.penghubung") == target
    create = {"username": "kalbar.baru", "full_name": "Baru", "email": "", "role": role,
              "agency": "pemprov-kalbar", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    assert client.post("/admin/users/new", data=create).status_code == 403
    with db.session() as s:
        from workflows.models import User
        assert s.scalar(select(User.id).where(User.username == "kalbar.baru")) is None
