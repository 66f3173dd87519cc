"""Task forms from JSON Schema: which control each property gets, how it renders, how answers are typed."""
from __future__ import annotations

import json
import re

import pytest
from flask import render_template_string
from werkzeug.datastructures import MultiDict

from tests.conftest import BPMN_DIR
from webapp import form_render
from webapp.form_render import build_fields, parse_submission, widget_for

SCHEMA = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "title": "Name", "description": "Your full name", "maxLength": 100},
        "story": {"type": "string", "title": "Story", "maxLength": 5000},
        "answer": {"type": "string", "title": "Answer", "x-document": True},
        "count": {"type": "integer", "title": "Count", "minimum": 1, "maximum": 9},
        "share": {"type": "number", "title": "Share"},
        "day": {"type": "string", "format": "date", "title": "Day"},
        "colour": {"type": "string", "title": "Colour", "enum": ["red", "green"]},
        "size": {"type": "string", "title": "Size",
                 "oneOf": [{"const": s, "title": s.upper()} for s in ("xs", "s", "m", "l", "xl")]},
        "score": {"type": "integer", "title": "Score",
                  "oneOf": [{"const": 1, "title": "One"}, {"const": 2, "title": "Two"}]},
        "urgent": {"type": "boolean", "title": "Urgent"},
        "tags": {"type": "array", "title": "Tags", "uniqueItems": True,
                 "items": {"type": "string", "enum": ["a", "b", "c"]}},
        "agency": {"type": "string", "format": "agency", "title": "Agency"},
    },
    "required": ["name", "count"],
}
UI = {
    "ui:order": ["name", "*", "agency"],
    "name": {"ui:help": "As on your KTP", "ui:placeholder": "Budi"},
    "score": {"ui:widget": "select"},
    "answer": {"ui:options": {"rows": 7}},
}


def test_each_kind_of_property_gets_its_control():
    props = SCHEMA["properties"]
    assert {name: widget_for(props[name], UI.get(name)) for name in props} == {
        "name": "text", "story": "textarea", "answer": "textarea", "count": "number", "share": "number",
        "day": "date", "colour": "radio", "size": "select", "score": "select", "urgent": "checkbox",
        "tags": "checkboxes", "agency": "agency",
    }
    assert widget_for({"type": "string"}, {"ui:widget": "textarea"}) == "textarea"
    assert widget_for({"type": "string", "enum": ["a", "b"]}, {"ui:widget": "select"}) == "select"
    assert widget_for({"type": "string", "enum": list("abcdefg")}, {"ui:widget": "radio"}) == "radio"
    assert widget_for({"type": ["string", "null"], "format": "date"}) == "date"


def test_fields_follow_ui_order_with_the_rest_in_place_of_the_star():
    names = [f.name for f in build_fields(SCHEMA, UI)]
    assert names[0] == "name" and names[-1] == "agency"
    assert sorted(names) == sorted(SCHEMA["properties"])
    # without ui:order: schema order
    assert [f.name for f in build_fields(SCHEMA)] == list(SCHEMA["properties"])


def test_labels_help_required_and_attributes():
    fields = {f.name: f for f in build_fields(SCHEMA, UI)}
    name = fields["name"]
    assert (name.label, name.help, name.required, name.attrs["placeholder"], name.attrs["maxlength"]) == (
        "Name", "As on your KTP", True, "Budi", 100)
    assert fields["count"].attrs == {"min": 1, "max": 9, "step": 1, "inputmode": "numeric"}
    assert fields["share"].attrs["step"] == "any"
    assert fields["answer"].attrs["rows"] == 7
    assert not fields["story"].required
    assert [(o.value, o.label) for o in fields["score"].options] == [("1", "One"), ("2", "Two")]
    assert name.autofocus and not fields["count"].autofocus


def test_errors_and_submitted_values_are_kept_and_the_first_error_gets_focus():
    form = MultiDict([("name", "Budi"), ("count", "abc"), ("tags", "a"), ("tags", "c"), ("urgent", "1")])
    fields = {f.name: f for f in build_fields(SCHEMA, UI, form, {"count": "Must be a number."})}
    assert fields["name"].value == "Budi" and fields["count"].value == "abc"
    assert fields["tags"].value == ["a", "c"] and fields["urgent"].value is True
    assert fields["count"].error == "Must be a number." and fields["count"].autofocus
    assert not fields["name"].autofocus


