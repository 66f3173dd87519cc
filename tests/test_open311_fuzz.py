"""Property tests: whatever an Open311 client sends, the answer is never a server error,
and every refusal is the spec's error list in the format the URL asked for."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from tests.test_open311 import assert_error_shape
from webapp.open311 import open311_blueprint
from workflows import open311

FUZZ = settings(max_examples=60, deadline=None, database=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
POST_FIELDS = ["service_code", "lat", "long", "address_string", "address_id", "email",
               "device_id", "account_id", "first_name", "last_name", "phone", "description", "media_url",
               "attribute[classification]", "attribute[incident_date]", "attribute[anonymous]",
               "attribute[confidential]", "attribute[classification][]", "attribute[]", "attribute[x"]
GET_FIELDS = ["service_request_id", "service_code", "start_date", "end_date", "status"]
VALID = {"api_key": open311.DEMO_KEY, "service_code": "kesehatan", "lat": "-0.03", "long": "109.3",
         "description": "Obat kosong di puskesmas.", "attribute[classification]": "pengaduan"}
TRICKY = ["", " ", "\x00", "\x07", "nan", "inf", "-inf", "1e400", "-90.0000001", "180", ".5", "5.", "+0", "1_0",
          "2024-02-30", "2024-01-01T00:00:00Z", "2024-01-01T00:00:00+23:59", "9999-12-31T23:59:59-14:00",
          "0001-01-01T00:00:00+14:00", "0001-01-01", "2024-01-01T24:00:00Z", "open", "closed", "open,closed",
          ",,,", "kesehatan", "kesehatan,infrastruktur", "pengaduan", "true", "FALSE", "kalbar.tindak.id",
          "TDK-0000-0000", "tdk-0000-0000", "<x>&amp;</x>", "' OR 1=1 --", "%00", "\u202e\u200b", "😀" * 30,
          "x" * 101, "x" * 4001, "javascript:alert(1)", "https://example.org/a.jpg", "a@b.co"]

text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=120)
scalar = st.one_of(text, st.sampled_from(TRICKY), st.integers().map(str), st.floats().map(str))
values = st.lists(scalar, min_size=1, max_size=3)  # a parameter may come several times
fmt = st.sampled_from(["xml", "json"])
# mostly right, sometimes absent, sometimes anything: so most examples get past the door
api_key = st.one_of(st.just([open311.DEMO_KEY]), st.just([open311.DEMO_KEY]), st.just([]), values)
jurisdiction = st.one_of(st.just([]), st.just(["kalbar.tindak.id"]), values)


@pytest.fixture
def client(app, db, tmp_path):
    if "open311" not in app.blueprints:
        app.register_blueprint(open311_blueprint())
    app.config.update(TINDAK_OPEN311_JURISDICTION="kalbar.tindak.id", TINDAK_OPEN311_RATE_LIMIT="100000 per second")
    app.extensions["tindak.settings"].attachment_dir = tmp_path / "attachments"
    open311.ensure_demo_key(db)
    return app.test_client()


def check(response, fmt: str) -> None:
    event(f"HTTP {response.status_code}")  # shown by --hypothesis-show-statistics
    assert response.status_code < 500, response.get_data(as_text=True)[:2000]
    if response.status_code >= 400:
        assert_error_shape(response, fmt, response.status_code)


def as_multidict(fields: dict[str, list[str]]) -> MultiDict:
    return MultiDict([(name, v) for name, vs in fields.items() for v in vs])


@FUZZ
@given(fields=st.dictionaries(st.sampled_from(POST_FIELDS), values, max_size=4), start_valid=st.booleans(),
       key=api_key, where=jurisdiction, fmt=fmt)
@example(fields={"description": ["a\x00b"], "lat": ["1e400"]}, start_valid=True, key=[], where=[], fmt="xml")
@example(fields={"attribute[incident_date]": ["9999-12-31T23:59:59-14:00"]}, start_valid=True,
         key=[open311.DEMO_KEY], where=[], fmt="json")
def test_posting_anything_never_fails(client, fields, start_valid, key, where, fmt):
    data = as_multidict({**({k: [v] for k, v in VALID.items()} if start_valid else {}), **fields,
                         "api_key": key, "jurisdiction_id": where})
    response = client.post(f"/open311/v2/requests.{fmt}", data=data)
    check(response, fmt)
    if response.status_code == 200:
        assert "service_request_id" in response.get_data(as_text=True)


@FUZZ
@given(fields=st.dictionaries(st.sampled_from(GET_FIELDS), values, max_size=5), where=jurisdiction, fmt=fmt)
@example(fields={"start_date": ["0001-01-01T00:00:00+14:00"]}, where=[], fmt="xml")
@example(fields={"end_date": ["0001-01-01"], "start_date": [""]}, where=[], fmt="json")
@example(fields={"service_request_id": ["\x00"], "service_code": ["a\x00"]}, where=[], fmt="json")
def test_querying_requests_with_anything_never_fails(client, fields, where, fmt):
    response = client.get(f"/open311/v2/requests.{fmt}",
                          query_string=as_multidict({**fields, "jurisdiction_id": where}))
    check(response, fmt)


@FUZZ
@given(segment=scalar, resource=st.sampled_from(["services", "requests", "tokens"]), fmt=fmt,
       jurisdiction=st.one_of(st.none(), scalar))
@example(segment="..", resource="requests", fmt="xml", jurisdiction=None)
@example(segment="a.b", resource="services", fmt="json", jurisdiction="kalbar.tindak.id")
def test_any_id_in_the_path_never_fails(client, segment, resource, fmt, jurisdiction):
    query = {} if jurisdiction is None else {"jurisdiction_id": jurisdiction}
    response = client.get(f"/open311/v2/{resource}/{quote(segment, safe='')}.{fmt}", query_string=query)
    check(response, fmt)


@FUZZ
@given(path=st.lists(scalar, max_size=3), method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH"]),
       extension=st.sampled_from([".xml", ".json", ".csv", "", "."]))
@example(path=["0\n"], method="GET", extension=".xml")  # `.` in a rule's regex stops at a newline
def test_any_path_and_method_under_open311_never_fails(client, path, method, extension):
    url = "/open311/" + "/".join(quote(p, safe="") for p in path) + extension
    response = client.open(url, method=method)
    assert response.status_code < 500, response.get_data(as_text=True)[:2000]
    if response.status_code >= 400:
        assert_error_shape(response, "json" if url.endswith(".json") else "xml", response.status_code)


@FUZZ
@given(name=st.sampled_from(["description", "address_string", "first_name", "last_name", "phone", "device_id",
                             "account_id", "email", "address_id", "media_url"]), value=scalar, fmt=fmt)
@example(name="description", value="Bel\x07 rusak", fmt="xml")
def test_any_free_text_is_filed_and_read_back_or_refused(client, name, value, fmt):
    response = client.post(f"/open311/v2/requests.{fmt}", data={**VALID, name: value})
    check(response, fmt)
    assert response.status_code in (200, 400)
    if response.status_code == 200:
        tracking_id = response.get_data(as_text=True).split("TDK-")[1][:9]
        again = client.get(f"/open311/v2/requests/TDK-{tracking_id}.{fmt}")
        check(again, fmt)
        assert again.status_code == 200
        if fmt == "xml":
            ET.fromstring(again.data)  # well-formed, whatever was posted
