"""Deploying diagrams: parse, validate, check forms, and store new process versions.

A process gets a new version only when the content of some file it depends on changed (its
own diagram, the diagrams its call activities use, its DMN tables, its form files).
Deployment is all or nothing: any problem and nothing is stored.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from lxml import etree
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask
from SpiffWorkflow.bpmn.specs.mixins.user_task import UserTask
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser

from engine.diagram_check import check_xml, line_of, parse_xml
from engine.errors import DiagramProblem, InvalidDiagram
from engine.models import ProcessVersion
from engine.serialization import serialize_spec
from engine.version_diff import change_summary

FORM_PROPERTY = "formJsonSchemaFilename"
UI_FORM_PROPERTY = "formUiSchemaFilename"
FORMS_DIR = "forms"


@dataclass
class DeployedProcess:
    process_id: str
    version: int
    created: bool  # False when the content was unchanged and the existing version was kept


def collect_files(paths: list[Path]) -> list[Path]:
    """Every .bpmn and .dmn file named, or found below the folders named."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += sorted(p for p in path.rglob("*") if p.suffix in (".bpmn", ".dmn"))
        else:
            files.append(path)
    return files


def _problem_from(exc: ValidationException, fallback_file: str) -> DiagramProblem:
    message = str(exc).split("\nSource Details:")[0].split(" Source Details:")[0]
    return DiagramProblem(
        file=Path(exc.file_name).name if exc.file_name else fallback_file,
        line=exc.line_number or None,
        element_id=exc.id or None,
        message=message.strip(),
    )


def _parse(files: list[Path]) -> tuple[SpiffBpmnParser, list[DiagramProblem]]:
    parser = SpiffBpmnParser(validator=VALIDATOR)
    problems: list[DiagramProblem] = []
    for file in files:
        try:
            tree = parse_xml(file)
        except etree.XMLSyntaxError as exc:
            problems.append(DiagramProblem(file.name, f"not well-formed XML: {exc.msg}", line=exc.lineno))
            continue
        except OSError as exc:
            problems.append(DiagramProblem(file.name, f"cannot be read: {exc.strerror}"))
            continue
        found = check_xml(file, tree.getroot())
        if found:
            problems += found
            continue
        try:
            if file.suffix == ".dmn":
                parser.add_dmn_xml(tree.getroot(), filename=str(file))
            else:
                parser.add_bpmn_xml(tree, filename=str(file))
        except ValidationException as exc:
            problem = _problem_from(exc, file.name)
            problem.line = problem.line or line_of(tree.getroot(), problem.element_id)
            problems.append(problem)
    return parser, problems


def _forms_of(spec, subprocess_specs) -> list[tuple[str, str]]:
    """(element id, form file name) of every user task in the process and what it calls."""
    found = []
    for s in [spec, *subprocess_specs.values()]:
        for task_spec in s.task_specs.values():
            if isinstance(task_spec, UserTask):
                props = task_spec.extensions.get("properties", {})
                for key in (FORM_PROPERTY, UI_FORM_PROPERTY):
                    if props.get(key):
                        found.append((task_spec.bpmn_id, props[key], s.file, key))
    return found


def _load_form(bpmn_file: Path, name: str, is_ui: bool) -> tuple[object | None, str | None]:
    path = bpmn_file.parent / FORMS_DIR / name
    try:
        content = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None, f"form file '{FORMS_DIR}/{name}' does not exist"
    except json.JSONDecodeError as exc:
        return None, f"form file '{FORMS_DIR}/{name}' is not valid JSON (line {exc.lineno}: {exc.msg})"
    if not is_ui:
        try:
            Draft202012Validator.check_schema(content)
        except SchemaError as exc:
            return None, f"form file '{FORMS_DIR}/{name}' is not a valid JSON Schema: {exc.message}"
    return content, None


def _uses_dmn(spec, subprocess_specs) -> bool:
    return any(
        type(ts).__name__.endswith("BusinessRuleTask")
        for s in [spec, *subprocess_specs.values()]
        for ts in s.task_specs.values()
    )


