"""GeoReport v2 bodies of our records, field by field in the spec's order (docs/open311.md maps them)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import url_for
from flask_babel import gettext as _

from webapp import labels
from webapp.open311.formats import FORMATS
from workflows.models import Category
from workflows.open311 import ATTRIBUTES, Attribute, PublicRequest
from workflows.public import JAKARTA

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
# when the service list or definitions last changed shape; categories carry no timestamp of their own
CHANGESET = "2026-11-28T00:00:00+07:00"


def w3(moment: datetime | None) -> str | None:
    """A W3C date-time with its offset, in Asia/Jakarta time (e.g. 2024-05-01T08:00:00+07:00)."""
    return moment.astimezone(JAKARTA).isoformat(timespec="seconds") if moment else None


def discovery(contact: str) -> dict[str, Any]:
    return {
        "changeset": CHANGESET,
        "contact": contact,
        "key_service": _("API keys for posting service requests are issued by the super admin of this "
                         "Tindak installation; reading needs no key."),
        "endpoints": [{
            "specification": SPECIFICATION,
            "url": url_for("open311.fallback", rest="v2", _external=True),
            "changeset": CHANGESET,
            "type": "production",
            "formats": [media.split(";")[0] for media in FORMATS.values()],
        }],
    }


def service(category: Category) -> dict[str, Any]:
    return {
        "service_code": category.code,
        "service_name": category.name,
        "description": category.description,
        "metadata": True,  # our attributes (classification, privacy) are in the definition
        "type": "realtime",
        "keywords": category.description,  # our descriptions list the topics a category covers
        "group": _("Public services"),
    }


def _attribute_texts(code: str) -> tuple[str, str | None]:
    """(description, datatype_description) of one of our attributes."""
    return {
        "classification": (_("Is this a complaint, an aspiration or a request for information?"), None),
        "incident_date": (_("When did it happen? Leave empty if you do not know."),
                          _("An ISO 8601 date, e.g. 2024-05-01")),
        "anonymous": (_("Hide your identity from the agencies that handle the report "
                        "(the verifiers still see it). Hidden unless you choose otherwise."), None),
        "confidential": (_("Keep the whole report out of public listings, including this API."), None),
    }[code]


def _value_name(attribute: Attribute, key: str) -> str:
    if attribute.code == "classification":
        return str(labels.CLASSIFICATION.get(key, key))
    return _("Yes") if key == "true" else _("No")


def service_definition(category: Category) -> dict[str, Any]:
    attributes = []
    for order, attribute in enumerate(ATTRIBUTES, start=1):
        description, datatype_description = _attribute_texts(attribute.code)
        attributes.append({
            "variable": True,
            "code": attribute.code,
            "datatype": attribute.datatype,
            "required": attribute.required,
            "datatype_description": datatype_description,
            "order": order,
            "description": description,
            "values": [{"key": key, "name": _value_name(attribute, key)} for key in attribute.values],
        })
    return {"service_code": category.code, "attributes": attributes}


def service_request(r: PublicRequest) -> dict[str, Any]:
    """A request as GET requests shows it; a reporter's identity is not among our fields at all."""
    return {
        "service_request_id": r.tracking_id,
        "status": "closed" if r.closed else "open",
        "status_notes": r.status_notes,
        "service_name": r.service_name,
        "service_code": r.service_code,
        "description": r.description,
        "agency_responsible": r.agency_name,
        "service_notice": None,
        "requested_datetime": w3(r.requested_at),
        "updated_datetime": w3(r.updated_at or r.requested_at),
        "expected_datetime": w3(r.expected_at),
        "address": r.address,
        "address_id": None,
        "zipcode": None,
        "lat": r.latitude,
        "long": r.longitude,
        "media_url": None,
    }


def created(tracking_id: str) -> dict[str, Any]:
    """The answer to a POST: the ID at once (our requests are `realtime`), so no token."""
    return {
        "service_request_id": tracking_id,
        "service_notice": _("Your report was received and waits for verification; a verifier then "
                            "passes it to the agency responsible. Follow it with its tracking ID."),
        "account_id": None,
    }


def token(tracking_id: str, token_id: str) -> dict[str, Any]:
    return {"service_request_id": tracking_id, "token": token_id}
