"""Open311 GeoReport v2 at /open311: every endpoint and error in XML and JSON, held to the spec's names.

`Open311Client.call` parses either format into the same plain structure (the Spark convention
the spec uses, with every value as text), so one test checks both formats; the tests named
`..._xml_...` / `..._json_...` check what is particular to one format.
"""
from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from engine.clock import now, set_clock
from engine.models import AuditEvent, HumanTask
from tests.casework import Case
from webapp.extensions import limiter
from webapp.open311 import open311_blueprint
from workflows import open311, public, task_lists
from workflows.digests import sha256_hex
from workflows.models import Category, Complaint, Open311Key, User

JURISDICTION = "kalbar.tindak.id"
FORMATS = ["xml", "json"]
LISTS = {"services", "service_requests", "attributes", "values", "endpoints", "formats", "errors"}
SERVICE_FIELDS = ["service_code", "service_name", "description", "metadata", "type", "keywords", "group"]
REQUEST_FIELDS = ["service_request_id", "status", "status_notes", "service_name", "service_code", "description",
                  "agency_responsible", "service_notice", "requested_datetime", "updated_datetime",
                  "expected_datetime", "address", "address_id", "zipcode", "lat", "long", "media_url"]
ATTRIBUTE_FIELDS = ["variable", "code", "datatype", "required", "datatype_description", "order", "description",
                    "values"]
DISPOSE = {"decision": "disposisi", "lead_agency": "dinkes-kalbar"}
ARCHIVE = {"decision": "arsipkan", "reason": "Laporan ganda."}
W3_WITH_ZONE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)")


def _spark(element: ET.Element):
    """XML → the JSON shape (Spark convention), every value as text and an empty element as None."""
    if element.tag in LISTS:
        return [_spark(child) for child in element]
    if len(element):
        return {child.tag: _spark(child) for child in element}
    return element.text


def _as_text(value):
    """JSON → the same shape as `_spark`, scalars written as XML writes them."""
    if isinstance(value, list):
        return [_as_text(v) for v in value]
    if isinstance(value, dict):
        return {k: _as_text(v) for k, v in value.items()}
    if isinstance(value, bool):
        return "true" if value else "false"
    return None if value is None or value == "" else str(value)


class Open311Client:
    def __init__(self, client):
        self.client = client

    def call(self, method: str, path: str, fmt: str, expect: int = 200, **params):
        url = f"/open311{path}.{fmt}"
        if method == "GET":
            response = self.client.get(url, query_string=params)
        else:
            response = self.client.open(url, method=method, data=params)
        assert response.status_code == expect, response.get_data(as_text=True)
        text = response.get_data(as_text=True)
        if fmt == "xml":
            assert response.content_type == "text/xml; charset=utf-8"
            assert text.startswith('<?xml version="1.0" encoding="utf-8"?>')
            root = ET.fromstring(response.data)
            self.root = root
            body = _spark(root)
        else:
            assert response.content_type == "application/json; charset=utf-8"
            self.raw = json.loads(text)
            body = _as_text(self.raw)
        if expect >= 400:
            assert_error_shape(response, fmt, expect)
        self.text = text
        return body

    def post(self, fmt: str = "json", expect: int = 200, **params):
        data = {"api_key": open311.DEMO_KEY, "service_code": "kesehatan", "lat": "-0.0263", "long": "109.3425",
                "description": "Puskesmas Kampung Dalam tutup sebelum jam 10 pagi.",
                "attribute[classification]": "pengaduan"}
        data.update(params)
        return self.call("POST", "/v2/requests", fmt, expect, **{k: v for k, v in data.items() if v is not None})


def assert_error_shape(response, fmt: str, status: int) -> None:
    """The spec's error list: <errors><error><code/><description/></error>… or [{code, description}]."""
    if fmt == "xml":
        root = ET.fromstring(response.data)
        assert root.tag == "errors" and len(root) >= 1
        for error in root:
            assert error.tag == "error" and [c.tag for c in error] == ["code", "description"]
            assert error.find("code").text == str(status) and error.find("description").text
    else:
        body = json.loads(response.data)
        assert isinstance(body, list) and body
        for error in body:
            assert list(error) == ["code", "description"] and error["code"] == status and error["description"]


