"""SLA and calendar administration through the browser: who may open it, edit with preview,
save for new deadlines only or apply to running cases in batches, overrides, the calendar."""
from __future__ import annotations

import re
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import select

from engine.clock import set_clock
from engine.deploy import deploy
from engine.models import HumanTask
from tests.conftest import DATA
from webapp import services
from webapp.views import sla_admin
from workflows import sla_changes
from workflows.models import Agency, Complaint
from workflows.sla import CalendarDay, SlaChange, SlaPolicy
from workflows.sla_changes import SlaEdit

TUESDAY = datetime(2026, 11, 24, 3, 0, tzinfo=timezone.utc)  # 10:00 WIB
FRIDAY = datetime(2026, 11, 27, 3, 0, tzinfo=timezone.utc)
DUE_5 = datetime(2026, 12, 1, 16, 59, 59, tzinfo=timezone.utc)  # Tuesday + 5 working days, 23:59:59 WIB
DUE_2 = datetime(2026, 11, 26, 16, 59, 59, tzinfo=timezone.utc)  # Tuesday + 2 working days
PAGES = ["/admin/sla", "/admin/sla/first_response", "/admin/sla/first_response/new",
         "/admin/sla/changes/1/apply", "/admin/calendar"]
JSON = {"Accept": "application/json"}


@pytest.fixture(autouse=True)
def registered(app):
    if "sla_admin" not in app.blueprints:
        app.register_blueprint(sla_admin.bp)


def sla_admin_engine(client):
    """The app's own engine (its SlaBook is the one the pages reload)."""
    with client.application.app_context():
        return services.process_engine()


@pytest.fixture
def clock():
    moment = {"now": TUESDAY}
    set_clock(lambda: moment["now"])
    yield moment
    set_clock(None)


@pytest.fixture
def probe(db, client, clock):
    """Start one-task cases whose deadline timer calls sla_due("first_response", category, lead_agency).

    They start on the app's own engine, whose SlaBook the pages reload after a change.
    """
    process_engine = sla_admin_engine(client)
    with db.transaction() as s:
        deploy(s, [DATA / "sla_probe"], deployed_by="tests")
    count = {"n": 0}

    def start(agency: str = "dinkes-kalbar", complaint: bool = True) -> int:
        with db.transaction() as s:
            instance_id = process_engine.start(s, "sla_probe", {"category": "kesehatan", "lead_agency": agency},
                                               "t").id
            if complaint:
                count["n"] += 1
                s.add(Complaint(tracking_id=f"TDK-TEST-{count['n']:04d}", tracking_secret_hash="0" * 64,
                                title=f"Keluhan {count['n']}", description="-", category_code="kesehatan",
                                classification="pengaduan", channel="web", process_instance_id=instance_id,
                                lead_agency_code=agency))
        return instance_id
    return start


def due_of(db, instance_id: int) -> datetime:
    with db.session() as s:
        return s.scalars(select(HumanTask.due_at).where(HumanTask.process_instance_id == instance_id)).one()


def policy(db, key="first_response", category=None, agency=None) -> SlaPolicy | None:
    with db.session() as s:
        return s.scalars(select(SlaPolicy).where(
            SlaPolicy.key == key, SlaPolicy.category_code.is_(category) if category is None
            else SlaPolicy.category_code == category,
            SlaPolicy.agency_code.is_(agency) if agency is None else SlaPolicy.agency_code == agency)).first()


def changes(db) -> list[SlaChange]:
    with db.session() as s:
        return list(s.scalars(select(SlaChange).order_by(SlaChange.id)))


def form(**overrides) -> dict:
    return {"duration": "2", "unit": "working_days", "yellow_share": "0.75", "category": "", "agency": ""} | overrides


def text_of(page: str, name: str) -> str:
    found = re.search(rf'data-testid="{name}"[^>]*>([^<]*)<', page)
    return found.group(1).strip() if found else ""


# ---- access ----------------------------------------------------------------------------

@pytest.mark.parametrize("username, status", [
    ("admin", 200), ("dinkes.admin", 403), ("verifikator", 403), ("dinkes.penghubung", 403), ("gubernur", 403),
])
def test_access_matrix(db, client, auth, username, status):
    sla_changes.save_policy(db, sla_admin_engine(client), "admin", SlaEdit("first_response", 4, "working_days"))
    auth.login(username)
    assert {url: client.get(url).status_code for url in PAGES} == {url: status for url in PAGES}
    posts = ["/admin/sla/first_response", "/admin/sla/first_response/delete", "/admin/sla/changes/1/apply",
             "/admin/calendar/days", "/admin/calendar/agencies/dinkes-kalbar/week"]
    if status == 403:
        assert {url: client.post(url, data=form()).status_code for url in posts} == {url: 403 for url in posts}


