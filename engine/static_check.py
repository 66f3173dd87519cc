"""What can be known about a diagram without running it: every script and expression compiles,
every name it reads is set earlier on some path (or is a form field, or a registered function),
every timer expression gives a time, every SLA key exists, every lane has a role.

The name check is a "may be set" data-flow analysis over SpiffWorkflow's parsed task specs:
a name read at a step is fine when some path from the start to that step sets it.
"""
from __future__ import annotations

import ast
import builtins
import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from engine.check import CheckContext
from engine.diagram_check import line_of
from engine.errors import DiagramProblem
from engine.forms import DOCUMENT_KEYWORD

BUILTIN_NAMES = set(dir(builtins))
ISO_DURATION = re.compile(r"^R?\d*/?P(?:\d+[YMWD])*(?:T(?:\d+[HMS])+)?$")
CAMUNDA_EXPRESSION = re.compile(r"^\s*[$#]\{.*\}\s*$", re.S)


@dataclass
class Code:
    """One piece of Python in a diagram, and where it is."""

    source: str
    mode: str  # "exec" (a script) or "eval" (a condition or an expression)
    what: str  # plain words for the designer: "the script", "the condition of flow_x", ...
    kind: str = "code"  # "script" | "condition" | "timer" | "expression"
    timer_type: str | None = None


@dataclass
class Step:
    """A task spec as the analysis sees it: what it reads, what it sets."""

    spec: Any
    reads: list[Code] = field(default_factory=list)  # read before the step sets anything
    reads_after: list[Code] = field(default_factory=list)  # read after its form / own data is in
    sets: set[str] = field(default_factory=set)


def compile_problems(source: str, mode: str) -> list[tuple[int | None, str]]:
    """Syntax problems of a script or expression: (line within the source, message)."""
    try:
        from engine.script_policy import compile_problems as restricted
    except ImportError:  # the restricted compiler is optional for the analysis
        restricted = None
    if restricted is not None:
        return restricted(source, mode)
    try:
        compile(source, "<diagram>", mode)
    except SyntaxError as exc:
        return [(exc.lineno, f"{exc.msg}")]
    return []