def prepare(paths: list[Path]) -> dict[str, dict]:
    """Parse and check everything; return per process id what a version would store.

    Raises InvalidDiagram listing every problem found.
    """
    files = collect_files(paths)
    if not files:
        raise InvalidDiagram([DiagramProblem(", ".join(map(str, paths)), "no .bpmn or .dmn files found")])
    parser, problems = _parse(files)
    by_name = {str(f): f for f in files}
    dmn_files = [f for f in files if f.suffix == ".dmn"]
    prepared: dict[str, dict] = {}
    if not problems:
        for process_id in parser.get_process_ids():
            try:
                spec = parser.get_spec(process_id)
                subprocess_specs = parser.get_subprocess_specs(process_id)
            except ValidationException as exc:
                problems.append(_problem_from(exc, "?"))
                continue
            missing = [
                ts for ts in spec.task_specs.values()
                if isinstance(ts, SubWorkflowTask) and subprocess_specs.get(ts.spec) is None
            ]
            for ts in missing:
                problems.append(DiagramProblem(
                    Path(spec.file).name, f"calls process '{ts.spec}', which is in none of the deployed files",
                    element_id=ts.bpmn_id))
            sources = {Path(s.file).name: by_name[s.file].read_text(encoding="utf-8")
                       for s in [spec, *subprocess_specs.values()] if s.file in by_name}
            if _uses_dmn(spec, subprocess_specs):
                sources.update({f.name: f.read_text(encoding="utf-8") for f in dmn_files})
            forms: dict[str, object] = {}
            for element_id, name, bpmn_file, key in _forms_of(spec, subprocess_specs):
                content, error = _load_form(Path(bpmn_file), name, key == UI_FORM_PROPERTY)
                if error:
                    line = line_of(parse_xml(Path(bpmn_file)).getroot(), element_id)
                    problems.append(DiagramProblem(Path(bpmn_file).name, error, line=line, element_id=element_id))
                else:
                    forms[name] = content
            prepared[process_id] = {
                "source": sources,
                "forms": forms,
                "spec_json": serialize_spec(spec, subprocess_specs),
                "content_hash": content_hash(sources, forms),
            }
    if problems:
        raise InvalidDiagram(problems)
    return prepared


def content_hash(sources: dict[str, str], forms: dict[str, object]) -> str:
    digest = hashlib.sha256()
    for name in sorted(sources):
        digest.update(f"bpmn:{name}\0{sources[name]}\0".encode())
    for name in sorted(forms):
        digest.update(f"form:{name}\0{json.dumps(forms[name], sort_keys=True)}\0".encode())
    return digest.hexdigest()


def deploy(session: Session, paths: list[Path], deployed_by: str,
           deployed_from: str | None = None) -> list[DeployedProcess]:
    """Store a new version of each process whose content changed. Raises InvalidDiagram.

    `deployed_from` says where the files came from (a folder, an upload); each new version
    records what changed against the one before it (engine/version_diff.py).
    """
    results = []
    for process_id, item in sorted(prepare(paths).items()):
        latest = session.scalars(
            select(ProcessVersion).where(ProcessVersion.process_id == process_id)
            .order_by(ProcessVersion.version.desc()).limit(1)
        ).first()
        if latest is not None and latest.content_hash == item["content_hash"]:
            results.append(DeployedProcess(process_id, latest.version, created=False))
            continue
        version = (latest.version + 1) if latest else 1
        summary = (change_summary(latest.source or {}, item["source"], latest.forms, item["forms"])
                   if latest is not None else None)
        session.add(ProcessVersion(process_id=process_id, version=version, deployed_by=deployed_by,
                                   deployed_from=(deployed_from or None) and deployed_from[:500],
                                   change_summary=summary, **item))
        results.append(DeployedProcess(process_id, version, created=True))
    session.flush()
    return results


def latest_version(session: Session, process_id: str) -> ProcessVersion | None:
    """The newest deployed version of a process, or None."""
    newest = select(func.max(ProcessVersion.version)).where(ProcessVersion.process_id == process_id)
    return session.scalars(
        select(ProcessVersion).where(
            ProcessVersion.process_id == process_id, ProcessVersion.version == newest.scalar_subquery()
        )
    ).first()