def test_pages_need_login(client):
    response = client.get("/admin/sla")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_admin_tabs_lead_to_deadlines_and_calendar(client, auth):
    auth.login("admin")
    page = client.get("/admin/users").get_data(as_text=True)
    assert 'data-testid="tab-sla"' in page and 'data-testid="tab-calendar"' in page
    page = client.get("/admin/calendar").get_data(as_text=True)
    assert re.search(r'class="nav-link active"[^>]*href="/admin/calendar"', page)


# ---- the list --------------------------------------------------------------------------

def test_list_shows_the_defaults(client, auth):
    auth.login("admin")
    page = client.get("/admin/sla").get_data(as_text=True)
    rows = re.findall(r'data-testid="policy-row" data-key="(\w+)".*?data-duration="(\d+)" data-unit="(\w+)"',
                      page, re.S)
    assert {key: (int(duration), unit) for key, duration, unit in rows} == {
        "verification": (3, "working_days"), "agency_disposition": (3, "working_days"),
        "first_response": (5, "working_days"), "coordination_reply": (5, "working_days"),
        "reporter_reply": (10, "working_days"), "completion": (60, "calendar_days")}
    assert page.count(">75%<") == 6
    assert 'data-testid="no-changes"' in page


def test_list_shows_overrides_and_the_history_newest_first(db, client, auth, monkeypatch):
    engine = sla_admin_engine(client)
    sla_changes.save_policy(db, engine, "admin", SlaEdit("first_response", 2, "working_days",
                                                         agency_code="dinkes-kalbar"))
    sla_changes.save_policy(db, engine, "admin", SlaEdit("verification", 24, "working_hours", 0.5,
                                                         category_code="kesehatan"))
    auth.login("admin")
    page = client.get("/admin/sla").get_data(as_text=True)
    assert re.search(r'data-testid="override-row" data-key="first_response" data-category="" '
                     r'data-agency="dinkes-kalbar"', page)
    assert re.search(r'data-key="verification" data-category="kesehatan" data-agency="">.*?data-duration="24" '
                     r'data-unit="working_hours"', page, re.S)
    assert re.findall(r'data-testid="change-row" data-change="(\d+)"', page) == ["2", "1"]
    assert text_of(page, "change-count") == "2"
    monkeypatch.setattr(sla_admin, "CHANGES_PER_PAGE", 1)
    page = client.get("/admin/sla?page=2").get_data(as_text=True)
    assert re.findall(r'data-testid="change-row" data-change="(\d+)"', page) == ["1"]


# ---- editing -----------------------------------------------------------------------------

@pytest.mark.parametrize("values, field", [
    ({"duration": "0"}, "duration"),
    ({"duration": "lima"}, "duration"),
    ({"duration": "3651"}, "duration"),
    ({"unit": "fortnights"}, "unit"),
    ({"yellow_share": "1.5"}, "yellow_share"),
    ({"yellow_share": "kuning"}, "yellow_share"),
])
def test_bad_input_is_shown_next_to_the_field_with_the_typed_values(db, client, auth, values, field):
    auth.login("admin")
    response = client.post("/admin/sla/first_response", data=form(**values))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'data-testid="error-{field}"' in page
    typed = next(iter(values.values()))
    assert f'value="{typed}"' in page
    assert policy(db).duration == 5 and changes(db) == []


def test_a_new_override_needs_a_category_or_an_agency(db, client, auth):
    auth.login("admin")
    response = client.post("/admin/sla/first_response", data=form(new="1"))
    assert response.status_code == 422 and 'data-testid="error-category"' in response.get_data(as_text=True)
    response = client.post("/admin/sla/first_response", data=form(new="1", agency="no-such-agency"))
    assert response.status_code == 422 and 'data-testid="error-agency"' in response.get_data(as_text=True)


def test_unknown_keys_and_overrides_are_not_found(client, auth):
    auth.login("admin")
    assert client.get("/admin/sla/no_such_key").status_code == 404
    assert client.get("/admin/sla/no_such_key/new").status_code == 404
    assert client.get("/admin/sla/first_response?agency=dinkes-kalbar").status_code == 404
    assert client.get("/admin/sla/changes/999/apply").status_code == 404
    assert client.post("/admin/sla/changes/999/apply", headers=JSON).status_code == 404


