"""workflows.administration: users, the agency tree and categories, on every backend."""
from __future__ import annotations

import logging
from itertools import pairwise

import pytest
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from tests.casework import Case
from workflows import administration as admin
from workflows import organisation, policy
from workflows.accounts import authenticate
from workflows.commands import Forbidden
from workflows.complaints import ComplaintInput, InvalidComplaint, file_complaint
from workflows.models import Agency, Category, User

PASSWORD = "rahasia-baru-123"


def user(db, username: str) -> User:
    with db.session() as s:
        return s.scalars(select(User).options(joinedload(User.agency)).where(User.username == username)).one()


def agency(db, code: str) -> Agency:
    with db.session() as s:
        return s.scalars(select(Agency).where(Agency.code == code)).one()


def can_log_in(db, username: str, password: str) -> bool:
    with db.session() as s:
        return authenticate(s, username, password) is not None


def new_user(db, actor="admin", username="dinkes.budi", role="liaison", agency_code="dinkes-kalbar", **kw):
    values = {"full_name": "Budi Santoso", "email": "budi@example.org", "password": PASSWORD} | kw
    return admin.create_user(db, user(db, actor), username, values["full_name"], values["email"], role,
                             agency_code, values["password"])


# ---- users ----------------------------------------------------------------------------

def test_super_admin_creates_a_user_who_can_log_in(db, caplog):
    with caplog.at_level(logging.INFO, logger="tindak.admin"):
        created = new_user(db, username="  Dinkes.Budi ")
    assert created.username == "dinkes.budi"
    assert user(db, "dinkes.budi").agency.code == "dinkes-kalbar"
    assert can_log_in(db, "dinkes.budi", PASSWORD)
    assert "admin created user dinkes.budi" in caplog.text and PASSWORD not in caplog.text


@pytest.mark.parametrize("field, value, problem", [
    ("username", "budi santoso", "username_format"),
    ("username", "b", "username_format"),
    ("username", "dinkes.penghubung", "username_taken"),
    ("full_name", "  ", "required"),
    ("email", "budi@", "email_format"),
    ("role", "raja", "unknown_role"),
    ("agency_code", "dinas-tidak-ada", "unknown_agency"),
    ("password", "pendek", "password_too_short"),
    ("password", "dinkes.budi", "password_is_username"),
])
def test_create_user_reports_each_problem(db, field, value, problem):
    args = {"username": "dinkes.budi", "role": "liaison", "agency_code": "dinkes-kalbar"}
    if field in args:
        args[field] = value
    else:
        args = args | {field: value}
    with pytest.raises(admin.AdminError) as caught:
        new_user(db, **args)
    name = {"agency_code": "agency"}.get(field, field)
    assert caught.value.fields == {name: problem}


def test_create_user_reports_every_problem_at_once(db):
    with pytest.raises(admin.AdminError) as caught:
        new_user(db, username="x y", full_name="", agency_code="", password="a")
    assert set(caught.value.fields) == {"username", "full_name", "agency", "password"}


def test_no_one_joins_a_deactivated_agency(db):
    with db.transaction() as s:
        s.scalars(select(Agency).where(Agency.code == "inspektorat-kalbar")).one().active = False
    with pytest.raises(admin.AdminError) as caught:
        new_user(db, agency_code="inspektorat-kalbar")
    assert caught.value.fields == {"agency": "unknown_agency"}


def test_agency_admin_creates_users_of_its_own_agency_only(db):
    new_user(db, actor="dinkes.admin", role="liaison")
    with pytest.raises(Forbidden):
        new_user(db, actor="dinkes.admin", username="pupr.budi", agency_code="pupr-kalbar")
    for role in ("super_admin", "verifier", "ombudsman", "designer"):
        with pytest.raises(Forbidden):
            new_user(db, actor="dinkes.admin", username=f"x.{role.replace('_', '-')}", role=role)
    assert admin.assignable_roles(user(db, "dinkes.admin")) == admin.AGENCY_ROLES


def test_other_roles_manage_no_one(db):
    with pytest.raises(Forbidden):
        new_user(db, actor="dinkes.penghubung")
    with pytest.raises(admin.UserNotFound):
        admin.deactivate_user(db, user(db, "gubernur"), user(db, "dinkes.penghubung").id)


def test_update_user(db):
    target = user(db, "pupr.penghubung")
    admin.update_user(db, user(db, "admin"), target.id, "Yohanes A.", "", "agency_admin", "pupr-kalbar")
    changed = user(db, "pupr.penghubung")
    assert (changed.full_name, changed.email, changed.role) == ("Yohanes A.", None, "agency_admin")


