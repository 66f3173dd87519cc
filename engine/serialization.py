"""Turning workflows into JSON and back, with the spec kept apart from the instance state.

A process version's spec is serialized once at deploy time. Instance state is saved without
it, and restored against spec objects cached per process version: specs are never mutated
by running workflows, so one parsed copy can serve every case of that version.
"""
from __future__ import annotations

import json
from typing import Any, Callable
from uuid import UUID

from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
from SpiffWorkflow.bpmn.serializer.migration.version_migration import MIGRATIONS
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG


class _StateOnlyWorkflowConverter(BpmnWorkflowConverter):
    """Like SpiffWorkflow's converter, but writes no spec and restores onto given specs."""

    def to_dict(self, workflow):
        dct = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct):
        spec = dct.pop("spec")
        subprocess_specs = dct.pop("subprocess_specs", {})
        if isinstance(spec, dict):  # a full serialization (e.g. after a format migration)
            spec = self.registry.restore(spec)
            subprocess_specs = self.mapping_from_dict(subprocess_specs)
        workflow = self.target_class(spec, subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


def _make_serializer(state_only: bool) -> BpmnWorkflowSerializer:
    config = dict(SPIFF_CONFIG)
    if state_only:
        config[BpmnWorkflow] = _StateOnlyWorkflowConverter
    return BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(config))


_FULL = _make_serializer(state_only=False)
_STATE = _make_serializer(state_only=True)
VERSION = _STATE.VERSION


def serialize_spec(spec, subprocess_specs: dict) -> str:
    """The JSON stored once per process version."""
    return json.dumps(
        {
            "spec": _FULL.to_dict(spec),
            "subprocess_specs": {name: _FULL.to_dict(s) for name, s in subprocess_specs.items()},
        }
    )


_spec_cache: dict[int, tuple] = {}


def specs_for(version_id: int, spec_json: Callable[[], str]):
    """The parsed (spec, subprocess_specs) of a process version, cached by version id.

    Versions are immutable, so the id alone is a safe key; `spec_json` is only called (and the
    large column only read) on a cache miss.
    """
    cached = _spec_cache.get(version_id)
    if cached is None:
        dct = json.loads(spec_json())
        spec = _FULL.from_dict(dct["spec"])
        subs = {name: _FULL.from_dict(s) for name, s in dct["subprocess_specs"].items()}
        cached = _spec_cache[version_id] = (spec, subs)
    return cached


def forget_cached_specs() -> None:
    """Drop cached specs (tests that recreate the database reuse version ids)."""
    _spec_cache.clear()


def new_workflow(version_id: int, spec_json: Callable[[], str], script_engine) -> BpmnWorkflow:
    spec, subprocess_specs = specs_for(version_id, spec_json)
    return BpmnWorkflow(spec, subprocess_specs, script_engine=script_engine)


def dump_state(workflow: BpmnWorkflow) -> str:
    """The instance state as JSON, without the spec."""
    _STATE.registry._encoder_mode = True
    try:
        dct = _STATE.to_dict(workflow)
    finally:
        _STATE.registry._encoder_mode = False
    dct[_STATE.VERSION_KEY] = _STATE.VERSION
    return json.dumps(dct, separators=(",", ":"), cls=_STATE._encoder_cls)


def load_state(state: str, version_id: int, spec_json: Callable[[], str], script_engine) -> BpmnWorkflow:
    """Restore an instance saved by `dump_state`, migrating older serializer formats."""
    dct: dict[str, Any] = json.loads(state)
    version = dct.get(_STATE.VERSION_KEY)
    if version != _STATE.VERSION and version in MIGRATIONS:
        # migrations rewrite spec and state together: hand them the full serialization
        full = json.loads(spec_json())
        dct.update(spec=full["spec"], subprocess_specs=full["subprocess_specs"])
        _STATE.migrate(dct)
    else:
        dct.pop(_STATE.VERSION_KEY, None)
        spec, subprocess_specs = specs_for(version_id, spec_json)
        dct.update(spec=spec, subprocess_specs=subprocess_specs)
    workflow = _STATE.from_dict(dct)
    workflow.script_engine = script_engine
    return workflow


def round_trip(workflow: BpmnWorkflow, script_engine) -> BpmnWorkflow:
    """Save and restore a workflow on its own specs, as a wait state does (the dry run's check
    that what a case holds survives being stored)."""
    dct: dict[str, Any] = json.loads(dump_state(workflow))
    dct.pop(_STATE.VERSION_KEY, None)
    dct.update(spec=workflow.spec, subprocess_specs=workflow.subprocess_specs)
    restored = _STATE.from_dict(dct)
    restored.script_engine = script_engine
    return restored
