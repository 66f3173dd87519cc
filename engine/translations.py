"""Translations of what a diagram and its forms show people, kept beside the files they translate.

A diagram's texts (task names, instructions, event names) are translated in a catalog beside it:
`complaint.bpmn` -> `complaint.en.json`, one entry per element id:

    {"verify_complaint": {"name": "Verify the complaint", "instructions": "## Verify ..."}}

A form's texts in an overlay beside it: `forms/verify.json` -> `forms/verify.en.json`, a flat
map from a key naming the text to its translation. The overlay also covers the form's UI schema
(help texts, placeholders):

    {"title": "...", "description": "...",
     "decision.title": "Decision", "decision.choices.tunda": "Ask the reporter for more details",
     "note.description": "...", "lead_agency.help": "...",
     "coordination_requests.question.title": "..."}       (a field inside rows: parent.child)

Keys: `title` and `description` of the form; per field `<field>.title`, `<field>.description`,
`<field>.help` (`ui:help`), `<field>.placeholder` (`ui:placeholder`) and `<field>.choices.<value>`
(a `oneOf`/`anyOf` const's title, or a `ui:enumNames` entry, by the stored value, never by
position). `form_texts` lists every key a form has, so a check can name what is missing and what
matches nothing.

Deploy stores them with the version (`ProcessVersion.translations`): a case shows the texts of
the version it runs on, and a changed translation makes a new version like any changed file.
"""
from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from engine.diagram_check import BPMN_NS
from engine.errors import DiagramProblem

SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
INSTRUCTIONS = "instructionsForEndUser"
# elements whose texts people read: tasks in task lists and on task pages, events on timelines
SHOWN = ("userTask", "manualTask", "startEvent", "endEvent", "boundaryEvent",
         "intermediateCatchEvent", "intermediateThrowEvent")
LANGUAGE_NAMES = {"en": "English", "id": "Indonesian"}


# -- file names ---------------------------------------------------------------------------

def catalog_path(diagram: Path, language: str) -> Path:
    """`complaint.bpmn` -> `complaint.en.json`."""
    return diagram.with_name(f"{diagram.stem}.{language}.json")


def overlay_name(form_name: str, language: str) -> str:
    """`verify.json` -> `verify.en.json`."""
    return f"{form_name.removesuffix('.json')}.{language}.json"


def languages_beside(diagram: Path) -> list[str]:
    """The languages of the catalogs found beside a diagram (`complaint.<lang>.json`)."""
    found = []
    for path in sorted(diagram.parent.glob(f"{diagram.stem}.*.json")):
        language = path.name[len(diagram.stem) + 1:-len(".json")]
        if language and "." not in language and language != "ui":
            found.append(language)
    return found


def load_json(path: Path) -> tuple[Any, str | None]:
    """A translation file's content, or an error message."""
    try:
        content = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        return None, f"not valid JSON (line {exc.lineno}: {exc.msg})"
    except OSError as exc:
        return None, f"cannot be read: {exc.strerror}"
    if not isinstance(content, dict):
        return None, "must be a JSON object"
    return content, None


# -- diagrams -----------------------------------------------------------------------------

def diagram_texts(root) -> dict[str, dict[str, str]]:
    """{element id: {"name": ..., "instructions": ...}} of what people read of a diagram."""
    texts: dict[str, dict[str, str]] = {}
    if root is None:
        return texts
    for tag in SHOWN:
        for element in root.iter(f"{{{BPMN_NS}}}{tag}"):
            entry = {}
            if (element.get("name") or "").strip():
                entry["name"] = element.get("name")
            instructions = element.find(f"{{{BPMN_NS}}}extensionElements/{{{SPIFF_NS}}}{INSTRUCTIONS}")
            if instructions is not None and (instructions.text or "").strip():
                entry["instructions"] = instructions.text
            if entry and element.get("id"):
                texts[element.get("id")] = entry
    return texts


# -- forms --------------------------------------------------------------------------------

def _object_at(container: dict, key: Any) -> dict:
    """`container[key]` if it is a JSON object, else an empty one."""
    value = container.get(key)
    return value if isinstance(value, dict) else {}


def _slots(schema: Any, ui: Any) -> Iterator[tuple[str, Any, Any]]:
    """(key, container, index) of every text of a form: `container[index]` is the text."""
    if not isinstance(schema, dict):
        return
    for word in ("title", "description"):
        if isinstance(schema.get(word), str):
            yield word, schema, word
    yield from _field_slots(schema.get("properties"), ui if isinstance(ui, dict) else {}, "")