def test_preview_counts_moves_and_lists_cases_overdue_at_once(db, client, auth, probe, clock):
    ids = [probe(), probe(), probe(complaint=False)]
    clock["now"] = FRIDAY  # Tuesday + 2 working days ended Thursday: a 2-day deadline is already past
    auth.login("admin")
    response = client.post("/admin/sla/first_response", data=form())
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    counts = (text_of(page, "moved-cases"), text_of(page, "moved-timers"), text_of(page, "overdue-count"))
    assert counts == ("3", "3", "3")
    assert re.findall(r'data-testid="overdue-row" data-instance="(\d+)"', page) == [str(i) for i in ids]
    with db.session() as s:
        first = s.scalars(select(Complaint).where(Complaint.process_instance_id == ids[0])).one()
    assert f'href="/cases/{first.id}">TDK-TEST-0001</a>' in page and "Keluhan 1" in page
    assert f"Process #{ids[2]}" in page or f"Proses #{ids[2]}" in page
    assert 'name="action" value="save"' in page and 'name="action" value="apply"' in page
    # a preview changes nothing
    assert policy(db).duration == 5 and changes(db) == [] and due_of(db, ids[0]) == DUE_5


def test_preview_of_a_longer_deadline_has_nothing_overdue(db, client, auth, probe):
    probe()
    auth.login("admin")
    page = client.post("/admin/sla/first_response", data=form(duration="7")).get_data(as_text=True)
    assert (text_of(page, "moved-cases"), text_of(page, "overdue-count")) == ("1", "0")
    assert 'data-testid="overdue"' not in page


def test_preview_of_an_agency_override_moves_only_that_agency(db, client, auth, probe):
    dinkes, pupr = probe("dinkes-kalbar"), probe("pupr-kalbar")
    auth.login("admin")
    page = client.post("/admin/sla/first_response",
                       data=form(new="1", agency="pupr-kalbar", duration="3")).get_data(as_text=True)
    assert text_of(page, "moved-cases") == "1"
    assert 'data-testid="nothing-to-move"' not in page
    page = client.post("/admin/sla/first_response", data=form(new="1", agency="pupr-kalbar", duration="3",
                                                                action="edit")).get_data(as_text=True)
    assert 'data-testid="sla-form"' in page and '<option value="pupr-kalbar" selected>' in page
    assert due_of(db, dinkes) == due_of(db, pupr) == DUE_5


def test_save_for_new_deadlines_only(db, client, auth, probe):
    running = probe()
    auth.login("admin")
    response = client.post("/admin/sla/first_response", data=form(action="save"))
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/sla")
    assert due_of(db, running) == DUE_5  # the running timer keeps its deadline
    assert due_of(db, probe()) == DUE_2  # a new case uses the new length
    [change] = changes(db)
    assert (change.changed_by, change.old["duration"], change.new["duration"]) == ("admin", 5, 2)
    assert not change.applied_to_running
    page = client.get("/admin/sla").get_data(as_text=True)
    assert re.search(r'data-key="first_response".*?data-duration="2"', page, re.S)
    assert 'href="/admin/sla/changes/1/apply"' in page


def test_save_and_apply_in_batches(db, client, auth, probe, monkeypatch):
    monkeypatch.setattr(sla_admin, "BATCH", 2)
    ids = [probe() for _ in range(5)]
    auth.login("admin")
    response = client.post("/admin/sla/first_response", data=form(action="apply"))
    assert response.status_code == 302
    assert re.search(r"/admin/sla/changes/(\d+)/apply\?start=1$", response.headers["Location"])
    change_id = changes(db)[0].id
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'data-autostart="1"' in page and 'data-testid="apply-progress"' in page
    assert all(due_of(db, i) == DUE_5 for i in ids)  # nothing moves before the page runs the batches

    after, answers = 0, []
    while True:
        data = client.post(f"/admin/sla/changes/{change_id}/apply?after={after}", headers=JSON).get_json()
        answers.append(data)
        if data["done"]:
            break
        after = data["next_after"]
    assert [a["moved"] for a in answers] == [2, 2, 1]
    assert [a["handled"] for a in answers] == [2, 4, 5] and {a["total"] for a in answers} == {5}
    assert answers[-1]["total_moved"] == 5 and answers[-1]["next_after"] is None
    assert all(due_of(db, i) == DUE_2 for i in ids)

    again = client.post(f"/admin/sla/changes/{change_id}/apply?after=0", headers=JSON).get_json()
    assert again["moved"] == 0
    [change] = changes(db)
    assert change.applied_to_running and change.cases_moved == 5
    page = client.get(f"/admin/sla/changes/{change_id}/apply?after={ids[-1]}&done=1").get_data(as_text=True)
    assert text_of(page, "cases-moved") == "5" and 'data-done="1"' in page


