"""Property tests: whatever a visitor posts to the citizens' pages, the answer is never a server error."""
from __future__ import annotations

import io
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from webapp.extensions import limiter
from webapp.views import public as public_view

FUZZ = settings(max_examples=40, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
FORM_FIELDS = ["title", "description", "category", "classification", "region", "address", "latitude", "longitude",
               "incident_date", "anonymous", "confidential", "reporter_name", "reporter_email", "reporter_phone",
               "website", "attachments"]
VALID = {"title": "Jalan rusak", "description": "Berlubang.", "category": "infrastruktur",
         "classification": "pengaduan", "anonymous": "1"}
TRICKY = ["", " ", "\x00", "nan", "inf", "-1e309", "1e400", "2999-12-31", "0001-01-01", "2024-02-30", "-0,5",
          "kesehatan", "pengaduan", "pemkab-kuburaya", "<script>alert(1)</script>", "' OR 1=1 --", "../../etc/passwd",
          "TDK-0000-0000", "tdk-7k3q-9mxa", "https://x.example/lacak/TDK-0000-0000?kode=abc", "%00", "\u202e\u200b",
          "😀" * 60, "x" * 300, "x" * 70_000]

text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=400)
scalar = st.one_of(text, st.sampled_from(TRICKY), st.integers().map(str), st.floats().map(str))
value = st.one_of(scalar, st.lists(scalar, max_size=3))  # a field sent several times
upload = st.tuples(st.binary(max_size=64), st.text(max_size=30)).map(lambda t: (io.BytesIO(t[0]), t[1]))


@pytest.fixture
def app(app, tmp_path):
    if "public" not in app.blueprints:
        app.register_blueprint(public_view.bp)
    app.extensions["tindak.settings"].attachment_dir = tmp_path / "attachments"
    return app


def assert_no_server_error(response) -> None:
    assert response.status_code < 500, response.get_data(as_text=True)[:2000]


@FUZZ
@given(fields=st.dictionaries(st.sampled_from(FORM_FIELDS), value, max_size=8),
       files=st.lists(upload, max_size=7), start_valid=st.booleans())
@example(fields={"title": "a\x00b", "address": "\x00", "reporter_name": "x" * 201}, files=[], start_valid=True)
@example(fields={"description": "x" * 70_000, "latitude": "1e400", "longitude": "0"}, files=[], start_valid=True)
@example(fields={"region": "x" * 300, "category": "y" * 300, "reporter_phone": "1" * 60}, files=[], start_valid=True)
def test_the_complaint_form_never_fails(client, fields, files, start_valid):
    limiter.reset()  # the per-IP limit would otherwise answer 429 after five examples
    data = {**(VALID if start_valid else {}), **fields}
    if files:
        data["attachments"] = files
    response = client.post("/lapor", data=data, content_type="multipart/form-data")
    assert_no_server_error(response)
    assert response.status_code in (302, 422)


@FUZZ
@given(tracking_id=scalar, secret=scalar, task_id=scalar, task_fields=st.dictionaries(
    st.sampled_from(["details", "satisfied", "rating", "reason", "decision"]), value, max_size=4))
@example(tracking_id="TDK-\x00", secret="\x00", task_id="\x00", task_fields={})
def test_tracking_never_fails(client, tracking_id, secret, task_id, task_fields):
    limiter.reset()
    assert_no_server_error(client.post("/lacak", data={"tracking_id": tracking_id, "kode": secret}))
    path = quote(tracking_id, safe="") or "x"
    assert_no_server_error(client.get(f"/lacak/{path}", query_string={"kode": secret}))
    assert_no_server_error(client.post(f"/lacak/{path}/tugas/{quote(task_id, safe='') or 'x'}",
                                       data={"kode": secret, **task_fields}))


@FUZZ
@given(args=st.dictionaries(st.sampled_from(["q", "category", "status", "page"]), scalar, max_size=4))
@example(args={"q": "\x00", "category": "\x00", "status": "\x00", "page": "99999999999999999999"})
def test_the_listing_never_fails(client, args):
    response = client.get("/laporan", query_string=args)
    assert_no_server_error(response)
    assert response.status_code == 200


@pytest.fixture
def answered(db, process_engine):
    """A case waiting for the reporter's reply (a lucky example may complete it; later ones get 409)."""
    from tests.casework import Case

    case = Case(db, process_engine)
    case.do("verify_complaint", {"decision": "disposisi", "lead_agency": "dinkes-kalbar"})
    case.do("follow_up", {"decision": "jawab", "answer": "Sudah diperbaiki."})
    [task] = case.ready()
    return case, task.id


@FUZZ
@given(task_fields=st.dictionaries(st.sampled_from(["satisfied", "rating", "reason", "details", "kode"]),
                                   value, max_size=5))
@example(task_fields={"satisfied": "tidak_puas", "rating": "2", "reason": "a\x00b\ud7ff"})
def test_the_reporter_reply_never_fails(client, answered, task_fields):
    limiter.reset()
    case, task_id = answered
    data = {"kode": case.secret, **task_fields}
    response = client.post(f"/lacak/{case.complaint.tracking_id}/tugas/{task_id}", data=data)
    assert_no_server_error(response)
