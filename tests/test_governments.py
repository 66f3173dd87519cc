"""Regional governments (workflows/governments.py): which government an agency belongs to, and
which verifier tasks a verifier takes."""
from __future__ import annotations

from sqlalchemy import select

from workflows import roles
from workflows.governments import Governments, governments_by_code, verifier_scope
from workflows.models import Agency, User


def test_each_agency_belongs_to_the_nearest_government_above_it():
    rows = [(1, "pemprov", "province", None), (2, "dinkes", "dinas", 1), (3, "puskesmas", "unit", 2),
            (4, "pemkab", "regency", 1), (5, "dpupr-kab", "dinas", 4), (6, "ombudsman", "ombudsman", None),
            (7, "bpn", "vertical", None), (8, "orphan", "unit", 99)]
    assert governments_by_code(rows) == {
        "pemprov": "pemprov", "dinkes": "pemprov", "puskesmas": "pemprov", "pemkab": "pemkab",
        "dpupr-kab": "pemkab", "ombudsman": None, "bpn": None, "orphan": None}


def test_a_loop_in_the_tree_belongs_to_no_government():
    assert governments_by_code([(1, "a", "unit", 2), (2, "b", "unit", 1)]) == {"a": None, "b": None}


def test_diagrams_read_the_map_of_the_database(db):
    governments = Governments(db)
    governments.reload()
    government_of = governments.script_functions()["government_of"]
    assert government_of("dinkes-kalbar") == "pemprov-kalbar"
    assert government_of("dpupr-kuburaya") == "pemkab-kuburaya"
    assert government_of("ombudsman-kalbar") is None and government_of(None) is None
    assert government_of("no-such-agency") is None


def test_a_verifier_works_for_its_government_and_one_without_for_all(db):
    with db.transaction() as s:
        def user(name):
            return s.scalars(select(User).where(User.username == name)).one()

        assert set(verifier_scope(s, user("verifikator"))) >= {"pemprov-kalbar", "dinkes-kalbar", "pupr-kalbar"}
        assert "pemkab-kuburaya" not in verifier_scope(s, user("verifikator"))
        assert set(verifier_scope(s, user("kuburaya.verifikator"))) == {"pemkab-kuburaya", "dpupr-kuburaya"}
        national = User(username="nasional", full_name="Admin Nasional", role=roles.VERIFIER, password_hash="x")
        s.add(national)
        assert verifier_scope(s, national) is None
        national.agency = s.scalars(select(Agency).where(Agency.code == "ombudsman-kalbar")).one()
        assert verifier_scope(s, national) is None  # an agency under no government
        assert verifier_scope(s, user("dinkes.penghubung")) == []
