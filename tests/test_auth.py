"""Logging in and out, sessions, CSRF, rate limiting, the health check."""
from __future__ import annotations

from werkzeug.security import generate_password_hash

from workflows.models import User


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_pages_need_login(client):
    response = client.get("/tasks/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_login_shows_who_is_logged_in(client, auth):
    auth.login("dinkes.penghubung")
    page = client.get("/tasks/", follow_redirects=True).get_data(as_text=True)
    assert "Nurul Hidayah" in page
    assert "Dinas Kesehatan Provinsi Kalimantan Barat" in page
    assert "Pejabat penghubung" in page or "Liaison officer" in page


def _alert(html: str) -> str:
    start = html.index('role="alert"')
    return html[start:html.index("<button", start)].strip()


def test_wrong_password_is_refused_without_saying_which_part(client):
    page = client.post("/login", data={"username": "verifikator", "password": "salah"})
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Nama pengguna atau kata sandi salah" in text
    unknown = client.post("/login", data={"username": "nobody", "password": "salah"}).get_data(as_text=True)
    assert _alert(unknown) == _alert(text)


def test_inactive_user_is_refused(client, db):
    with db.transaction() as s:
        s.query(User).filter_by(username="pupr.penghubung").one().active = False
    response = client.post("/login", data={"username": "pupr.penghubung", "password": "tindak-demo"})
    assert response.status_code == 200  # the form again, not a redirect into the app


def test_deactivation_ends_a_running_session(client, auth, db):
    auth.login("pupr.penghubung")
    assert client.get("/tasks/").status_code == 200
    with db.transaction() as s:
        s.query(User).filter_by(username="pupr.penghubung").one().active = False
    assert client.get("/tasks/").status_code == 302


def test_password_change_elsewhere_ends_this_session(client, auth, db):
    auth.login("verifikator")
    with db.transaction() as s:
        s.query(User).filter_by(username="verifikator").one().password_hash = generate_password_hash("baru-sekali-123")
    assert client.get("/tasks/").status_code == 302


def test_logout(client, auth):
    auth.login("verifikator")
    auth.logout()
    assert client.get("/tasks/").status_code == 302


def test_session_cookie_flags(client):
    response = client.post("/login", data={"username": "verifikator", "password": "tindak-demo"})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_open_redirect_after_login_is_refused(client):
    response = client.post("/login?next=https://evil.example.com/",
                           data={"username": "verifikator", "password": "tindak-demo"})
    assert response.headers["Location"].endswith("/tasks/")


def test_csrf_is_required_on_forms(app, client):
    app.config["WTF_CSRF_ENABLED"] = True
    response = client.post("/login", data={"username": "verifikator", "password": "tindak-demo"})
    assert response.status_code == 400


def test_login_attempts_are_rate_limited(app, client):
    app.config["RATELIMIT_ENABLED"] = True
    from webapp.extensions import limiter

    limiter.reset()
    codes = [client.post("/login", data={"username": "verifikator", "password": "x"}).status_code
             for _ in range(12)]
    limiter.reset()
    assert codes[:10] == [200] * 10 and codes[-1] == 429


def test_language_switch(client, auth):
    auth.login("verifikator")
    client.post("/language/en", data={"next": "/tasks/"})
    assert 'lang="en"' in client.get("/login", follow_redirects=True).get_data(as_text=True)
    client.post("/language/id", data={"next": "/tasks/"})
    assert 'lang="id"' in client.get("/login", follow_redirects=True).get_data(as_text=True)


# ---- logging out ends the session on the server (issue 12.3) --------------------------------

def test_logout_ends_a_saved_session_cookie(client, auth):
    auth.login("verifikator")
    saved = client.get_cookie("session").value
    auth.logout()
    client.set_cookie("session", saved)  # someone kept a copy of the cookie
    assert client.get("/tasks/").status_code == 302


def test_logout_ends_the_remember_cookie_everywhere(app, client):
    client.post("/login", data={"username": "verifikator", "password": "tindak-demo", "remember": "y"})
    remembered = client.get_cookie("remember_token").value
    other_device = app.test_client()
    other_device.set_cookie("remember_token", remembered)
    assert other_device.get("/tasks/").status_code == 200  # the cookie alone logs in
    client.post("/logout")
    thief = app.test_client()
    thief.set_cookie("remember_token", remembered)
    assert thief.get("/tasks/").status_code == 302
    assert other_device.get("/tasks/").status_code == 302  # logging out ends every session of the user


def test_remember_cookie_lasts_at_most_30_days(app, client, clock):
    from datetime import datetime, timedelta, timezone
    from email.utils import parsedate_to_datetime

    response = client.post("/login", data={"username": "verifikator", "password": "tindak-demo", "remember": "y"})
    [cookie] = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("remember_token=")]
    expires = parsedate_to_datetime(cookie.split("Expires=")[1].split(";")[0])
    assert expires <= datetime.now(timezone.utc) + timedelta(days=30, minutes=1)
    remembered = client.get_cookie("remember_token").value
    clock.at(clock.now + timedelta(days=29))
    fresh = app.test_client()
    fresh.set_cookie("remember_token", remembered)
    assert fresh.get("/tasks/").status_code == 200
    clock.at(clock.now + timedelta(days=2))  # 31 days after logging in: refused whatever the browser kept
    late = app.test_client()
    late.set_cookie("remember_token", remembered)
    assert late.get("/tasks/").status_code == 302
    assert client.get("/tasks/").status_code == 302  # the session begun then too


