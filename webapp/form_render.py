"""Task forms from JSON Schema: the fields to render, and the submitted form parsed into typed JSON.

A form is described by a JSON Schema (what the data must be) and an optional UI schema in the
react-jsonschema-form style (`ui:order`, `ui:widget`, `ui:help`, `ui:placeholder`,
`ui:options`). Only the flat forms Tindak's diagrams use are supported: one object of scalar
properties, enums and arrays of enums.

Fields that only matter for one answer of another field (JSON Schema `if`/`then`/`else`, alone or
in `allOf`, and `dependentRequired`/`dependentSchemas`) carry a `Condition`: the page groups them
under "Only if you choose …" (readable without JavaScript) and `static/js/form_conditions.js`
shows the group only while the condition holds, disabling its controls otherwise so their values
are not sent. `parse_submission` drops them too when the condition is false, so a form sent
without JavaScript never carries an answer for a branch that was not chosen. Validation itself
stays the engine's, whose messages come back through `field_messages`.
"""
from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from jsonschema import Draft202012Validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from workflows.models import Agency

AGENCY_FORMAT = "agency"
RADIO_LIMIT = 4  # enums with this many options or fewer are radios, longer ones a select
TEXTAREA_FROM = 200  # strings allowed to be longer than this get a textarea
PUBLIC_KEYWORD = "x-public"


@dataclass
class Option:
    value: str  # as it travels in the HTML form
    label: str


@dataclass
class OptionGroup:
    label: str
    options: list[Option]


@dataclass(frozen=True)
class Condition:
    """A field shown only while `controller` holds one of `values` (texts as the HTML form sends
    them), or, with `values` None, while `controller` is answered at all (`dependentRequired`)."""

    controller: str
    values: tuple[str, ...] | None
    labels: tuple[str, ...] = ()  # the titles of `values`, for the heading

    @property
    def values_json(self) -> str:
        return json.dumps(list(self.values or ()))


@dataclass
class Field:
    """One form control, ready for the `tasks/_form.html` macros."""

    name: str
    label: str
    widget: str  # text|textarea|number|date|email|select|radio|checkbox|checkboxes|agency|agencies
    required: bool = False
    help: str | None = None
    options: list[Option] = field(default_factory=list)
    groups: list[OptionGroup] = field(default_factory=list)
    value: Any = None  # str, list[str] (checkboxes) or bool (checkbox)
    error: str | None = None
    attrs: dict[str, Any] = field(default_factory=dict)
    inline: bool = False
    autofocus: bool = False
    public: bool = False  # `x-public`: the reporter will read this answer
    condition: Condition | None = None  # shown only for one choice of another field
    required_when_shown: bool = False  # required by that choice (`then.required`)

    @property
    def id(self) -> str:
        return f"field-{self.name}"

    def is_selected(self, option: Option) -> bool:
        if isinstance(self.value, list):
            return option.value in self.value
        return option.value == self.value


def _type(prop: Mapping) -> str | None:
    kind = prop.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), None)
    return kind


def choices(prop: Mapping, ui: Mapping | None = None) -> list[tuple[Any, str]] | None:
    """(value, title) pairs of an enumerated property (`oneOf`/`anyOf` of consts, or `enum`)."""
    for key in ("oneOf", "anyOf"):
        items = prop.get(key)
        if items and all(isinstance(i, dict) and "const" in i for i in items):
            return [(i["const"], str(i.get("title", i["const"]))) for i in items]
    if isinstance(prop.get("enum"), list):
        names = (ui or {}).get("ui:enumNames") or []
        return [(v, str(names[n]) if n < len(names) else str(v)) for n, v in enumerate(prop["enum"])]
    return None


def widget_for(prop: Mapping, ui: Mapping | None = None) -> str:
    """Which control a property gets (see the module docstring for the rules)."""
    ui = ui or {}
    requested = ui.get("ui:widget")
    kind = _type(prop)
    if kind == "array":
        return "agencies" if (prop.get("items") or {}).get("format") == AGENCY_FORMAT else "checkboxes"
    if kind == "boolean":
        return "checkbox"
    options = choices(prop, ui)
    if options is not None:
        if requested in ("radio", "select"):
            return requested
        return "radio" if len(options) <= RADIO_LIMIT else "select"
    if prop.get("format") == AGENCY_FORMAT:
        return "agency"
    if kind in ("integer", "number"):
        return "number"
    if prop.get("format") == "date":
        return "date"
    if requested == "textarea" or prop.get("x-document") or (prop.get("maxLength") or 0) > TEXTAREA_FROM:
        return "textarea"
    if prop.get("format") == "email":
        return "email"
    return "text"


