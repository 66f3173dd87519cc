"""The trusted-channel intake endpoint: the channel is recorded, only trusted accounts may call it."""
from __future__ import annotations

from sqlalchemy import select

from tests.test_api import api  # noqa: F401  (the fixture: validates answers against the OpenAPI document)
from workflows.models import Complaint

SMS = {"title": "Lampu jalan mati", "description": "Jl. Tanjungpura gelap sejak Senin.", "category": "infrastruktur",
       "channel": "sms", "reporter_phone": "081234567890"}


def test_sms_gateway_files_a_complaint(api, db):  # noqa: F811
    response = api.post("/api/v1/intake", "verifikator", json=SMS)
    assert response.status_code == 201
    body = response.get_json()
    assert body["tracking_id"].startswith("TDK-") and "/lacak/" in body["tracking_url"]
    with db.session() as s:
        complaint = s.scalars(select(Complaint).where(Complaint.tracking_id == body["tracking_id"])).one()
    assert (complaint.channel, complaint.anonymous, complaint.status) == ("sms", True, "belum_terverifikasi")


def test_untrusted_accounts_are_refused(api):  # noqa: F811
    assert api.post("/api/v1/intake", "dinkes.penghubung", json=SMS).status_code == 403


def test_bad_input_names_the_fields(api):  # noqa: F811
    response = api.post("/api/v1/intake", "verifikator", json={**SMS, "category": "nope", "channel": "web"})
    assert response.status_code == 422
    assert "channel" in response.get_json()["error"]["fields"]
    unknown = api.post("/api/v1/intake", "verifikator", json={**SMS, "category": "nope"})
    assert unknown.status_code == 422 and "category" in unknown.get_json()["error"]["fields"]


def test_needs_a_token(api):  # noqa: F811
    assert api.post("/api/v1/intake", json=SMS).status_code == 401
