"""The authorization policy as a matrix: role × case × action, decided in workflows/policy.py."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.models import HumanTask
from tests.casework import Case
from workflows import policy
from workflows.models import User

DISPOSE_DINKES = {"decision": "disposisi", "lead_agency": "dinkes-kalbar"}


def user(db, username):
    with db.session() as s:
        return s.scalars(select(User).where(User.username == username)).one()


@pytest.fixture
def cases(db, process_engine):
    return make_cases(db, process_engine)


def make_cases(db, process_engine):
    """new: awaiting verification; dinkes: at Dinas Kesehatan; pupr: at Dinas PUPR;
    moved: was at PUPR, said not ours, now at Kubu Raya; ombudsman: transferred."""
    new = Case(db, process_engine, anonymous=True, reporter_name="Siti")
    # only this one is verified by the user `verifikator` (the others by "tester")
    dinkes = Case(db, process_engine, anonymous=True, reporter_name="Budi").do(
        "verify_complaint", DISPOSE_DINKES, "verifikator")
    pupr = Case(db, process_engine, anonymous=False, reporter_name="Ani").do(
        "verify_complaint", {"decision": "disposisi", "lead_agency": "pupr-kalbar"})
    moved = Case(db, process_engine).do("verify_complaint", {"decision": "disposisi", "lead_agency": "pupr-kalbar"})
    moved.do("follow_up", {"decision": "bukan_wewenang", "reason": "Jalan kabupaten."})
    moved.do("redispose_complaint", {"lead_agency": "pemkab-kuburaya"})  # to Kubu Raya's verifier ...
    moved.do("redispose_complaint", {"lead_agency": "pemkab-kuburaya"})  # ... who confirms
    ombudsman = Case(db, process_engine).do("verify_complaint", DISPOSE_DINKES)
    for agency in ("pupr-kalbar", "pemkot-pontianak", "pemkab-kuburaya"):
        ombudsman.do("follow_up", {"decision": "bukan_wewenang", "reason": "Bukan kami."})
        ombudsman.do("redispose_complaint", {"lead_agency": agency})
        if agency != "pupr-kalbar":  # another government: its verifier confirms
            ombudsman.do("redispose_complaint", {"lead_agency": agency})
    ombudsman.do("follow_up", {"decision": "bukan_wewenang", "reason": "Bukan kami."})
    return {"new": new, "dinkes": dinkes, "pupr": pupr, "moved": moved, "ombudsman": ombudsman}


# who sees which case (True = visible)
VISIBILITY = {
    "admin":               {"new": True,  "dinkes": True,  "pupr": True,  "moved": True,  "ombudsman": True},
    # a verifier sees what awaits verification and the cases it acted on itself
    "verifikator":         {"new": True,  "dinkes": True,  "pupr": False, "moved": False, "ombudsman": False},
    "dinkes.penghubung":   {"new": False, "dinkes": True,  "pupr": False, "moved": False, "ombudsman": True},
    "dinkes.admin":        {"new": False, "dinkes": True,  "pupr": False, "moved": False, "ombudsman": True},
    "dinkes.kepala":       {"new": False, "dinkes": True,  "pupr": False, "moved": False, "ombudsman": True},
    "pupr.penghubung":     {"new": False, "dinkes": False, "pupr": True,  "moved": True,  "ombudsman": True},
    "kuburaya.penghubung": {"new": False, "dinkes": False, "pupr": False, "moved": True,  "ombudsman": True},
    # Kubu Raya's verifier shares the pool of new complaints; "moved" it confirmed as "tester" did
    "kuburaya.verifikator": {"new": True, "dinkes": False, "pupr": False, "moved": False, "ombudsman": False},
    "gubernur":            {"new": False, "dinkes": True,  "pupr": True,  "moved": True,  "ombudsman": True},
    "ombudsman":           {"new": False, "dinkes": False, "pupr": False, "moved": False, "ombudsman": True},
    "perancang":           {"new": False, "dinkes": False, "pupr": False, "moved": False, "ombudsman": False},
}


@pytest.mark.parametrize("username", sorted(VISIBILITY))
def test_case_visibility_matrix(db, cases, username):
    u = user(db, username)
    with db.session() as s:
        seen = {name: policy.can_view_case(s, u, case.complaint_id) for name, case in cases.items()}
    assert seen == VISIBILITY[username]


def open_task(db, case):
    with db.session() as s:
        return s.scalars(select(HumanTask).where(
            HumanTask.process_instance_id == case.instance_id, HumanTask.state == "ready")).one()


@pytest.mark.parametrize("username, case_name, may_act, may_assign", [
    ("verifikator", "new", True, False),
    ("dinkes.penghubung", "new", False, False),
    ("dinkes.penghubung", "dinkes", True, False),
    ("pupr.penghubung", "dinkes", False, False),
    ("dinkes.admin", "dinkes", False, True),
    ("dinkes.kepala", "dinkes", False, True),
    ("gubernur", "dinkes", False, True),
    ("dinkes.kepala", "pupr", False, False),
    ("kuburaya.penghubung", "moved", True, False),
    ("pupr.penghubung", "moved", False, False),
    ("ombudsman", "ombudsman", True, False),
    ("verifikator", "ombudsman", False, False),
    ("admin", "dinkes", True, True),
    ("perancang", "new", False, False),
])
def test_task_action_matrix(db, cases, username, case_name, may_act, may_assign):
    u = user(db, username)
    task = open_task(db, cases[case_name])
    with db.session() as s:
        assert policy.can_act_on_task(s, u, task) is may_act
        assert policy.can_assign(s, u, task) is may_assign


def test_reporter_identity_on_anonymous_complaints(db, cases):
    anonymous, named = cases["dinkes"].complaint, cases["pupr"].complaint
    # a named reporter: whoever sees the case (here every one of them but the Ombudsman and Dinkes)
    for username, sees, sees_named in (
            ("verifikator", True, False), ("admin", True, True), ("dinkes.penghubung", False, False),
            ("dinkes.kepala", False, False), ("gubernur", False, True), ("ombudsman", False, False),
            ("pupr.penghubung", False, True)):
        with db.session() as s:
            assert policy.sees_reporter_identity(s, user(db, username), anonymous) is sees
            assert policy.sees_reporter_identity(s, user(db, username), named) is sees_named


def test_deactivated_user_sees_nothing(db, cases):
    u = user(db, "dinkes.penghubung")
    u.active = False
    task = open_task(db, cases["dinkes"])
    with db.session() as s:
        assert not policy.can_view_case(s, u, cases["dinkes"].complaint_id)
        assert not policy.can_act_on_task(s, u, task)


def test_assignable_users_share_role_and_agency(db, cases):
    task = open_task(db, cases["dinkes"])
    with db.session() as s:
        assert [u.username for u in policy.assignable_users(s, task)] == ["dinkes.penghubung"]


# ---- who manages whom -----------------------------------------------------------------------

# extra staff of the province's own agency, so an agency admin sits next to the verifier,
# the designer, the head of region and the super admin (all in pemprov-kalbar in the demo)
PROVINCE_STAFF = [("kalbar.admin", "agency_admin"), ("kalbar.admin2", "agency_admin"),
                  ("kalbar.penghubung", "liaison"), ("kalbar.ombudsman", "ombudsman")]


def add_province_staff(db) -> None:
    from werkzeug.security import generate_password_hash

    from workflows.models import Agency
    with db.transaction() as s:
        agency_id = s.scalar(select(Agency.id).where(Agency.code == "pemprov-kalbar"))
        for username, role in PROVINCE_STAFF:
            s.add(User(username=username, full_name=username.title(), role=role, agency_id=agency_id,
                       email=f"{username}@tindak.example.org", password_hash=generate_password_hash("tindak-demo")))


# an agency admin manages only roles at most its own privilege, in its own agency
MANAGES = {
    "kalbar.admin": {"admin": False, "verifikator": False, "perancang": False, "gubernur": False,
                     "kalbar.ombudsman": False, "kalbar.penghubung": True, "kalbar.admin2": True,
                     "kalbar.admin": True, "dinkes.penghubung": False},
    "dinkes.admin": {"dinkes.kepala": False, "dinkes.penghubung": True, "pupr.penghubung": False,
                     "kalbar.penghubung": False, "admin": False},
    "admin": {"verifikator": True, "gubernur": True, "kalbar.admin": True, "dinkes.kepala": True},
    "gubernur": {"dinkes.penghubung": False, "kalbar.penghubung": False},
    "verifikator": {"kalbar.penghubung": False},
}


@pytest.mark.parametrize("actor", sorted(MANAGES))
def test_user_management_matrix(db, actor):
    add_province_staff(db)
    me = user(db, actor)
    with db.session() as s:
        seen = {name: policy.can_manage_user(s, me, user(db, name)) for name in MANAGES[actor]}
    assert seen == MANAGES[actor]


def test_role_privilege_order():
    from workflows import roles
    assert roles.at_most(roles.LIAISON, roles.AGENCY_ADMIN) and roles.at_most(roles.AGENCY_ADMIN, roles.AGENCY_ADMIN)
    for higher in (roles.AGENCY_HEAD, roles.VERIFIER, roles.DESIGNER, roles.OMBUDSMAN, roles.SUPER_ADMIN, "unknown"):
        assert not roles.at_most(higher, roles.AGENCY_ADMIN), higher
    assert set(roles.STAFF_ROLES) <= set(roles.PRIVILEGE)