def test_admin_password_reset_ends_sessions_and_remember_cookies(app, client, auth, db):
    victim = app.test_client()
    victim.post("/login", data={"username": "dinkes.penghubung", "password": "tindak-demo", "remember": "y"})
    remembered = victim.get_cookie("remember_token").value
    with db.session() as s:
        target = s.query(User).filter_by(username="dinkes.penghubung").one().id
    auth.login("dinkes.admin")
    reset = client.post(f"/admin/users/{target}/password",
                        data={"reset-password": "baru-sekali-123", "reset-confirm": "baru-sekali-123"})
    assert reset.status_code == 302
    assert victim.get("/tasks/").status_code == 302
    thief = app.test_client()
    thief.set_cookie("remember_token", remembered)
    assert thief.get("/tasks/").status_code == 302


def test_deactivation_then_reactivation_does_not_revive_old_sessions(app, client, auth, db):
    victim = app.test_client()
    victim.post("/login", data={"username": "pupr.penghubung", "password": "tindak-demo"})
    saved = victim.get_cookie("session").value
    with db.session() as s:
        target = s.query(User).filter_by(username="pupr.penghubung").one().id
    auth.login("admin")
    client.post(f"/admin/users/{target}/deactivate")
    client.post(f"/admin/users/{target}/reactivate")
    victim.set_cookie("session", saved)
    assert victim.get("/tasks/").status_code == 302


# ---- login limits per account, shared by every process (issue 12.4) -------------------------

def _login(client, username, password):
    return client.post("/login", data={"username": username, "password": password})


def _fail(client, username, times):
    from webapp.extensions import limiter
    limiter.reset()  # the per-address limit (10 a minute) is tested on its own
    for _ in range(times):
        assert _login(client, username, "salah-sekali").status_code == 200


def test_account_is_locked_after_five_failures_and_unlocked_by_time(client, clock):
    from datetime import timedelta

    _fail(client, "verifikator", 5)
    locked = _login(client, "verifikator", "tindak-demo")  # the right password, but locked
    assert locked.status_code == 200 and 'data-testid="login-locked"' in locked.get_data(as_text=True)
    clock.at(clock.now + timedelta(seconds=61))
    assert _login(client, "verifikator", "tindak-demo").status_code == 302
    client.post("/logout")
    _fail(client, "verifikator", 4)  # success cleared the count: four more do not lock
    assert _login(client, "verifikator", "tindak-demo").status_code == 302


