"""`tindak check` and the check deploy runs first: each mistake that used to go live is refused
with its file, line and element id; the dry run finds a bad branch the main path never reaches.

Each broken variant changes one spot of tests/data/check/base/check_base.bpmn (a valid diagram).
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from engine.errors import InvalidDiagram
from engine.models import ProcessVersion
from tests.conftest import BPMN_DIR, DATA
from workflows.complaints import ComplaintInput, file_complaint
from workflows.design import check_files, deploy_files

BASE = DATA / "check" / "base"


def variant(tmp_path: Path, old: str, new: str, source: Path = BASE, file: str = "check_base.bpmn") -> Path:
    """A copy of a diagram folder with one spot changed (the spot must exist)."""
    folder = tmp_path / "diagrams"
    shutil.copytree(source, folder)
    path = folder / file
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} is not in {file}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return folder


def test_the_base_diagram_and_the_shipped_ones_pass(db, process_engine):
    for folder in (BASE, BPMN_DIR):
        report = check_files(db, process_engine, [folder])
        assert report.errors == [], [str(p) for p in report.errors]


def test_the_dry_run_takes_every_branch_of_the_base_diagram(db, process_engine):
    coverage = check_files(db, process_engine, [BASE]).coverage["check_base"]
    assert coverage["branches"] == coverage["branches_total"] == 4, coverage  # 3 gateway flows + the timer


BROKEN = [
    # (what is wrong, old, new, element id, words of the message)
    ("script syntax error", "rounds = 0", "rounds = = 0", "init_check", "does not compile"),
    ("undefined variable in a condition", 'decision == "setuju"', 'decison == "setuju"', "gw_decision",
     "uses 'decison'"),
    ("undefined function in a script", 'status = "selesai"', "status = finish_case()", "mark_ok",
     "uses 'finish_case'"),
    ("unknown SLA key in a timer", 'sla_due("verification", category)', 'sla_due("verifikasi", category)',
     "review_deadline", "SLA policy 'verifikasi'"),
    ("bare ISO duration as a timer", 'sla_due("verification", category)', "PT20S", "review_deadline",
     'write "PT20S"'),
    ("lane without a role", 'name="Verifikator"', 'name="Pemeriksa"', "review", "lane 'Pemeriksa'"),
    ("Camunda condition", 'decision == "setuju"', "${decision == 'setuju'}", "gw_decision", "Camunda"),
    ("Camunda #{} condition", 'decision == "setuju"', "#{approved}", "gw_decision", "Camunda"),
    ("a status Tindak does not know", 'status = "selesai"', 'status = "beres"', "mark_ok", "status 'beres'"),
    ("a timer expression that is no time", 'sla_due("verification", category)', '"besok"', "review_deadline",
     "fails on sample data"),
]


@pytest.mark.parametrize("what,old,new,element,words", BROKEN, ids=[b[0] for b in BROKEN])
def test_each_mistake_is_refused_with_its_element(db, process_engine, tmp_path, what, old, new, element, words):
    folder = variant(tmp_path, old, new)
    with db.session() as session:
        before = session.scalar(select(func.count()).select_from(ProcessVersion))
    with pytest.raises(InvalidDiagram) as refused:
        deploy_files(db, process_engine, [folder], deployed_by="perancang")
    found = [p for p in refused.value.problems if p.element_id == element]
    assert found, [str(p) for p in refused.value.problems]
    assert any(words in p.message for p in found), [str(p) for p in found]
    assert all(p.file == "check_base.bpmn" and p.line for p in found)
    with db.session() as session:  # all or nothing: no version of anything was stored
        assert session.scalar(select(func.count()).select_from(ProcessVersion)) == before


def test_the_dry_run_finds_a_bad_branch_the_main_path_never_reaches(db, process_engine, tmp_path):
    # statically fine (the dict literal and the key are valid Python), fails only when run
    folder = variant(tmp_path, "rounds = rounds + 1", 'rounds = rounds + {"a": 1}["b"]')
    report = check_files(db, process_engine, [folder], dry_run=False)
    assert report.ok, "the static check cannot see this one"
    report = check_files(db, process_engine, [folder])
    problem, = report.errors
    assert (problem.element_id, problem.file) == ("mark_escalated", "check_base.bpmn")
    assert "dry run" in problem.message and "KeyError" in problem.message


def test_a_suggestion_names_the_variable_meant(db, process_engine, tmp_path):
    folder = variant(tmp_path, 'decision == "setuju"', 'decison == "setuju"')
    problem, = check_files(db, process_engine, [folder]).errors
    assert "did you mean 'decision'" in problem.message
    assert str(problem).startswith("check_base.bpmn:") and "[gw_decision]" in str(problem)


def test_camunda_attributes_are_warned_about_not_refused(db, process_engine, tmp_path):
    folder = variant(tmp_path, '<bpmn:userTask id="review" name="Periksa">',
                     '<bpmn:userTask id="review" name="Periksa" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" '
                     'camunda:formKey="embedded:review" camunda:candidateGroups="verifiers">')
    report = check_files(db, process_engine, [folder])
    assert report.ok
    warned = {w.message.split("=")[0] for w in report.warnings
              if w.element_id == "review" and not w.message.startswith("no English")}  # no catalog beside it
    assert warned == {"camunda:formKey", "camunda:candidateGroups"}


def test_a_timer_typo_on_the_first_task_is_refused_and_intake_goes_on(db, process_engine, tmp_path):
    """The incident: one typo in complaint.bpmn made every new complaint fail at intake."""
    folder = variant(tmp_path, 'sla_due("verification", category)', 'sla_due("verifcation", category)',
                     source=BPMN_DIR, file="complaint.bpmn")
    with pytest.raises(InvalidDiagram) as refused:
        deploy_files(db, process_engine, [folder], deployed_by="perancang")
    assert any(p.element_id == "verify_complaint_deadline" and "did you mean 'verification'" in p.message
               for p in refused.value.problems)
    with db.transaction() as session:  # intake still runs on the version that was live
        filed = file_complaint(session, process_engine,
                               ComplaintInput(title="Jalan rusak", description="Berlubang.", category="infrastruktur"))
        assert filed.complaint.status == "belum_terverifikasi"


def test_deploying_one_file_names_the_missing_called_process(db, process_engine):
    with pytest.raises(InvalidDiagram) as refused:
        deploy_files(db, process_engine, [BPMN_DIR / "complaint.bpmn"], deployed_by="perancang")
    problem, = refused.value.problems
    assert (problem.file, problem.element_id) == ("complaint.bpmn", "collect_coordination")
    assert "coordination_round" in problem.message and "whole folder" in problem.message and problem.line


def test_content_of_an_older_version_makes_no_new_version(db, process_engine):
    """A bare deploy from the wrong folder must not put an old copy over the designer's version."""
    outcome = deploy_files(db, process_engine, [DATA / "simple_v1"], deployed_by="a")
    assert [(p.version, p.created) for p in outcome.processes] == [(1, True)]
    assert deploy_files(db, process_engine, [DATA / "simple_v2"], deployed_by="a").processes[0].version == 2
    again, = deploy_files(db, process_engine, [DATA / "simple_v1"], deployed_by="a").processes
    assert (again.version, again.created, again.latest) == (1, False, 2)
    rolled_back, = deploy_files(db, process_engine, [DATA / "simple_v1"], deployed_by="a",
                                allow_old_content=True).processes
    assert (rolled_back.version, rolled_back.created) == (3, True)


