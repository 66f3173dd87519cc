"""Calendar changes through the browser (issue 13): preview what a day or a working week would
move, save for new deadlines only or apply to running cases in batches, and the history."""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from engine.clock import set_clock
from tests.casework import Case
from webapp import services
from webapp.views import sla_admin
from workflows.sla import CalendarChange, CalendarDay

WEDNESDAY = datetime(2026, 12, 2, 3, 0, tzinfo=timezone.utc)  # 10:00 WIB
JSON = {"Accept": "application/json"}
HOLIDAY = {"day": "2026-12-04", "kind": "off", "description": "Libur daerah", "agency": ""}


def end_of(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 16, 59, 59, tzinfo=timezone.utc)  # 23:59:59 WIB


@pytest.fixture(autouse=True)
def registered(app):
    if "sla_admin" not in app.blueprints:
        app.register_blueprint(sla_admin.bp)


@pytest.fixture
def clock():
    moment = {"now": WEDNESDAY}
    set_clock(lambda: moment["now"])
    yield moment
    set_clock(None)


@pytest.fixture
def engine(client):
    """The app's own engine: its SlaBook is the one the pages reload."""
    with client.application.app_context():
        return services.process_engine()


@pytest.fixture
def filed(db, engine, clock):
    """Two complaints filed on Wednesday 2 December 2026, due Monday 7 December."""
    return [Case(db, engine, title=t) for t in ("Lampu jalan mati", "Jalan berlubang")]


def due(case: Case) -> datetime:
    [row] = [t for t in case.ready() if t.element_id == "verify_complaint"]
    return row.due_at


def changes(db) -> list[CalendarChange]:
    with db.session() as s:
        return list(s.scalars(select(CalendarChange).order_by(CalendarChange.id)))


def text_of(page: str, name: str) -> str:
    found = re.search(rf'data-testid="{name}"[^>]*>([^<]*)<', page)
    return found.group(1).strip() if found else ""