@pytest.fixture
def api(app, db, tmp_path):
    if "open311" not in app.blueprints:
        app.register_blueprint(open311_blueprint())
    app.config.update(TINDAK_OPEN311_JURISDICTION=JURISDICTION,
                      TINDAK_OPEN311_RATE_LIMIT="100000 per second")  # the limiter's memory outlives an app
    app.extensions["tindak.settings"].attachment_dir = tmp_path / "attachments"
    open311.ensure_demo_key(db)
    return Open311Client(app.test_client())


@pytest.fixture
def at_time():
    """File complaints at a moment of our choosing; the clock is restored afterwards."""
    def use(moment):
        set_clock(lambda: moment)
    yield use
    set_clock(None)


def complaint(db, tracking_id: str) -> Complaint:
    with db.session() as s:
        return s.scalars(select(Complaint).where(Complaint.tracking_id == tracking_id)).one()


def ids(body) -> list[str]:
    return [r["service_request_id"] for r in body]


# --- discovery and services -------------------------------------------------------------------

@pytest.mark.parametrize("fmt", FORMATS)
def test_discovery_names_the_v2_endpoint_and_both_formats(api, fmt):
    body = api.call("GET", "/discovery", fmt)
    assert list(body) == ["changeset", "contact", "key_service", "endpoints"]
    [endpoint] = body["endpoints"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"].endswith("/open311/v2") and endpoint["type"] == "production"
    assert endpoint["formats"] == ["text/xml", "application/json"]
    assert api.call("GET", "/v2/discovery", fmt) == body


def test_xml_discovery_has_the_spec_element_names(api):
    api.call("GET", "/discovery", "xml")
    assert [e.tag for e in api.root.find("endpoints/endpoint")] == [
        "specification", "url", "changeset", "type", "formats"]
    assert [e.tag for e in api.root.find("endpoints/endpoint/formats")] == ["format", "format"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_services_are_the_active_categories(api, db, fmt):
    with db.transaction() as s:
        s.scalars(select(Category).where(Category.code == "pendidikan")).one().active = False
        active = {c.code: c.name for c in s.scalars(select(Category).where(Category.active.is_(True)))}
    body = api.call("GET", "/v2/services", fmt)
    assert {s["service_code"]: s["service_name"] for s in body} == active
    kesehatan = next(s for s in body if s["service_code"] == "kesehatan")
    assert list(kesehatan) == SERVICE_FIELDS
    assert (kesehatan["metadata"], kesehatan["type"]) == ("true", "realtime")
    assert "Puskesmas" in kesehatan["description"]


def test_xml_services_root_and_json_types(api):
    api.call("GET", "/v2/services", "xml")
    assert api.root.tag == "services" and {e.tag for e in api.root} == {"service"}
    api.call("GET", "/v2/services", "json")
    assert isinstance(api.raw, list) and api.raw[0]["metadata"] is True


@pytest.mark.parametrize("fmt", FORMATS)
def test_service_definition_lists_our_attributes(api, fmt):
    body = api.call("GET", "/v2/services/kesehatan", fmt)
    assert body["service_code"] == "kesehatan"
    attributes = {a["code"]: a for a in body["attributes"]}
    assert list(attributes) == ["classification", "incident_date", "anonymous", "confidential"]
    for order, attribute in enumerate(body["attributes"], start=1):
        assert list(attribute) == ATTRIBUTE_FIELDS and attribute["order"] == str(order)
        assert attribute["variable"] == "true" and attribute["description"]
    assert (attributes["classification"]["datatype"], attributes["classification"]["required"]) == (
        "singlevaluelist", "true")
    assert [v["key"] for v in attributes["classification"]["values"]] == [
        "pengaduan", "aspirasi", "permintaan_informasi"]
    assert (attributes["incident_date"]["datatype"], attributes["incident_date"]["required"]) == ("datetime", "false")
    for code in ("anonymous", "confidential"):
        assert attributes[code]["datatype"] == "singlevaluelist"
        assert [v["key"] for v in attributes[code]["values"]] == ["true", "false"]
        assert all(v["name"] for v in attributes[code]["values"])


def test_xml_service_definition_has_the_spec_element_names(api):
    api.call("GET", "/v2/services/kesehatan", "xml")
    root = api.root
    assert root.tag == "service_definition" and [e.tag for e in root] == ["service_code", "attributes"]
    attribute = root.find("attributes/attribute")
    assert [e.tag for e in attribute] == ATTRIBUTE_FIELDS
    assert [[e.tag for e in v] for v in attribute.find("values")] == [["key", "name"]] * 3
    api.call("GET", "/v2/services/kesehatan", "json")
    assert isinstance(api.raw, dict) and api.raw["attributes"][0]["required"] is True


@pytest.mark.parametrize("fmt", FORMATS)
def test_unknown_service_definition_is_404(api, fmt):
    [error] = api.call("GET", "/v2/services/tidak_ada", fmt, 404)
    assert "tidak_ada" in error["description"]


# --- POST a request ---------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", FORMATS)
def test_post_files_an_anonymous_open311_complaint_for_the_verifiers(api, db, fmt):
    [created] = api.post(fmt, email="budi@example.org", first_name="Budi", last_name="Santoso", phone="0812345",
                         device_id="abc", account_id="42", address_string="Jl. Tanjungpura 1, Pontianak")
    assert list(created) == ["service_request_id", "service_notice", "account_id"]
    assert created["service_notice"] and created["account_id"] is None
    row = complaint(db, created["service_request_id"])
    assert (row.channel, row.category_code, row.classification) == ("open311", "kesehatan", "pengaduan")
    assert (row.anonymous, row.confidential) == (True, False)
    assert (row.latitude, row.longitude, row.address) == (-0.0263, 109.3425, "Jl. Tanjungpura 1, Pontianak")
    assert (row.reporter_name, row.reporter_email, row.reporter_phone) == (
        "Budi Santoso", "budi@example.org", "0812345")
    assert row.title == row.description == "Puskesmas Kampung Dalam tutup sebelum jam 10 pagi."
    with db.session() as s:
        verifier = s.scalars(select(User).where(User.username == "verifikator")).one()
        page = task_lists.task_page(s, verifier, "team", task_lists.TaskFilter())
        [started] = s.scalars(select(AuditEvent).where(
            AuditEvent.process_instance_id == row.process_instance_id, AuditEvent.kind == "started"))
        demo_key = s.scalars(select(Open311Key).where(Open311Key.name == open311.DEMO_KEY_NAME)).one()
    assert created["service_request_id"] in [r.tracking_id for r in page.rows]
    assert started.actor == f"pelapor:open311:{demo_key.id}"


def test_xml_post_answer_has_the_spec_element_names(api):
    api.post("xml")
    assert api.root.tag == "service_requests"
    [request] = api.root
    assert request.tag == "request" and [e.tag for e in request] == ["service_request_id", "service_notice",
                                                                     "account_id"]
    api.post("json")
    assert isinstance(api.raw, list) and len(api.raw) == 1 and "token" not in api.raw[0]


def test_post_title_privacy_attributes_media_and_address_id(api, db):
    long_text = "Jembatan  penyeberangan\ndi depan pasar Flamboyan " + "rusak parah " * 30
    [created] = api.post(description=long_text, media_url="https://example.org/foto.jpg", lat=None, long=None,
                         address_id="ALM-77", **{"attribute[anonymous]": "false", "attribute[confidential]": "TRUE",
                                                 "attribute[classification]": "aspirasi",
                                                 "attribute[incident_date]": "2024-05-01",
                                                 "attribute[not_ours]": "ignored"})
    row = complaint(db, created["service_request_id"])
    assert row.title == " ".join(long_text.split())[:100].rstrip() and len(row.title) <= 100
    assert row.description == long_text.strip() + "\n\nMedia: https://example.org/foto.jpg"
    assert (row.anonymous, row.confidential, row.classification) == (False, True, "aspirasi")
    assert row.incident_date.isoformat() == "2024-05-01" and row.address == "address_id: ALM-77"
    [media_only] = api.post(description=None, media_url="http://example.org/x.png")
    assert complaint(db, media_only["service_request_id"]).title == "Laporan via Open311"


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("params, status, words", [
    ({"api_key": None}, 403, "api_key"),
    ({"api_key": "salah"}, 403, "api_key"),
    ({"service_code": "tidak_ada"}, 404, "tidak_ada"),
    ({"service_code": None}, 400, "service_code"),
    ({"lat": None, "long": None}, 400, "address_string"),
    ({"long": None}, 400, "long"),
    ({"lat": "utara"}, 400, "lat"),
    ({"lat": "91"}, 400, "lat"),
    ({"description": None}, 400, "description"),
    ({"description": "x" * 4001}, 400, "4000"),
    ({"attribute[classification]": None}, 400, "classification"),
    ({"attribute[classification]": "gugatan"}, 400, "pengaduan"),
    ({"attribute[anonymous]": "mungkin"}, 400, "anonymous"),
    ({"attribute[incident_date]": "kemarin"}, 400, "incident_date"),
    ({"attribute[incident_date]": "2999-01-01"}, 400, "incident_date"),
    ({"email": "bukan-surel"}, 400, "email"),
    ({"media_url": "javascript:alert(1)"}, 400, "media_url"),
    ({"jurisdiction_id": "sfgov.org"}, 404, "sfgov.org"),
])
def test_post_errors_store_nothing(api, db, fmt, params, status, words):
    errors = api.post(fmt, status, **params)
    assert any(words in e["description"] for e in errors), errors
    with db.session() as s:
        assert s.scalars(select(Complaint.id)).first() is None


def test_several_problems_are_listed_together(api):
    errors = api.post("json", 400, lat=None, long=None, description=None, **{"attribute[classification]": None})
    assert len(errors) == 3


def test_multivalued_and_repeated_attribute_is_refused(api):
    response = api.client.post("/open311/v2/requests.json", data=MultiDict([
        ("api_key", open311.DEMO_KEY), ("service_code", "kesehatan"), ("address_string", "Jl. A"),
        ("description", "x"), ("attribute[classification][]", "pengaduan"),
        ("attribute[classification][]", "aspirasi")]))
    assert response.status_code == 400 and "attribute[classification]" in response.get_data(as_text=True)


def test_keys_are_created_checked_revoked_and_the_demo_key_kept(api, db):
    key = open311.create_key(db, "Aplikasi Kota")
    with db.session() as s:
        assert open311.check_key(s, key) and not open311.check_key(s, "") and not open311.check_key(s, None)
        row = s.scalars(select(Open311Key).where(Open311Key.name == "Aplikasi Kota")).one()
        assert row.key_hash == sha256_hex(key) and key not in row.key_hash
        assert open311.list_keys(s)[0].name == "Aplikasi Kota"
    api.post(api_key=key)
    open311.revoke_key(db, row.id)
    api.post("xml", 403, api_key=key)
    with pytest.raises(open311.KeyNotFound):
        open311.revoke_key(db, 99999)
    with pytest.raises(ValueError):
        open311.create_key(db, "  ")
    with db.session() as s:
        demo = s.scalars(select(Open311Key).where(Open311Key.key_hash == sha256_hex(open311.DEMO_KEY))).one()
    open311.revoke_key(db, demo.id)
    open311.ensure_demo_key(db)  # idempotent: it neither duplicates nor revives a revoked demo key
    with db.session() as s:
        assert not open311.check_key(s, open311.DEMO_KEY)
        assert len(s.scalars(select(Open311Key).where(Open311Key.name == "Demo")).all()) == 1


def test_post_needs_no_csrf_token(api, app):
    app.config["WTF_CSRF_ENABLED"] = True
    api.post("json")


# --- GET requests -----------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", FORMATS)
def test_one_request_with_every_spec_field_and_no_reporter_identity(api, db, process_engine, fmt):
    case = Case(db, process_engine, reporter_name="Siti Rahmawati", reporter_email="siti@example.org",
                reporter_phone="0899111222", address="Jl. Gajah Mada 5", latitude=-0.03, longitude=109.33)
    tracking_id = case.complaint.tracking_id
    [request] = api.call("GET", f"/v2/requests/{tracking_id.lower()}", fmt)
    assert list(request) == REQUEST_FIELDS
    assert (request["service_request_id"], request["status"], request["status_notes"]) == (
        tracking_id, "open", "Belum Terverifikasi")
    assert (request["service_code"], request["service_name"]) == ("infrastruktur", "Infrastruktur")
    assert (request["address"], request["lat"], request["long"]) == ("Jl. Gajah Mada 5", "-0.03", "109.33")
    assert request["agency_responsible"] is None
    # the verification deadline (an SLA timer of the diagram), in Jakarta time
    assert request["expected_datetime"].endswith("+07:00")
    for name in ("requested_datetime", "updated_datetime"):
        assert W3_WITH_ZONE.fullmatch(request[name]) and datetime.fromisoformat(request[name]).tzinfo
    assert datetime.fromisoformat(request["requested_datetime"]) == case.complaint.created_at.replace(microsecond=0)
    for secret in ("Siti", "siti@example.org", "0899111222"):
        assert secret not in api.text
    listed = api.call("GET", "/v2/requests", fmt)
    assert ids(listed) == [tracking_id]
    assert "Siti" not in api.text and "siti@" not in api.text and "0899" not in api.text


def test_xml_requests_have_the_spec_element_names(api, db, process_engine):
    Case(db, process_engine, latitude=-0.03, longitude=109.33)
    api.call("GET", "/v2/requests", "xml")
    assert api.root.tag == "service_requests"
    assert [[e.tag for e in r] for r in api.root] == [REQUEST_FIELDS]
    api.call("GET", "/v2/requests", "json")
    assert isinstance(api.raw, list) and isinstance(api.raw[0]["lat"], float) and api.raw[0]["media_url"] is None


@pytest.mark.parametrize("fmt", FORMATS)
def test_agency_status_and_expected_datetime_follow_the_case(api, db, process_engine, fmt):
    case = Case(db, process_engine).do("verify_complaint", DISPOSE, "verifikator")
    due = now().replace(microsecond=0) + timedelta(days=5)
    with db.transaction() as s:
        task = s.scalars(select(HumanTask).where(HumanTask.process_instance_id == case.instance_id,
                                                 HumanTask.state == "ready")).one()
        task.due_at = due
    [request] = api.call("GET", f"/v2/requests/{case.complaint.tracking_id}", fmt)
    assert request["agency_responsible"] == "Dinas Kesehatan Provinsi Kalimantan Barat"
    assert (request["status"], request["status_notes"]) == ("open", "Terdisposisi / Belum Ditindaklanjuti")
    with db.session() as s:
        assert public.current_deadline(s, case.complaint) == due
    assert datetime.fromisoformat(request["expected_datetime"]) == due
    assert request["expected_datetime"].endswith("+07:00")
    archived = Case(db, process_engine).do("verify_complaint", ARCHIVE, "verifikator")
    [request] = api.call("GET", f"/v2/requests/{archived.complaint.tracking_id}", fmt)
    assert (request["status"], request["status_notes"], request["expected_datetime"]) == ("closed", "Diarsipkan", None)
    assert datetime.fromisoformat(request["updated_datetime"]) == archived.instance().updated_at.replace(microsecond=0)


@pytest.mark.parametrize("fmt", FORMATS)
def test_filters_by_ids_code_status_and_dates(api, db, process_engine, at_time, fmt):
    real_now = now()
    at_time(real_now - timedelta(days=120))
    old = Case(db, process_engine, category="kesehatan").complaint.tracking_id
    at_time(real_now - timedelta(days=10))
    health = Case(db, process_engine, category="kesehatan").complaint.tracking_id
    at_time(real_now - timedelta(days=5))
    closed = Case(db, process_engine).do("verify_complaint", ARCHIVE, "verifikator").complaint.tracking_id
    at_time(real_now - timedelta(days=1))
    road = Case(db, process_engine).complaint.tracking_id
    at_time(real_now)

    def get(**params):
        return ids(api.call("GET", "/v2/requests", fmt, **params))

    assert get() == [road, closed, health]  # newest first, the last 90 days
    assert get(service_code="kesehatan") == [health]
    assert get(service_code="kesehatan,infrastruktur") == [road, closed, health]
    assert get(status="open") == [road, health]
    assert get(status="closed") == [closed]
    assert get(status="open,closed") == get(status="") == [road, closed, health]
    assert get(service_request_id=f"{old},{health.lower()}, TDK-0000-0000", status="closed") == [health, old]

    def day(days_ago):
        return (real_now - timedelta(days=days_ago)).isoformat()

    assert get(start_date=day(7), end_date=day(2)) == [closed]
    assert get(start_date=day(125)) == [old]  # the 90 days from the start
    assert get(end_date=day(3)) == [closed, health]  # the 90 days up to the end
    assert get(start_date=(real_now - timedelta(days=7)).strftime("%Y-%m-%dT%H:%M:%SZ")) == [road, closed]
    assert get(jurisdiction_id=JURISDICTION) == get(jurisdiction_id="") == [road, closed, health]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("params, words", [
    ({"start_date": "kemarin"}, "start_date"),
    ({"end_date": "2024-13-01T00:00:00Z"}, "end_date"),
    ({"start_date": "2024-01-01T00:00:00+25:00"}, "start_date"),
    ({"start_date": "2024-05-10T00:00:00Z", "end_date": "2024-05-01T00:00:00Z"}, "end_date"),
    ({"start_date": "2024-01-01T00:00:00Z", "end_date": "2024-06-01T00:00:00Z"}, "90"),
    ({"status": "pending"}, "open"),
])
def test_bad_filters_are_400(api, fmt, params, words):
    errors = api.call("GET", "/v2/requests", fmt, 400, **params)
    assert any(words in e["description"] for e in errors), errors


def test_at_most_the_limit_newest_first(api, db, process_engine, monkeypatch):
    made = [Case(db, process_engine).complaint.tracking_id for _ in range(3)]
    monkeypatch.setattr(open311, "REQUEST_LIMIT", 2)
    assert ids(api.call("GET", "/v2/requests", "json")) == made[::-1][:2]
    assert len(api.call("GET", "/v2/requests", "xml", service_request_id=",".join(made))) == 2


@pytest.mark.parametrize("fmt", FORMATS)
def test_confidential_complaints_are_never_listed_or_fetched(api, db, process_engine, fmt):
    secret = Case(db, process_engine, confidential=True).complaint.tracking_id
    shown = Case(db, process_engine).complaint.tracking_id
    assert ids(api.call("GET", "/v2/requests", fmt)) == [shown]
    assert ids(api.call("GET", "/v2/requests", fmt, service_request_id=f"{secret},{shown}")) == [shown]
    api.call("GET", f"/v2/requests/{secret}", fmt, 404)
    api.call("GET", f"/v2/tokens/{secret}", fmt, 404)
    [created] = api.post(fmt, **{"attribute[confidential]": "true"})
    api.call("GET", f"/v2/requests/{created['service_request_id']}", fmt, 404)


@pytest.mark.parametrize("fmt", FORMATS)
def test_unknown_request_token_path_format_method_and_jurisdiction(api, fmt):
    assert "TDK-0000-0000" in api.call("GET", "/v2/requests/TDK-0000-0000", fmt, 404)[0]["description"]
    api.call("GET", "/v2/tokens/TDK-0000-0000", fmt, 404)
    api.call("GET", "/v2/nothing", fmt, 404)
    api.call("GET", "/v2/services", fmt, 404, jurisdiction_id="sfgov.org")
    api.call("PUT", "/v2/requests", fmt, 405)
    api.call("POST", "/v2/services", fmt, 405)
    response = api.client.get("/open311/v2/services.csv")
    assert response.status_code == 404 and response.content_type.startswith("text/xml")
    assert_error_shape(response, "xml", 404)


@pytest.mark.parametrize("fmt", FORMATS)
def test_token_is_the_tracking_id(api, fmt):
    [created] = api.post(fmt)
    tracking_id = created["service_request_id"]
    assert api.call("GET", f"/v2/tokens/{tracking_id}", fmt) == [{"service_request_id": tracking_id,
                                                                  "token": tracking_id}]


def test_text_xml_cannot_carry_is_left_out_and_nul_is_refused(api, db, process_engine):
    tracking_id = Case(db, process_engine, description="Bel\x07 rusak\x1b di kantor").complaint.tracking_id
    [request] = api.call("GET", f"/v2/requests/{tracking_id}", "xml")
    assert request["description"] == "Bel rusak di kantor"
    api.call("GET", "/v2/requests", "json", 400, service_code="a\x00b")
    api.call("GET", "/v2/requests/TDK\x00", "xml", 400)
    api.post("xml", 400, description="Bel\x07 rusak")


def test_answers_are_open_to_web_apps_on_other_sites(api):
    assert api.client.get("/open311/v2/services.json").headers["Access-Control-Allow-Origin"] == "*"
    assert api.client.post("/open311/v2/requests.xml").headers["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize("fmt", FORMATS)
def test_too_many_requests_get_429_in_the_open311_shape(api, app, fmt):
    app.config["TINDAK_OPEN311_RATE_LIMIT"] = "2 per minute"
    try:
        api.call("GET", "/v2/services", fmt)
        api.call("GET", "/v2/services", fmt)
        api.call("GET", "/v2/services", fmt, 429)
    finally:
        limiter.reset()
