"""What can be known about a diagram without running it: every script and expression compiles,
every name it reads is set earlier on some path (or is a form field, or a registered function;
engine/name_flow.py), every timer expression gives a time, every SLA key exists, every lane has
a role.
"""
from __future__ import annotations

import ast
import builtins
import difflib
import re
from pathlib import Path
from typing import Any, Iterable

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from engine.check import CheckContext
from engine.diagram_check import line_of
from engine.errors import DiagramProblem
from engine.name_flow import (
    Code,
    add_returned,
    compile_problems,
    may_be_set,
    names_in,
    steps_of,
)

BUILTIN_NAMES = set(dir(builtins))
ISO_DURATION = re.compile(r"^R?\d*/?P(?:\d+[YMWD])*(?:T(?:\d+[HMS])+)?$")
CAMUNDA_EXPRESSION = re.compile(r"^\s*[$#]\{.*\}\s*$", re.S)

TIMER_FORMATS = {
    "date": "an ISO 8601 date and time, e.g. \"2026-12-31T09:00:00+07:00\" or sla_due(\"verification\")",
    "duration": "an ISO 8601 duration in quotes, e.g. \"P3D\" or \"PT20S\"",
    "cycle": "an ISO 8601 repetition in quotes, e.g. \"R3/PT1H\"",
}


def parse_timer(value, timer_type: str | None) -> None:
    """Raise if `value` is not what a timer of this type can wait for."""
    if not isinstance(value, str):
        raise TypeError(f"it gave {value!r}, not a text")
    if timer_type == "date":
        TimerEventDefinition.get_datetime(value)
    elif timer_type == "duration":
        TimerEventDefinition.parse_iso_duration(value)
    elif timer_type == "cycle":
        TimerEventDefinition.parse_iso_recurring_interval(value)