def test_defaults_fill_a_fresh_form():
    schema = {"type": "object", "properties": {
        "n": {"type": "integer", "default": 3}, "b": {"type": "boolean", "default": True},
        "t": {"type": "array", "items": {"enum": ["x", "y"]}, "default": ["y"]}}}
    fields = {f.name: f.value for f in build_fields(schema)}
    assert fields == {"n": "3", "b": True, "t": ["y"]}


def test_answers_are_typed_and_empty_ones_left_out():
    form = MultiDict([
        ("name", "  Budi  "), ("story", ""), ("count", "3"), ("share", "2,5"), ("day", "2026-01-31"),
        ("colour", "green"), ("score", "2"), ("tags", "a"), ("tags", "b"), ("agency", "dinkes-kalbar"),
        ("csrf_token", "ignored"),
    ])
    data, errors = parse_submission(SCHEMA, UI, form)
    assert errors == {}
    assert data == {"name": "Budi", "count": 3, "share": 2.5, "day": "2026-01-31", "colour": "green",
                    "score": 2, "urgent": False, "tags": ["a", "b"], "agency": "dinkes-kalbar"}
    assert parse_submission(SCHEMA, UI, MultiDict([("share", "4"), ("urgent", "1")]))[0] == {"share": 4, "urgent": True}


def test_letters_in_a_number_field_are_refused_before_the_engine_sees_them():
    data, errors = parse_submission(SCHEMA, UI, MultiDict([("count", "tiga"), ("share", "x1"), ("name", "B")]))
    assert set(errors) == {"count", "share"}
    assert "count" not in data and data["name"] == "B"
    assert "count" in parse_submission(SCHEMA, UI, MultiDict([("count", "2.5")]))[1]  # not a whole number
    assert "share" in parse_submission(SCHEMA, UI, MultiDict([("share", "nan")]))[1]


def test_unknown_choices_go_on_to_the_engine_but_unknown_agencies_are_caught():
    data, errors = parse_submission(SCHEMA, UI, MultiDict([("colour", "blue"), ("agency", "nowhere")]),
                                    agency_codes={"dinkes-kalbar"})
    assert data["colour"] == "blue"  # the engine's JSON Schema check answers this one
    assert set(errors) == {"agency"}


def test_engine_messages_are_translated_where_known():
    messages = form_render.field_messages({"a": "required", "b": "not one of the allowed choices", "c": "out of range"})
    assert messages["c"] == "out of range"
    assert messages["a"] != "required" and messages["b"] != "not one of the allowed choices"


def _render(fields, locked=False) -> str:
    return render_template_string(
        '{% from "tasks/_form.html" import render_field %}'
        '{% for f in fields %}{{ render_field(f, locked) }}{% endfor %}',
        fields=fields, locked=locked)


def test_every_widget_renders_with_a_bound_label(app):
    agencies = [form_render.OptionGroup("Provinsi", [form_render.Option("dinkes-kalbar", "Dinkes")])]
    form = MultiDict([("size", "m"), ("tags", "b"), ("colour", "red"), ("agency", "dinkes-kalbar"),
                      ("name", "<b>x</b>")])
    with app.test_request_context():
        html = _render(build_fields(SCHEMA, UI, form, {"name": "Too short"}, agencies))
    assert re.search(r'<input class="form-control is-invalid" type="text" id="field-name" name="name" '
                     r'value="&lt;b&gt;x&lt;/b&gt;"[^>]* placeholder="Budi"[^>]* required', html)
    assert 'data-testid="error-name"' in html and "Too short" in html
    assert '<textarea class="form-control" id="field-story" name="story"' in html
    assert re.search(r'type="number" id="field-count"[^>]* min="1" max="9" step="1"', html)
    assert 'type="date" id="field-day"' in html
    assert re.search(r'type="radio" name="colour" id="field-colour-1" value="red" checked', html)
    assert '<label class="form-check-label" for="field-colour-2">green</label>' in html
    assert re.search(r'<option value="m" selected>M</option>', html)
    assert re.search(r'type="checkbox" name="tags" id="field-tags-2" value="b" checked', html)
    assert 'type="checkbox" name="urgent" id="field-urgent" value="1"' in html
    assert '<optgroup label="Provinsi">' in html and '<option value="dinkes-kalbar" selected>Dinkes</option>' in html
    for name in SCHEMA["properties"]:
        assert f'data-testid="field-{name}"' in html
    assert html.count('<label class="form-label fw-semibold mb-1" for="field-') == 9  # one per single control