def test_no_one_changes_their_own_role(db):
    me = user(db, "admin")
    with pytest.raises(admin.AdminError) as caught:
        admin.update_user(db, me, me.id, me.full_name, me.email, "verifier", "pemprov-kalbar")
    assert caught.value.fields == {"role": "own_role"}


def test_agency_admin_cannot_touch_other_agencies_or_move_users_out(db):
    dinkes_admin = user(db, "dinkes.admin")
    with pytest.raises(admin.UserNotFound):
        admin.update_user(db, dinkes_admin, user(db, "pupr.penghubung").id, "X", "", "liaison", "pupr-kalbar")
    with pytest.raises(Forbidden):
        admin.update_user(db, dinkes_admin, user(db, "dinkes.penghubung").id, "X", "", "liaison", "pupr-kalbar")
    with pytest.raises(Forbidden):
        admin.update_user(db, dinkes_admin, user(db, "dinkes.penghubung").id, "X", "", "verifier", "dinkes-kalbar")
    assert user(db, "dinkes.penghubung").full_name.startswith("Nurul")


def test_agency_admin_cannot_see_a_super_admin_of_its_agency(db):
    boss = new_user(db, username="dinkes.root", role="super_admin")
    with pytest.raises(admin.UserNotFound):
        admin.reset_password(db, user(db, "dinkes.admin"), boss.id, PASSWORD)


def test_deactivate_and_reactivate(db):
    me, target = user(db, "admin"), user(db, "pupr.penghubung")
    admin.deactivate_user(db, me, target.id)
    assert not can_log_in(db, "pupr.penghubung", "tindak-demo")
    admin.reactivate_user(db, me, target.id)
    assert can_log_in(db, "pupr.penghubung", "tindak-demo")


def test_nobody_deactivates_themselves(db):
    me = user(db, "dinkes.admin")
    with pytest.raises(admin.AdminError) as caught:
        admin.deactivate_user(db, me, me.id)
    assert caught.value.fields == {"": "deactivate_self"}


def test_reset_password(db):
    admin.reset_password(db, user(db, "dinkes.admin"), user(db, "dinkes.penghubung").id, PASSWORD)
    assert can_log_in(db, "dinkes.penghubung", PASSWORD)
    assert not can_log_in(db, "dinkes.penghubung", "tindak-demo")
    with pytest.raises(admin.AdminError) as caught:
        admin.reset_password(db, user(db, "admin"), user(db, "dinkes.penghubung").id, "pendek")
    assert caught.value.fields == {"password": "password_too_short"}
    me = user(db, "admin")
    with pytest.raises(admin.AdminError):
        admin.reset_password(db, me, me.id, PASSWORD)


def test_the_user_list_matches_the_policy(db):
    """The SQL scope of the list and policy.can_manage_user never disagree."""
    with db.session() as s:
        everyone = list(s.scalars(select(User)))
        for actor in everyone:
            listed = {u.id for u in admin.user_page(s, actor, admin.UserFilter(per_page=100)).rows}
            assert listed == {u.id for u in everyone if policy.can_manage_user(s, actor, u)}, actor.username


def test_an_agency_admin_without_an_agency_manages_nobody(db):
    with db.transaction() as s:
        for name in ("dinkes.admin", "pupr.penghubung"):
            s.scalars(select(User).where(User.username == name)).one().agency_id = None
    actor = user(db, "dinkes.admin")
    with db.session() as s:
        assert admin.user_page(s, actor, admin.UserFilter()).total == 0
    with pytest.raises(admin.UserNotFound):
        admin.deactivate_user(db, actor, user(db, "pupr.penghubung").id)


def test_user_list_filters_and_pages(db):
    with db.session() as s:
        actor = user(db, "admin")
        page = admin.user_page(s, actor, admin.UserFilter(text="PENGHUBUNG", per_page=4))
        assert page.total == 7 and len(page.rows) == 4 and page.pages == 2
        assert len(admin.user_page(s, actor, admin.UserFilter(text="penghubung", page=2, per_page=4)).rows) == 3
        heads = admin.user_page(s, actor, admin.UserFilter(role="agency_head")).rows
        assert {u.username for u in heads} == {"gubernur", "dinkes.kepala"}
        dinkes = admin.user_page(s, actor, admin.UserFilter(agency="dinkes-kalbar")).rows
        assert {u.username for u in dinkes} == {"dinkes.admin", "dinkes.penghubung", "dinkes.kepala"}
        assert admin.user_page(s, actor, admin.UserFilter(active=False)).total == 0
        own = admin.user_page(s, user(db, "dinkes.admin"), admin.UserFilter())
        # not its head of agency: that account sees more than the agency admin (roles.PRIVILEGE)
        assert {u.username for u in own.rows} == {"dinkes.admin", "dinkes.penghubung"}


# ---- agencies -------------------------------------------------------------------------

