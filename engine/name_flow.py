"""Which names a diagram's steps read and set, and which names some path from the start may
have set before each step: a "may be set" data-flow analysis over SpiffWorkflow's parsed task
specs. A call activity hands back what its process may set; a multi-instance's inner task runs
with its item.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from engine.forms import DOCUMENT_KEYWORD
from engine.script_policy import compile_problems


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


def add_returned(spec, steps: dict[str, Step], subprocess_specs: dict, forms: dict, seen: frozenset) -> None:
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
    add_returned(spec, steps, subprocess_specs, forms, seen | {spec.name})
    return set().union(*(step.sets for step in steps.values()))