def _field_slots(properties: Any, ui: dict, prefix: str) -> Iterator[tuple[str, Any, Any]]:
    if not isinstance(properties, dict):
        return
    for name, prop in properties.items():
        if not isinstance(prop, dict):
            continue
        key = prefix + name
        field_ui = _object_at(ui, name)
        for word in ("title", "description"):
            if isinstance(prop.get(word), str):
                yield f"{key}.{word}", prop, word
        for word, ui_word in (("title", "ui:title"), ("help", "ui:help"), ("placeholder", "ui:placeholder")):
            if isinstance(field_ui.get(ui_word), str):
                yield f"{key}.{word}", field_ui, ui_word
        items = _object_at(prop, "items")
        for source in (prop, items):
            for word in ("oneOf", "anyOf"):
                for choice in source.get(word) or []:
                    if isinstance(choice, dict) and "const" in choice and isinstance(choice.get("title"), str):
                        yield f"{key}.choices.{_value(choice['const'])}", choice, "title"
        names = field_ui.get("ui:enumNames")
        values = prop.get("enum") if isinstance(prop.get("enum"), list) else items.get("enum")
        if isinstance(names, list) and isinstance(values, list):
            for n, value in enumerate(values[:len(names)]):
                if isinstance(names[n], str):
                    yield f"{key}.choices.{_value(value)}", names, n
        row_ui = _object_at(field_ui, "items")
        yield from _field_slots(items.get("properties"), row_ui, key + ".")
        yield from _field_slots(prop.get("properties"), field_ui, key + ".")


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def form_texts(schema: Any, ui: Any = None) -> dict[str, str]:
    """{key: text} of everything a form shows (see the module docstring for the keys)."""
    return {key: container[index] for key, container, index in _slots(schema, ui)}


def localize_form(schema: Any, ui: Any, overlay: dict[str, str] | None) -> tuple[Any, Any]:
    """Copies of a form's schema and UI schema with the overlay's texts in place of the originals.

    Texts the overlay lacks stay as they are; nothing else changes (names, values, rules).
    """
    schema, ui = copy.deepcopy(schema), copy.deepcopy(ui)
    if overlay:
        for key, container, index in list(_slots(schema, ui)):
            text = overlay.get(key)
            if isinstance(text, str) and text.strip():
                container[index] = text
    return schema, ui


# -- what a version stores, and reading it back -------------------------------------------

def element_text(translations: dict | None, language: str, element_id: str | None, kind: str = "name") -> str | None:
    """An element's text in a language from a version's translations, or None."""
    if not translations or not element_id:
        return None
    for catalog in ((translations.get(language) or {}).get("diagrams") or {}).values():
        text = (catalog.get(element_id) or {}).get(kind)
        if isinstance(text, str) and text.strip():
            return text
    return None


def form_overlay(translations: dict | None, language: str, form_name: str | None) -> dict[str, str]:
    if not translations or not form_name:
        return {}
    return ((translations.get(language) or {}).get("forms") or {}).get(form_name) or {}


def localized_forms(forms: dict[str, Any], translations: dict | None, language: str,
                    ui_of: dict[str, str] | None = None) -> dict[str, Any]:
    """A version's forms ({file name: content}) with every schema and UI schema translated.

    A UI schema takes its texts from the overlay of the schema it goes with (`ui_of`: ui file
    name -> schema file name; by default `x.ui.json` goes with `x.json`).
    """
    language_forms = ((translations or {}).get(language) or {}).get("forms") or {}
    if not language_forms:
        return forms
    result = dict(forms)
    for name, content in forms.items():
        own_schema = name[:-len(".ui.json")] + ".json" if name.endswith(".ui.json") else name
        schema_name = (ui_of or {}).get(name) or own_schema
        overlay = language_forms.get(schema_name)
        if not overlay:
            continue
        if schema_name == name:
            result[name] = localize_form(content, None, overlay)[0]
        else:
            result[name] = localize_form(forms.get(schema_name) or {}, content, overlay)[1]
    return result


# -- the check ----------------------------------------------------------------------------

def check_catalog(file_name: str, catalog: dict, texts: dict[str, dict[str, str]], required: bool,
                  language: str) -> list[DiagramProblem]:
    """A diagram catalog against its diagram: unknown ids/kinds are errors, missing texts warnings."""
    problems = []
    for element_id, entry in catalog.items():
        if element_id not in texts:
            problems.append(DiagramProblem(file_name, f"'{element_id}' is not an element of the diagram with a "
                                           "name or instructions people read (a typo, or an element removed?)",
                                           element_id=element_id))
            continue
        if not isinstance(entry, dict):
            problems.append(DiagramProblem(file_name, f"the entry of '{element_id}' must be an object like "
                                           '{"name": "...", "instructions": "..."}', element_id=element_id))
            continue
        for kind, text in entry.items():
            if kind not in texts[element_id]:
                problems.append(DiagramProblem(file_name, f"'{element_id}' has no {kind} to translate "
                                               f"(it has: {', '.join(texts[element_id])})", element_id=element_id))
            elif not isinstance(text, str):
                problems.append(DiagramProblem(file_name, f"the {kind} of '{element_id}' must be text",
                                               element_id=element_id))
    if required:
        name = LANGUAGE_NAMES.get(language, language)
        for element_id, kinds in texts.items():
            entry = _object_at(catalog, element_id)
            for kind in kinds:
                if not (isinstance(entry.get(kind), str) and entry[kind].strip()):
                    problems.append(DiagramProblem(
                        file_name, f"no {name} for the {kind} of '{element_id}' (\"{_short(kinds[kind])}\")",
                        element_id=element_id, severity="warning"))
    return problems