def test_create_agency_under_a_parent(db):
    created = organisation.create_agency(db, user(db, "admin"), "rsud-soedarso", "RSUD dr. Soedarso", "unit",
                                         "dinkes-kalbar")
    assert created.path == "/pemprov-kalbar/dinkes-kalbar/rsud-soedarso/"
    top = organisation.create_agency(db, user(db, "admin"), "bpjs-pontianak", "BPJS Kesehatan", "vertical", None)
    assert top.path == "/bpjs-pontianak/" and top.parent_id is None


@pytest.mark.parametrize("code, kind, parent, problems", [
    ("dinkes-kalbar", "dinas", None, {"code": "code_taken"}),
    ("Dinas Sosial", "dinas", None, {"code": "agency_code_format"}),
    ("dinsos_kalbar", "dinas", None, {"code": "agency_code_format"}),
    ("dinsos-kalbar", "kerajaan", "nowhere", {"kind": "unknown_kind", "parent": "unknown_parent"}),
])
def test_create_agency_problems(db, code, kind, parent, problems):
    with pytest.raises(admin.AdminError) as caught:
        organisation.create_agency(db, user(db, "admin"), code, "Dinas Sosial", kind, parent)
    assert caught.value.fields == problems


def test_only_super_admins_manage_agencies_and_categories(db):
    for name in ("dinkes.admin", "gubernur", "verifikator"):
        actor = user(db, name)
        with pytest.raises(Forbidden):
            organisation.create_agency(db, actor, "dinsos-kalbar", "Dinas Sosial", "dinas", None)
        with pytest.raises(Forbidden):
            organisation.deactivate_category(db, actor, "kesehatan")


def test_edit_agency(db):
    organisation.edit_agency(db, user(db, "admin"), "pupr-kalbar", "Dinas PUPR Kalbar", "dinas")
    assert agency(db, "pupr-kalbar").name == "Dinas PUPR Kalbar"
    with pytest.raises(admin.AdminError):
        organisation.edit_agency(db, user(db, "admin"), "pupr-kalbar", "", "dinas")
    with pytest.raises(admin.AgencyNotFound):
        organisation.edit_agency(db, user(db, "admin"), "nowhere", "X", "dinas")


def test_move_agency_moves_its_whole_subtree(db):
    me = user(db, "admin")
    organisation.create_agency(db, me, "rsud-soedarso", "RSUD dr. Soedarso", "unit", "dinkes-kalbar")
    organisation.create_agency(db, me, "igd-soedarso", "IGD", "unit", "rsud-soedarso")
    organisation.move_agency(db, me, "dinkes-kalbar", "pemkot-pontianak")
    assert agency(db, "dinkes-kalbar").path == "/pemkot-pontianak/dinkes-kalbar/"
    assert agency(db, "rsud-soedarso").path == "/pemkot-pontianak/dinkes-kalbar/rsud-soedarso/"
    assert agency(db, "igd-soedarso").path == "/pemkot-pontianak/dinkes-kalbar/rsud-soedarso/igd-soedarso/"
    assert agency(db, "pupr-kalbar").path == "/pemprov-kalbar/pupr-kalbar/"  # siblings stay
    with db.session() as s:  # the governor no longer heads Dinkes; the mayor's office does
        assert "dinkes-kalbar" not in policy.agency_codes_in_scope(s, user(db, "gubernur"))
    organisation.move_agency(db, me, "rsud-soedarso", None)
    assert agency(db, "igd-soedarso").path == "/rsud-soedarso/igd-soedarso/"
    assert agency(db, "rsud-soedarso").parent_id is None


@pytest.mark.parametrize("target", ["pemprov-kalbar", "dinkes-kalbar"])
def test_an_agency_cannot_move_under_itself_or_below(db, target):
    with pytest.raises(admin.AdminError) as caught:
        organisation.move_agency(db, user(db, "admin"), "pemprov-kalbar", target)
    assert caught.value.fields == {"parent": "parent_in_subtree"}
    assert agency(db, "dinkes-kalbar").path == "/pemprov-kalbar/dinkes-kalbar/"


def test_deactivate_agency_is_refused_while_it_has_users_children_or_tasks(db, process_engine):
    me = user(db, "admin")
    with pytest.raises(admin.AdminError) as caught:
        organisation.deactivate_agency(db, me, "pupr-kalbar")
    assert caught.value.fields == {"": "agency_has_users"} and caught.value.details == {"count": 1}
    admin.deactivate_user(db, me, user(db, "pupr.penghubung").id)
    Case(db, process_engine).do("verify_complaint", {"decision": "disposisi", "lead_agency": "pupr-kalbar"})
    with pytest.raises(admin.AdminError) as caught:
        organisation.deactivate_agency(db, me, "pupr-kalbar")
    assert caught.value.fields == {"": "agency_has_tasks"}


