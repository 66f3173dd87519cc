"""Changing an SLA policy: saved and logged; optionally previewed and applied to running cases.

By default a change applies to timers armed afterwards. Applying it to running cases moves
their armed timers (engine/rearm.py), one case per transaction, so an interrupted run loses
nothing and can simply be started again.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import rearm
from engine.db import Database
from engine.errors import ConcurrentUpdate
from engine.runtime import ProcessEngine
from workflows.models import Agency, Category
from workflows.process import ComplaintEngine
from workflows.sla import UNITS, Rule, SlaChange, SlaPolicy


class InvalidSla(ValueError):
    def __init__(self, fields: dict[str, str]):
        self.fields = fields
        super().__init__("; ".join(f"{k}: {v}" for k, v in fields.items()))


@dataclass
class SlaEdit:
    key: str
    duration: int
    unit: str
    yellow_share: float = 0.75
    category_code: str | None = None
    agency_code: str | None = None
    label: str | None = None

    @property
    def scope(self) -> tuple[str, str | None, str | None]:
        return (self.key, self.category_code, self.agency_code)

    def rule(self) -> Rule:
        return Rule(self.duration, self.unit, self.yellow_share)


def check_edit(session: Session, edit: SlaEdit) -> None:
    """Raise InvalidSla naming each field that is wrong."""
    problems = {}
    if not isinstance(edit.duration, int) or edit.duration <= 0 or edit.duration > 3650:
        problems["duration"] = "a whole number from 1 to 3650"
    if edit.unit not in UNITS:
        problems["unit"] = "unknown unit"
    if not (0 < edit.yellow_share < 1):
        problems["yellow_share"] = "between 0 and 1 (e.g. 0.75)"
    if edit.category_code and session.scalar(select(Category.id).where(Category.code == edit.category_code)) is None:
        problems["category_code"] = "unknown category"
    if edit.agency_code and session.scalar(select(Agency.id).where(Agency.code == edit.agency_code)) is None:
        problems["agency_code"] = "unknown agency"
    default = session.scalars(select(SlaPolicy).where(
        SlaPolicy.key == edit.key, SlaPolicy.category_code.is_(None), SlaPolicy.agency_code.is_(None))).first()
    if default is None and (edit.category_code or edit.agency_code):
        problems["key"] = "an override needs the key's default policy first"
    if problems:
        raise InvalidSla(problems)


def _as_dict(policy: SlaPolicy | None) -> dict | None:
    if policy is None:
        return None
    return {"duration": policy.duration, "unit": policy.unit, "yellow_share": policy.yellow_share,
            "label": policy.label}


def save_policy(db: Database, engine: ComplaintEngine, actor: str, edit: SlaEdit) -> int:
    """Create or update one policy row and log the change; returns the change id."""
    with db.transaction() as session:
        check_edit(session, edit)
        policy = session.scalars(select(SlaPolicy).where(
            SlaPolicy.key == edit.key,
            (SlaPolicy.category_code.is_(None) if edit.category_code is None
             else SlaPolicy.category_code == edit.category_code),
            SlaPolicy.agency_code.is_(None) if edit.agency_code is None else SlaPolicy.agency_code == edit.agency_code,
        )).first()
        old = _as_dict(policy)
        if policy is None:
            default_label = session.scalar(select(SlaPolicy.label).where(SlaPolicy.key == edit.key))
            policy = SlaPolicy(key=edit.key, category_code=edit.category_code, agency_code=edit.agency_code,
                               label=edit.label or default_label or edit.key, duration=edit.duration,
                               unit=edit.unit, yellow_share=edit.yellow_share)
            session.add(policy)
        else:
            policy.duration, policy.unit, policy.yellow_share = edit.duration, edit.unit, edit.yellow_share
            policy.label = edit.label or policy.label
        change = SlaChange(policy_key=edit.key, category_code=edit.category_code, agency_code=edit.agency_code,
                           changed_by=actor, old=old, new=_as_dict(policy))
        session.add(change)
        session.flush()
        change_id = change.id
    engine.sla_book.reload()
    return change_id


def delete_override(db: Database, engine: ComplaintEngine, actor: str, key: str, category: str | None,
                    agency: str | None) -> int:
    """Remove a category/agency override (the default itself cannot be removed)."""
    if category is None and agency is None:
        raise InvalidSla({"key": "the default policy of a key cannot be removed"})
    with db.transaction() as session:
        policy = session.scalars(select(SlaPolicy).where(
            SlaPolicy.key == key,
            SlaPolicy.category_code.is_(None) if category is None else SlaPolicy.category_code == category,
            SlaPolicy.agency_code.is_(None) if agency is None else SlaPolicy.agency_code == agency)).first()
        if policy is None:
            raise LookupError(key)
        change = SlaChange(policy_key=key, category_code=category, agency_code=agency, changed_by=actor,
                           old=_as_dict(policy), new=None)
        session.delete(policy)
        session.add(change)
        session.flush()
        change_id = change.id
    engine.sla_book.reload()
    return change_id


def concerns(key: str) -> rearm.Matches:
    """Whether a timer expression uses this SLA key."""
    pattern = re.compile(r"""sla_(?:due|warn_at)\(\s*["']""" + re.escape(key) + r"""["']""")
    return lambda expression: bool(pattern.search(expression))


@dataclass
class Preview:
    moves: list[rearm.TimerMove]

    @property
    def cases(self) -> int:
        return len({m.instance_id for m in self.moves})

    @property
    def overdue_now(self) -> list[rearm.TimerMove]:
        return [m for m in self.moves if m.overdue_now]


def preview(db: Database, engine: ComplaintEngine, edit: SlaEdit, instance_ids: list[int] | None = None) -> Preview:
    """What applying `edit` to running cases would move (nothing is changed)."""
    book = engine.sla_book
    overrides = {edit.scope: edit.rule()}
    with db.session() as session:
        ids = instance_ids if instance_ids is not None else rearm.running_with_timers(session)
        moves = rearm.preview(session, engine, ids, concerns(edit.key),
                              lambda start: book.script_functions(start, overrides))
    return Preview(moves)


CHUNK = 50  # cases re-armed per transaction


def _rearm_one(db: Database, engine: ProcessEngine, instance_id: int, matches, at_start, actor: str,
               reason: str, unchanged_at=None) -> int:
    for _attempt in range(3):
        try:
            with db.transaction() as session:
                return 1 if rearm.rearm(session, engine, instance_id, matches, at_start, actor, reason,
                                        unchanged_at) else 0
        except ConcurrentUpdate:
            continue  # someone acted on the case meanwhile: load it again
    return 0


def rearm_running(db: Database, engine: ProcessEngine, actor: str, reason: str, matches: rearm.Matches,
                  at_start: rearm.FunctionsAt, batch: int | None = None, after_id: int = 0,
                  progress: Callable[[int, int], None] | None = None,
                  unchanged_at: rearm.FunctionsAt | None = None) -> tuple[int, int | None]:
    """Re-arm the matching timers of running cases from case id `after_id` on, a chunk of cases
    per transaction (one lost race redoes that chunk case by case).

    Returns (cases moved, the last case id handled, or None when every case was handled).
    """
    with db.session() as session:
        ids = [i for i in rearm.running_with_timers(session) if i > after_id]
    chosen = ids[:batch] if batch else ids
    moved = 0
    for first in range(0, len(chosen), CHUNK):
        chunk = chosen[first:first + CHUNK]
        try:
            with db.transaction() as session:
                moved += sum(1 for i in chunk if rearm.rearm(
                    session, engine, i, matches, at_start, actor, reason, unchanged_at))
        except ConcurrentUpdate:
            for instance_id in chunk:
                moved += _rearm_one(db, engine, instance_id, matches, at_start, actor, reason, unchanged_at)
        if progress:
            progress(first + len(chunk), len(chosen))
    last = chosen[-1] if chosen and len(chosen) < len(ids) else None
    return moved, last


def apply_to_running(db: Database, engine: ComplaintEngine, actor: str, change_id: int, batch: int | None = None,
                     after_id: int = 0, progress: Callable[[int, int], None] | None = None) -> tuple[int, int | None]:
    """Re-arm the running cases a saved change concerns, from case id `after_id` on.

    Returns (cases moved in this call, the last case id handled, or None when done). Call again
    with that id to continue; a repeated call finds nothing left to move. Raises LookupError for
    an unknown change.
    """
    with db.session() as session:
        saved = session.get(SlaChange, change_id)
        if saved is None:
            raise LookupError(change_id)
        key = saved.policy_key
    book = engine.sla_book
    book.reload()
    # the policy as saved, counted from each timer's own start
    moved, last = rearm_running(db, engine, actor, f"sla_change:{change_id}", concerns(key), book.script_functions,
                                batch, after_id, progress)
    with db.transaction() as session:
        change = session.get(SlaChange, change_id)
        assert change is not None  # read above, and changes are never deleted
        change.applied_to_running = True
        change.cases_moved = (change.cases_moved or 0) + moved
    return moved, last
