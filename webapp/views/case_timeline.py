"""A case's audit log turned into timeline entries people can read (names, titles, labels)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.models import AuditEvent, HumanTask
from webapp import labels
from workflows.models import Agency, User

LONG_TEXT = 80  # characters; longer answers are shown as wrapped paragraphs


@dataclass
class Field:
    title: str
    value: str
    long: bool = False


@dataclass
class Entry:
    at: datetime
    kind: str
    actor: str
    actor_agency: str | None = None
    task_name: str | None = None
    fields: list[Field] = field(default_factory=list)
    change: tuple[str, str] | None = None  # (old, new) as people read them


def _agency_fields(schema: dict | None) -> set[str]:
    props = (schema or {}).get("properties") or {}
    return {k for k, p in props.items() if isinstance(p, dict) and p.get("format") == "agency"}


def _row_schema(prop: dict) -> dict | None:
    """The schema of one row, for an array of objects (e.g. coordination requests)."""
    items = prop.get("items")
    return items if isinstance(items, dict) and items.get("type") == "object" else None


def _agency_codes(form: dict, schema: dict | None) -> set[str]:
    """Every agency code an answer names, also inside rows."""
    codes = {form.get(key) for key in _agency_fields(schema)}
    for key, prop in ((schema or {}).get("properties") or {}).items():
        row_schema = _row_schema(prop) if isinstance(prop, dict) else None
        if row_schema is not None and isinstance(form.get(key), list):
            codes |= {row.get(k) for row in form[key] if isinstance(row, dict) for k in _agency_fields(row_schema)}
    return {code for code in codes if isinstance(code, str)}


def _prop(props: dict, key: str) -> dict:
    """The schema of one property; {} when the schema gives none."""
    prop = props.get(key)
    return prop if isinstance(prop, dict) else {}


def _show(value: Any, prop: dict, agencies: dict[str, str], is_agency: bool) -> str:
    if is_agency and isinstance(value, str):
        return agencies.get(value, value)
    for choice in prop.get("oneOf") or []:
        if isinstance(choice, dict) and choice.get("const") == value and choice.get("title"):
            return choice["title"]
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, list) and (row_schema := _row_schema(prop)) is not None:
        return "\n\n".join(_show_row(row, row_schema, agencies) for row in value)
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _show_row(row: Any, schema: dict, agencies: dict[str, str]) -> str:
    """One row as "Title: answer" lines, in the row schema's order."""
    if not isinstance(row, dict):
        return str(row)
    props, agency_keys = schema.get("properties") or {}, _agency_fields(schema)
    lines = []
    for key in [k for k in props if k in row] + [k for k in row if k not in props]:
        prop = _prop(props, key)
        lines.append(f"{prop.get('title') or key}: {_show(row[key], prop, agencies, key in agency_keys)}")
    return "\n".join(lines)


def form_fields(form: dict, schema: dict | None, agencies: dict[str, str]) -> list[Field]:
    """Submitted answers in the form's own order, each with its title from the form schema."""
    props = (schema or {}).get("properties") or {}
    agency_keys = _agency_fields(schema)
    order = [k for k in props if k in form] + [k for k in form if k not in props]
    fields = []
    for key in order:
        prop = _prop(props, key)
        text = _show(form[key], prop, agencies, key in agency_keys)
        long = bool(prop.get("x-document")) or len(text) > LONG_TEXT or "\n" in text
        fields.append(Field(prop.get("title") or key, text, long))
    return fields


def _agency_name(code: str | None, agencies: dict[str, str]) -> str:
    """The agency's name, its code if it is gone, or a dash for none."""
    return (agencies.get(code, code) or "—") if code else "—"


def _actor(name: str | None, users: dict[str, User]) -> tuple[str, str | None]:
    if not name or name == "system":
        return _("System (deadline or automatic step)"), None
    if name.startswith("pelapor"):
        return str(labels.ROLE["reporter"]), None
    user = users.get(name)
    if user is None:
        return name, None
    return user.full_name, user.agency.name if user.agency else None


REPAIR_KINDS = ("error", "repair_retried", "repair_migrated", "repair_token_moved")


