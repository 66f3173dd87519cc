"""Deploying diagrams: versions only on change, all-or-nothing, errors a designer can act on."""
from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from engine.deploy import deploy, latest_version
from engine.errors import InvalidDiagram
from engine.models import ProcessVersion
from tests.conftest import BPMN_DIR, DATA
from webapp.cli import main


def versions(db, process_id):
    with db.session() as s:
        return list(s.scalars(select(ProcessVersion.version).where(ProcessVersion.process_id == process_id)
                              .order_by(ProcessVersion.version)))


def test_same_content_twice_makes_no_new_version(db):
    with db.transaction() as s:
        results = deploy(s, [BPMN_DIR], deployed_by="perancang")
    assert {(r.process_id, r.version, r.created) for r in results} == {
        ("complaint", 1, False), ("coordination", 1, False), ("coordination_round", 1, False)}
    assert versions(db, "complaint") == [1]


def test_changed_form_makes_a_new_version(db, tmp_path):
    copy = tmp_path / "bpmn"
    shutil.copytree(BPMN_DIR, copy)
    form = copy / "forms" / "verify.json"
    schema = json.loads(form.read_text())
    schema["description"] = "Diubah oleh perancang"
    form.write_text(json.dumps(schema))
    with db.transaction() as s:
        results = {r.process_id: r for r in deploy(s, [copy], deployed_by="perancang")}
    assert (results["complaint"].version, results["complaint"].created) == (2, True)
    assert results["coordination"].created is False  # it does not use verify.json
    with db.session() as s:
        newest = latest_version(s, "complaint")
        assert newest.deployed_by == "perancang"
        assert "complaint.bpmn" in newest.source and "verify.json" in newest.forms


def test_version_stores_source_spec_and_hash(db):
    with db.session() as s:
        pv = latest_version(s, "complaint")
        assert pv.source["complaint.bpmn"] == (BPMN_DIR / "complaint.bpmn").read_text()
        assert len(pv.content_hash) == 64 and '"spec"' in pv.spec_json
        assert pv.deployed_at.tzinfo is not None


@pytest.mark.parametrize("name, line, element_id, words", [
    ("broken_missing_flow_target.bpmn", 30, "flow_do_it_to_end", "no_such_end_event"),
    ("broken_bad_condition.bpmn", 37, "end_event", "used twice"),
    ("forms_missing.bpmn", None, "fill_missing_form", "does_not_exist.json"),
])
def test_broken_diagram_is_refused_with_file_line_and_element(db, name, line, element_id, words):
    with pytest.raises(InvalidDiagram) as refused, db.transaction() as s:
        deploy(s, [DATA / name], deployed_by="perancang")
    [problem] = refused.value.problems
    assert problem.file == name
    assert problem.element_id == element_id
    assert words in problem.message
    assert problem.line == line if line else problem.line > 0


def test_one_broken_file_deploys_nothing(db):
    with pytest.raises(InvalidDiagram), db.transaction() as s:
        deploy(s, [DATA / "simple_v1", DATA / "forms_missing.bpmn"], deployed_by="perancang")
    assert versions(db, "simple") == []


def test_unparseable_xml_is_reported_with_its_line(db, tmp_path):
    bad = tmp_path / "bad.bpmn"
    bad.write_text('<?xml version="1.0"?>\n<definitions>\n<process id="x">\n</definitions>\n')
    with pytest.raises(InvalidDiagram) as refused, db.transaction() as s:
        deploy(s, [bad], deployed_by="perancang")
    [problem] = refused.value.problems
    assert problem.file == "bad.bpmn" and problem.line == 4 and "XML" in problem.message


def test_invalid_json_schema_form_is_refused(db, tmp_path):
    folder = tmp_path / "v"
    shutil.copytree(DATA / "simple_v1", folder)
    (folder / "forms" / "simple.json").write_text('{"type": "object", "properties": {"note": {"type": 12}}}')
    with pytest.raises(InvalidDiagram) as refused, db.transaction() as s:
        deploy(s, [folder], deployed_by="perancang")
    assert "not a valid JSON Schema" in refused.value.problems[0].message


def test_cli_deploy_exit_codes(db, monkeypatch):
    monkeypatch.setenv("TINDAK_DATABASE_URL", db.url)
    runner = CliRunner()
    bad = runner.invoke(main, ["deploy", str(DATA / "broken_missing_flow_target.bpmn")])
    assert bad.exit_code == 1
    assert "broken_missing_flow_target.bpmn:30 [flow_do_it_to_end]" in bad.output
    good = runner.invoke(main, ["deploy", str(DATA / "simple_v1"), "--by", "perancang"])
    assert good.exit_code == 0, good.output
    assert "simple: version 1 (new)" in good.output
    again = runner.invoke(main, ["deploy", str(DATA / "simple_v1")])
    assert "simple: version 1 (unchanged)" in again.output


def test_no_diagrams_found(db, tmp_path):
    with pytest.raises(InvalidDiagram, match="no .bpmn"), db.transaction() as s:
        deploy(s, [tmp_path], deployed_by="x")
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(ProcessVersion)) == 3  # complaint, coordination, its round