def test_adding_a_day_shows_a_preview_first(db, client, auth, filed):
    auth.login("admin")
    page = client.get("/admin/calendar?year=2026").get_data(as_text=True)
    assert re.search(r'data-testid="add-day".*?name="action" value="preview"', page, re.S)
    response = client.post("/admin/calendar/days", data=HOLIDAY | {"action": "preview"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert (text_of(page, "moved-cases"), text_of(page, "moved-timers"), text_of(page, "overdue-count")) == (
        "2", "4", "0")
    assert 'data-testid="calendar-change" data-kind="day_added"' in page and "Libur daerah" in page
    assert 'name="day" value="2026-12-04"' in page and 'name="description" value="Libur daerah"' in page
    assert 'name="action" value="save"' in page and 'name="action" value="apply"' in page
    # a preview changes nothing
    assert changes(db) == [] and {due(c) for c in filed} == {end_of(date(2026, 12, 7))}
    with db.session() as s:
        assert s.scalar(select(CalendarDay.id)) is None


def test_save_and_apply_moves_both_cases_to_the_same_day(db, client, auth, filed, monkeypatch):
    monkeypatch.setattr(sla_admin, "BATCH", 1)
    auth.login("admin")
    response = client.post("/admin/calendar/days", data=HOLIDAY | {"action": "apply"})
    assert response.status_code == 302
    found = re.search(r"/admin/calendar/changes/(\d+)/apply\?start=1$", response.headers["Location"])
    assert found
    change_id = int(found.group(1))
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'data-autostart="1"' in page and 'data-testid="apply-progress"' in page
    assert f'data-url="/admin/calendar/changes/{change_id}/apply"' in page
    assert {due(c) for c in filed} == {end_of(date(2026, 12, 7))}  # nothing moves before the batches run

    after, answers = 0, []
    while True:
        data = client.post(f"/admin/calendar/changes/{change_id}/apply?after={after}", headers=JSON).get_json()
        answers.append(data)
        if data["done"]:
            break
        after = data["next_after"]
    assert [a["moved"] for a in answers] == [1, 1] and answers[-1]["total_moved"] == 2
    assert {due(c) for c in filed} == {end_of(date(2026, 12, 8))}
    [change] = changes(db)
    assert (change.kind, change.changed_by, change.applied_to_running, change.cases_moved) == (
        "day_added", "admin", True, 2)

    page = client.get("/admin/calendar?year=2026").get_data(as_text=True)
    row = re.search(rf'data-testid="calendar-change-row" data-change="{change_id}".*?</li>', page, re.S).group(0)
    assert "Admin Sistem" in row
    assert "2 Des 2026" in row and "Libur daerah" in row
    assert "2 laporan disesuaikan" in row


def test_save_for_new_deadlines_only_then_apply_later(db, client, auth, engine, filed):
    auth.login("admin")
    response = client.post("/admin/calendar/days", data=HOLIDAY | {"action": "save"})
    assert response.status_code == 302 and "year=2026" in response.headers["Location"]
    assert {due(c) for c in filed} == {end_of(date(2026, 12, 7))}
    assert due(Case(db, engine)) == end_of(date(2026, 12, 8))  # a new case counts the holiday
    [change] = changes(db)
    assert not change.applied_to_running
    page = client.get("/admin/calendar?year=2026").get_data(as_text=True)
    assert f'href="/admin/calendar/changes/{change.id}/apply"' in page
    page = client.get(f"/admin/calendar/changes/{change.id}/apply").get_data(as_text=True)
    assert 'data-autostart="0"' in page and text_of(page, "moved-cases") == "2"  # what it would move now
    response = client.post(f"/admin/calendar/changes/{change.id}/apply", data={"after": "0"})
    assert response.status_code == 302 and response.headers["Location"].endswith("done=1")
    assert {due(c) for c in filed} == {end_of(date(2026, 12, 8))}


def test_removing_a_day_late_shows_the_cases_that_would_be_overdue(db, client, auth, engine, clock):
    auth.login("admin")
    client.post("/admin/calendar/days", data=HOLIDAY | {"action": "save"})
    case = Case(db, engine)
    assert due(case) == end_of(date(2026, 12, 8))
    clock["now"] = datetime(2026, 12, 8, 3, 0, tzinfo=timezone.utc)  # Tuesday 10:00 WIB
    with db.session() as s:
        day_id = s.scalar(select(CalendarDay.id))
    page = client.post(f"/admin/calendar/days/{day_id}/delete", data={"action": "preview"}).get_data(as_text=True)
    assert 'data-kind="day_removed"' in page
    assert text_of(page, "overdue-count") == "1"
    assert re.findall(r'data-testid="overdue-row" data-instance="(\d+)"', page) == [str(case.instance_id)]
    with db.session() as s:
        assert s.scalar(select(CalendarDay.id)) == day_id  # still there
    response = client.post(f"/admin/calendar/days/{day_id}/delete", data={"action": "save"})
    assert response.status_code == 302
    assert [c.kind for c in changes(db)] == ["day_added", "day_removed"]
    assert client.post(f"/admin/calendar/days/{day_id}/delete", data={"action": "preview"}).status_code == 404


def test_a_working_week_is_previewed_too(db, client, auth, engine, clock):
    case = Case(db, engine).do("verify_complaint", {"decision": "disposisi", "lead_agency": "dinkes-kalbar"},
                               "verifikator")
    auth.login("admin")
    page = client.get("/admin/calendar").get_data(as_text=True)
    assert re.search(r'data-agency="dinkes-kalbar".*?name="action" value="preview"', page, re.S)
    response = client.post("/admin/calendar/agencies/dinkes-kalbar/week",
                           data={"weekday": list("123456"), "action": "preview"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and 'data-kind="week_set"' in page
    assert text_of(page, "moved-cases") == "1"
    assert page.count('name="weekday"') == 6
    response = client.post("/admin/calendar/agencies/dinkes-kalbar/week",
                           data={"weekday": list("123456"), "action": "apply"})
    change_id = re.search(r"/changes/(\d+)/apply", response.headers["Location"]).group(1)
    client.post(f"/admin/calendar/changes/{change_id}/apply", data={"after": "0"})
    [row] = [t for t in case.ready() if t.element_id == "follow_up"]
    assert row.due_at == end_of(date(2026, 12, 8))


def test_back_to_the_form_keeps_what_was_typed(client, auth, filed):
    auth.login("admin")
    response = client.post("/admin/calendar/days", data=HOLIDAY | {"action": "edit"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and 'value="Libur daerah"' in page and 'value="2026-12-04"' in page


def test_bad_input_in_a_preview_comes_back_to_the_form(db, client, auth):
    auth.login("admin")
    response = client.post("/admin/calendar/days", data=HOLIDAY | {"day": "2026-02-30", "action": "preview"})
    assert response.status_code == 422 and 'data-testid="error-day"' in response.get_data(as_text=True)
    response = client.post("/admin/calendar/agencies/dinkes-kalbar/week", data={"action": "preview"})
    assert response.status_code == 422 and 'data-testid="error-week"' in response.get_data(as_text=True)
    assert changes(db) == []


def test_unknown_changes_are_not_found_and_only_super_admins_apply(db, client, auth, filed):
    auth.login("admin")
    assert client.get("/admin/calendar/changes/999/apply").status_code == 404
    assert client.post("/admin/calendar/changes/999/apply", headers=JSON).status_code == 404
    client.post("/admin/calendar/days", data=HOLIDAY | {"action": "save"})
    change_id = changes(db)[0].id
    auth.logout()
    auth.login("dinkes.admin")
    assert client.post(f"/admin/calendar/changes/{change_id}/apply", headers=JSON).status_code == 403
    assert {due(c) for c in filed} == {end_of(date(2026, 12, 7))}


def test_history_in_english(db, client, auth, filed, clock):
    client.post("/language/en")
    auth.login("admin")
    client.post("/admin/calendar/days", data=HOLIDAY | {"action": "save"})
    clock["now"] = WEDNESDAY + timedelta(minutes=5)
    client.post("/admin/calendar/agencies/dinkes-kalbar/week", data={"weekday": list("123456"), "action": "save"})
    page = client.get("/admin/calendar?year=2026").get_data(as_text=True)
    assert text_of(page, "calendar-change-count") == "2"
    kinds = re.findall(r'data-testid="calendar-change-row" data-change="\d+" data-kind="(\w+)"', page)
    assert kinds == ["week_set", "day_added"]
    assert "Dec 2, 2026" in page or "2 Dec 2026" in page
    assert "New deadlines only" in page