def test_lockout_backs_off(client, clock):
    from datetime import timedelta

    _fail(client, "verifikator", 5)
    clock.at(clock.now + timedelta(seconds=61))
    _fail(client, "verifikator", 1)  # the sixth failure locks for longer
    clock.at(clock.now + timedelta(seconds=61))
    assert 'data-testid="login-locked"' in _login(client, "verifikator", "tindak-demo").get_data(as_text=True)
    clock.at(clock.now + timedelta(seconds=61))
    assert _login(client, "verifikator", "tindak-demo").status_code == 302


def test_lockout_does_not_reveal_whether_the_account_exists(client, clock):
    _fail(client, "verifikator", 5)
    _fail(client, "tidak-ada-orangnya", 5)
    real = _login(client, "verifikator", "x").get_data(as_text=True)
    ghost = _login(client, "tidak-ada-orangnya", "x").get_data(as_text=True)
    assert _alert(real) == _alert(ghost) and 'data-testid="login-locked"' in ghost


def test_two_app_instances_on_one_database_share_the_account_lockout(app, client, db, clock):
    """Two web processes: separate apps, separate connection pools, one database."""
    from engine.db import Database
    from webapp.app import create_app
    from webapp.config import Settings

    other_db = Database(db.url)
    try:
        settings = Settings.from_env({"TINDAK_SECRET_KEY": "test-secret", "TINDAK_DATABASE_URL": db.url})
        other = create_app(settings, db=other_db, testing=True)
        other.config["WTF_CSRF_ENABLED"] = False
        _fail(client, "verifikator", 3)
        _fail(other.test_client(), "verifikator", 2)
        refused = _login(other.test_client(), "verifikator", "tindak-demo")
        assert 'data-testid="login-locked"' in refused.get_data(as_text=True)
        assert _login(client, "verifikator", "tindak-demo").status_code == 200
    finally:
        other_db.dispose()


def test_rate_limit_counters_are_shared_through_the_database(db):
    """The default store of the rate limits: two processes (two storages, two pools) see one count."""
    from engine.db import Database
    from webapp.ratelimit import DatabaseStorage

    other_db = Database(db.url)
    try:
        first, second = DatabaseStorage("tindak-db://", database=db), DatabaseStorage("tindak-db://", database=other_db)
        assert first.check() and second.check()
        assert first.incr("LIMITER/ip:1.2.3.4/auth.login", 60) == 1
        assert second.incr("LIMITER/ip:1.2.3.4/auth.login", 60) == 2
        assert first.get("LIMITER/ip:1.2.3.4/auth.login") == 2 and second.get("other") == 0
        assert second.get_expiry("LIMITER/ip:1.2.3.4/auth.login") > first.get_expiry("other") - 1
        second.clear("LIMITER/ip:1.2.3.4/auth.login")
        assert first.get("LIMITER/ip:1.2.3.4/auth.login") == 0
        assert first.incr("expired", 0) == 1 and first.incr("expired", 60) == 1  # a finished window starts again
        first.reset()
        assert second.get("expired") == 0
    finally:
        other_db.dispose()


def test_the_database_is_the_default_rate_limit_store(app, db):
    from webapp.app import create_app
    from webapp.config import Settings
    from webapp.extensions import limiter
    from webapp.ratelimit import DatabaseStorage

    assert isinstance(limiter.storage, DatabaseStorage)
    explicit = Settings.from_env({"TINDAK_SECRET_KEY": "x", "TINDAK_DATABASE_URL": db.url,
                                  "TINDAK_RATELIMIT_STORAGE_URI": "memory://"})
    create_app(explicit, db=db, testing=True)
    assert not isinstance(limiter.storage, DatabaseStorage)
    create_app(Settings.from_env({"TINDAK_SECRET_KEY": "x", "TINDAK_DATABASE_URL": db.url}), db=db, testing=True)
