"""Trusted-channel intake: integrations that are not Open311 (SMS gateway 1708, social media
desk, mobile app back end) file complaints with the channel recorded.

Only tokens of verifiers or super admins (an integration's service account) may call it.
The answer carries the tracking ID and the secret tracking link, for the channel to pass on.
"""
from __future__ import annotations

import marshmallow as ma
from flask import url_for

from webapp import services
from webapp.api.access import api_user
from webapp.api.blueprint import API_PREFIX, ApiBlueprint
from workflows import roles
from workflows.attachments import AttachmentRejected
from workflows.commands import Forbidden
from workflows.complaints import CHANNELS, CLASSIFICATIONS, ComplaintInput, InvalidComplaint
from workflows.public import submit_complaint

bp = ApiBlueprint("intake_api", __name__, url_prefix=f"{API_PREFIX}/intake",
                  description="Complaints arriving through trusted channels (SMS gateway, social media desk).")
TRUSTED_ROLES = (roles.VERIFIER, roles.SUPER_ADMIN)
INTAKE_CHANNELS = tuple(c for c in CHANNELS if c not in ("web", "open311"))


class IntakeSchema(ma.Schema):
    title = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=200))
    description = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=20000))
    category = ma.fields.String(required=True, metadata={"description": "A category code"})
    channel = ma.fields.String(required=True, validate=ma.validate.OneOf(INTAKE_CHANNELS))
    classification = ma.fields.String(load_default="pengaduan", validate=ma.validate.OneOf(CLASSIFICATIONS))
    region = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.Length(max=100))
    address = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.Length(max=500))
    latitude = ma.fields.Float(load_default=None, allow_none=True, validate=ma.validate.Range(-90, 90))
    longitude = ma.fields.Float(load_default=None, allow_none=True, validate=ma.validate.Range(-180, 180))
    incident_date = ma.fields.Date(load_default=None, allow_none=True)
    anonymous = ma.fields.Boolean(load_default=True, metadata={"description": "Hide identity from agencies (default)"})
    confidential = ma.fields.Boolean(load_default=False)
    reporter_name = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.Length(max=200))
    reporter_email = ma.fields.Email(load_default=None, allow_none=True)
    reporter_phone = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.Length(max=50))
    locale = ma.fields.String(load_default="id", validate=ma.validate.OneOf(("id", "en")))


class IntakeResultSchema(ma.Schema):
    tracking_id = ma.fields.String(required=True)
    tracking_url = ma.fields.String(required=True, metadata={"description": "The reporter's secret link"})
    complaint_id = ma.fields.Integer(required=True)


@bp.post("")
@bp.writes
@bp.arguments(IntakeSchema, error_status_code=422)
@bp.response(201, IntakeResultSchema)
@bp.errors(401, 403, 422, 429)
def file_from_channel(data):
    """File a complaint from a trusted channel

    Goes through the same path as the public form (validation, the complaint's case, the
    reporter's e-mail). Needs a verifier's or super admin's token.
    """
    if api_user().role not in TRUSTED_ROLES:
        raise Forbidden("only trusted integrations file complaints here")
    try:
        filed = submit_complaint(services.db(), services.process_engine(), ComplaintInput(**data), [],
                                 services.settings().attachment_dir, services.notifier(),
                                 actor=f"pelapor:{data['channel']}")
    except (InvalidComplaint, AttachmentRejected) as exc:
        from webapp.api.errors import api_error

        fields = getattr(exc, "fields", {"": str(exc)})
        return api_error(422, None, fields)
    complaint = filed.complaint
    link = url_for("public.tracking", tracking_id=complaint.tracking_id, kode=filed.tracking_secret, _external=True)
    return {"tracking_id": complaint.tracking_id, "tracking_url": link, "complaint_id": complaint.id}