def ordered_names(schema: Mapping, ui_schema: Mapping | None) -> list[str]:
    """Property names in `ui:order` order; `*` stands for the rest (at the end when absent)."""
    names = list((schema.get("properties") or {}).keys())
    order = [n for n in (ui_schema or {}).get("ui:order") or [] if n == "*" or n in names]
    if "*" not in order:
        order.append("*")
    rest = [n for n in names if n not in order]
    result: list[str] = []
    for name in order:
        result.extend(rest if name == "*" else [name])
    return result


def agency_groups(session: Session) -> list[OptionGroup]:
    """Active agencies, one group per top-level agency, each listed with those below it."""
    agencies = list(session.scalars(select(Agency).order_by(Agency.name)))
    children: dict[int | None, list[Agency]] = {}
    for agency in agencies:
        children.setdefault(agency.parent_id, []).append(agency)

    def walk(agency: Agency, depth: int, into: list[Option]) -> None:
        if agency.active:
            indent = "\u2003" * max(0, depth - 1)  # em spaces: units sit under their dinas
            into.append(Option(agency.code, indent + agency.name))
        for child in children.get(agency.id, []):
            walk(child, depth + 1, into)

    groups = []
    for root in children.get(None, []):
        options: list[Option] = []
        walk(root, 0, options)
        if options:
            groups.append(OptionGroup(root.name, options))
    return groups


def _initial(prop: Mapping, widget: str) -> Any:
    default = prop.get("default")
    if widget == "checkbox":
        return bool(default)
    if widget in ("checkboxes", "agencies"):
        return [str(v) for v in default] if isinstance(default, list) else []
    return "" if default is None else str(default)


def _submitted(values: Any, name: str, widget: str) -> Any:
    if widget == "checkbox":
        return name in values
    if widget in ("checkboxes", "agencies"):
        return values.getlist(name) if hasattr(values, "getlist") else list(values.get(name) or [])
    return values.get(name) or ""


def _attrs(prop: Mapping, ui: Mapping, widget: str) -> dict[str, Any]:
    attrs: dict[str, Any] = {}
    if ui.get("ui:placeholder"):
        attrs["placeholder"] = ui["ui:placeholder"]
    if widget in ("text", "textarea", "email"):
        for key, attr in (("maxLength", "maxlength"), ("minLength", "minlength")):
            if isinstance(prop.get(key), int):
                attrs[attr] = prop[key]
    if widget == "textarea":
        attrs["rows"] = (ui.get("ui:options") or {}).get("rows", 4)
    if widget == "number":
        for key, attr in (("minimum", "min"), ("maximum", "max")):
            if isinstance(prop.get(key), (int, float)):
                attrs[attr] = prop[key]
        attrs["step"] = 1 if _type(prop) == "integer" else "any"
        attrs["inputmode"] = "numeric" if _type(prop) == "integer" else "decimal"
    return attrs


def build_fields(
    schema: Mapping, ui_schema: Mapping | None = None, values: Any = None,
    errors: Mapping[str, str] | None = None, agencies: list[OptionGroup] | None = None,
) -> list[Field]:
    """The fields of a form. `values` is the submitted form (a MultiDict) or None for defaults."""
    ui_schema = ui_schema or {}
    errors = errors or {}
    required = set(schema.get("required") or [])
    properties = schema.get("properties") or {}
    dependent = conditions(schema, ui_schema)
    fields = []
    for name in ordered_names(schema, ui_schema):
        prop, ui = properties[name] or {}, ui_schema.get(name) or {}
        widget = widget_for(prop, ui)
        enum_source = (prop.get("items") or {}) if widget == "checkboxes" else prop
        fields.append(Field(
            name=name,
            label=str(ui.get("ui:title") or prop.get("title") or name),
            widget=widget,
            required=name in required,
            help=ui.get("ui:help") or prop.get("description"),
            options=[Option(str(v), t) for v, t in choices(enum_source, ui) or []],
            groups=(agencies or []) if widget in ("agency", "agencies") else [],
            value=_initial(prop, widget) if values is None else _submitted(values, name, widget),
            error=errors.get(name),
            attrs=_attrs(prop, ui, widget),
            inline=bool((ui.get("ui:options") or {}).get("inline")),
            public=bool(prop.get(PUBLIC_KEYWORD)),
            condition=dependent[name][0] if name in dependent else None,
            required_when_shown=dependent[name][1] if name in dependent else False,
        ))
    focus = next((f for f in fields if f.error), fields[0] if fields else None)
    if focus is not None:
        focus.autofocus = True
    return fields


