"""The JSON API under /api/v1: every endpoint and error path, each answer held to the OpenAPI document.

`api` (below) sends requests with a Bearer token or the test client's session, and validates
every response body against the schema the document at /api/v1/openapi.json declares for its
path, method and status.
"""
from __future__ import annotations

import copy
import re
from datetime import datetime, timedelta

import pytest
from jsonschema import Draft4Validator
from openapi_spec_validator import validate as validate_spec

from engine.clock import now
from engine.errors import ConcurrentUpdate
from engine.models import HumanTask
from tests.casework import Case
from workflows.accounts import create_api_token, revoke_api_token
from workflows.models import ApiToken, User

DISPOSE = {"decision": "disposisi", "lead_agency": "dinkes-kalbar"}
NOT_OURS = {"decision": "bukan_wewenang", "reason": "Jalan kota.", "suggested_agency": "pemkot-pontianak"}
ANSWER = {"decision": "jawab", "answer": "Sudah kami perbaiki pada 3 Desember."}


# -- the OpenAPI document as a validator ----------------------------------------------------

def _as_json_schema(node):
    """OpenAPI 3.0 schema → JSON Schema: `nullable: true` becomes "or null"."""
    if isinstance(node, list):
        return [_as_json_schema(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: _as_json_schema(v) for k, v in node.items() if k != "nullable"}
    if node.get("nullable"):
        return {"anyOf": [out, {"type": "null"}]}
    return out


class OpenApi:
    def __init__(self, document: dict):
        self.document = document
        self.components = _as_json_schema(copy.deepcopy(document["components"]))
        self.routes = [(re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", path) + "$"), path)
                       for path in document["paths"]]

    def template(self, url: str) -> str:
        path = url.split("?")[0]
        matches = [template for pattern, template in self.routes if pattern.match(path)]
        assert matches, f"{path} is not in the OpenAPI document"
        return matches[0]

    def _resolve(self, node: dict) -> dict:
        while "$ref" in node:
            _, section, name = node["$ref"].lstrip("#/").split("/")
            node = self.document["components"][section][name]
        return node

    def check(self, method: str, url: str, response) -> None:
        """The body matches the schema declared for this path, method and status."""
        operation = self.document["paths"][self.template(url)][method.lower()]
        declared = operation["responses"].get(str(response.status_code)) or operation["responses"]["default"]
        content = self._resolve(declared)["content"]["application/json"]["schema"]
        schema = {"components": self.components, "allOf": [_as_json_schema(content)]}
        Draft4Validator(schema, format_checker=Draft4Validator.FORMAT_CHECKER).validate(response.get_json())


class ApiClient:
    """Calls the API as one user (Bearer token) or through the client's session."""

    def __init__(self, client, openapi: OpenApi, db):
        self.client, self.openapi, self.db = client, openapi, db
        self.tokens: dict[str, str] = {}

    def token(self, username: str) -> str:
        if username not in self.tokens:
            with self.db.session() as s:
                user_id = s.query(User.id).filter_by(username=username).scalar()
            self.tokens[username] = create_api_token(self.db, user_id, "test")
        return self.tokens[username]

    def call(self, method: str, url: str, as_user: str | None = None, headers: dict | None = None, **kwargs):
        headers = dict(headers or {})
        if as_user:
            headers["Authorization"] = f"Bearer {self.token(as_user)}"
        response = self.client.open(url, method=method, headers=headers, **kwargs)
        assert response.is_json, response.get_data(as_text=True)[:300]
        self.openapi.check(method, url, response)
        return response

    def get(self, url, as_user=None, **kwargs):
        return self.call("GET", url, as_user, **kwargs)

    def post(self, url, as_user=None, **kwargs):
        return self.call("POST", url, as_user, **kwargs)


@pytest.fixture
def api(client, db):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return ApiClient(client, OpenApi(response.get_json()), db)


@pytest.fixture
def case(db, process_engine):
    return Case(db, process_engine)


def task_id(case: Case, element_id: str) -> str:
    [task] = [t for t in case.ready() if t.element_id == element_id]
    return task.id


def error_of(response) -> dict:
    return response.get_json()["error"]


# -- the document ---------------------------------------------------------------------------

def test_openapi_document_is_valid_and_complete(api):
    document = api.openapi.document
    validate_spec(document)
    assert document["openapi"] == "3.0.3"
    assert set(document["components"]["securitySchemes"]) >= {"bearerAuth", "sessionCookie"}
    expected = {("get", "/api/v1/tasks"), ("get", "/api/v1/tasks/{task_id}"),
                ("post", "/api/v1/tasks/{task_id}/claim"), ("post", "/api/v1/tasks/{task_id}/release"),
                ("post", "/api/v1/tasks/{task_id}/assign"), ("post", "/api/v1/tasks/{task_id}/complete"),
                ("get", "/api/v1/cases"), ("get", "/api/v1/cases/{complaint_id}"), ("post", "/api/v1/intake")}
    operations = {(m, p) for p, item in document["paths"].items() for m in item if m in ("get", "post")}
    assert operations == expected
    for method, path in expected:
        operation = document["paths"][path][method]
        assert operation["summary"] and operation["security"]
        success = "201" if path == "/api/v1/intake" else "200"
        assert {success, "401", "default"} <= set(operation["responses"])
    complete = document["paths"]["/api/v1/tasks/{task_id}/complete"]["post"]
    assert {"403", "404", "409", "422"} <= set(complete["responses"])


def test_web_pages_keep_their_html_error_pages(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404 and response.mimetype == "text/html"


def test_unknown_api_path_answers_json(client):
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404 and error_of(response)["code"] == "not_found"


# -- authentication -------------------------------------------------------------------------

@pytest.mark.parametrize("method,url", [
    ("GET", "/api/v1/tasks"), ("GET", "/api/v1/tasks/x"), ("POST", "/api/v1/tasks/x/claim"),
    ("POST", "/api/v1/tasks/x/release"), ("POST", "/api/v1/tasks/x/assign"),
    ("POST", "/api/v1/tasks/x/complete"), ("GET", "/api/v1/cases"), ("GET", "/api/v1/cases/1"),
])
def test_without_credentials_every_endpoint_answers_401(api, method, url):
    response = api.call(method, url, json={})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert error_of(response)["code"] == "unauthorized"


def test_unknown_malformed_and_revoked_tokens_are_refused(api, db):
    assert api.get("/api/v1/tasks", headers={"Authorization": "Bearer tdk_nonsense"}).status_code == 401
    assert api.get("/api/v1/tasks", headers={"Authorization": "Basic dXNlcjpwdw=="}).status_code == 401
    token = api.token("verifikator")
    assert api.get("/api/v1/tasks", "verifikator").status_code == 200
    with db.session() as s:
        row = s.query(ApiToken).one()
        user_id, token_id = row.user_id, row.id
        assert row.last_used_at is not None
    revoke_api_token(db, user_id, token_id)
    response = api.get("/api/v1/tasks", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401 and 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_token_of_a_deactivated_account_is_refused(api, db):
    api.token("pupr.penghubung")
    with db.transaction() as s:
        s.query(User).filter_by(username="pupr.penghubung").one().active = False
    assert api.get("/api/v1/tasks", "pupr.penghubung").status_code == 401


def test_session_login_works_for_the_api(api, auth, case):
    auth.login("verifikator")
    response = api.get("/api/v1/tasks?tab=team")
    assert response.status_code == 200 and response.get_json()["total"] == 1
    assert api.post(f"/api/v1/tasks/{task_id(case, 'verify_complaint')}/claim").status_code == 200


def test_session_post_needs_the_csrf_header(app, api, case):
    app.config["WTF_CSRF_ENABLED"] = True
    page = api.client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    login = api.client.post("/login", data={"username": "verifikator", "password": "tindak-demo",
                                            "csrf_token": token})
    assert login.status_code == 302
    url = f"/api/v1/tasks/{task_id(case, 'verify_complaint')}/claim"
    refused = api.post(url)
    assert refused.status_code == 400 and error_of(refused)["code"] == "bad_request"
    assert "CSRF" in error_of(refused)["message"]
    assert api.post(url, headers={"X-CSRFToken": "forged"}).status_code == 400
    assert api.get("/api/v1/tasks").status_code == 200  # reading needs no token
    claimed = api.post(url, headers={"X-CSRFToken": token})
    assert claimed.status_code == 200 and claimed.get_json()["assignee"] == "verifikator"


def test_bearer_requests_need_no_csrf_token(app, api, case):
    app.config["WTF_CSRF_ENABLED"] = True
    response = api.post(f"/api/v1/tasks/{task_id(case, 'verify_complaint')}/claim", "verifikator")
    assert response.status_code == 200


def test_api_is_rate_limited_per_caller(app, api):
    from webapp.extensions import limiter

    app.config.update(RATELIMIT_ENABLED=True, TINDAK_API_RATE_LIMIT="3 per minute")
    limiter.reset()
    try:
        codes = [api.get("/api/v1/tasks", "verifikator").status_code for _ in range(4)]
        other = api.get("/api/v1/tasks", "dinkes.penghubung").status_code
        limited = api.get("/api/v1/tasks", "verifikator")
    finally:
        limiter.reset()
    assert codes == [200, 200, 200, 429] and other == 200
    assert error_of(limited)["code"] == "rate_limited"


# -- task lists -----------------------------------------------------------------------------

def test_task_list_tabs_and_item_fields(api, case):
    team = api.get("/api/v1/tasks?tab=team", "verifikator").get_json()
    assert (team["total"], team["page"], team["per_page"], team["pages"]) == (1, 1, 25, 1)
    [item] = team["items"]
    complaint = case.complaint
    assert item["element_id"] == "verify_complaint" and item["role"] == "verifier"
    assert item["assignee"] is None and item["state"] == "ready"
    assert item["case"] == {"complaint_id": case.complaint_id, "tracking_id": complaint.tracking_id,
                            "title": complaint.title, "status": "belum_terverifikasi",
                            "status_label": item["case"]["status_label"], "category": "infrastruktur"}
    assert datetime.fromisoformat(item["created_at"]).utcoffset() is not None
    assert api.get("/api/v1/tasks", "verifikator").get_json()["total"] == 0  # "mine" by default
    api.post(f"/api/v1/tasks/{item['id']}/claim", "verifikator")
    [mine] = api.get("/api/v1/tasks?tab=mine", "verifikator").get_json()["items"]
    assert mine["assignee"] == "verifikator"
    assert api.get("/api/v1/tasks?tab=team", "verifikator").get_json()["total"] == 0


def _set_due(db, tid: str, due: datetime) -> None:
    # the diagram has no boundary timers yet: give the task row a deadline directly
    with db.transaction() as s:
        s.get(HumanTask, tid).due_at = due


def test_task_due_time_and_sla_colour(api, db, case):
    case.do("verify_complaint", DISPOSE, "verifikator")
    tid = task_id(case, "follow_up")
    [item] = api.get("/api/v1/tasks?tab=team", "dinkes.penghubung").get_json()["items"]
    assert item["due_at"] is not None and item["sla"] == "green"  # the first_response SLA of the diagram
    assert item["agency_code"] == "dinkes-kalbar"
    assert item["agency_name"] == "Dinas Kesehatan Provinsi Kalimantan Barat"
    _set_due(db, tid, now() + timedelta(days=5))
    [item] = api.get("/api/v1/tasks?tab=team", "dinkes.penghubung").get_json()["items"]
    due = datetime.fromisoformat(item["due_at"])
    assert due.utcoffset() is not None and due > now() and item["sla"] == "green"
    assert api.get("/api/v1/tasks?tab=team&overdue=true", "dinkes.penghubung").get_json()["total"] == 0
    _set_due(db, tid, now() - timedelta(hours=1))
    overdue = api.get("/api/v1/tasks?tab=team&overdue=true", "dinkes.penghubung").get_json()
    assert overdue["total"] == 1 and overdue["items"][0]["sla"] == "red"
    assert api.get(f"/api/v1/tasks/{tid}", "dinkes.penghubung").get_json()["sla"] == "red"


def test_task_list_filters_sorting_and_pages(api, db, process_engine):
    cases = [Case(db, process_engine, title=f"Laporan nomor {n}", category=category)
             for n, category in enumerate(["infrastruktur", "kesehatan", "infrastruktur"])]
    first = api.get("/api/v1/tasks?tab=team&per_page=2&sort=age", "verifikator").get_json()
    assert (first["total"], first["pages"], len(first["items"])) == (3, 2, 2)
    assert first["items"][0]["case"]["complaint_id"] == cases[0].complaint_id
    second = api.get("/api/v1/tasks?tab=team&per_page=2&page=2&sort=age", "verifikator").get_json()
    assert [i["case"]["complaint_id"] for i in second["items"]] == [cases[2].complaint_id]
    past = api.get("/api/v1/tasks?tab=team&per_page=2&page=3&sort=age", "verifikator").get_json()
    assert (past["items"], past["page"], past["pages"]) == ([], 3, 2)  # a reader that stops on [] stops
    by_category = api.get("/api/v1/tasks?tab=team&category=kesehatan", "verifikator").get_json()
    assert [i["case"]["complaint_id"] for i in by_category["items"]] == [cases[1].complaint_id]
    tracking_id = cases[2].complaint.tracking_id
    by_text = api.get(f"/api/v1/tasks?tab=team&q={tracking_id}", "verifikator").get_json()
    assert [i["case"]["tracking_id"] for i in by_text["items"]] == [tracking_id]
    assert api.get("/api/v1/tasks?tab=team&status=selesai", "verifikator").get_json()["total"] == 0


@pytest.mark.parametrize("query,field", [
    ("tab=everything", "tab"), ("per_page=0", "per_page"), ("per_page=500", "per_page"),
    ("page=abc", "page"), ("sort=random", "sort"), ("overdue=perhaps", "overdue"),
])
def test_bad_task_list_parameters_answer_400_with_fields(api, query, field):
    response = api.get(f"/api/v1/tasks?{query}", "verifikator")
    assert response.status_code == 400
    assert error_of(response)["code"] == "bad_request" and field in error_of(response)["fields"]


def test_agency_tab_is_for_admins_and_heads(api, case):
    case.do("verify_complaint", DISPOSE, "verifikator")
    refused = api.get("/api/v1/tasks?tab=agency", "dinkes.penghubung")
    assert refused.status_code == 403 and "tab" in error_of(refused)["fields"]
    for username in ("dinkes.kepala", "gubernur", "dinkes.admin"):
        assert api.get("/api/v1/tasks?tab=agency", username).get_json()["total"] == 1
    assert api.get("/api/v1/tasks?tab=agency", "pupr.penghubung").status_code == 403


# -- one task -------------------------------------------------------------------------------

def test_task_detail_has_form_instructions_and_actions(api, case):
    tid = task_id(case, "verify_complaint")
    task = api.get(f"/api/v1/tasks/{tid}", "verifikator").get_json()
    assert task["id"] == tid and task["case"]["complaint_id"] == case.complaint_id
    assert task["schema"]["properties"]["decision"]["type"] == "string"
    assert task["ui_schema"]["ui:order"][0] == "decision"
    assert task["instructions"].startswith("## Verifikasi laporan")
    assert task["actions"] == ["claim", "complete"]
    assert api.get(f"/api/v1/tasks/{tid}", "admin").get_json()["actions"] == ["claim", "complete", "assign"]
    api.post(f"/api/v1/tasks/{tid}/claim", "verifikator")
    assert api.get(f"/api/v1/tasks/{tid}", "verifikator").get_json()["actions"] == ["release", "complete"]
    assert api.get(f"/api/v1/tasks/{tid}", "admin").get_json()["actions"] == ["assign"]


def test_tasks_of_cases_out_of_sight_are_not_found(api, case):
    tid = task_id(case, "verify_complaint")
    for username in ("dinkes.penghubung", "perancang"):
        response = api.get(f"/api/v1/tasks/{tid}", username)
        assert response.status_code == 404 and error_of(response)["code"] == "not_found"
    assert api.get("/api/v1/tasks/00000000-0000-0000-0000-000000000000", "admin").status_code == 404
    case.do("verify_complaint", DISPOSE, "verifikator")
    follow_up = task_id(case, "follow_up")
    assert api.get(f"/api/v1/tasks/{follow_up}", "pupr.penghubung").status_code == 404
    assert api.post(f"/api/v1/tasks/{follow_up}/claim", "pupr.penghubung").status_code == 404
    assert api.post(f"/api/v1/tasks/{follow_up}/complete", "pupr.penghubung", json=ANSWER).status_code == 404
    assert api.get(f"/api/v1/tasks/{follow_up}", "dinkes.penghubung").status_code == 200


def test_claim_and_release(api, case):
    tid = task_id(case, "verify_complaint")
    claimed = api.post(f"/api/v1/tasks/{tid}/claim", "verifikator")
    assert claimed.status_code == 200 and claimed.get_json()["assignee"] == "verifikator"
    assert api.post(f"/api/v1/tasks/{tid}/claim", "verifikator").status_code == 200  # again: no change
    taken = api.post(f"/api/v1/tasks/{tid}/claim", "admin")
    assert taken.status_code == 403 and error_of(taken)["code"] == "forbidden"
    assert api.post(f"/api/v1/tasks/{tid}/release", "admin").status_code == 403
    released = api.post(f"/api/v1/tasks/{tid}/release", "verifikator")
    assert released.status_code == 200 and released.get_json()["assignee"] is None
    assert [e.kind for e in case.events()][-2:] == ["task_claimed", "task_released"]


def test_liaison_cannot_act_on_a_verifier_task_it_can_see(api, case):
    case.do("verify_complaint", DISPOSE, "verifikator").do("follow_up", NOT_OURS, "dinkes.penghubung")
    tid = task_id(case, "redispose_complaint")
    task = api.get(f"/api/v1/tasks/{tid}", "dinkes.penghubung").get_json()
    assert task["role"] == "verifier" and task["actions"] == []
    for action in ("claim", "complete"):
        response = api.post(f"/api/v1/tasks/{tid}/{action}", "dinkes.penghubung", json={})
        assert response.status_code == 403 and error_of(response)["code"] == "forbidden"
    assert case.ready_elements() == ["redispose_complaint"]


def test_assign(api, case):
    case.do("verify_complaint", DISPOSE, "verifikator")
    tid = task_id(case, "follow_up")
    assigned = api.post(f"/api/v1/tasks/{tid}/assign", "dinkes.admin", json={"assignee": "dinkes.penghubung"})
    assert assigned.status_code == 200 and assigned.get_json()["assignee"] == "dinkes.penghubung"
    assert api.get("/api/v1/tasks?tab=mine", "dinkes.penghubung").get_json()["total"] == 1
    assert api.post(f"/api/v1/tasks/{tid}/assign", "dinkes.penghubung",
                    json={"assignee": None}).status_code == 403
    assert api.post(f"/api/v1/tasks/{tid}/assign", "dinkes.admin",
                    json={"assignee": "pupr.penghubung"}).status_code == 403
    missing = api.post(f"/api/v1/tasks/{tid}/assign", "dinkes.admin", json={})
    assert missing.status_code == 400 and "assignee" in error_of(missing)["fields"]
    back = api.post(f"/api/v1/tasks/{tid}/assign", "dinkes.admin", json={"assignee": None})
    assert back.status_code == 200 and back.get_json()["assignee"] is None


# -- completing -----------------------------------------------------------------------------

def test_complete_moves_the_case_on(api, case):
    response = api.post(f"/api/v1/tasks/{task_id(case, 'verify_complaint')}/complete", "verifikator",
                        json=DISPOSE)
    assert response.status_code == 200
    assert response.get_json() == {"complaint_id": case.complaint_id, "status": "terdisposisi",
                                   "status_label": response.get_json()["status_label"]}
    assert case.ready_elements() == ["follow_up"]
    done = api.post(f"/api/v1/tasks/{task_id(case, 'follow_up')}/complete", "dinkes.penghubung", json=ANSWER)
    assert done.get_json()["status"] == "proses"
    assert case.events("task_completed")[-1].actor == "dinkes.penghubung"


def test_form_errors_answer_422_with_fields_and_save_nothing(api, case):
    case.do("verify_complaint", DISPOSE, "verifikator")
    tid = task_id(case, "follow_up")
    response = api.post(f"/api/v1/tasks/{tid}/complete", "dinkes.penghubung", json={"decision": "jawab"})
    assert response.status_code == 422
    assert error_of(response)["code"] == "invalid" and error_of(response)["fields"] == {"answer": "required"}
    wrong = api.post(f"/api/v1/tasks/{tid}/complete", "dinkes.penghubung", json={"decision": "maybe"})
    assert wrong.status_code == 422 and "decision" in error_of(wrong)["fields"]
    assert case.ready_elements() == ["follow_up"] and case.status == "terdisposisi"


@pytest.mark.parametrize("body", [{"data": "not json", "content_type": "application/json"},
                                  {"json": ["a", "list"]}])
def test_a_body_that_is_not_a_json_object_answers_400(api, case, body):
    response = api.post(f"/api/v1/tasks/{task_id(case, 'verify_complaint')}/complete", "verifikator", **body)
    assert response.status_code == 400 and error_of(response)["code"] == "bad_request"


def test_completing_twice_answers_409(api, case):
    url = f"/api/v1/tasks/{task_id(case, 'verify_complaint')}/complete"
    assert api.post(url, "verifikator", json=DISPOSE).status_code == 200
    again = api.post(url, "verifikator", json=DISPOSE)
    assert again.status_code == 409 and error_of(again)["code"] == "task_completed"
    assert error_of(again)["completed_by"] == "verifikator"  # who did it, not just "conflict"
    assert api.post(url.replace("complete", "claim"), "verifikator").status_code == 409


def test_lost_race_answers_409(api, case, monkeypatch):
    from workflows import commands

    def lose_the_race(*args, **kwargs):
        raise ConcurrentUpdate("process instance changed by someone else")

    monkeypatch.setattr(commands, "complete_task", lose_the_race)
    response = api.post(f"/api/v1/tasks/{task_id(case, 'verify_complaint')}/complete", "verifikator",
                        json=DISPOSE)
    assert response.status_code == 409 and error_of(response)["code"] == "conflict"


# -- cases ----------------------------------------------------------------------------------

def test_case_detail(api, db, process_engine):
    case = Case(db, process_engine, anonymous=True, reporter_name="Siti Aminah", reporter_phone="0812",
                address="Jl. Tanjungpura", latitude=-0.03, longitude=109.33)
    case.do("verify_complaint", DISPOSE, "verifikator")
    body = api.get(f"/api/v1/cases/{case.complaint_id}", "verifikator").get_json()
    assert body["tracking_id"] == case.complaint.tracking_id and body["status"] == "terdisposisi"
    assert body["reporter"] == {"name": "Siti Aminah", "email": None, "phone": "0812"}
    assert body["location"] == {"region": None, "address": "Jl. Tanjungpura", "latitude": -0.03,
                                "longitude": 109.33}
    assert body["lead_agency"] == {"code": "dinkes-kalbar", "name": "Dinas Kesehatan Provinsi Kalimantan Barat"}
    assert [t["element_id"] for t in body["open_tasks"]] == ["follow_up"]
    kinds = [e["kind"] for e in body["timeline"]]
    assert kinds[0] == "started" and "task_completed" in kinds
    completed = next(e for e in body["timeline"] if e["kind"] == "task_completed")
    assert completed["actor"] == "verifikator" and completed["element_id"] == "verify_complaint"
    liaison_view = api.get(f"/api/v1/cases/{case.complaint_id}", "dinkes.penghubung").get_json()
    assert liaison_view["reporter"] is None and liaison_view["anonymous"] is True


def test_named_reporter_is_shown_to_the_agency(api, db, process_engine):
    case = Case(db, process_engine, anonymous=False, reporter_name="Budi")
    case.do("verify_complaint", DISPOSE, "verifikator")
    body = api.get(f"/api/v1/cases/{case.complaint_id}", "dinkes.penghubung").get_json()
    assert body["reporter"]["name"] == "Budi"


def test_cases_out_of_sight_are_not_found(api, case):
    case.do("verify_complaint", DISPOSE, "verifikator")
    for username in ("pupr.penghubung", "perancang"):
        response = api.get(f"/api/v1/cases/{case.complaint_id}", username)
        assert response.status_code == 404 and error_of(response)["code"] == "not_found"
    assert api.get("/api/v1/cases/999999", "admin").status_code == 404
    assert api.get("/api/v1/cases", "pupr.penghubung").get_json()["total"] == 0


def test_case_search(api, db, process_engine):
    lamp = Case(db, process_engine, title="Lampu jalan mati", category="infrastruktur")
    clinic = Case(db, process_engine, title="Puskesmas tutup", category="kesehatan")
    everything = api.get("/api/v1/cases", "admin").get_json()
    assert everything["total"] == 2
    assert [c["id"] for c in everything["items"]] == [clinic.complaint_id, lamp.complaint_id]  # newest first
    assert everything["items"][0]["status"] == "belum_terverifikasi"

    def ids(query):
        return [c["id"] for c in api.get(f"/api/v1/cases?{query}", "admin").get_json()["items"]]

    assert ids("q=puskesmas") == [clinic.complaint_id]
    assert ids(f"q={lamp.complaint.tracking_id}") == [lamp.complaint_id]
    assert ids("category=infrastruktur") == [lamp.complaint_id]
    assert ids("status=selesai") == []
    today = (now() + timedelta(hours=7)).date()  # the search reads days in Asia/Jakarta
    assert len(ids(f"date_from={today - timedelta(days=1)}&date_to={today + timedelta(days=1)}")) == 2
    assert ids(f"date_from={today + timedelta(days=2)}") == []
    paged = api.get("/api/v1/cases?per_page=1&page=2", "admin").get_json()
    assert (paged["total"], paged["pages"], [c["id"] for c in paged["items"]]) == (2, 2, [lamp.complaint_id])
    lamp.do("verify_complaint", DISPOSE, "verifikator")
    assert ids("agency=dinkes-kalbar") == [lamp.complaint_id]


@pytest.mark.parametrize("query,field", [("date_from=yesterday", "date_from"), ("page=0", "page"),
                                         ("per_page=x", "per_page")])
def test_bad_case_search_parameters_answer_400(api, query, field):
    response = api.get(f"/api/v1/cases?{query}", "admin")
    assert response.status_code == 400 and field in error_of(response)["fields"]


def test_varying_the_authorization_header_does_not_escape_the_limit(app, api):
    """Spellings of one token count as its user; unknown tokens count for the address."""
    from webapp.extensions import limiter

    app.config.update(RATELIMIT_ENABLED=True, TINDAK_API_RATE_LIMIT="3 per minute")
    limiter.reset()
    token = api.token("verifikator")
    try:
        spellings = [f"Bearer {token}", f"bearer {token}", f"Bearer  {token}", f"BEARER {token} "]
        codes = [api.client.get("/api/v1/tasks", headers={"Authorization": h}).status_code for h in spellings]
        limiter.reset()
        junk = [api.client.get("/api/v1/tasks", headers={"Authorization": f"Bearer tdk_junk{n}"}).status_code
                for n in range(4)]
        junk.append(api.client.get("/api/v1/tasks", headers={"Authorization": "Basic eDp5"}).status_code)
    finally:
        limiter.reset()
    assert codes == [200, 200, 200, 429]
    assert junk == [401, 401, 401, 429, 429]
