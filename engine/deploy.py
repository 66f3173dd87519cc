"""Deploying diagrams: parse, validate, check forms, and store new process versions.

A process gets a new version only when the content of some file it depends on changed (its
own diagram, the diagrams its call activities use, its DMN tables, its form files).
Deployment is all or nothing: any problem and nothing is stored.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask
from SpiffWorkflow.bpmn.specs.mixins.user_task import UserTask
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.diagram_check import BPMN_NS, check_xml, element_at, line_of, parse_xml, readable
from engine.errors import DiagramProblem, InvalidDiagram
from engine.messages import plain_message
from engine.models import ProcessVersion
from engine.serialization import serialize_spec
from engine.translations import catalog_path, languages_beside, load_json, overlay_name
from engine.version_diff import change_summary

FORM_PROPERTY = "formJsonSchemaFilename"
UI_FORM_PROPERTY = "formUiSchemaFilename"
FORMS_DIR = "forms"


@dataclass
class DeployedProcess:
    process_id: str
    version: int
    created: bool  # False when the content matched a version already stored, which was kept
    files: list[str] = field(default_factory=list)  # the diagram and form files in this version
    latest: int | None = None  # the newest version when the content matched an older one


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
        message=plain_message(readable(message), exc.id or None),
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
            problem.element_id = problem.element_id or element_at(tree.getroot(), problem.line)
            problems.append(problem)
    return parser, problems


def _forms_of(spec, subprocess_specs) -> list[tuple[str, str, str, str]]:
    """(element id, form file name, diagram file, property naming the form) of every form of every
    user task in the process and what it calls."""
    found: list[tuple[str, str, str, str]] = []
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
            return None, f"form file '{FORMS_DIR}/{name}' is not a valid JSON Schema{_schema_place(exc)}: {exc.message}"
    return content, None


def _schema_place(exc: SchemaError) -> str:
    """Which field of a form an error is in: ", in field 'answer' (properties → answer → type)"."""
    path = [str(p) for p in exc.path]
    if not path:
        return ""
    fields = [path[i + 1] for i, p in enumerate(path[:-1]) if p == "properties"]
    named = f", in field '{fields[-1]}'" if fields else ""
    return f"{named} (at {' → '.join(path)})"


def _uses_dmn(spec, subprocess_specs) -> bool:
    return any(
        type(ts).__name__.endswith("BusinessRuleTask")
        for s in [spec, *subprocess_specs.values()]
        for ts in s.task_specs.values()
    )


@dataclass
class Parsed:
    """What parsing a deployment's files gave: each process's spec, its forms, what is wrong."""

    processes: dict[str, tuple]  # process id -> (spec, subprocess specs)
    forms: dict[str, dict[str, object]]  # process id -> {form file name: content}
    sources: dict[str, dict[str, str]]  # process id -> {file name: XML text}
    roots: dict[str, object]  # file name -> lxml root, for line numbers
    problems: list[DiagramProblem]
    # process id -> {language: {"diagrams": {diagram file: catalog}, "forms": {form file: overlay}}}
    # from the `<diagram>.<lang>.json` and `forms/<form>.<lang>.json` files (engine/translations.py)
    translations: dict[str, dict] = field(default_factory=dict)
    ui_of: dict[str, dict[str, str]] = field(default_factory=dict)  # process id -> {schema file: UI file}


def parse(paths: list[Path]) -> Parsed:
    """Parse and check files and forms the way a deployment does, without raising."""
    files = collect_files(paths)
    if not files:
        return Parsed({}, {}, {}, {}, [DiagramProblem(", ".join(map(str, paths)), "no .bpmn or .dmn files found")])
    parser, problems = _parse(files)
    by_name = {str(f): f for f in files}
    roots: dict[str, object] = {}
    for f in files:
        try:
            roots[f.name] = parse_xml(f).getroot()
        except (etree.XMLSyntaxError, OSError):
            pass
    dmn_files = [f for f in files if f.suffix == ".dmn"]
    parsed = Parsed({}, {}, {}, roots, problems)
    if problems:
        return parsed
    for process_id in parser.get_process_ids():
        try:
            spec = parser.get_spec(process_id)
            subprocess_specs = parser.get_subprocess_specs(process_id)
        except ValidationException as exc:
            problem = _problem_from(exc, "?")
            problem.line = problem.line or line_of(roots.get(problem.file), problem.element_id)
            problems.append(_locate_missing_process(problem, process_id, parser, roots) or problem)
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
        ui_of: dict[str, str] = {}
        translations: dict[str, dict] = {}
        for each in [spec, *subprocess_specs.values()]:
            if each.file in by_name and Path(each.file).suffix == ".bpmn":
                problems += _load_catalogs(Path(each.file), translations)
        uses = _forms_of(spec, subprocess_specs)
        for element_id, name, bpmn_file, key in uses:
            if key == UI_FORM_PROPERTY:
                schema_name = next((n for e, n, f, k in uses if e == element_id and k == FORM_PROPERTY), None)
                if schema_name:
                    ui_of.setdefault(schema_name, name)
        for element_id, name, bpmn_file, key in uses:
            content, error = _load_form(Path(bpmn_file), name, key == UI_FORM_PROPERTY)
            if error:
                line = line_of(roots.get(Path(bpmn_file).name), element_id)
                problems.append(DiagramProblem(Path(bpmn_file).name, error, line=line, element_id=element_id))
            else:
                forms[name] = content
                if key == FORM_PROPERTY:
                    problems += _load_overlays(Path(bpmn_file), name, translations)
        parsed.processes[process_id] = (spec, subprocess_specs)
        parsed.translations[process_id] = translations
        parsed.ui_of[process_id] = ui_of
        parsed.forms[process_id] = forms
        parsed.sources[process_id] = sources
    return parsed


def _load_catalogs(diagram: Path, into: dict[str, dict]) -> list[DiagramProblem]:
    """The translation catalogs beside a diagram (`complaint.en.json`), into `into`."""
    problems = []
    for language in languages_beside(diagram):
        path = catalog_path(diagram, language)
        content, error = load_json(path)
        if error:
            problems.append(DiagramProblem(path.name, f"translation file {error}"))
        else:
            into.setdefault(language, {}).setdefault("diagrams", {})[diagram.name] = content
    return problems


def _load_overlays(bpmn_file: Path, form_name: str, into: dict[str, dict]) -> list[DiagramProblem]:
    """The translation overlays beside a form (`forms/verify.en.json`), into `into`."""
    problems = []
    folder = bpmn_file.parent / FORMS_DIR
    stem = form_name.removesuffix(".json")
    for path in sorted(folder.glob(f"{stem}.*.json")):
        language = path.name[len(stem) + 1:-len(".json")]
        if not language or "." in language or language == "ui" or path.name != overlay_name(form_name, language):
            continue
        if form_name in ((into.get(language) or {}).get("forms") or {}):
            continue
        content, error = load_json(path)
        if error:
            problems.append(DiagramProblem(f"{FORMS_DIR}/{path.name}", f"translation file {error}"))
        else:
            into.setdefault(language, {}).setdefault("forms", {})[form_name] = content
    return problems


def _locate_missing_process(problem: DiagramProblem, process_id: str, parser, roots) -> DiagramProblem | None:
    """SpiffWorkflow says only "The process 'x' was not found": name the call activity and file."""
    missing = problem.message.split("'")[1] if problem.message.count("'") >= 2 else None
    if not missing:
        return None
    for file_name, root in roots.items():
        for call in root.iter(f"{{{BPMN_NS}}}callActivity"):
            if call.get("calledElement") == missing:
                return DiagramProblem(
                    file_name, f"calls process '{missing}', which is in none of the files deployed; deploy the "
                    f"whole folder (tindak deploy bpmn/) or add the file that defines '{missing}'",
                    line=call.sourceline, element_id=call.get("id"))
    return None


def prepare(paths: list[Path]) -> dict[str, dict]:
    """Parse and check everything; return per process id what a version would store.

    Raises InvalidDiagram listing every problem found.
    """
    parsed = parse(paths)
    if parsed.problems:
        raise InvalidDiagram(parsed.problems)
    return {
        process_id: {
            "source": parsed.sources[process_id],
            "forms": parsed.forms[process_id],
            "translations": parsed.translations.get(process_id) or None,
            "spec_json": serialize_spec(spec, subprocess_specs),
            "content_hash": content_hash(parsed.sources[process_id], parsed.forms[process_id],
                                         parsed.translations.get(process_id)),
        }
        for process_id, (spec, subprocess_specs) in parsed.processes.items()
    }


def content_hash(sources: dict[str, str], forms: dict[str, object], translations: dict | None = None) -> str:
    digest = hashlib.sha256()
    for name in sorted(sources):
        digest.update(f"bpmn:{name}\0{sources[name]}\0".encode())
    for name in sorted(forms):
        digest.update(f"form:{name}\0{json.dumps(forms[name], sort_keys=True)}\0".encode())
    if translations:  # absent, the hash is what it was before translations existed
        digest.update(f"translations\0{json.dumps(translations, sort_keys=True)}\0".encode())
    return digest.hexdigest()


def deploy(session: Session, paths: list[Path], deployed_by: str, deployed_from: str | None = None,
           allow_old_content: bool = False) -> list[DeployedProcess]:
    """Store a new version of each process whose content is new. Raises InvalidDiagram.

    Content identical to *any* stored version makes no new version (a deploy of an old copy
    from the wrong folder must not replace a designer's newer version), unless
    `allow_old_content` says bringing that content back as the newest version is meant.
    `deployed_from` says where the files came from (a folder, an upload); each new version
    records what changed against the one before it (engine/version_diff.py).
    """
    results = []
    for process_id, item in sorted(prepare(paths).items()):
        files = sorted(item["source"]) + [f"{FORMS_DIR}/{name}" for name in sorted(item["forms"])]
        files += sorted(_translation_files(item.get("translations")))
        versions = session.execute(
            select(ProcessVersion.version, ProcessVersion.content_hash)
            .where(ProcessVersion.process_id == process_id).order_by(ProcessVersion.version.desc())
        ).all()
        newest = versions[0].version if versions else 0
        same = next((v.version for v in versions if v.content_hash == item["content_hash"]), None)
        if same is not None and (same == newest or not allow_old_content):
            results.append(DeployedProcess(process_id, same, created=False, files=files, latest=newest))
            continue
        latest = session.scalars(select(ProcessVersion).where(
            ProcessVersion.process_id == process_id, ProcessVersion.version == newest)).first()
        summary = (change_summary(latest.source or {}, item["source"], latest.forms, item["forms"])
                   if latest is not None else None)
        session.add(ProcessVersion(process_id=process_id, version=newest + 1, deployed_by=deployed_by,
                                   deployed_from=(deployed_from or None) and deployed_from[:500],
                                   change_summary=summary, **item))
        results.append(DeployedProcess(process_id, newest + 1, created=True, files=files, latest=newest + 1))
    session.flush()
    return results


def _translation_files(translations: dict | None) -> list[str]:
    names = []
    for language, parts in (translations or {}).items():
        names += [catalog_path(Path(d), language).name for d in (parts.get("diagrams") or {})]
        names += [f"{FORMS_DIR}/{overlay_name(f, language)}" for f in (parts.get("forms") or {})]
    return names


def latest_version(session: Session, process_id: str) -> ProcessVersion | None:
    """The newest deployed version of a process, or None."""
    newest = select(func.max(ProcessVersion.version)).where(ProcessVersion.process_id == process_id)
    return session.scalars(
        select(ProcessVersion).where(
            ProcessVersion.process_id == process_id, ProcessVersion.version == newest.scalar_subquery()
        )
    ).first()