def _text(value: Any) -> str:
    """A const as the HTML form sends it (a checkbox is "true" or "false")."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _if_controller(rule: Mapping) -> tuple[str, set[Any]] | None:
    """(field, accepted values) of an `if` that tests one field against `const` or `enum`."""
    props = rule.get("properties") if isinstance(rule, Mapping) else None
    if not isinstance(props, Mapping) or len(props) != 1:
        return None
    (name, test), = props.items()
    if not isinstance(test, Mapping):
        return None
    if "const" in test:
        return name, {test["const"]}
    if isinstance(test.get("enum"), list):
        return name, set(test["enum"])
    return None


def _named(branch: Any) -> list[str]:
    """The fields a `then`/`else`/dependent schema is about: those it requires or constrains."""
    if not isinstance(branch, Mapping):
        return []
    names = [n for n in branch.get("required") or [] if isinstance(n, str)]
    names += [n for n in (branch.get("properties") or {}) if n not in names]
    return names


@dataclass
class _Rule:
    condition: Condition
    test: Any  # the JSON Schema that holds while the field matters (or the controller's name)
    requires: bool


def _rules(schema: Mapping, ui_schema: Mapping | None = None) -> dict[str, list[_Rule]]:
    """For each dependent field, the rules under which it matters."""
    properties = schema.get("properties") or {}
    top_required = set(schema.get("required") or [])
    ui_schema = ui_schema or {}
    found: dict[str, list[_Rule]] = {}

    def add(names, condition, test, required_names):
        for name in names:
            if name in properties and name != condition.controller and name not in top_required:
                found.setdefault(name, []).append(_Rule(condition, test, name in required_names))

    def titles(controller, values):
        prop = properties.get(controller) or {}
        known = dict(choices(prop, ui_schema.get(controller)) or [])
        return tuple(str(known.get(v, v)) for v in values)

    branches = [schema] + [r for r in schema.get("allOf") or [] if isinstance(r, Mapping)]
    for rule in branches:
        if "if" not in rule:
            continue
        tested = _if_controller(rule["if"])
        if tested is None:
            continue
        controller, accepted = tested
        options = [v for v, _t in choices(properties.get(controller) or {}, ui_schema.get(controller)) or []]
        if (properties.get(controller) or {}).get("type") == "boolean":
            options = [True, False]
        ordered = [v for v in options if v in accepted] or sorted(accepted, key=str)
        then = rule.get("then")
        add(_named(then), Condition(controller, tuple(_text(v) for v in ordered), titles(controller, ordered)),
            rule["if"], set((then or {}).get("required") or []))
        otherwise = rule.get("else")
        others = [v for v in options if v not in accepted]
        if otherwise is not None and others:
            add(_named(otherwise), Condition(controller, tuple(_text(v) for v in others), titles(controller, others)),
                {"not": rule["if"]}, set((otherwise or {}).get("required") or []))
    for controller, names in (schema.get("dependentRequired") or {}).items():
        add(names, Condition(controller, None, ()), controller, set(names))
    for controller, branch in (schema.get("dependentSchemas") or {}).items():
        add(_named(branch), Condition(controller, None, ()), controller, set((branch or {}).get("required") or []))
    return found


def conditions(schema: Mapping, ui_schema: Mapping | None = None) -> dict[str, tuple[Condition, bool]]:
    """Dependent field -> (when it is shown, whether that choice requires it).

    A field named by several rules about the same controller is shown for any of their values;
    one named by rules about different controllers is left unconditional (always shown).
    """
    result = {}
    for name, rules in _rules(schema, ui_schema).items():
        controllers = {r.condition.controller for r in rules}
        if len(controllers) != 1:
            continue
        listed = [(r.condition.values, r.condition.labels) for r in rules if r.condition.values is not None]
        if len(listed) < len(rules):  # a rule that only asks for the controller to be answered
            condition = Condition(rules[0].condition.controller, None, ())
        else:
            values: list[str] = []
            labels: list[str] = []
            for rule_values, rule_labels in listed:
                for value, label in zip(rule_values, rule_labels):
                    if value not in values:
                        values.append(value)
                        labels.append(label)
            condition = Condition(rules[0].condition.controller, tuple(values), tuple(labels))
        result[name] = (condition, any(r.requires for r in rules))
    return result


def _applies(rule: _Rule, data: Mapping[str, Any]) -> bool:
    if isinstance(rule.test, str):  # dependentRequired / dependentSchemas: the controller is answered
        return data.get(rule.test) not in (None, "", [], False)
    return Draft202012Validator(rule.test).is_valid(dict(data))


def inactive_fields(schema: Mapping, data: Mapping[str, Any], ui_schema: Mapping | None = None) -> set[str]:
    """Dependent fields none of whose conditions holds for `data`: answers there are not meant."""
    shown = conditions(schema, ui_schema)
    return {name for name, rules in _rules(schema, ui_schema).items()
            if name in shown and not any(_applies(r, data) for r in rules)}


@dataclass
class Section:
    """Fields rendered together: unconditional ones (`condition` None) or one dependent group."""

    condition: Condition | None
    fields: list[Field]


def sections(fields: list[Field]) -> list[Section]:
    """Consecutive fields with the same condition, grouped (the template's fieldsets)."""
    result: list[Section] = []
    for f in fields:
        if result and result[-1].condition == f.condition and f.condition is not None:
            result[-1].fields.append(f)
        else:
            result.append(Section(f.condition, [f]))
    return result


def _from_option(options: list[tuple[Any, str]] | None, raw: str) -> Any:
    # the typed const whose text was submitted; anything else goes on for the engine to refuse
    for value, _title in options or []:
        if str(value) == raw:
            return value
    return raw


def _number(raw: str, kind: str) -> int | float | None:
    text = raw.replace(",", ".") if "." not in raw else raw  # 2,5 is how Indonesians write 2.5
    try:
        number = float(text)
    except ValueError:
        return None
    if not math.isfinite(number):
        return None
    if kind == "integer" or (number.is_integer() and "." not in text and "e" not in text.lower()):
        return int(number) if number.is_integer() else None
    return number


def parse_submission(
    schema: Mapping, ui_schema: Mapping | None, form: Any, agency_codes: set[str] | None = None,
) -> tuple[dict[str, Any], dict[str, str]]:
    """Typed JSON values from a submitted form, and messages for values that cannot be typed.

    Empty answers are left out; unchecked booleans are False; numbers become int or float;
    enum answers become their typed const; answers to fields of a branch that was not chosen are
    dropped. Everything else is the engine's to validate.
    """
    ui_schema = ui_schema or {}
    data: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name, prop in (schema.get("properties") or {}).items():
        prop, ui = prop or {}, ui_schema.get(name) or {}
        widget = widget_for(prop, ui)
        if widget == "checkbox":
            data[name] = name in form
            continue
        if widget == "agencies":
            picked = [v for v in form.getlist(name) if v]
            if agency_codes is not None and set(picked) - agency_codes:
                errors[name] = _("Choose one of the options.")
            elif picked:
                data[name] = picked
            continue
        if widget == "checkboxes":
            options = choices(prop.get("items") or {}, ui)
            picked = [_from_option(options, v) for v in form.getlist(name) if v]
            if picked:
                data[name] = picked
            continue
        raw = (form.get(name) or "").strip()
        if not raw:
            continue
        options = choices(prop, ui)
        kind = _type(prop)
        if options is not None:
            data[name] = _from_option(options, raw)
        elif kind in ("integer", "number"):
            number = _number(raw, kind)
            if number is None:
                errors[name] = _("Must be a whole number.") if kind == "integer" else _("Must be a number.")
            else:
                data[name] = number
        elif widget == "agency" and agency_codes is not None and raw not in agency_codes:
            errors[name] = _("Choose one of the options.")
        else:
            data[name] = raw
    for name in inactive_fields(schema, data, ui_schema):
        data.pop(name, None)
        errors.pop(name, None)
    return data, errors


def field_messages(engine_fields: Mapping[str, str]) -> dict[str, str]:
    """The engine's plain English form messages, in the user's language where we know them."""
    known = {
        "required": _("This field is required."),
        "not one of the allowed choices": _("Choose one of the options."),
    }
    return {name: known.get(message, message) for name, message in engine_fields.items()}


def form_errors_outside_fields(messages: Mapping[str, str], fields: list[Field]) -> list[str]:
    """Messages that belong to no rendered field (shown above the form)."""
    names = {f.name for f in fields}
    return [message for name, message in messages.items() if name not in names]