def test_a_locked_form_shows_answers_without_taking_input(app):
    form = MultiDict([("name", "Budi"), ("colour", "red")])
    with app.test_request_context():
        html = _render(build_fields(SCHEMA, UI, form), locked=True)
    assert re.search(r'id="field-name"[^>]*readonly', html)
    assert re.search(r'name="colour" id="field-colour-1" value="red" checked disabled', html)
    assert "autofocus" not in html


@pytest.mark.parametrize("form_file", sorted(p.name for p in (BPMN_DIR / "forms").glob("*.json")
                                             if not p.name.endswith((".ui.json", ".en.json"))))
def test_each_form_of_the_diagram_renders(app, db, form_file):
    schema = json.loads((BPMN_DIR / "forms" / form_file).read_text())
    ui_path = BPMN_DIR / "forms" / form_file.replace(".json", ".ui.json")
    ui = json.loads(ui_path.read_text()) if ui_path.exists() else {}
    if "ui:page" in ui:  # drawn by a page of its own, which the task page must know
        from webapp.views.tasks import FORM_PAGES

        assert ui["ui:page"] in FORM_PAGES
        return
    with db.session() as s:
        agencies = form_render.agency_groups(s)
    fields = build_fields(schema, ui, agencies=agencies)
    assert [f.name for f in fields] == ui.get("ui:order", list(schema["properties"]))
    with app.test_request_context():
        html = _render(fields)
    for name, prop in schema["properties"].items():
        assert f'name="{name}"' in html
        assert prop["title"] in html
        # answers the reporter will read are marked as such
        assert (f'data-testid="public-{name}"' in html) == bool(prop.get("x-public"))
    for name in schema.get("required", []):
        assert re.search(rf'name="{name}"[^>]*required', html)
    if any(p.get("format") == "agency" for p in schema["properties"].values()):
        assert '<option value="dinkes-kalbar">' in html


def test_agencies_are_grouped_under_their_top_agency(db):
    from workflows.models import Agency

    with db.transaction() as s:
        s.query(Agency).filter_by(code="inspektorat-kalbar").one().active = False
    with db.session() as s:
        groups = {g.label: [o.value for o in g.options] for g in form_render.agency_groups(s)}
    province = groups["Pemerintah Provinsi Kalimantan Barat"]
    assert province[0] == "pemprov-kalbar"
    assert set(province[1:]) == {"dinkes-kalbar", "disdik-kalbar", "pupr-kalbar"}  # inactive left out
    assert groups["Pemerintah Kota Pontianak"] == ["pemkot-pontianak"]


# -- fields that matter for one choice only (issue 13, item 4) --------------------------------

def _diagram_form(name):
    schema = json.loads((BPMN_DIR / "forms" / f"{name}.json").read_text())
    ui_path = BPMN_DIR / "forms" / f"{name}.ui.json"
    return schema, (json.loads(ui_path.read_text()) if ui_path.exists() else {})


def test_the_verifiers_branches_depend_on_the_decision():
    schema, ui = _diagram_form("verify")
    conditions = form_render.conditions(schema, ui)
    found = {name: (c.controller, c.values, required) for name, (c, required) in conditions.items()}
    assert found == {
        "lead_agency": ("decision", ("disposisi",), True),
        "details_question": ("decision", ("tunda",), True),
        "reason": ("decision", ("arsipkan",), True),
    }
    fields = {f.name: f for f in build_fields(schema, ui)}
    assert fields["note"].condition is None and fields["decision"].condition is None
    assert fields["reason"].condition.labels == ("Arsipkan",)
    # a dependent field is not required in HTML (it may be hidden), only when its choice is made
    assert not fields["reason"].required and fields["reason"].required_when_shown


def test_the_liaisons_not_our_authority_fields_depend_on_that_choice():
    schema, ui = _diagram_form("follow_up")
    found = {name: c.values for name, (c, _r) in form_render.conditions(schema, ui).items()}
    assert found == {"answer": ("jawab",), "reason": ("bukan_wewenang",), "suggested_agency": ("bukan_wewenang",)}