def test_deploy_records_where_from_and_prints_files_and_versions(db, tmp_path, monkeypatch):
    from webapp.cli import main

    monkeypatch.setenv("TINDAK_DATABASE_URL", db.url)
    runner = CliRunner()
    result = runner.invoke(main, ["deploy", str(DATA / "simple_v1"), "--by", "perancang"])
    assert result.exit_code == 0, result.output
    assert f"Deploying {(DATA / 'simple_v1').resolve()}" in result.output
    assert "simple: version 1 (new) from simple.bpmn and 1 form file(s)" in result.output
    with db.session() as session:
        version = session.scalars(select(ProcessVersion).where(ProcessVersion.process_id == "simple")).one()
        assert (version.deployed_by, version.deployed_from) == ("perancang", str((DATA / "simple_v1").resolve()))
    result = runner.invoke(main, ["deploy", str(DATA / "simple_v1")])
    assert "simple: version 1 (unchanged)" in result.output


def test_check_command_reports_and_exits_1_on_errors(db, tmp_path, monkeypatch):
    from webapp.cli import main

    monkeypatch.setenv("TINDAK_DATABASE_URL", db.url)
    runner = CliRunner()
    good = runner.invoke(main, ["check", str(BASE)])
    assert good.exit_code == 0 and "OK: no errors" in good.output and "took 4 of 4 branches" in good.output
    bad = runner.invoke(main, ["check", str(variant(tmp_path, "rounds = 0", "rounds = = 0"))])
    assert bad.exit_code == 1
    assert "check_base.bpmn:" in bad.output and "[init_check]" in bad.output and "does not compile" in bad.output


