"""marshmallow schemas of the API: query parameters it reads and documents it answers with.

Response schemas mark every key that is always present as `required`, so the OpenAPI
document tells clients exactly what to expect (the tests hold the answers to it).
"""
from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from workflows.task_lists import SORTS, TABS

ACTIONS = ("claim", "release", "complete", "assign")
SLA_COLOURS = ("green", "yellow", "red")
MAX_PER_PAGE = 100


def _text(description: str, **kwargs) -> fields.String:
    return fields.String(metadata={"description": description}, **kwargs)


# -- query parameters ---------------------------------------------------------------------

class PageArgs(ma.Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1),
                          metadata={"description": "Page number, from 1"})
    per_page = fields.Integer(load_default=25, validate=validate.Range(min=1, max=MAX_PER_PAGE),
                              metadata={"description": f"Items per page (at most {MAX_PER_PAGE})"})


class TaskListArgs(PageArgs):
    tab = fields.String(load_default="mine", validate=validate.OneOf(TABS), metadata={
        "description": "mine: claimed by me; team: unclaimed tasks I may take; "
                       "agency: every open task of my agencies (agency admins and heads, super admins)"})
    category = _text("Category code of the complaint")
    status = _text("Status code of the complaint, e.g. terdisposisi")
    agency = _text("Agency code the task is routed to")
    overdue = fields.Boolean(load_default=False, metadata={"description": "Only tasks past their due time"})
    q = _text("Text in the complaint's title or tracking ID")
    sort = fields.String(load_default="due", validate=validate.OneOf(SORTS), metadata={
        "description": "due: soonest due first (undated last); age: oldest first"})


class CaseSearchArgs(PageArgs):
    q = _text("Tracking ID, or text in the title or description")
    category = _text("Category code")
    agency = _text("Lead agency code")
    status = _text("Status code, e.g. proses")
    date_from = fields.Date(metadata={"description": "Filed on or after this day (Asia/Jakarta)"})
    date_to = fields.Date(metadata={"description": "Filed on or before this day (Asia/Jakarta)"})


class FormDataSchema(ma.Schema):
    """The task's form data; checked against the task's own JSON Schema (see GET /tasks/{id})."""

    class Meta:
        unknown = ma.INCLUDE


class AssignSchema(ma.Schema):
    assignee = fields.String(required=True, allow_none=True, metadata={
        "description": "Username of a colleague who can do the task; null gives it back to the team"})


# -- answers -------------------------------------------------------------------------------

class CaseRefSchema(ma.Schema):
    complaint_id = fields.Integer(required=True)
    tracking_id = fields.String(required=True, metadata={"example": "TDK-7K3Q-9MXA"})
    title = fields.String(required=True)
    status = fields.String(required=True, metadata={"example": "terdisposisi"})
    status_label = fields.String(required=True)
    category = fields.String(required=True, metadata={"example": "kesehatan"})


class TaskSchema(ma.Schema):
    id = fields.String(required=True, metadata={"description": "Task id (a UUID)"})
    element_id = fields.String(required=True, metadata={"description": "BPMN element id", "example": "follow_up"})
    name = fields.String(required=True)
    state = fields.String(required=True, validate=validate.OneOf(("ready", "completed", "cancelled")))
    lane = fields.String(required=True, allow_none=True)
    role = fields.String(required=True, allow_none=True, metadata={"example": "liaison"})
    agency_code = fields.String(required=True, allow_none=True)
    agency_name = fields.String(required=True, allow_none=True)
    assignee = fields.String(required=True, allow_none=True, metadata={"description": "Username of the holder"})
    created_at = fields.DateTime(required=True)
    due_at = fields.DateTime(required=True, allow_none=True)
    sla = fields.String(required=True, allow_none=True, validate=validate.OneOf(SLA_COLOURS), metadata={
        "description": "Deadline colour: green, yellow (most of the time used), red (overdue); null: no deadline"})
    case = fields.Nested(CaseRefSchema, required=True)


class TaskDetailSchema(TaskSchema):
    schema = fields.Dict(required=True, allow_none=True, metadata={
        "description": "JSON Schema (2020-12) of the form to send to /complete; null: no form"})
    ui_schema = fields.Dict(required=True, allow_none=True, metadata={
        "description": "react-jsonschema-form UI schema (field order and widgets)"})
    instructions = fields.String(required=True, allow_none=True, metadata={
        "description": "Instructions for the officer, in Markdown"})
    actions = fields.List(fields.String(validate=validate.OneOf(ACTIONS)), required=True, metadata={
        "description": "What the caller may do to the task now"})


class TaskPageSchema(ma.Schema):
    items = fields.List(fields.Nested(TaskSchema), required=True)
    total = fields.Integer(required=True)
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    pages = fields.Integer(required=True)


class CompletedSchema(ma.Schema):
    complaint_id = fields.Integer(required=True)
    status = fields.String(required=True, metadata={"description": "The case's status after the task"})
    status_label = fields.String(required=True)


class AgencySchema(ma.Schema):
    code = fields.String(required=True)
    name = fields.String(required=True)


class LocationSchema(ma.Schema):
    region = fields.String(required=True, allow_none=True, metadata={"description": "Agency code of the region"})
    address = fields.String(required=True, allow_none=True)
    latitude = fields.Float(required=True, allow_none=True)
    longitude = fields.Float(required=True, allow_none=True)


class ReporterSchema(ma.Schema):
    name = fields.String(required=True, allow_none=True)
    email = fields.String(required=True, allow_none=True)
    phone = fields.String(required=True, allow_none=True)


class TimelineEventSchema(ma.Schema):
    kind = fields.String(required=True, metadata={"example": "task_completed"})
    at = fields.DateTime(required=True)
    actor = fields.String(required=True, allow_none=True)
    element_id = fields.String(required=True, allow_none=True)
    data = fields.Dict(required=True)


class CaseSummarySchema(ma.Schema):
    id = fields.Integer(required=True)
    tracking_id = fields.String(required=True)
    title = fields.String(required=True)
    category = fields.String(required=True)
    classification = fields.String(required=True, metadata={"example": "pengaduan"})
    channel = fields.String(required=True, metadata={"example": "web"})
    status = fields.String(required=True)
    status_label = fields.String(required=True)
    lead_agency_code = fields.String(required=True, allow_none=True)
    created_at = fields.DateTime(required=True)


class CaseSchema(ma.Schema):
    id = fields.Integer(required=True)
    tracking_id = fields.String(required=True)
    title = fields.String(required=True)
    description = fields.String(required=True)
    category = fields.String(required=True)
    classification = fields.String(required=True)
    channel = fields.String(required=True)
    location = fields.Nested(LocationSchema, required=True)
    incident_date = fields.Date(required=True, allow_none=True)
    status = fields.String(required=True)
    status_label = fields.String(required=True)
    lead_agency = fields.Nested(AgencySchema, required=True, allow_none=True)
    created_at = fields.DateTime(required=True)
    anonymous = fields.Boolean(required=True,
                               metadata={"description": "The reporter's identity is hidden from agencies"})
    confidential = fields.Boolean(required=True, metadata={"description": "Hidden from the public listing"})
    reporter = fields.Nested(ReporterSchema, required=True, allow_none=True, metadata={
        "description": "null when the caller may not see the reporter's identity"})
    open_tasks = fields.List(fields.Nested(TaskSchema), required=True)
    timeline = fields.List(fields.Nested(TimelineEventSchema), required=True)


class CasePageSchema(ma.Schema):
    items = fields.List(fields.Nested(CaseSummarySchema), required=True)
    total = fields.Integer(required=True)
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    pages = fields.Integer(required=True)
