"""Administration pages: who may open them, users, agencies and categories through the browser."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from workflows.accounts import authenticate
from workflows.complaints import ComplaintInput, InvalidComplaint, file_complaint
from workflows.models import Agency, Category, User

PASSWORD = "rahasia-baru-123"
PAGES = ["/admin/users", "/admin/users/new", "/admin/agencies", "/admin/agencies/new",
         "/admin/agencies/dinkes-kalbar", "/admin/categories", "/admin/categories/new",
         "/admin/categories/kesehatan"]
USER_PAGES = ("/admin/users", "/admin/users/new")


def user_id(db, username: str) -> int:
    with db.session() as s:
        return s.scalar(select(User.id).where(User.username == username))


def row(db, model, **where):
    with db.session() as s:
        return s.scalars(select(model).filter_by(**where)).first()


def usernames_listed(page: str) -> set[str]:
    return set(re.findall(r'data-testid="user-row" data-username="([^"]+)"', page))


def new_user_form(**overrides) -> dict:
    return {"username": "dinkes.budi", "full_name": "Budi Santoso", "email": "budi@example.org",
            "role": "liaison", "agency": "dinkes-kalbar", "password": PASSWORD, "confirm": PASSWORD} | overrides


# ---- who may open what ----------------------------------------------------------------

@pytest.mark.parametrize("username, allowed", [
    ("admin", PAGES),
    ("dinkes.admin", USER_PAGES),
    ("dinkes.penghubung", ()),
    ("verifikator", ()),
    ("gubernur", ()),
    ("ombudsman", ()),
    ("perancang", ()),
])
def test_access_matrix(client, auth, username, allowed):
    auth.login(username)
    codes = {url: client.get(url).status_code for url in PAGES}
    assert codes == {url: 200 if url in allowed else 403 for url in PAGES}


def test_admin_pages_need_login(client):
    response = client.get("/admin/users")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.post("/admin/categories/kesehatan/deactivate").status_code == 302


def test_forbidden_actions_change_nothing(client, auth, db):
    auth.login("dinkes.admin")
    assert client.post("/admin/categories/kesehatan/deactivate").status_code == 403
    assert client.post("/admin/agencies/new", data={"code": "x-y", "name": "X", "kind": "unit"}).status_code == 403
    assert row(db, Category, code="kesehatan").active
    auth.logout()
    auth.login("dinkes.penghubung")
    assert client.post(f"/admin/users/{user_id(db, 'pupr.penghubung')}/deactivate").status_code == 403
    assert row(db, User, username="pupr.penghubung").active


def test_agency_admin_without_an_agency_is_refused(client, auth, db):
    with db.transaction() as s:
        s.scalars(select(User).where(User.username == "dinkes.admin")).one().agency_id = None
    auth.login("dinkes.admin")
    assert client.get("/admin/users").status_code == 403
    assert client.get("/admin/users/new").status_code == 403


def test_tabs_follow_the_role(client, auth):
    auth.login("admin")
    page = client.get("/admin/users").get_data(as_text=True)
    assert "/admin/agencies" in page and "/admin/categories" in page
    auth.logout()
    auth.login("dinkes.admin")
    page = client.get("/admin/users").get_data(as_text=True)
    assert 'data-testid="admin-tabs"' in page and "/admin/agencies" not in page


# ---- the user list --------------------------------------------------------------------

def test_super_admin_sees_everyone_and_filters(client, auth):
    auth.login("admin")
    assert len(usernames_listed(client.get("/admin/users").get_data(as_text=True))) == 15
    page = client.get("/admin/users?q=Nurul").get_data(as_text=True)
    assert usernames_listed(page) == {"dinkes.penghubung"}
    page = client.get("/admin/users?role=agency_head&agency=dinkes-kalbar").get_data(as_text=True)
    assert usernames_listed(page) == {"dinkes.kepala"}
    page = client.get("/admin/users?active=0").get_data(as_text=True)
    assert usernames_listed(page) == set() and 'data-testid="empty"' in page


def test_user_list_pages(client, auth, db):
    with db.transaction() as s:
        for n in range(30):
            s.add(User(username=f"staf.{n:02d}", full_name=f"Staf {n:02d}", role="liaison",
                       agency_id=s.scalar(select(Agency.id).where(Agency.code == "pupr-kalbar"))))
    auth.login("admin")
    first = client.get("/admin/users?q=staf").get_data(as_text=True)
    second = client.get("/admin/users?q=staf&page=2").get_data(as_text=True)
    assert len(usernames_listed(first)) == 25 and len(usernames_listed(second)) == 5
    assert 'data-testid="user-count">30<' in first
    assert "q=staf&amp;page=2" in first  # the filter is kept in the page links


def test_page_links_do_not_obey_address_arguments_named_like_url_for_options(client, auth, db):
    """The shared pager copies the address's arguments into its links; `_method`, `_scheme`,
    `_anchor` and `_external` are url_for's own options and must stay out (a 500, or a link to
    another scheme)."""
    with db.transaction() as s:
        for n in range(30):
            s.add(User(username=f"staf.{n:02d}", full_name=f"Staf {n:02d}", role="liaison",
                       agency_id=s.scalar(select(Agency.id).where(Agency.code == "pupr-kalbar"))))
    auth.login("admin")
    response = client.get("/admin/users", query_string={"q": "staf", "_method": "DELETE", "_scheme": "javascript",
                                                        "_external": "1", "_anchor": "x"})
    assert response.status_code == 200
    pager = response.get_data(as_text=True).split('data-testid="pagination"')[1].split("</ul>")[0]
    assert 'href="/admin/users?q=staf&amp;page=2"' in pager
    assert "javascript" not in pager and "_method" not in pager and "#x" not in pager


def test_agency_admin_sees_only_its_agency(client, auth):
    auth.login("dinkes.admin")
    page = client.get("/admin/users").get_data(as_text=True)
    assert usernames_listed(page) == {"dinkes.admin", "dinkes.penghubung"}  # not its head (roles.PRIVILEGE)
    assert usernames_listed(client.get("/admin/users?agency=pupr-kalbar").get_data(as_text=True)) == set()
    form = client.get("/admin/users/new").get_data(as_text=True)
    agency_options = re.findall(r'<option[^>]*value="([^"]*)"', form.split('name="agency"')[1].split("</select>")[0])
    assert agency_options == ["dinkes-kalbar"]
    assert 'value="super_admin"' not in form and 'value="verifier"' not in form
    assert 'value="agency_head"' not in form
    assert 'value="liaison"' in form


def test_agency_admin_cannot_reach_another_agencys_user(client, auth, db):
    other = user_id(db, "pupr.penghubung")
    auth.login("dinkes.admin")
    assert client.get(f"/admin/users/{other}").status_code == 404
    assert client.post(f"/admin/users/{other}", data={"full_name": "X", "role": "liaison",
                                                      "agency": "pupr-kalbar"}).status_code == 404
    assert client.post(f"/admin/users/{other}/deactivate").status_code == 404
    assert client.post(f"/admin/users/{other}/password",
                       data={"reset-password": PASSWORD, "reset-confirm": PASSWORD}).status_code == 404
    assert client.get("/admin/users/99999").status_code == 404
    assert row(db, User, username="pupr.penghubung").full_name.startswith("Yohanes")


@pytest.mark.parametrize("overrides", [{"role": "super_admin"}, {"role": "verifier"}, {"agency": "pupr-kalbar"}])
def test_agency_admin_cannot_create_beyond_its_rights(client, auth, db, overrides):
    auth.login("dinkes.admin")
    assert client.post("/admin/users/new", data=new_user_form(**overrides)).status_code == 403
    assert row(db, User, username="dinkes.budi") is None


def test_agency_admin_creates_a_liaison(client, auth, db):
    auth.login("dinkes.admin")
    response = client.post("/admin/users/new", data=new_user_form())
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/users")
    assert "dinkes.budi" in usernames_listed(client.get("/admin/users").get_data(as_text=True))
    with db.session() as s:
        assert authenticate(s, "dinkes.budi", PASSWORD).agency.code == "dinkes-kalbar"


@pytest.mark.parametrize("overrides, field", [
    ({"username": "dinkes.penghubung"}, "username"),
    ({"username": "Budi Santoso!"}, "username"),
    ({"password": "pendek", "confirm": "pendek"}, "password"),
    ({"agency": "dinas-tidak-ada"}, "agency"),
    ({"confirm": "something-else"}, "confirm"),
    ({"email": "budi@"}, "email"),
])
def test_create_user_errors_keep_the_values(client, auth, db, overrides, field):
    auth.login("admin")
    response = client.post("/admin/users/new", data=new_user_form(**overrides))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'data-testid="error-{field}"' in page
    assert 'value="Budi Santoso"' in page
    assert f'value="{overrides.get("username", "dinkes.budi")}"' in page
    assert re.search(r'<option selected value="liaison">|<option value="liaison" selected', page)
    assert PASSWORD not in page  # passwords are never sent back
    assert row(db, User, full_name="Budi Santoso") is None


def test_edit_user(client, auth, db):
    target = user_id(db, "pupr.penghubung")
    auth.login("admin")
    page = client.get(f"/admin/users/{target}").get_data(as_text=True)
    assert 'value="Yohanes Alexander (Penghubung PUPR)"' in page
    data = {"full_name": "Yohanes A.", "email": "", "role": "agency_admin", "agency": "pupr-kalbar"}
    assert client.post(f"/admin/users/{target}", data=data).status_code == 302
    changed = row(db, User, username="pupr.penghubung")
    assert (changed.full_name, changed.role, changed.email) == ("Yohanes A.", "agency_admin", None)
    bad = client.post(f"/admin/users/{target}", data=data | {"full_name": "Y. A.", "email": "nope"})
    assert bad.status_code == 422 and 'data-testid="error-email"' in bad.get_data(as_text=True)
    assert 'value="Y. A."' in bad.get_data(as_text=True)


def test_deactivate_ends_the_users_session(app, client, auth, db):
    victim = app.test_client()
    victim.post("/login", data={"username": "pupr.penghubung", "password": "tindak-demo"})
    assert victim.get("/account/").status_code == 200
    auth.login("admin")
    response = client.post(f"/admin/users/{user_id(db, 'pupr.penghubung')}/deactivate",
                           data={"next": "/admin/users?q=pupr"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/users?q=pupr")
    assert victim.get("/account/").status_code == 302
    assert victim.post("/login", data={"username": "pupr.penghubung", "password": "tindak-demo"}).status_code == 200
    client.post(f"/admin/users/{user_id(db, 'pupr.penghubung')}/reactivate")
    assert row(db, User, username="pupr.penghubung").active


def test_cannot_deactivate_oneself(client, auth, db):
    auth.login("dinkes.admin")
    response = client.post(f"/admin/users/{user_id(db, 'dinkes.admin')}/deactivate", follow_redirects=True)
    assert response.status_code == 200 and "alert-danger" in response.get_data(as_text=True)
    assert row(db, User, username="dinkes.admin").active


def test_next_after_an_action_stays_inside_admin(client, auth, db):
    auth.login("admin")
    response = client.post(f"/admin/users/{user_id(db, 'pupr.penghubung')}/deactivate",
                           data={"next": "https://evil.example.com/admin/"})
    assert response.headers["Location"].endswith("/admin/users")


def test_reset_password(app, client, auth, db):
    target = user_id(db, "dinkes.penghubung")
    auth.login("dinkes.admin")
    short = client.post(f"/admin/users/{target}/password", data={"reset-password": "x", "reset-confirm": "x"})
    assert short.status_code == 422 and 'data-testid="error-reset-password"' in short.get_data(as_text=True)
    differ = client.post(f"/admin/users/{target}/password",
                         data={"reset-password": PASSWORD, "reset-confirm": PASSWORD + "x"})
    assert differ.status_code == 422 and 'data-testid="error-reset-confirm"' in differ.get_data(as_text=True)
    ok = client.post(f"/admin/users/{target}/password", data={"reset-password": PASSWORD, "reset-confirm": PASSWORD})
    assert ok.status_code == 302
    other = app.test_client()
    assert other.post("/login", data={"username": "dinkes.penghubung", "password": PASSWORD}).status_code == 302


def test_no_reset_form_for_ones_own_account(client, auth, db):
    auth.login("admin")
    page = client.get(f"/admin/users/{user_id(db, 'admin')}").get_data(as_text=True)
    assert 'data-testid="reset-form"' not in page and "/account/" in page


# ---- agencies -------------------------------------------------------------------------

def test_agency_tree_page(client, auth):
    auth.login("admin")
    page = client.get("/admin/agencies").get_data(as_text=True)
    depths = dict(re.findall(r'data-code="([^"]+)" data-depth="(\d+)"', page))
    assert depths["pemprov-kalbar"] == "0" and depths["dinkes-kalbar"] == "1" and len(depths) == 9
    assert page.index('data-code="pemprov-kalbar"') < page.index('data-code="dinkes-kalbar"')


def test_create_and_move_agency(client, auth, db):
    auth.login("admin")
    new_page = client.get("/admin/agencies/new?parent=dinkes-kalbar").get_data(as_text=True)
    assert 'value="dinkes-kalbar" selected' in new_page or '<option selected value="dinkes-kalbar"' in new_page
    created = client.post("/admin/agencies/new", data={"code": "rsud-soedarso", "name": "RSUD dr. Soedarso",
                                                       "kind": "unit", "parent": "dinkes-kalbar"})
    assert created.status_code == 302
    assert row(db, Agency, code="rsud-soedarso").path == "/pemprov-kalbar/dinkes-kalbar/rsud-soedarso/"
    move_page = client.get("/admin/agencies/dinkes-kalbar").get_data(as_text=True)
    move_choices = move_page.split('name="move-parent"')[1].split("</select>")[0]
    assert 'value="rsud-soedarso"' not in move_choices and 'value="dinkes-kalbar"' not in move_choices
    moved = client.post("/admin/agencies/dinkes-kalbar/move", data={"move-parent": "pemkot-pontianak"})
    assert moved.status_code == 302
    assert row(db, Agency, code="rsud-soedarso").path == "/pemkot-pontianak/dinkes-kalbar/rsud-soedarso/"
    refused = client.post("/admin/agencies/dinkes-kalbar/move", data={"move-parent": "rsud-soedarso"})
    assert refused.status_code == 422 and 'data-testid="error-move-parent"' in refused.get_data(as_text=True)


def test_create_agency_errors_keep_the_values(client, auth, db):
    auth.login("admin")
    response = client.post("/admin/agencies/new", data={"code": "dinkes-kalbar", "name": "Dinas Sosial",
                                                        "kind": "dinas", "parent": ""})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and 'data-testid="error-code"' in page and 'value="Dinas Sosial"' in page


def test_edit_agency(client, auth, db):
    auth.login("admin")
    assert client.post("/admin/agencies/pupr-kalbar", data={"name": "Dinas PUPR", "kind": "dinas"}).status_code == 302
    assert row(db, Agency, code="pupr-kalbar").name == "Dinas PUPR"
    assert client.post("/admin/agencies/pupr-kalbar", data={"name": "", "kind": "dinas"}).status_code == 422
    assert client.get("/admin/agencies/nowhere").status_code == 404


def test_deactivate_agency_refused_with_users(client, auth, db):
    auth.login("admin")
    page = client.post("/admin/agencies/pupr-kalbar/deactivate", follow_redirects=True).get_data(as_text=True)
    assert "alert-danger" in page and " 1 " in page
    assert row(db, Agency, code="pupr-kalbar").active
    client.post(f"/admin/users/{user_id(db, 'pupr.penghubung')}/deactivate")
    assert client.post("/admin/agencies/pupr-kalbar/deactivate").status_code == 302
    assert not row(db, Agency, code="pupr-kalbar").active
    new_user_page = client.get("/admin/users/new").get_data(as_text=True)
    assert 'value="pupr-kalbar"' not in new_user_page.split('name="agency"')[1].split("</select>")[0]


# ---- categories -----------------------------------------------------------------------

def test_categories_page_create_edit(client, auth, db):
    auth.login("admin")
    page = client.get("/admin/categories").get_data(as_text=True)
    assert page.count('data-testid="category-row"') == 6
    assert client.post("/admin/categories/new", data={"code": "sosial", "name": "Sosial",
                                                      "description": "Bansos"}).status_code == 302
    assert row(db, Category, code="sosial").name == "Sosial"
    duplicate = client.post("/admin/categories/new", data={"code": "sosial", "name": "Lagi", "description": ""})
    assert duplicate.status_code == 422 and 'value="Lagi"' in duplicate.get_data(as_text=True)
    renamed = client.post("/admin/categories/sosial", data={"name": "Sosial dan Bansos", "description": ""})
    assert renamed.status_code == 302
    assert row(db, Category, code="sosial").name == "Sosial dan Bansos"
    assert client.post("/admin/categories/sosial", data={"name": "", "description": ""}).status_code == 422
    assert client.get("/admin/categories/nothing").status_code == 404


def test_deactivated_category_is_not_accepted(client, auth, db, process_engine):
    auth.login("admin")
    assert client.post("/admin/categories/lingkungan/deactivate").status_code == 302
    assert not row(db, Category, code="lingkungan").active
    with db.transaction() as s, pytest.raises(InvalidComplaint):
        file_complaint(s, process_engine, ComplaintInput(title="Asap", description="Kabut.", category="lingkungan"))
    assert client.post("/admin/categories/lingkungan/reactivate").status_code == 302
    assert row(db, Category, code="lingkungan").active


def test_admin_forms_need_csrf(app, client, auth, db):
    auth.login("admin")
    app.config["WTF_CSRF_ENABLED"] = True
    assert client.post("/admin/categories/kesehatan/deactivate").status_code == 400
    assert row(db, Category, code="kesehatan").active
