"""The script engine that runs BPMN scripts, gateway conditions and timer expressions.

Which functions a diagram may call is decided by the caller (`workflows/` registers them);
the engine itself adds none.
"""
from __future__ import annotations

from typing import Callable, Mapping

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment


def make_script_engine(functions: Mapping[str, Callable] | None = None) -> PythonScriptEngine:
    """A script engine whose expressions may call exactly `functions` (plus Python builtins)."""
    return PythonScriptEngine(environment=TaskDataEnvironment(dict(functions or {})))
