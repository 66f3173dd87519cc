"""The profile page: details, changing one's password, personal API tokens."""
from __future__ import annotations

import hashlib
import re
from contextlib import contextmanager

from sqlalchemy import delete, select

from workflows.accounts import user_for_token
from workflows.models import ApiToken, User

NEW = "kata-sandi-baru-123"


def change(client, current="tindak-demo", new=NEW, confirm=None):
    return client.post("/account/password", data={"password-current": current, "password-new": new,
                                                  "password-confirm": new if confirm is None else confirm})


def test_profile_needs_login(client):
    response = client.get("/account/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_profile_shows_who_i_am(client, auth):
    auth.login("dinkes.penghubung")
    page = client.get("/account/").get_data(as_text=True)
    profile = page.split('data-testid="profile"')[1].split("</dl>")[0]
    for text in ("Nurul Hidayah (Penghubung Dinkes)", "dinkes.penghubung", "dinkes.penghubung@tindak.example.org",
                 "Dinas Kesehatan Provinsi Kalimantan Barat"):
        assert text in profile
    assert "Pejabat penghubung" in profile or "Liaison officer" in profile
    assert 'data-testid="no-tokens"' in page


def test_wrong_current_password(client, auth):
    auth.login("verifikator")
    response = change(client, current="bukan-ini-sandinya")
    assert response.status_code == 422 and 'data-testid="error-password-current"' in response.get_data(as_text=True)


def test_new_passwords_must_match(client, auth):
    auth.login("verifikator")
    response = change(client, confirm=NEW + "x")
    assert response.status_code == 422 and 'data-testid="error-password-confirm"' in response.get_data(as_text=True)


def test_new_password_too_short_or_same_as_username(client, auth):
    auth.login("verifikator")
    short = change(client, new="pendek")
    assert short.status_code == 422 and 'data-testid="error-password-new"' in short.get_data(as_text=True)
    same = change(client, new="verifikator")
    assert same.status_code == 422 and 'data-testid="error-password-new"' in same.get_data(as_text=True)
    assert change(client, current="", new="", confirm="").status_code == 422


def test_change_password_keeps_this_session_and_ends_the_others(app, client, auth):
    other_device = app.test_client()
    other_device.post("/login", data={"username": "verifikator", "password": "tindak-demo"})
    auth.login("verifikator")
    response = change(client)
    assert response.status_code == 302 and response.headers["Location"].endswith("/account/")
    assert client.get("/account/").status_code == 200  # this session goes on
    assert other_device.get("/account/").status_code == 302  # the other one ended
    fresh = app.test_client()
    assert fresh.post("/login", data={"username": "verifikator", "password": "tindak-demo"}).status_code == 200
    assert fresh.post("/login", data={"username": "verifikator", "password": NEW}).status_code == 302


def test_change_password_renews_a_remember_me_cookie(client):
    client.post("/login", data={"username": "verifikator", "password": "tindak-demo", "remember": "y"})
    response = change(client)
    assert response.status_code == 302
    assert any(c.startswith("remember_token=") for c in response.headers.getlist("Set-Cookie"))


def test_api_token_is_shown_once_and_stored_hashed(client, auth, db):
    auth.login("dinkes.penghubung")
    response = client.post("/account/tokens", data={"token-name": "Laporan bulanan"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    [token] = re.findall(r'id="new-token-value" type="text" value="(tdk_[^"]+)"', page)
    with db.session() as s:
        [row] = s.scalars(select(ApiToken)).all()
        assert row.name == "Laporan bulanan" and row.token_hash == hashlib.sha256(token.encode()).hexdigest()
        assert token not in (row.token_hash, row.name)
    assert user_for_token(db, token).username == "dinkes.penghubung"
    again = client.get("/account/").get_data(as_text=True)
    assert token not in again and "Laporan bulanan" in again and 'data-testid="new-token"' not in again


def test_token_needs_a_name(client, auth, db):
    auth.login("dinkes.penghubung")
    response = client.post("/account/tokens", data={"token-name": "  "})
    assert response.status_code == 422 and 'data-testid="error-token-name"' in response.get_data(as_text=True)
    with db.session() as s:
        assert s.scalars(select(ApiToken)).first() is None


def test_revoke_token(client, auth, db):
    auth.login("dinkes.penghubung")
    page = client.post("/account/tokens", data={"token-name": "Dasbor"}).get_data(as_text=True)
    [token] = re.findall(r'value="(tdk_[^"]+)"', page)
    [token_id] = re.findall(r'data-token-id="(\d+)"', page)
    response = client.post(f"/account/tokens/{token_id}/revoke")
    assert response.status_code == 302
    assert user_for_token(db, token) is None
    listed = client.get("/account/").get_data(as_text=True)
    assert f'/account/tokens/{token_id}/revoke' not in listed and "Dasbor" in listed


def test_nobody_revokes_someone_elses_token(app, client, auth, db):
    owner = app.test_client()
    owner.post("/login", data={"username": "pupr.penghubung", "password": "tindak-demo"})
    page = owner.post("/account/tokens", data={"token-name": "Milik PUPR"}).get_data(as_text=True)
    [token] = re.findall(r'value="(tdk_[^"]+)"', page)
    [token_id] = re.findall(r'data-token-id="(\d+)"', page)
    auth.login("admin")
    assert client.post(f"/account/tokens/{token_id}/revoke").status_code == 404
    assert client.post("/account/tokens/99999/revoke").status_code == 404
    assert user_for_token(db, token) is not None
    assert "Milik PUPR" not in client.get("/account/").get_data(as_text=True)


def test_deactivated_users_token_stops_working(client, auth, db):
    auth.login("pupr.penghubung")
    page = client.post("/account/tokens", data={"token-name": "Dasbor"}).get_data(as_text=True)
    [token] = re.findall(r'value="(tdk_[^"]+)"', page)
    with db.transaction() as s:
        s.scalars(select(User).where(User.username == "pupr.penghubung")).one().active = False
    assert user_for_token(db, token) is None


# ---- API tokens expire, show their last use, end with a password change (issue 12.3) --------

def new_token(client, name="Dasbor") -> str:
    page = client.post("/account/tokens", data={"token-name": name}).get_data(as_text=True)
    [token] = re.findall(r'value="(tdk_[^"]+)"', page)
    return token


def test_api_token_expires_after_90_days_by_default(client, auth, db, clock):
    from datetime import timedelta
    auth.login("dinkes.penghubung")
    token = new_token(client)
    with db.session() as s:
        [row] = s.scalars(select(ApiToken)).all()
        assert row.expires_at == clock.now + timedelta(days=90)
    clock.at(clock.now + timedelta(days=89))
    assert user_for_token(db, token) is not None
    clock.at(clock.now + timedelta(days=2))
    assert user_for_token(db, token) is None
    auth.login("dinkes.penghubung")  # a session lasts 30 days at most: log in again
    page = client.get("/account/").get_data(as_text=True)
    assert 'data-testid="token-expired"' in page


def test_api_token_lifetime_is_configurable(app, client, auth, db, clock):
    from datetime import timedelta
    app.extensions["tindak.settings"].api_token_days = 7
    auth.login("dinkes.penghubung")
    new_token(client)
    with db.session() as s:
        assert s.scalars(select(ApiToken)).one().expires_at == clock.now + timedelta(days=7)


def test_profile_lists_expiry_and_last_use(client, auth, db, clock):
    auth.login("dinkes.penghubung")
    token = new_token(client)
    assert "Belum pernah" in client.get("/account/").get_data(as_text=True) or \
        "Never" in client.get("/account/").get_data(as_text=True)
    assert client.get("/api/v1/tasks", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    page = client.get("/account/").get_data(as_text=True)
    row = page.split('data-testid="token-row"')[1].split("</tr>")[0]
    assert 'data-testid="token-last-used"' in row and 'data-testid="token-expires"' in row
    with db.session() as s:
        assert s.scalars(select(ApiToken)).one().last_used_at == clock.now


def test_password_change_revokes_api_tokens(client, auth, db):
    auth.login("dinkes.penghubung")
    token = new_token(client)
    assert change(client).status_code == 302
    assert user_for_token(db, token) is None


def test_admin_password_reset_revokes_api_tokens(app, client, auth, db):
    owner = app.test_client()
    owner.post("/login", data={"username": "dinkes.penghubung", "password": "tindak-demo"})
    token = new_token(owner)
    with db.session() as s:
        target = s.scalar(select(User.id).where(User.username == "dinkes.penghubung"))
    auth.login("dinkes.admin")
    assert client.post(f"/admin/users/{target}/password",
                       data={"reset-password": NEW, "reset-confirm": NEW}).status_code == 302
    assert user_for_token(db, token) is None


def test_admin_revokes_all_tokens_of_a_user(app, client, auth, db):
    owner = app.test_client()
    owner.post("/login", data={"username": "dinkes.penghubung", "password": "tindak-demo"})
    tokens = [new_token(owner, "a"), new_token(owner, "b")]
    with db.session() as s:
        target = s.scalar(select(User.id).where(User.username == "dinkes.penghubung"))
    auth.login("dinkes.admin")
    assert 'data-testid="user-tokens"' in client.get(f"/admin/users/{target}").get_data(as_text=True)
    assert client.post(f"/admin/users/{target}/tokens/revoke").status_code == 302
    assert [user_for_token(db, t) for t in tokens] == [None, None]


def test_a_token_deleted_while_its_use_is_noted_stands_for_no_one(client, auth, db, monkeypatch):
    """The token is read, then its last use written in a second transaction: deleted in between
    (with its user, by the foreign key's cascade), it lets no one in instead of failing."""
    auth.login("dinkes.penghubung")
    token = new_token(client)
    transaction = db.transaction

    @contextmanager
    def deleting_it_first():
        with transaction() as s:
            s.execute(delete(ApiToken))
            yield s

    monkeypatch.setattr(db, "transaction", deleting_it_first)
    assert user_for_token(db, token) is None