def test_the_batch_endpoint_needs_the_csrf_header(app, db, client, probe):
    app.config["WTF_CSRF_ENABLED"] = True
    instance_id = probe()
    change_id = sla_changes.save_policy(db, sla_admin_engine(client), "admin", SlaEdit("first_response", 2,
                                                                                       "working_days"))
    token = re.search(r'name="csrf-token" content="([^"]+)"', client.get("/login").get_data(as_text=True)).group(1)
    client.post("/login", data={"username": "admin", "password": "tindak-demo", "csrf_token": token})
    url = f"/admin/sla/changes/{change_id}/apply?after=0"
    page = client.get(url).get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    assert client.post(url, headers=JSON).status_code == 400
    assert client.post(url, headers=JSON | {"X-CSRFToken": "forged"}).status_code == 400
    assert due_of(db, instance_id) == DUE_5
    answer = client.post(url, headers=JSON | {"X-CSRFToken": token})
    assert answer.status_code == 200 and answer.get_json()["done"] and due_of(db, instance_id) == DUE_2


def test_apply_without_javascript_runs_one_batch_per_press(db, client, auth, probe, monkeypatch):
    monkeypatch.setattr(sla_admin, "BATCH", 2)
    ids = [probe() for _ in range(3)]
    change_id = sla_changes.save_policy(db, sla_admin_engine(client), "admin", SlaEdit("first_response", 2,
                                                                                       "working_days"))
    auth.login("admin")
    response = client.post(f"/admin/sla/changes/{change_id}/apply", data={"after": "0"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/admin/sla/changes/{change_id}/apply?after={ids[1]}&done=0")
    assert [due_of(db, i) for i in ids] == [DUE_2, DUE_2, DUE_5]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f'name="after" value="{ids[1]}"' in page
    response = client.post(f"/admin/sla/changes/{change_id}/apply", data={"after": str(ids[1])})
    assert response.headers["Location"].endswith("done=1")
    assert due_of(db, ids[2]) == DUE_2


def test_delete_an_override(db, client, auth, probe):
    engine = sla_admin_engine(client)
    sla_changes.save_policy(db, engine, "admin", SlaEdit("first_response", 2, "working_days",
                                                         agency_code="dinkes-kalbar"))
    assert due_of(db, probe()) == DUE_2
    auth.login("admin")
    page = client.get("/admin/sla").get_data(as_text=True)
    assert 'data-testid="delete-override"' in page and "data-confirm=" in page
    response = client.post("/admin/sla/first_response/delete", data={"category": "", "agency": "dinkes-kalbar"})
    assert response.status_code == 302
    assert policy(db, agency="dinkes-kalbar") is None
    assert due_of(db, probe()) == DUE_5
    last = changes(db)[-1]
    assert (last.agency_code, last.old["duration"], last.new) == ("dinkes-kalbar", 2, None)
    # the default itself cannot be removed; a missing override is not found
    response = client.post("/admin/sla/first_response/delete", data={"category": "", "agency": ""})
    assert response.status_code == 302 and policy(db).duration == 5
    assert client.post("/admin/sla/first_response/delete", data={"agency": "pupr-kalbar"}).status_code == 404


def test_edit_an_existing_override_keeps_its_scope(db, client, auth):
    sla_changes.save_policy(db, sla_admin_engine(client), "admin", SlaEdit("first_response", 2, "working_days",
                                                                           category_code="kesehatan"))
    auth.login("admin")
    page = client.get("/admin/sla/first_response?category=kesehatan").get_data(as_text=True)
    assert 'name="category" value="kesehatan"' in page and 'value="2"' in page
    client.post("/admin/sla/first_response", data=form(category="kesehatan", duration="4", action="save"))
    assert policy(db, category="kesehatan").duration == 4 and policy(db).duration == 5


# ---- calendar ----------------------------------------------------------------------------

def test_calendar_lists_holidays_and_warns_after_the_tables_end(client, auth):
    auth.login("admin")
    page = client.get("/admin/calendar?year=2026").get_data(as_text=True)
    assert 'data-day="2026-08-17"' in page and "Hari Kemerdekaan Republik Indonesia" in page
    assert re.search(r'data-day="2026-12-24">.*?Cuti', page, re.S)
    assert 'data-testid="joint-leave-warning"' not in page
    assert 'data-testid="joint-leave-warning"' in client.get("/admin/calendar?year=2030").get_data(as_text=True)


def test_add_and_remove_a_calendar_day(db, client, auth):
    auth.login("admin")
    response = client.post("/admin/calendar/days", data={"day": "2030-04-02", "kind": "off",
                                                          "description": "Cuti bersama", "agency": ""})
    assert response.status_code == 302 and "year=2030" in response.headers["Location"]
    page = client.get("/admin/calendar?year=2030").get_data(as_text=True)
    assert 'data-testid="calendar-day" data-day="2030-04-02" data-kind="off" data-agency=""' in page
    with db.session() as s:
        day_id = s.scalar(select(CalendarDay.id))
    assert client.post(f"/admin/calendar/days/{day_id}/delete").status_code == 302
    with db.session() as s:
        assert s.scalar(select(CalendarDay.id)) is None
    assert client.post(f"/admin/calendar/days/{day_id}/delete").status_code == 404


@pytest.mark.parametrize("values, field", [
    ({"day": "2026-02-30"}, "day"),
    ({"day": ""}, "day"),
    ({"kind": "libur"}, "kind"),
    ({"agency": "no-such-agency"}, "agency"),
])
def test_bad_calendar_days_are_refused_with_values_kept(db, client, auth, values, field):
    auth.login("admin")
    data = {"day": "2026-11-25", "kind": "off", "description": "Libur daerah", "agency": ""} | values
    response = client.post("/admin/calendar/days", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and f'data-testid="error-{field}"' in page
    assert 'value="Libur daerah"' in page
    with db.session() as s:
        assert s.scalar(select(CalendarDay.id)) is None


def test_duplicate_calendar_day(client, auth):
    auth.login("admin")
    data = {"day": "2026-11-25", "kind": "off", "description": "", "agency": "dinkes-kalbar"}
    assert client.post("/admin/calendar/days", data=data).status_code == 302
    response = client.post("/admin/calendar/days", data=data | {"kind": "working"})
    assert response.status_code == 422 and 'data-testid="error-day"' in response.get_data(as_text=True)


def test_working_week_and_the_calculator_follow_the_calendar(db, client, auth):
    auth.login("admin")
    calc = "/admin/calendar?start=2026-11-24T10:00&days=5&calc_agency=dinkes-kalbar"
    assert 'data-due="2026-12-01T16:59:59+00:00"' in client.get(calc).get_data(as_text=True)
    response = client.post("/admin/calendar/agencies/dinkes-kalbar/week", data={"weekday": list("123456")})
    assert response.status_code == 302
    with db.session() as s:
        assert s.scalar(select(Agency.working_days).where(Agency.code == "dinkes-kalbar")) == "123456"
    # Tuesday + 5 working days with Saturdays: Wed, Thu, Fri, Sat, Mon 30 Nov
    assert 'data-due="2026-11-30T16:59:59+00:00"' in client.get(calc).get_data(as_text=True)
    client.post("/admin/calendar/days", data={"day": "2026-11-25", "kind": "off", "description": "", "agency": ""})
    assert 'data-due="2026-12-01T16:59:59+00:00"' in client.get(calc).get_data(as_text=True)
    # and new deadlines use it at once, through the engine's SlaBook
    book = sla_admin_engine(client).sla_book
    assert book.due("first_response", agency="dinkes-kalbar", start=TUESDAY) == datetime(
        2026, 12, 1, 16, 59, 59, tzinfo=timezone.utc)
    assert book.calendar.is_working_day(date(2026, 11, 28), "dinkes-kalbar")


def test_bad_working_week_and_calculator_input(client, auth):
    auth.login("admin")
    response = client.post("/admin/calendar/agencies/dinkes-kalbar/week", data={})
    assert response.status_code == 422 and 'data-testid="error-week"' in response.get_data(as_text=True)
    assert client.post("/admin/calendar/agencies/no-such/week", data={"weekday": ["1"]}).status_code == 404
    page = client.get("/admin/calendar?start=nanti&days=5").get_data(as_text=True)
    assert 'data-testid="calc-error"' in page
    page = client.get("/admin/calendar?start=2026-11-24T10:00&days=0").get_data(as_text=True)
    assert 'data-testid="calc-error"' in page
