"""Task forms: JSON Schema validation with field-level messages, and document fields.

A form property marked `"x-document": true` holds free text (an answer, a reason). It is
validated like any other field but kept out of task data: it is stored in the audit log,
so workflow state stays small and flat.
"""
from __future__ import annotations

from typing import Any

from jsonschema import Draft202012Validator, FormatChecker

from engine.errors import FormInvalid

DOCUMENT_KEYWORD = "x-document"


def document_fields(schema: dict) -> set[str]:
    """Names of the top-level properties marked as documents."""
    return {
        name for name, prop in (schema.get("properties") or {}).items()
        if isinstance(prop, dict) and prop.get(DOCUMENT_KEYWORD)
    }


def clean(schema: dict, data: dict[str, Any]) -> dict[str, Any]:
    """Drop empty strings and unknown keys, so an untouched optional field is simply absent."""
    known = set((schema.get("properties") or {}).keys())
    return {k: v for k, v in data.items() if (not known or k in known) and v not in ("", None, [])}


def validate(schema: dict, data: dict[str, Any]) -> dict[str, Any]:
    """Return the cleaned data, or raise FormInvalid with one message per field."""
    data = clean(schema, data)
    validator = Draft202012Validator(schema, format_checker=FormatChecker())
    errors: dict[str, str] = {}
    for error in sorted(validator.iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path]):
        if error.validator == "required":
            # "'x' is a required property": the field is the missing one, not the object
            missing = error.message.split("'")[1] if "'" in error.message else ""
            errors.setdefault(field_key([*error.absolute_path, missing]), "required")
        elif error.absolute_path:
            errors.setdefault(field_key(error.absolute_path), _plain(error))
        elif error.validator not in ("if", "then", "allOf"):
            errors.setdefault("", _plain(error))
    if errors:
        raise FormInvalid(errors)
    return data


def field_key(path) -> str:
    """The field an error belongs to: the top-level property, or "rows.2.question" for a property of
    one object in an array of objects (an item of an array of plain values belongs to the array)."""
    path = list(path)
    if len(path) >= 3 and isinstance(path[1], int) and isinstance(path[2], str):
        return f"{path[0]}.{path[1]}.{path[2]}"
    return str(path[0]) if path else ""


def _plain(error) -> str:
    kind = error.validator
    if kind in ("enum", "const", "oneOf", "anyOf"):
        return "not one of the allowed choices"
    if kind == "type":
        return f"must be a {error.validator_value}"
    if kind in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        return f"out of range ({kind} {error.validator_value})"
    if kind in ("minLength", "maxLength"):
        return f"length must respect {kind} {error.validator_value}"
    if kind == "format":
        return f"not a valid {error.validator_value}"
    return error.message