def test_deactivate_and_reactivate_an_empty_agency(db):
    me = user(db, "admin")
    organisation.create_agency(db, me, "rsud-soedarso", "RSUD", "unit", "dinkes-kalbar")
    organisation.create_agency(db, me, "igd-soedarso", "IGD", "unit", "rsud-soedarso")
    with pytest.raises(admin.AdminError) as caught:
        organisation.deactivate_agency(db, me, "rsud-soedarso")
    assert caught.value.fields == {"": "agency_has_children"}
    organisation.deactivate_agency(db, me, "igd-soedarso")
    organisation.deactivate_agency(db, me, "rsud-soedarso")
    assert not agency(db, "rsud-soedarso").active
    with pytest.raises(admin.AdminError) as caught:
        organisation.reactivate_agency(db, me, "igd-soedarso")
    assert caught.value.fields == {"": "parent_inactive"}
    with pytest.raises(admin.AdminError) as caught:  # nobody moves under a deactivated agency
        organisation.move_agency(db, me, "pupr-kalbar", "rsud-soedarso")
    assert caught.value.fields == {"parent": "unknown_parent"}
    organisation.reactivate_agency(db, me, "rsud-soedarso")
    organisation.reactivate_agency(db, me, "igd-soedarso")
    assert agency(db, "igd-soedarso").active


def test_a_user_of_a_deactivated_agency_is_not_reactivated(db):
    me = user(db, "admin")
    target = new_user(db, username="rsud.budi", agency_code="dinkes-kalbar")
    organisation.create_agency(db, me, "rsud-soedarso", "RSUD", "unit", "dinkes-kalbar")
    admin.update_user(db, me, target.id, "Budi", "", "liaison", "rsud-soedarso")
    admin.deactivate_user(db, me, target.id)
    organisation.deactivate_agency(db, me, "rsud-soedarso")
    with pytest.raises(admin.AdminError) as caught:
        admin.reactivate_user(db, me, target.id)
    assert caught.value.fields == {"": "agency_inactive"}
    # its other details can still be edited while it stays in the deactivated agency
    admin.update_user(db, me, target.id, "Budi S.", "", "liaison", "rsud-soedarso")


def test_agency_tree_lists_parents_before_children(db):
    with db.session() as s:
        nodes = admin.agency_tree(s)
    order = [n.agency.code for n in nodes]
    assert order.index("pemprov-kalbar") < order.index("dinkes-kalbar")
    depth = {n.agency.code: n.depth for n in nodes}
    assert depth["pemprov-kalbar"] == 0 and depth["dinkes-kalbar"] == 1
    assert {n.agency.code: n.active_users for n in nodes}["dinkes-kalbar"] == 3
    for node, following in pairwise(nodes):  # every child right below its subtree's root
        if following.depth > node.depth:
            assert following.agency.parent_id == node.agency.id


# ---- categories -----------------------------------------------------------------------

def test_categories_create_edit_and_problems(db):
    me = user(db, "admin")
    organisation.create_category(db, me, "sosial", "Sosial", "Bansos, PKH")
    organisation.edit_category(db, me, "sosial", "Sosial dan Bansos", "")
    with db.session() as s:
        category = s.scalars(select(Category).where(Category.code == "sosial")).one()
        assert (category.name, category.description, category.active) == ("Sosial dan Bansos", "", True)
    with pytest.raises(admin.AdminError) as caught:
        organisation.create_category(db, me, "kesehatan", "", "")
    assert caught.value.fields == {"code": "code_taken", "name": "required"}
    with pytest.raises(admin.AdminError) as caught:
        organisation.create_category(db, me, "sosial-bansos", "Sosial", "")
    assert caught.value.fields == {"code": "category_code_format"}
    with pytest.raises(admin.CategoryNotFound):
        organisation.edit_category(db, me, "nothing", "X", "")


def test_a_deactivated_category_is_refused_for_new_complaints_only(db, process_engine):
    me = user(db, "admin")
    old = Case(db, process_engine, category="lingkungan")
    organisation.deactivate_category(db, me, "lingkungan")
    with db.transaction() as s, pytest.raises(InvalidComplaint) as caught:
        file_complaint(s, process_engine,
                       ComplaintInput(title="Asap", description="Kabut asap.", category="lingkungan"))
    assert caught.value.fields == {"category": "unknown category"}
    assert old.complaint.category_code == "lingkungan"
    with db.session() as s:
        assert {c.code: n for c, n in admin.categories_with_counts(s)}["lingkungan"] == 1
    organisation.reactivate_category(db, me, "lingkungan")
    with db.transaction() as s:
        file_complaint(s, process_engine,
                       ComplaintInput(title="Asap", description="Kabut asap.", category="lingkungan"))
