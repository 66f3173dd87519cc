"""The monitoring dashboard page (webapp/views/dashboard.py), through the Flask test client."""
from __future__ import annotations

import html as html_lib
import re
from datetime import timedelta

import pytest
from sqlalchemy import update
from werkzeug.security import generate_password_hash

from tests.conftest import MONDAY
from tests.test_coordination import DINKES, KUBURAYA, PUPR, HostCase, engine, host, request_coordination  # noqa: F401  (fixtures shared with the coordination tests)
from workflows.models import User
from workflows.reference_data import DEMO_PASSWORD


@pytest.fixture
def coordinated(db, engine, host, clock):  # noqa: F811
    """PUPR leads the case and asks Dinas Kesehatan (required) and Pemkab Kubu Raya."""
    with db.transaction() as s:  # the head of Kubu Raya (from the `host` fixture) logs in too
        s.execute(update(User).where(User.username == "kuburaya.kepala")
                  .values(password_hash=generate_password_hash(DEMO_PASSWORD)))
    return request_coordination(HostCase(db, engine))


def page(client, status=200) -> str:
    response = client.get("/dashboard")
    assert response.status_code == status
    return response.get_data(as_text=True)


def agency_rows(html: str) -> dict[str, str]:
    """Each agency row's HTML by its data-agency."""
    return dict(re.findall(r'<tr data-testid="agency-row" data-agency="([^"]+)".*?>(.*?)</tr>', html, re.DOTALL))


def totals(html: str) -> str:
    return re.search(r'<tr class="fw-semibold" data-testid="totals">(.*?)</tr>', html, re.DOTALL).group(1)


def cell(row_html: str, testid: str) -> tuple[str, str | None]:
    """The number in a cell, and where it links to (None: not a link)."""
    match = re.search(rf'<(a|span|td)([^>]*)data-testid="{testid}"[^>]*>(.*?)</\1>', row_html, re.DOTALL)
    assert match, f"no {testid} in {row_html}"
    href = re.search(r'href="([^"]+)"', match.group(0))
    number = re.search(r"\d+", re.sub(r"<[^>]+>", " ", match.group(3))).group(0)
    return number, html_lib.unescape(href.group(1)) if href else None


# -- who may look ---------------------------------------------------------------------------------

@pytest.mark.parametrize("username, status", [
    ("admin", 200), ("gubernur", 200), ("dinkes.kepala", 200), ("dinkes.admin", 200), ("verifikator", 200),
    ("ombudsman", 200), ("pupr.penghubung", 403), ("perancang", 403),
])
def test_heads_admins_verifiers_and_the_ombudsman_see_it(client, auth, username, status):
    auth.login(username)
    page(client, status)
    navbar = client.get("/tasks/").get_data(as_text=True)
    assert ('data-testid="nav-dashboard"' in navbar) == (status == 200)


def test_logged_out_visitors_are_sent_to_the_login(client):
    response = client.get("/dashboard")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_nothing_in_scope_shows_an_empty_state(client, auth):
    auth.login("gubernur")
    html = page(client)
    assert 'data-testid="empty"' in html and 'data-testid="dashboard-table"' not in html


# -- the coordinated case -------------------------------------------------------------------------

def test_the_governor_sees_pupr_s_case_once_and_dinkes_s_request(client, auth, coordinated):
    auth.login("gubernur")
    html = page(client)
    rows = agency_rows(html)
    assert list(rows)[:3] == ["pemprov-kalbar", DINKES, PUPR] and KUBURAYA not in rows
    assert cell(rows[PUPR], "cases-proses") == ("1", f"/cases/search?agency={PUPR}&status=proses")
    assert cell(rows[PUPR], "open-cases")[0] == "1" and cell(rows[PUPR], "coordination")[0] == "0"
    assert cell(rows[DINKES], "coordination") == ("1", None)
    assert cell(rows[DINKES], "open-cases")[0] == "0"
    assert cell(rows[DINKES], "tasks-green") == ("1", f"/tasks/?tab=agency&agency={DINKES}&sla=green")
    assert cell(totals(html), "open-cases")[0] == "1"
    assert cell(totals(html), "coordination")[0] == "1"
    assert "09:00 WIB" in re.search(r'data-testid="as-of">(.*?)</p>', html).group(1)  # Monday 09:00 in Jakarta


def test_the_head_of_kubu_raya_sees_only_its_own_row(client, auth, coordinated):
    auth.login("kuburaya.kepala")
    html = page(client)
    rows = agency_rows(html)
    assert list(rows)[0] == KUBURAYA and not {PUPR, DINKES, "pemprov-kalbar"} & set(rows)
    assert cell(rows[KUBURAYA], "coordination")[0] == "1" and cell(rows[KUBURAYA], "open-cases")[0] == "0"
    assert PUPR not in html and "Penataan Ruang Provinsi" not in html


def test_every_link_leads_to_a_list_with_the_same_count(client, auth, coordinated):
    auth.login("admin")
    links = re.findall(r'href="(/(?:cases/search|tasks/)\?[^"]+)"[^>]*>(?:<i[^>]*></i> )?(\d+)', page(client))
    assert len(links) >= 4  # PUPR's case, and three reply-task links (two rows and the total)
    for href, number in links:
        target = client.get(html_lib.unescape(href)).get_data(as_text=True)
        shown = len(re.findall(r'data-testid="(?:result|task-row)"', target))
        assert shown == int(number), href


def test_reply_tasks_go_yellow_and_red_and_the_task_list_filters_the_same(client, auth, coordinated, engine, clock):  # noqa: F811
    auth.login("kuburaya.kepala")
    reply = coordinated.task("coordination_reply", KUBURAYA)
    warn = engine.sla_book.warn_at("coordination_reply", "infrastruktur", KUBURAYA, MONDAY)
    for moment, colour in ((warn + timedelta(minutes=5), "yellow"), (reply.due_at + timedelta(minutes=5), "red")):
        clock.at(moment)
        row = agency_rows(page(client))[KUBURAYA]
        number, href = cell(row, f"tasks-{colour}")
        assert (number, href) == ("1", f"/tasks/?tab=agency&agency={KUBURAYA}&sla={colour}")
        assert cell(row, "tasks-green")[0] == "0"
        listed = client.get(href).get_data(as_text=True)
        assert re.findall(r'data-testid="task-row" data-task-id="([^"]+)"', listed) == [reply.id]
        assert f'<option value="{colour}" selected>' in listed
        assert 'data-testid="task-row"' not in client.get("/tasks/?tab=agency&sla=green").get_data(as_text=True)
