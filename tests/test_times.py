"""Issue 13: times shown to officers and citizens, in Asia/Jakarta, relative and absolute.

Reported: "Diterima 1 jam yang lalu" for a complaint filed seconds earlier, and "Usia 1 jam"
in the task list. Relative ages must say what happened (seconds, minutes, hours, days), and
absolute times must be Jakarta's, also around midnight (23:59 WIB on one day, 00:01 WIB on the
next, when UTC is still on the same date), in Indonesian and for an English visitor.
"""
from __future__ import annotations

import html as html_lib
import re
from datetime import datetime, timedelta, timezone

import pytest

from tests.casework import Case
from tests.conftest import MONDAY

# Monday 6 April 2026, 23:59 WIB and Tuesday 7 April, 00:01 WIB: both 6 April in UTC
BEFORE_MIDNIGHT = datetime(2026, 4, 6, 16, 59, tzinfo=timezone.utc)
AFTER_MIDNIGHT = datetime(2026, 4, 6, 17, 1, tzinfo=timezone.utc)


@pytest.fixture
def app(app, tmp_path):
    app.extensions["tindak.settings"].attachment_dir = tmp_path / "attachments"
    return app


@pytest.fixture
def english(client):
    client.post("/language/en")


def text(fragment: str) -> str:
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def by_testid(page: str, name: str) -> list[str]:
    return [text(m) for m in re.findall(rf'data-testid="{name}"[^>]*>(.*?)</(?:td|span|div|dd)>', page, re.S)]


def ages(client) -> dict[str, str]:
    """The task list's age column, by tracking id."""
    page = client.get("/tasks/?tab=team").get_data(as_text=True)
    rows = re.findall(r'data-tracking-id="([^"]+)".*?data-testid="age">(.*?)</td>', page, re.S)
    return {tracking: text(age) for tracking, age in rows}


def received(client, case: Case) -> tuple[str, str]:
    [task] = case.ready()
    page = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    return by_testid(page, "received")[0], by_testid(page, "received-ago")[0]


# -- relative ages ---------------------------------------------------------------------------------

@pytest.mark.parametrize("after, age_id, ago_id, age_en, ago_en", [
    (timedelta(seconds=20), "kurang dari semenit", "(baru saja)", "less than a minute", "(just now)"),
    (timedelta(minutes=5), "5 menit", "(5 menit yang lalu)", "5 minutes", "(5 minutes ago)"),
    (timedelta(minutes=59), "59 menit", "(59 menit yang lalu)", "59 minutes", "(59 minutes ago)"),
    (timedelta(hours=3, minutes=10), "3 jam", "(3 jam yang lalu)", "3 hours", "(3 hours ago)"),
    (timedelta(days=2, hours=1), "2 hari", "(2 hari yang lalu)", "2 days", "(2 days ago)"),
])
def test_ages_say_how_long_ago_in_both_languages(client, auth, db, process_engine, clock,
                                                 after, age_id, ago_id, age_en, ago_en):
    case = Case(db, process_engine)
    clock.at(MONDAY + after)
    auth.login("verifikator")
    assert ages(client) == {case.complaint.tracking_id: age_id}
    assert received(client, case) == ("6 Apr 2026 09:00 WIB", ago_id)
    client.post("/language/en")
    assert ages(client) == {case.complaint.tracking_id: age_en}
    assert received(client, case)[1] == ago_en


def test_a_complaint_filed_seconds_ago_through_the_public_form_is_not_an_hour_old(client, auth, db, clock):
    response = client.post("/lapor", data={"title": "Lampu jalan mati", "description": "Sudah dua minggu gelap.",
                                          "category": "infrastruktur", "classification": "pengaduan",
                                          "anonymous": "1"})
    assert response.status_code in (200, 302, 303)
    clock.at(MONDAY + timedelta(seconds=30))
    auth.login("verifikator")
    listed = ages(client)
    assert len(listed) == 1 and list(listed.values()) == ["kurang dari semenit"]


# -- around midnight in Jakarta -------------------------------------------------------------------

def _two_cases_around_midnight(db, process_engine, clock) -> tuple[Case, Case]:
    clock.at(BEFORE_MIDNIGHT)
    late = Case(db, process_engine, title="Sebelum tengah malam")
    clock.at(AFTER_MIDNIGHT)
    early = Case(db, process_engine, title="Sesudah tengah malam")
    return late, early


def test_absolute_times_around_midnight_are_jakarta_s(client, auth, db, process_engine, clock):
    late, early = _two_cases_around_midnight(db, process_engine, clock)
    clock.at(AFTER_MIDNIGHT + timedelta(minutes=1))  # 00:02 WIB on Tuesday
    auth.login("verifikator")
    assert received(client, late) == ("6 Apr 2026 23:59 WIB", "(3 menit yang lalu)")
    assert received(client, early) == ("7 Apr 2026 00:01 WIB", "(1 menit yang lalu)")
    assert ages(client) == {late.complaint.tracking_id: "3 menit", early.complaint.tracking_id: "1 menit"}
    auth.logout()

    auth.login("admin")
    page = client.get(f"/cases/{late.complaint_id}").get_data(as_text=True)
    assert "6 Apr 2026 23:59 WIB" in page
    page = client.get("/cases/search").get_data(as_text=True)
    dates = dict(re.findall(r'data-case-id="(\d+)".*?d-sm-table-cell">([^<]+)</td>', page, re.S))
    assert dates == {str(late.complaint_id): "6 Apr 2026 WIB", str(early.complaint_id): "7 Apr 2026 WIB"}
    # searching by Jakarta day: Tuesday holds only the complaint filed after midnight WIB
    page = client.get("/cases/search?date_from=2026-04-07&date_to=2026-04-07").get_data(as_text=True)
    assert re.findall(r'data-case-id="(\d+)"', page) == [str(early.complaint_id)]
    board = client.get("/dashboard").get_data(as_text=True)
    assert "7 Apr 2026 00:02 WIB" in by_testid(board, "as-of")[0]


def test_absolute_times_around_midnight_for_an_english_visitor(client, auth, english, db, process_engine, clock):
    late, early = _two_cases_around_midnight(db, process_engine, clock)
    clock.at(AFTER_MIDNIGHT + timedelta(minutes=1))
    auth.login("verifikator")
    assert received(client, late) == ("6 Apr 2026 23:59 WIB", "(3 minutes ago)")
    assert received(client, early) == ("7 Apr 2026 00:01 WIB", "(1 minute ago)")
    page = client.get(f"/cases/{early.complaint_id}").get_data(as_text=True)
    assert "7 Apr 2026 00:01 WIB" in page


def test_the_public_listing_dates_complaints_by_jakarta_day(client, db, process_engine, clock):
    late, early = _two_cases_around_midnight(db, process_engine, clock)
    page = client.get("/laporan").get_data(as_text=True)
    assert "6 Apr 2026" in page and "7 Apr 2026" in page


def test_the_age_filter_never_rounds_seconds_up_to_an_hour(app, clock):
    from webapp.filters import age, ago

    with app.test_request_context("/"):
        for seconds in (0, 1, 30, 59):
            assert age(MONDAY - timedelta(seconds=seconds)) == "kurang dari semenit"
            assert ago(MONDAY - timedelta(seconds=seconds)) == "baru saja"
        assert age(MONDAY - timedelta(seconds=61)) == "1 menit"
        assert age(MONDAY + timedelta(minutes=5)) == "kurang dari semenit"  # a clock slightly behind: not negative
        assert age(None) == ago(None) == ""