def check_overlay(file_name: str, overlay: dict, texts: dict[str, str], required: bool,
                  language: str) -> list[DiagramProblem]:
    """A form overlay against its form: unknown keys are errors, missing texts warnings."""
    problems = []
    for key, text in overlay.items():
        if key not in texts:
            problems.append(DiagramProblem(file_name, f"key '{key}' names no text of the form "
                                           f"(a typo, or a field or choice removed?){_near(key, texts)}"))
        elif not isinstance(text, str):
            problems.append(DiagramProblem(file_name, f"the value of '{key}' must be text"))
    if required:
        name = LANGUAGE_NAMES.get(language, language)
        for key, original in texts.items():
            if not (isinstance(overlay.get(key), str) and overlay[key].strip()):
                field = key.rsplit(".", 1)[0] if "." in key else None
                where = f"field '{field.split('.choices')[0]}'" if field else "the form"
                problems.append(DiagramProblem(file_name, f"no {name} for {where}: key '{key}' "
                                               f"(\"{_short(original)}\")", severity="warning"))
    return problems


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _near(key: str, texts: dict[str, str]) -> str:
    import difflib

    close = difflib.get_close_matches(key, list(texts), n=1)
    return f"; did you mean '{close[0]}'?" if close else ""


def check_translations(translations: dict[str, dict], roots: dict[str, Any], diagrams: dict[str, list[str]],
                       forms: dict[str, dict[str, Any]], ui_of: dict[str, dict[str, str]],
                       required: tuple[str, ...]) -> list[DiagramProblem]:
    """Every process's translations against its diagrams and forms.

    `translations`: process id -> what the version stores; `roots`: diagram file -> XML root;
    `diagrams`: process id -> its diagram files (its own and those it calls);
    `forms`: process id -> {form file: content}; `ui_of`: process id -> {schema file: its UI file};
    `required`: the languages every text must have (missing ones are warnings).
    A file shared by several processes is reported once.
    """
    problems: list[DiagramProblem] = []
    seen: set[tuple] = set()

    def add(found: list[DiagramProblem]) -> None:
        for p in found:
            key = (p.file, p.element_id, p.message, p.severity)
            if key not in seen:
                seen.add(key)
                problems.append(p)

    for process_id, process_forms in forms.items():
        stored = translations.get(process_id) or {}
        languages = sorted(set(required) | set(stored))
        diagram_files = sorted({name for lang in languages
                                for name in ((stored.get(lang) or {}).get("diagrams") or {})}
                               | set(diagrams.get(process_id) or []))
        for language in languages:
            catalogs = (stored.get(language) or {}).get("diagrams") or {}
            for file_name in diagram_files:
                if file_name.endswith(".dmn"):
                    continue
                add(check_catalog(str(catalog_path(Path(file_name), language)), catalogs.get(file_name) or {},
                                  diagram_texts(roots.get(file_name)), language in required, language))
            overlays = (stored.get(language) or {}).get("forms") or {}
            ui_names = ui_of.get(process_id) or {}
            for form_name, content in sorted(process_forms.items()):
                if form_name in ui_names.values():
                    continue
                ui = process_forms.get(ui_names.get(form_name) or "")
                add(check_overlay(f"forms/{overlay_name(form_name, language)}", overlays.get(form_name) or {},
                                  form_texts(content, ui), language in required, language))
    return problems



def borrowed_translations(old_sources: dict[str, str], old_forms: dict[str, Any], new_sources: dict[str, str],
                          new_forms: dict[str, Any], new_translations: dict | None) -> dict:
    """A newer version's translations, kept only where they translate exactly an older version's texts.

    For versions deployed before they had translations: a catalog entry is kept when the element
    reads the same in both diagrams, a form overlay when the form (and its UI schema) is the same.
    """
    result: dict[str, dict] = {}
    for language, parts in (new_translations or {}).items():
        forms = {}
        for name, overlay in (parts.get("forms") or {}).items():
            ui_name = name.removesuffix(".json") + ".ui.json"
            if name in old_forms and old_forms.get(name) == new_forms.get(name) \
                    and old_forms.get(ui_name) == new_forms.get(ui_name):
                forms[name] = overlay
        diagrams = {}
        for file_name, catalog in (parts.get("diagrams") or {}).items():
            if file_name not in old_sources or file_name not in new_sources:
                continue
            old_texts, new_texts = _texts_of(old_sources[file_name]), _texts_of(new_sources[file_name])
            diagrams[file_name] = {element_id: entry for element_id, entry in catalog.items()
                                   if element_id in old_texts
                                   and old_texts.get(element_id) == new_texts.get(element_id)}
        result[language] = {"forms": forms, "diagrams": diagrams}
    return result


def _texts_of(source: str) -> dict[str, dict[str, str]]:
    from lxml import etree

    try:
        return diagram_texts(etree.fromstring(source.encode("utf-8")))
    except etree.XMLSyntaxError:
        return {}
