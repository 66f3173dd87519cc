"""workflows.accounts.users_with_role: the one query for "users of role X at agency Y"."""
from sqlalchemy import select

from workflows import roles
from workflows.accounts import users_with_role
from workflows.models import User


def names(users):
    return [u.username for u in users]


def test_users_of_a_role_at_an_agency_or_anywhere(db):
    with db.session() as s:
        assert names(users_with_role(s, roles.LIAISON, "dinkes-kalbar")) == ["dinkes.penghubung"]
        everywhere = users_with_role(s, roles.LIAISON)
        assert "dinkes.penghubung" in names(everywhere) and "pupr.penghubung" in names(everywhere)
        assert all(u.role == roles.LIAISON and u.active for u in everywhere)
        assert [u.full_name for u in everywhere] == sorted(u.full_name for u in everywhere)
        assert users_with_role(s, roles.LIAISON, "no-such-agency") == []
        assert users_with_role(s, None, "dinkes-kalbar") == [] and users_with_role(s, "", None) == []


def test_inactive_users_never_and_users_without_email_only_when_asked(db):
    with db.transaction() as s:
        liaison = s.scalars(select(User).where(User.username == "dinkes.penghubung")).one()
        liaison.email = None
    with db.session() as s:
        assert names(users_with_role(s, roles.LIAISON, "dinkes-kalbar")) == ["dinkes.penghubung"]
        assert users_with_role(s, roles.LIAISON, "dinkes-kalbar", with_email=True) == []
    with db.transaction() as s:
        liaison = s.scalars(select(User).where(User.username == "dinkes.penghubung")).one()
        liaison.email, liaison.active = "penghubung@dinkes.example", False
    with db.session() as s:
        assert users_with_role(s, roles.LIAISON, "dinkes-kalbar") == []
