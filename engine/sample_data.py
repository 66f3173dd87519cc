"""Form data generated from a JSON Schema, for the dry run: valid, and varied on request.

`choose(path, options)` picks among a field's allowed values, so the dry run can steer
different runs down different gateway branches.
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

Chooser = Callable[[str, Sequence[Any]], Any]


def first(path: str, options: Sequence[Any]) -> Any:
    return options[0]


def options_of(prop: dict) -> list[Any] | None:
    """The closed set of values a property allows, if it has one."""
    if "const" in prop:
        return [prop["const"]]
    if "enum" in prop:
        return list(prop["enum"])
    for keyword in ("oneOf", "anyOf"):
        consts = [option["const"] for option in prop.get(keyword, []) if isinstance(option, dict) and "const" in option]
        if consts:
            return consts
    if prop.get("type") == "boolean":
        return [True, False]
    return None


def sample(schema: dict, choose: Chooser = first, formats: dict[str, Any] | None = None, path: str = "") -> Any:
    """A value valid for `schema` (every property filled, so conditional requirements hold)."""
    formats = formats or {}
    options = options_of(schema)
    if options:
        return choose(path, options)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object" or "properties" in schema:
        return {name: sample(prop, choose, formats, f"{path}.{name}" if path else name)
                for name, prop in (schema.get("properties") or {}).items() if isinstance(prop, dict)}
    if kind == "array":
        declared = schema.get("items")
        items = declared if isinstance(declared, dict) else {}
        count = max(1, schema.get("minItems", 1))
        item_options = options_of(items) if schema.get("uniqueItems") else None
        if item_options:
            return item_options[:count]
        return [sample(items, choose, formats, f"{path}[]") for _ in range(count)]
    if kind in ("integer", "number"):
        low = schema.get("minimum", schema.get("exclusiveMinimum", 0) + (1 if "exclusiveMinimum" in schema else 0))
        return int(low) if kind == "integer" else float(low)
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    fmt = schema.get("format")
    if fmt in formats:
        return formats[fmt]
    if fmt == "date":
        return "2026-01-05"
    if fmt == "date-time":
        return "2026-01-05T09:00:00+07:00"
    if fmt == "email":
        return "pelapor@example.org"
    if fmt in ("uri", "url"):
        return "https://example.org/"
    text = "Contoh isian uji coba"
    length = max(schema.get("minLength", 0), 1)
    if len(text) < length:
        text = (text + " ") * (length // len(text) + 1)
    if "maxLength" in schema:
        text = text[: schema["maxLength"]]
    return text
