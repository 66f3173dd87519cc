"""Slow and large requests: gunicorn's worker class, body and form caps, rate limits before CSRF."""
from __future__ import annotations

import io

from flask import request

from webapp.config import Settings
from webapp.extensions import limiter


def many_fields(count: int) -> bytes:
    return "&".join(f"f{n}=x" for n in range(count)).encode()


def test_a_post_with_a_huge_number_of_fields_is_refused_before_it_is_parsed(client, monkeypatch):
    from urllib import parse

    parsed_pairs = []
    real_parse_qsl = parse.parse_qsl
    monkeypatch.setattr("werkzeug.formparser.parse_qsl",
                        lambda *a, **k: parsed_pairs.append(1) or real_parse_qsl(*a, **k))
    body = many_fields(2_000_000)
    for path in ("/login", "/lacak", "/lapor"):
        response = client.post(path, data=body, content_type="application/x-www-form-urlencoded")
        assert response.status_code == 413, path
    assert parsed_pairs == []  # no field was ever split out of the body


def test_multipart_with_too_many_parts_is_refused_on_the_upload_route(client, app):
    fields = {f"f{n}": "x" for n in range(app.config["MAX_FORM_PARTS"] + 1)}
    response = client.post("/lapor", data={**fields, "attachments": [(io.BytesIO(b"x"), "a.png")]},
                           content_type="multipart/form-data")
    assert response.status_code == 413


def test_only_upload_routes_take_large_bodies(app):
    big = 5 * 1024 * 1024
    seen = {}

    @app.post("/__probe")
    def probe():
        seen["probe"] = request.max_content_length
        return "ok"

    client = app.test_client()
    client.post("/__probe", data={"a": "b"})
    assert seen["probe"] < big
    assert app.config["TINDAK_MAX_UPLOAD_LENGTH"] == 60 * 1024 * 1024
    with app.test_request_context("/lapor", method="POST", content_type="multipart/form-data; boundary=x"):
        app.preprocess_request()
        assert request.max_content_length == 60 * 1024 * 1024
    with app.test_request_context("/lapor", method="POST", content_type="application/x-www-form-urlencoded"):
        app.preprocess_request()
        assert request.max_content_length < big  # a large body on an upload route must be a multipart upload


def test_a_large_upload_is_still_accepted_on_the_upload_route(client, app):
    body = b"x" * (2 * 1024 * 1024)  # over the small cap, under the upload cap
    response = client.post("/lapor", data={"attachments": [(io.BytesIO(body), "a.png")]},
                           content_type="multipart/form-data")
    assert response.status_code != 413


def test_rate_limit_answers_429_before_the_csrf_check(db, app):
    app.config.update(WTF_CSRF_ENABLED=True, RATELIMIT_ENABLED=True)
    limiter.reset()
    client = app.test_client()
    codes = [client.post("/login", data={"username": "x", "password": "y"}).status_code for _ in range(11)]
    assert codes[:10] == [400] * 10  # refused by CSRF (no token)...
    assert codes[10] == 429  # ...but the rate limit still counts and answers first


def test_the_limiter_runs_before_csrf_and_size_caps_before_both(app):
    names = [f.__qualname__ for f in app.before_request_funcs[None]]
    limit = next(i for i, n in enumerate(names) if "_check_request_limit" in n)
    csrf = next(i for i, n in enumerate(names) if "csrf_protect" in n)
    caps = next(i for i, n in enumerate(names) if "size_request" in n)
    route_limits = next(i for i, n in enumerate(names) if "route_limits_first" in n)
    assert caps < limit < route_limits < csrf


def test_gunicorn_serves_with_threads_that_survive_slow_clients():
    from webapp.serve import TindakServer

    server = TindakServer(Settings.from_env({"TINDAK_SECRET_KEY": "k"}), "127.0.0.1:0", 2)
    cfg = server.cfg
    assert cfg.worker_class_str == "gthread"
    assert cfg.threads >= 8
    assert cfg.workers == 2
    assert 0 < cfg.timeout <= 60 and 0 < cfg.keepalive <= 5
    assert cfg.graceful_timeout <= 30
    assert cfg.limit_request_line <= 8190 and cfg.limit_request_fields <= 100