def _sla_calls(source: str, mode: str, functions: Iterable[str]) -> list[tuple[str | None, int]]:
    """The first argument (when a literal) and line of every call to an SLA function."""
    found = []
    for node in ast.walk(ast.parse(source, mode=mode)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in functions:
            first = node.args[0] if node.args else None
            key = first.value if isinstance(first, ast.Constant) and isinstance(first.value, str) else None
            found.append((key, node.lineno))
    return found


class Checker:
    """Collects the problems of one deployment's processes."""

    def __init__(self, context: CheckContext, roots: dict[str, Any]):
        self.context = context
        self.roots = roots
        self.problems: list[DiagramProblem] = []
        self._seen: set[tuple] = set()
        self._unknown = False
        self._script_engine: PythonScriptEngine | None = None  # made on the first timer expression

    def problem(self, spec, element_id: str | None, message: str, line_in_code: int | None = None,
                severity: str = "error") -> None:
        file = Path(spec.file).name if spec.file else "?"
        key = (file, element_id, message)
        if key in self._seen:
            return
        self._seen.add(key)
        line = line_of(self.roots.get(file), element_id)
        if line is not None and line_in_code and line_in_code > 1:
            message = f"{message} (line {line_in_code} of the code)"
        self.problems.append(DiagramProblem(file, message, line=line, element_id=element_id, severity=severity))

    def check_process(self, spec, subprocess_specs: dict, forms: dict[str, Any], at_start: set[str],
                      checked: set[str]) -> None:
        """Check one process spec, then each process it calls with what may be set at the call."""
        checked.add(spec.name)
        steps = steps_of(spec, forms)
        add_returned(spec, steps, subprocess_specs, forms, frozenset({spec.name}))
        before = may_be_set(spec, steps, at_start)
        callable_names = set(self.context.functions)
        for name, step in steps.items():
            ts = step.spec
            element = getattr(ts, "bpmn_id", None) or name.split(" [")[0]
            for code in step.reads:
                self.check_code(spec, element, code, before[name] | callable_names)
            for code in step.reads_after:
                self.check_code(spec, element, code, before[name] | step.sets | callable_names)
            self.check_lane(spec, ts, element)
        for name, ts in spec.task_specs.items():
            called = getattr(ts, "spec", None)
            if type(ts).__name__ == "CallActivity" and called in subprocess_specs and called not in checked:
                given = before[name] | steps[name].sets
                self.check_process(subprocess_specs[called], subprocess_specs, forms, given, checked)

    def check_code(self, spec, element: str, code: Code, known: set[str]) -> None:
        source = code.source.strip()
        if CAMUNDA_EXPRESSION.match(source):
            self.problem(spec, element, f"{code.what} '{source}' is a Camunda (JUEL) expression; Tindak runs "
                         "Python expressions, e.g. decision == \"setuju\"")
            return
        problems = compile_problems(code.source, code.mode)
        for line, message in problems:
            self.problem(spec, element, f"{code.what} does not compile: {message}", line)
        if problems:
            return
        read, _ = names_in(code.source, code.mode)
        self._unknown = False
        for name, line in read:
            if name in known or name in BUILTIN_NAMES:
                continue
            self._unknown = True
            if code.kind == "timer" and ISO_DURATION.match(name):
                self.problem(spec, element, f"{code.what} {name} must be quoted: write \"{name}\" "
                             "(timer expressions are Python)", line)
                continue
            hint = difflib.get_close_matches(name, sorted(known), n=1)
            suffix = f"; did you mean '{hint[0]}'?" if hint else ""
            self.problem(spec, element, f"{code.what} uses '{name}', which no earlier step sets, no form "
                         f"field provides and no registered function is called{suffix}", line)
        if code.kind == "timer" and not self._unknown:
            self.check_timer_value(spec, element, code)
        for key, line in _sla_calls(code.source, code.mode, self.context.sla_functions):
            if key is not None and key not in self.context.sla_keys:
                hint = difflib.get_close_matches(key, sorted(self.context.sla_keys), n=1)
                suffix = f"; did you mean '{hint[0]}'?" if hint else \
                    "; an admin can create it under SLA policies"
                self.problem(spec, element, f"{code.what} asks for the SLA policy '{key}', which does not "
                             f"exist{suffix}", line)

    def check_timer_value(self, spec, element: str, code: Code) -> None:
        """Evaluate a timer expression on sample data and parse what it gives, as the timer will."""
        from engine.scripting import make_script_engine

        assert code.timer_type is not None  # name_flow gives every timer expression its timer's type
        if self._script_engine is None:
            self._script_engine = make_script_engine(self.context.functions)
        start = self.context.start_of(spec.name)
        sample = {name: start.get(name) for name, _ in names_in(code.source, "eval")[0]
                  if name not in self.context.functions}  # task data would shadow a function
        try:
            value = self._script_engine.environment.evaluate(code.source, sample)
            parse_timer(value, code.timer_type)
        except Exception as exc:  # noqa: BLE001 - whatever it raises, the timer would raise too
            shown = ", ".join(f"{k}={v!r}" for k, v in sample.items()) or "no variables"
            self.problem(spec, element, f"{code.what} {code.source.strip()!r} fails on sample data ({shown}): "
                         f"{type(exc).__name__}: {exc}; a {code.timer_type} timer needs "
                         + TIMER_FORMATS.get(code.timer_type, "an ISO 8601 value"))

    def check_lane(self, spec, ts, element: str) -> None:
        if type(ts).__name__ not in ("UserTask", "ManualTask"):
            return
        props = (getattr(ts, "extensions", None) or {}).get("properties", {})
        if props.get("role"):
            if self.context.roles and props["role"] not in self.context.roles:
                self.problem(spec, element, f"the property role='{props['role']}' names no role; roles are: "
                             + ", ".join(sorted(self.context.roles)))
            return
        lane = getattr(ts, "lane", None)
        if not lane:
            self.problem(spec, element, "the task is in no lane and has no 'role' property: nobody could take it")
        elif lane not in self.context.lanes:
            self.problem(spec, element, f"the lane '{lane}' is mapped to no role, so its tasks would be visible "
                         "to nobody; map it in the process library (Lanes) or use one of: "
                         + ", ".join(sorted(self.context.lanes)))


def check_specs(processes: dict[str, tuple], forms: dict[str, dict], roots: dict[str, Any],
                context: CheckContext) -> list[DiagramProblem]:
    """Static problems of every process of a deployment. A process that others call is checked
    through its callers (it sees what they may have set); one nobody calls starts with its start data."""
    checker = Checker(context, roots)
    called = {getattr(ts, "spec", None) for spec, _ in processes.values() for ts in spec.task_specs.values()
              if type(ts).__name__ == "CallActivity"}
    checked: set[str] = set()
    for process_id, (spec, subprocess_specs) in sorted(processes.items(), key=lambda item: item[0] in called):
        if process_id in checked:
            continue
        start = set(context.start_of(process_id))
        checker.check_process(spec, subprocess_specs, forms.get(process_id, {}), start, checked)
    return checker.problems