def names_in(source: str, mode: str) -> tuple[list[tuple[str, int]], set[str]]:
    """(names read, each with its line) and names set by a piece of Python that compiles."""
    tree = ast.parse(source, mode=mode)
    stored: set[str] = set()
    read: list[tuple[str, int]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            if isinstance(node.ctx, (ast.Store, ast.Del)):
                stored.add(node.id)
            else:
                read.append((node.id, node.lineno))
        elif isinstance(node, ast.arg):
            stored.add(node.arg)
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            stored.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            stored.update((a.asname or a.name).split(".")[0] for a in node.names)
    # a name the same script sets before (or in a comprehension) is its own
    return [(n, line) for n, line in read if n not in stored], stored


def _form_fields(schema: dict | None) -> set[str]:
    if not isinstance(schema, dict):
        return set()
    return {name for name, prop in (schema.get("properties") or {}).items()
            if not (isinstance(prop, dict) and prop.get(DOCUMENT_KEYWORD))}


def _timer_type(definition) -> str:
    name = type(definition).__name__
    return {"TimeDateEventDefinition": "date", "DurationTimerEventDefinition": "duration",
            "CycleTimerEventDefinition": "cycle"}.get(name, "timer")


def _event_codes(definition, element: str) -> tuple[list[Code], set[str]]:
    """What an event definition reads (timer, condition, message payload) and sets (message variable)."""
    reads: list[Code] = []
    sets: set[str] = set()
    for each in getattr(definition, "event_definitions", None) or [definition]:
        kind = type(each).__name__
        expression = getattr(each, "expression", None)
        if isinstance(each, TimerEventDefinition) and expression:
            reads.append(Code(expression, "eval", "the timer expression", "timer", _timer_type(each)))
        elif kind == "ConditionalEventDefinition" and expression:
            reads.append(Code(expression, "eval", "the event's condition", "condition"))
        elif kind == "MessageEventDefinition":
            if expression:
                reads.append(Code(expression, "eval", "the message payload", "expression"))
            if getattr(each, "message_var", None):
                sets.add(each.message_var)
    return reads, sets


def steps_of(spec, forms: dict[str, Any]) -> dict[str, Step]:
    """A Step per task spec of one process spec."""
    steps: dict[str, Step] = {}
    for name, ts in spec.task_specs.items():
        step = Step(ts)
        kind = type(ts).__name__
        if getattr(ts, "prescript", None):
            step.reads.append(Code(ts.prescript, "exec", "the pre-script", "script"))
        if kind == "ScriptTask" and getattr(ts, "script", None):
            step.reads_after.append(Code(ts.script, "exec", "the script", "script"))
        props = (getattr(ts, "extensions", None) or {}).get("properties", {})
        form = props.get("formJsonSchemaFilename")
        if form:
            step.sets |= _form_fields(forms.get(form))
        if getattr(ts, "postscript", None):
            step.reads_after.append(Code(ts.postscript, "exec", "the post-script", "script"))
        for condition, target in getattr(ts, "cond_task_specs", None) or []:
            if condition is not None:
                flow = _flow_id(spec, ts, target)
                step.reads_after.append(Code(condition.args[0], "eval", f"the condition of flow '{flow}'", "condition"))
        definition = getattr(ts, "event_definition", None)
        if definition is not None:
            reads, sets = _event_codes(definition, ts.name)
            step.reads += reads
            step.sets |= sets
        if "MultiInstance" in kind:
            if getattr(ts, "cardinality", None):
                step.reads.append(Code(ts.cardinality, "eval", "the loop cardinality", "expression"))
            if getattr(ts, "condition", None):
                step.reads_after.append(Code(ts.condition, "eval", "the completion condition", "condition"))
            if getattr(ts, "data_input", None) is not None:
                step.reads.append(Code(ts.data_input.bpmn_id, "eval", "the input collection", "expression"))
            if getattr(ts, "data_output", None) is not None:
                step.sets.add(ts.data_output.bpmn_id)
            child = spec.task_specs.get(ts.task_spec) if isinstance(ts.task_spec, str) else ts.task_spec
            if child is not None and getattr(ts, "input_item", None) is not None:
                steps.setdefault(child.name, Step(child)).sets.add(ts.input_item.bpmn_id)
        for code in step.reads + step.reads_after:
            if code.mode == "exec" and not compile_problems(code.source, "exec"):
                step.sets |= names_in(code.source, "exec")[1]
        if name in steps:  # a multi-instance child registered first
            step.sets |= steps[name].sets
        steps[name] = step
    return steps


def _flow_id(spec, ts, target_name: str) -> str:
    target = spec.task_specs.get(target_name)
    flows = getattr(ts, "outgoing_sequence_flows", None) or {}
    for flow_id, flow in flows.items() if isinstance(flows, dict) else []:
        if getattr(flow, "target_task_spec", None) in (target_name, target):
            return flow_id
    return target_name


def _successors(spec, ts) -> list:
    """The specs that run after `ts`; a multi-instance's inner task runs inside it, with its item."""
    found = list(ts.outputs)
    inner = getattr(ts, "task_spec", None)
    if "MultiInstance" in type(ts).__name__ and inner is not None:
        found.append(spec.task_specs[inner] if isinstance(inner, str) else inner)
    return found


def may_be_set(spec, steps: dict[str, Step], at_start: set[str]) -> dict[str, set[str]]:
    """For each task spec, the names some path from the start may have set before it runs."""
    before: dict[str, set[str]] = {name: set() for name in spec.task_specs}
    start = spec.start.name if getattr(spec, "start", None) is not None else "Start"
    before[start] = set(at_start)
    changed = True
    while changed:
        changed = False
        for name, ts in spec.task_specs.items():
            after = before[name] | steps[name].sets
            for out in _successors(spec, ts):
                if not after <= before[out.name]:
                    before[out.name] |= after
                    changed = True
    return before


def _add_returned(spec, steps: dict[str, Step], subprocess_specs: dict, forms: dict, seen: frozenset) -> None:
    """A call activity hands back what its process may set; a multi-instance what its inner task does."""
    for name, ts in spec.task_specs.items():
        called = getattr(ts, "spec", None)
        if type(ts).__name__ == "CallActivity" and called in subprocess_specs and called not in seen:
            steps[name].sets |= process_sets(subprocess_specs[called], subprocess_specs, forms, seen | {called})
    for name, ts in spec.task_specs.items():
        inner = getattr(ts, "task_spec", None)
        if "MultiInstance" in type(ts).__name__ and inner is not None:
            inner_name = inner if isinstance(inner, str) else inner.name
            steps[name].sets |= steps[inner_name].sets


def process_sets(spec, subprocess_specs: dict, forms: dict, seen: frozenset = frozenset()) -> set[str]:
    """Every name a process (and what it calls) may set."""
    steps = steps_of(spec, forms)
    _add_returned(spec, steps, subprocess_specs, forms, seen | {spec.name})
    return set().union(*(step.sets for step in steps.values()))


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
        self._script_engine = None

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
        _add_returned(spec, steps, subprocess_specs, forms, frozenset({spec.name}))
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


CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
CAMUNDA_IGNORED = {
    "formKey": "forms come from the property formJsonSchemaFilename",
    "assignee": "who takes a task comes from its lane (or the property role)",
    "candidateGroups": "who takes a task comes from its lane (or the property role)",
    "candidateUsers": "who takes a task comes from its lane (or the property role)",
    "dueDate": "deadlines come from a boundary timer marked as the deadline",
    "class": "service tasks do not run Java classes here",
    "expression": "Camunda expressions do not run here",
    "delegateExpression": "Camunda expressions do not run here",
}


def xml_warnings(roots: dict[str, Any]) -> list[DiagramProblem]:
    """What a Camunda Modeler diagram says that Tindak ignores, named so nobody relies on it."""
    found = []
    for file_name, root in roots.items():
        for element in root.iter():
            if not isinstance(element.tag, str):
                continue
            for attribute in element.attrib:
                if not attribute.startswith(f"{{{CAMUNDA_NS}}}"):
                    continue
                local = attribute.split("}")[1]
                why = CAMUNDA_IGNORED.get(local, "Camunda extensions are not read by Tindak")
                found.append(DiagramProblem(
                    file_name, f"camunda:{local}=\"{element.get(attribute)}\" is ignored: {why}",
                    line=element.sourceline, element_id=element.get("id"), severity="warning"))
    return found
