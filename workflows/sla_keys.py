"""New SLA keys: a new stage in a diagram gets a deadline of its own.

A diagram's timer calls `sla_due("<key>", category, lead_agency)`; the key must have a default
policy row or the check refuses the diagram. Designers and super admins create that row here
(key, label, length, unit, yellow share); super admins change lengths and add overrides on the
SLA administration pages afterwards. Creating a key is logged in `sla_change` like any change.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select

from engine.db import Database
from workflows import policy
from workflows.commands import Forbidden
from workflows.models import User
from workflows.process import ComplaintEngine
from workflows.sla import DEFAULT_YELLOW_SHARE, SlaChange, SlaPolicy
from workflows.sla_changes import InvalidSla, SlaEdit, check_edit

KEY = re.compile(r"[a-z][a-z0-9_]{1,49}")  # as diagrams write it: sla_due("first_response", ...)
MAX_LABEL = 200


@dataclass
class NewKey:
    key: str
    label: str
    duration: int | None  # None: the form held no whole number
    unit: str
    yellow_share: float | None = DEFAULT_YELLOW_SHARE


def check_new_key(session, new: NewKey) -> None:
    """Raise InvalidSla naming each field that is wrong (codes: bad_key, duplicate, required, ...)."""
    problems = {}
    if not KEY.fullmatch(new.key or ""):
        problems["key"] = "bad_key"
    elif session.scalar(select(SlaPolicy.id).where(SlaPolicy.key == new.key).limit(1)) is not None:
        problems["key"] = "duplicate"
    if not new.label:
        problems["label"] = "required"
    elif len(new.label) > MAX_LABEL:
        problems["label"] = "too_long"
    # the length rules are those of every policy; stand-ins let the other fields be checked
    edit = SlaEdit(new.key or "-", new.duration if new.duration is not None else 1, new.unit,
                   new.yellow_share if new.yellow_share is not None else 0.5)
    try:
        check_edit(session, edit)
    except InvalidSla as exc:
        problems.update({k: v for k, v in exc.fields.items() if k in ("duration", "unit", "yellow_share")})
    if new.duration is None:
        problems["duration"] = "a whole number from 1 to 3650"
    if new.yellow_share is None:
        problems["yellow_share"] = "between 0 and 1 (e.g. 0.75)"
    if problems:
        raise InvalidSla(problems)


def create_key(db: Database, engine: ComplaintEngine | None, actor: User, new: NewKey) -> int:
    """Store the key's default policy and log it; returns the change id. Raises InvalidSla."""
    if not policy.can_design(actor):
        raise Forbidden("only designers and super admins create SLA keys")
    new = NewKey((new.key or "").strip(), " ".join((new.label or "").split()), new.duration,
                 (new.unit or "").strip(), new.yellow_share)
    with db.transaction() as session:
        check_new_key(session, new)
        row = SlaPolicy(key=new.key, label=new.label, duration=new.duration, unit=new.unit,
                        yellow_share=new.yellow_share)
        session.add(row)
        change = SlaChange(policy_key=new.key, changed_by=actor.username, old=None,
                           new={"duration": new.duration, "unit": new.unit, "yellow_share": new.yellow_share,
                                "label": new.label})
        session.add(change)
        session.flush()
        change_id = change.id
    if engine is not None:
        engine.sla_book.reload()
    return change_id
