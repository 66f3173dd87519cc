"""Security headers on every page: CSP, no sniffing, no framing, referrer, and no caching of
officers' pages (docs/security.md, ASVS V8.2.1, V14.4)."""
from __future__ import annotations

import pytest

PUBLIC_PAGES = ["/login", "/healthz", "/lapor", "/lacak", "/laporan"]
OFFICER_PAGES = ["/tasks/", "/cases/search", "/account/", "/admin/users", "/dashboard"]


def _csp(response) -> dict[str, str]:
    directives = {}
    for part in response.headers["Content-Security-Policy"].split(";"):
        name, _, value = part.strip().partition(" ")
        directives[name] = value
    return directives


def _assert_common_headers(response):
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] in {"same-origin", "no-referrer"}
    csp = _csp(response)
    assert csp["default-src"] == "'self'"
    assert csp["script-src"] == "'self'"  # no inline or remote scripts
    assert csp["frame-ancestors"] == "'none'"
    assert not any("http" in value or "*" in value for value in csp.values())  # nothing from another site


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_pages_send_the_security_headers(client, path):
    response = client.get(path)
    assert response.status_code < 500
    _assert_common_headers(response)


def test_errors_and_static_files_send_the_security_headers(client):
    missing = client.get("/no-such-page")
    assert missing.status_code == 404
    _assert_common_headers(missing)
    static = client.get("/static/css/tindak.css")
    assert static.status_code == 200
    _assert_common_headers(static)


def test_officer_pages_are_not_cached_and_send_the_security_headers(client, auth):
    auth.login("admin")
    for path in OFFICER_PAGES:
        response = client.get(path)
        assert response.status_code == 200, path
        _assert_common_headers(response)
        assert "no-store" in response.headers["Cache-Control"], path


def test_the_login_page_is_not_framed_and_its_cookie_is_http_only(client, auth):
    response = auth.login("verifikator")
    cookie = " ".join(response.headers.getlist("Set-Cookie"))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    _assert_common_headers(response)


def test_secure_cookies_when_configured(db):
    from webapp.app import create_app
    from webapp.config import Settings

    settings = Settings.from_env({"TINDAK_SECRET_KEY": "test-secret", "TINDAK_DATABASE_URL": db.url,
                                  "TINDAK_SECURE_COOKIES": "1"})
    app = create_app(settings, db=db, testing=True)
    app.config["WTF_CSRF_ENABLED"] = False
    client = app.test_client()
    response = client.post("/login", data={"username": "verifikator", "password": "tindak-demo",
                                           "remember": "y"})
    assert response.status_code == 302
    cookies = response.headers.getlist("Set-Cookie")
    assert cookies and all("Secure" in c and "HttpOnly" in c for c in cookies)