def repair_fields(e: AuditEvent, data: dict) -> list[Field]:
    """What a failure or a repair says: the step, the message, the reason, where the case moved."""
    fields = []
    if e.kind == "error":
        step = data.get("element_name") or e.element_id
        if step:
            shown = f"{step} ({e.element_id})" if e.element_id and step != e.element_id else step
            fields.append(Field(_("Step"), shown))
        fields.append(Field(_("Error"), data.get("message") or "", long=True))
        if data.get("attempt"):
            fields.append(Field(_("Attempt"), str(data["attempt"])))
        return fields
    if data.get("reason"):
        fields.append(Field(_("Reason"), data["reason"], long=len(data["reason"]) > LONG_TEXT))
    if e.kind == "repair_migrated":
        before, after = data.get("from") or {}, data.get("to") or {}
        fields.append(Field(_("Process version"), f"v{before.get('version')} → v{after.get('version')}"))
    elif e.kind == "repair_token_moved":
        before, after = data.get("from") or {}, data.get("to") or {}
        fields.append(Field(_("Moved"), f"{before.get('name')} → {after.get('name')}"))
    elif e.kind == "repair_retried" and data.get("timers_fired"):
        fields.append(Field(_("Timers fired"), ", ".join(data["timers_fired"])))
    return fields


def timeline_entries(session: Session, events: list[AuditEvent], tasks: list[HumanTask],
                     forms: dict[str, Any], name_of: Callable[[int, str | None, str | None], str | None] | None = None,
                     ) -> list[Entry]:
    """Every event of the case, newest first, ready to show. `name_of(instance id, element id,
    name)` gives an element's name in the visitor's language (the recorded name by default)."""
    tasks_by_id = {t.id: t for t in tasks}
    task_of = {e.id: tasks_by_id.get(e.task_id) if e.task_id else None for e in events}
    schemas = {}
    for e in events:
        task = task_of[e.id]
        schemas[e.id] = forms.get(task.form) if task is not None and task.form else None
    usernames: set[str | None] = set()
    codes: set[str | None] = set()
    for e in events:
        usernames.add(e.actor)
        if e.kind == "task_assigned":
            usernames.update((e.data.get("from"), e.data.get("to")))
        if e.kind == "lead_agency_changed":
            codes.update((e.data.get("old"), e.data.get("new")))
        codes |= _agency_codes(e.data.get("form") or {}, schemas[e.id])
    usernames.discard(None)
    codes.discard(None)
    users = {u.username: u for u in session.scalars(select(User).where(User.username.in_(usernames)))}
    agencies = {a.code: a.name for a in session.scalars(select(Agency).where(Agency.code.in_(codes)))}
    entries = []
    for e in reversed(events):
        entry = _entry(e, task_of[e.id], schemas[e.id], users, agencies)
        if name_of is not None and entry.task_name:
            element = e.element_id if e.kind != "answer_published" else (e.data or {}).get("task")
            entry.task_name = name_of(e.process_instance_id, element, entry.task_name)
        entries.append(entry)
    return entries


def _entry(e: AuditEvent, task: HumanTask | None, schema: dict | None,
           users: dict[str, User], agencies: dict[str, str]) -> Entry:
    actor, actor_agency = _actor(e.actor, users)
    data = e.data or {}
    entry = Entry(e.at, e.kind, actor, actor_agency,
                  task_name=data.get("task_name") or data.get("name") or (task.name if task else None))
    if e.kind == "task_completed":
        entry.fields = form_fields(data.get("form") or {}, schema, agencies)
    elif e.kind == "status_changed":
        entry.change = (labels.status_label(data.get("old")) or "—", labels.status_label(data.get("new")) or "—")
    elif e.kind == "lead_agency_changed":
        entry.change = (_agency_name(data.get("old"), agencies), _agency_name(data.get("new"), agencies))
    elif e.kind in REPAIR_KINDS:
        entry.fields = repair_fields(e, data)
    elif e.kind == "task_assigned":
        nobody = _("unclaimed")
        entry.change = (_actor(data["from"], users)[0] if data.get("from") else nobody,
                        _actor(data["to"], users)[0] if data.get("to") else nobody)
    return entry
