"""Form validation (engine/forms.py): one message per field, also for rows of an array of objects."""
from __future__ import annotations

import pytest

from engine.errors import FormInvalid
from engine.forms import document_fields, validate

SCHEMA = {
    "type": "object",
    "properties": {
        "title": {"type": "string", "minLength": 1},
        "tags": {"type": "array", "items": {"enum": ["a", "b"]}},
        "rows": {"type": "array", "items": {
            "type": "object",
            "properties": {"agency": {"type": "string"}, "question": {"type": "string", "minLength": 1},
                           "required": {"type": "boolean"}},
            "required": ["agency", "question"]}},
        "note": {"type": "string", "x-document": True},
    },
    "required": ["title"],
}


def fields_of(data: dict) -> dict[str, str]:
    with pytest.raises(FormInvalid) as invalid:
        validate(SCHEMA, data)
    return invalid.value.fields


def test_a_missing_top_level_field_is_named():
    assert fields_of({}) == {"title": "required"}


def test_a_wrong_item_of_a_plain_array_belongs_to_the_array():
    assert fields_of({"title": "x", "tags": ["a", "z"]}) == {"tags": "not one of the allowed choices"}


def test_a_wrong_row_names_its_index_and_property():
    rows = [{"agency": "a", "question": "q"}, {"agency": "b", "question": ""}, {"question": "q", "required": "ya"}]
    assert fields_of({"title": "x", "rows": rows}) == {
        "rows.1.question": "length must respect minLength 1",
        "rows.2.agency": "required",
        "rows.2.required": "must be a boolean",
    }


def test_valid_data_comes_back_cleaned():
    assert validate(SCHEMA, {"title": "x", "tags": [], "note": "", "rows": [{"agency": "a", "question": "q"}]}) == {
        "title": "x", "rows": [{"agency": "a", "question": "q"}]}
    assert document_fields(SCHEMA) == {"note"}
