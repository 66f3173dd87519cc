"""Checking diagrams before they go live: everything `prepare` refuses, plus what would only
fail at run time (scripts, names, timer expressions, lanes, SLA keys) and a dry run.

The engine knows nothing of complaints: what a diagram may call, which lanes have a role and
which SLA keys exist come in through a `CheckContext` built by the caller (`workflows/design.py`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

from engine.errors import DiagramProblem


@dataclass
class CheckContext:
    """What a diagram may rely on when it runs here."""

    # the functions scripts, conditions and timer expressions may call (the real ones: timer
    # expressions are evaluated with them on sample data)
    functions: Mapping[str, Callable] = field(default_factory=dict)
    # lane name -> role; a lane missing here routes its tasks to nobody
    lanes: Mapping[str, str] = field(default_factory=dict)
    roles: set[str] = field(default_factory=set)  # what a task's 'role' property may name
    # SLA keys that exist (the first argument of the functions in `sla_functions`)
    sla_keys: set[str] = field(default_factory=set)
    sla_functions: tuple[str, ...] = ()
    # per process id: the variables a new instance starts with, with sample values; a process
    # not named starts with `default_start_data`
    start_data: Mapping[str, dict[str, Any]] = field(default_factory=dict)
    default_start_data: dict[str, Any] = field(default_factory=dict)
    # JSON Schema "format" -> a value the dry run may enter (e.g. "agency": an agency's code)
    format_samples: Mapping[str, Any] = field(default_factory=dict)
    # (variable, value) -> message or None: domain rules on values scripts set (e.g. status)
    value_rules: Mapping[str, Callable[[Any], str | None]] = field(default_factory=dict)
    # the domain's own checks: (processes, forms, roots) -> problems, as in `check_specs`
    extra_checks: tuple[Callable[..., list[DiagramProblem]], ...] = ()
    # languages every text people read must be translated into (engine/translations.py): a
    # missing translation is a warning; a translation of nothing (a typo) is an error in any language
    translation_languages: tuple[str, ...] = ()

    def start_of(self, process_id: str) -> dict[str, Any]:
        """The sample variables a new instance of this process starts with."""
        return dict(self.start_data.get(process_id, self.default_start_data))


@dataclass
class CheckReport:
    """The outcome of a check: problems (errors and warnings) and what the dry run covered."""

    problems: list[DiagramProblem] = field(default_factory=list)
    # per process id: {"runs": n, "branches": taken, "branches_total": m, "untaken": [flow ids]}
    coverage: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def errors(self) -> list[DiagramProblem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[DiagramProblem]:
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def ok(self) -> bool:
        return not self.errors


def check(paths: list[Path], context: CheckContext, dry_run: bool = True) -> CheckReport:
    """Check the diagrams in `paths` as a deployment would, without storing anything.

    Structural problems (what `prepare` refuses) come first; only a deployment that parses is
    analysed further, and only one without static errors is dry-run.
    """
    from engine.deploy import parse  # deploy calls check; the import here avoids the cycle
    from engine.diagram_check import xml_warnings
    from engine.static_check import check_specs
    from engine.translations import check_translations

    report = CheckReport()
    parsed = parse(paths)
    report.problems += xml_warnings(parsed.roots)
    report.problems += parsed.problems
    if parsed.problems:
        return report
    report.problems += check_specs(parsed.processes, parsed.forms, parsed.roots, context)
    report.problems += check_translations(
        parsed.translations, parsed.roots, {pid: list(files) for pid, files in parsed.sources.items()},
        parsed.forms, parsed.ui_of, context.translation_languages)
    for extra in context.extra_checks:
        report.problems += extra(parsed.processes, parsed.forms, parsed.roots)
    if dry_run and report.ok:
        from engine.dry_run import dry_run_all

        problems, report.coverage = dry_run_all(parsed.processes, parsed.forms, parsed.roots, context)
        report.problems += problems
    return report
