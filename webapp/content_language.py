"""Texts that come from data, not from the code, in the visitor's language.

Gettext translates the app's own words; the words of the diagrams (task names, instructions, form
labels and choices) come translated with each process version (engine/translations.py), and a
category has an English name beside its Indonesian one. Everything falls back to the Indonesian
text when a translation is missing.

Translated forms are copies made before rendering: the renderer, validation and stored answers
never see anything but the deployed schema's names and values.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any, overload

from flask import g, has_request_context
from flask_babel import get_locale
from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from engine.models import HumanTask, ProcessInstance, ProcessVersion
from engine.translations import borrowed_translations, element_text, localized_forms
from workflows.models import Category

DEFAULT = "id"  # the language the diagrams, forms and category names are written in
_forms_cache: dict[tuple, dict[str, Any]] = {}  # versions never change: cached forever
_borrowed_cache: dict[tuple, dict] = {}


def language() -> str:
    if not has_request_context():
        return DEFAULT
    locale = get_locale()
    return locale.language if locale is not None else DEFAULT


def category_label(category: Category | None) -> str:
    if category is None:
        return ""
    if language() == "en" and category.name_en:
        return category.name_en
    return category.name


def category_names(session: Session) -> dict[str, str]:
    """Category code -> name in the visitor's language, for every category."""
    return {c.code: category_label(c) for c in session.scalars(select(Category))}


# -- process versions' translations ------------------------------------------------------------

def _translations_by_instance() -> dict[int, dict | None]:
    if not hasattr(g, "_translations_by_instance"):
        g._translations_by_instance = {}
    return g._translations_by_instance


def preload(session: Session, instance_ids: Iterable[int]) -> None:
    """Read the translations of the versions these instances run on, in one query."""
    if language() == DEFAULT:
        return
    known = _translations_by_instance()
    wanted = {i for i in instance_ids if i is not None and i not in known}
    if not wanted:
        return
    rows = session.execute(select(ProcessInstance.id, ProcessInstance.process_version_id)
                           .where(ProcessInstance.id.in_(wanted))).all()
    by_version: dict[int, dict | None] = {}
    for instance_id, version_id in rows:
        if version_id not in by_version:
            by_version[version_id] = translations_of(session, session.get(ProcessVersion, version_id))
        known[instance_id] = by_version[version_id]
    for instance_id in wanted - known.keys():
        known[instance_id] = None


def translations_of(session: Session, version: ProcessVersion | None) -> dict | None:
    """A version's translations; for one deployed without any (before translations existed), those
    of the newest version that has them, where they translate exactly this version's texts, so
    cases running on older versions are not left in Indonesian."""
    return _translations_and_key(session, version)[0]


def _translations_and_key(session: Session | None, version: ProcessVersion | None) -> tuple[dict | None, tuple]:
    if version is None:
        return None, ()
    own = (version.id, version.content_hash)
    if version.translations or session is None:
        return version.translations, (*own, bool(version.translations))
    newer = next((v for v in session.scalars(
        select(ProcessVersion).where(ProcessVersion.process_id == version.process_id,
                                     ProcessVersion.version > version.version)
        .order_by(ProcessVersion.version.desc())) if v.translations), None)
    if newer is None:
        return None, (*own, False)
    key = (*own, newer.id, newer.content_hash)
    if key not in _borrowed_cache:
        _borrowed_cache[key] = borrowed_translations(version.source or {}, version.forms or {}, newer.source or {},
                                                     newer.forms or {}, newer.translations)
    return _borrowed_cache[key], key


@overload
def element_label(session: Session, instance_id: int | None, element_id: str | None, fallback: str,
                  kind: str = "name") -> str: ...
@overload
def element_label(session: Session, instance_id: int | None, element_id: str | None, fallback: str | None,
                  kind: str = "name") -> str | None: ...
def element_label(session: Session, instance_id: int | None, element_id: str | None, fallback: str | None,
                  kind: str = "name") -> str | None:
    """An element's name (or instructions) in the visitor's language, else `fallback`."""
    lang = language()
    if lang == DEFAULT or instance_id is None or not element_id:
        return fallback
    preload(session, [instance_id])
    return element_text(_translations_by_instance().get(instance_id), lang, element_id, kind) or fallback


def task_label(session: Session, task: HumanTask) -> str:
    return element_label(session, task.process_instance_id, task.element_id, task.name) or task.name


def forms_of(version: ProcessVersion) -> dict[str, Any]:
    """A version's forms with labels, help texts and choices in the visitor's language."""
    lang = language()
    forms = version.forms or {}
    if lang == DEFAULT:
        return forms
    translations, key = _translations_and_key(object_session(version), version)
    key = (*key, lang)
    if key not in _forms_cache:
        _forms_cache[key] = localized_forms(forms, translations, lang)
    return _forms_cache[key]


def task_label_filter(task: HumanTask) -> str:
    """`{{ task|task_label }}`: opens a session only for instances no view preloaded."""
    if language() == DEFAULT or task is None:
        return task.name if task is not None else ""
    if task.process_instance_id not in _translations_by_instance():
        from webapp import services

        with services.db().session() as session:
            preload(session, [task.process_instance_id])
    translations = _translations_by_instance().get(task.process_instance_id)
    return element_text(translations, language(), task.element_id) or task.name


def register(app) -> None:
    app.add_template_filter(task_label_filter, "task_label")
    app.add_template_filter(category_label, "category_label")