def test_a_bare_deploy_outside_a_project_folder_deploys_nothing(db, tmp_path, monkeypatch):
    from webapp.cli import main

    monkeypatch.setenv("TINDAK_DATABASE_URL", db.url)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["deploy"])
    assert result.exit_code == 1 and "Nothing was deployed" in result.output


def test_schema_errors_name_the_element_and_the_form_field(db, process_engine, tmp_path):
    folder = variant(tmp_path, "<spiffworkflow:properties>", "<spiffworkflow:properties><bpmn:foo/>")
    problem, = check_files(db, process_engine, [folder]).errors
    assert problem.element_id == "review" and "'bpmn:foo'" in problem.message and "{http" not in problem.message
    form = folder / "forms" / "check_review.json"
    form.write_text(form.read_text().replace('"type": "string", "title": "Keputusan"', '"type": "strin"'))
    folder_form_only = variant(tmp_path / "again", "rounds = 0", "rounds = 0")
    shutil.copy(form, folder_form_only / "forms" / "check_review.json")
    problem, = check_files(db, process_engine, [folder_form_only]).errors
    assert problem.element_id == "review" and "in field 'decision'" in problem.message


def test_a_service_task_gets_a_plain_message(db, process_engine, tmp_path):
    folder = variant(tmp_path, '<bpmn:scriptTask id="mark_ok" name="Setuju" scriptFormat="python">',
                     '<bpmn:serviceTask id="mark_ok" name="Setuju">')
    text = (folder / "check_base.bpmn").read_text().replace(
        '<bpmn:script>status = "selesai"</bpmn:script>\n    </bpmn:scriptTask>', "</bpmn:serviceTask>", 1)
    (folder / "check_base.bpmn").write_text(text)
    problems = check_files(db, process_engine, [folder]).errors
    assert any(p.element_id == "mark_ok" and "does not run service tasks" in p.message for p in problems), \
        [str(p) for p in problems]


def test_a_publish_point_must_name_a_user_task(db, process_engine, tmp_path):
    folder = variant(tmp_path, 'name="publishAnswer" value="draft_answer"', 'name="publishAnswer" value="draft_answr"',
                     source=DATA / "approval", file="complaint.bpmn")
    problems = check_files(db, process_engine, [folder]).errors
    assert any("publishAnswer names 'draft_answr'" in p.message and p.line for p in problems), \
        [str(p) for p in problems]


def test_an_answer_nobody_publishes_is_warned_about(db, process_engine, tmp_path):
    folder = variant(tmp_path, '<spiffworkflow:property name="publishAnswer" value="draft_answer" />', "",
                     source=DATA / "approval", file="complaint.bpmn")
    report = check_files(db, process_engine, [folder])
    assert any(w.element_id == "draft_answer" and "as soon as the task is completed" in w.message
               for w in report.warnings), [str(w) for w in report.problems]