def test_else_enum_and_dependent_keywords_are_understood():
    schema = {
        "type": "object",
        "properties": {
            "kind": {"type": "string", "enum": ["a", "b", "c"]},
            "ab": {"type": "string"}, "other": {"type": "string"},
            "phone": {"type": "string"}, "call_time": {"type": "string"},
            "email": {"type": "string"}, "digest": {"type": "boolean"},
        },
        "if": {"properties": {"kind": {"enum": ["a", "b"]}}, "required": ["kind"]},
        "then": {"required": ["ab"]},
        "else": {"properties": {"other": {"maxLength": 9}}},
        "dependentRequired": {"phone": ["call_time"]},
        "dependentSchemas": {"email": {"properties": {"digest": True}}},
    }
    found = {name: (c.controller, c.values, r) for name, (c, r) in form_render.conditions(schema).items()}
    assert found == {
        "ab": ("kind", ("a", "b"), True), "other": ("kind", ("c",), False),
        "call_time": ("phone", None, True), "digest": ("email", None, False),
    }
    # the server keeps only the answers of the branches that apply
    data, errors = parse_submission(schema, None, MultiDict(
        [("kind", "c"), ("ab", "x"), ("other", "y"), ("call_time", "pagi"), ("digest", "1")]))
    assert data == {"kind": "c", "other": "y"} and not errors
    data, _e = parse_submission(schema, None, MultiDict(
        [("kind", "a"), ("ab", "x"), ("other", "y"), ("phone", "0812"), ("call_time", "pagi")]))
    assert data == {"kind": "a", "ab": "x", "phone": "0812", "call_time": "pagi"}  # no e-mail: no digest


def test_answers_to_a_branch_not_chosen_are_not_sent_on():
    schema, ui = _diagram_form("verify")
    form = MultiDict([("decision", "disposisi"), ("lead_agency", "dinkes-kalbar"),
                      ("reason", "typed before changing my mind"), ("details_question", "x"), ("note", "n")])
    data, errors = parse_submission(schema, ui, form)
    assert data == {"decision": "disposisi", "lead_agency": "dinkes-kalbar", "note": "n"} and not errors
    # nothing chosen yet: the engine still says what is missing, and no branch is kept
    data, _e = parse_submission(schema, ui, MultiDict([("reason", "r")]))
    assert data == {}


def _render_all(fields, locked=False) -> str:
    return render_template_string(
        '{% from "tasks/_form.html" import render_fields %}{{ render_fields(fields, locked) }}',
        fields=fields, locked=locked)


def test_dependent_fields_are_grouped_under_the_choice_they_belong_to(app):
    schema, ui = _diagram_form("verify")
    with app.test_request_context():
        html = _render_all(build_fields(schema, ui))
    groups = re.findall(r'<fieldset class="conditional-group[^>]*>.*?</fieldset>', html, re.S)
    assert len(groups) == 3
    archive = next(g for g in groups if 'name="reason"' in g)
    assert 'data-show-when="decision"' in archive and 'data-show-values="[&#34;arsipkan&#34;]"' in archive
    assert "Hanya bila Anda memilih “Arsipkan”" in archive  # Indonesian by default
    assert 'name="lead_agency"' not in archive and 'name="details_question"' not in archive
    # hidden by script, so never required by the browser; the script requires it when shown
    assert re.search(r'id="field-reason"[^>]*data-required-when-shown', archive)
    assert not re.search(r'id="field-reason"[^>]* required', archive)
    assert 'name="note"' not in "".join(groups)  # the internal note is for every decision


def test_a_field_named_by_two_choices_is_shown_for_either(app):
    schema = {"type": "object", "properties": {
        "d": {"type": "string",
              "oneOf": [{"const": "x", "title": "Ex"}, {"const": "y", "title": "Why"}, {"const": "z"}]},
        "r": {"type": "string"}},
        "allOf": [{"if": {"properties": {"d": {"const": "x"}}}, "then": {"required": ["r"]}},
                  {"if": {"properties": {"d": {"const": "y"}}}, "then": {"properties": {"r": {"minLength": 3}}}}]}
    (condition, required), = form_render.conditions(schema).values()
    assert condition.values == ("x", "y") and required
    with app.test_request_context():
        html = _render_all(build_fields(schema))
    assert "Hanya bila Anda memilih “Ex” atau “Why”" in html
