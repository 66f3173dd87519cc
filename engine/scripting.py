"""The script engine that runs BPMN scripts, gateway conditions and timer expressions.

Diagrams are edited by designers, not programmers, and run inside the web process, so their
Python runs restricted (what is allowed and why: docs/scripts.md). This module puts the pieces
together into the environment SpiffWorkflow runs scripts in:

- engine/script_policy.py: every script and expression is compiled with RestrictedPython and
  a policy of our own; a refused construct never runs.
- engine/script_builtins.py: what does run gets a small set of builtins and guards for
  attribute access, item writes and iteration.
- engine/script_sizes.py: operations that could build something huge in one step check the
  size of their result first.
- engine/script_limits.py: every loop step and function call checks a deadline (1 s unless
  the engine is made with another `time_limit`) and how much the process grew.
- engine/script_errors.py: what a broken rule raises.

Which functions a diagram may call is decided by the caller (`workflows/` registers them);
the engine itself adds none.
"""
from __future__ import annotations

import copy
import types
from typing import Any, Callable, Mapping

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment
from SpiffWorkflow.exceptions import SpiffWorkflowException

from engine.script_builtins import BUILTINS
from engine.script_errors import ScriptError, ScriptLimitExceeded, ScriptRefused
from engine.script_limits import DEFAULT_MEMORY_LIMIT, DEFAULT_TIME_LIMIT, RunStopped, bounded_run
from engine.script_policy import FORBIDDEN_CALLS, SCRIPT_FILENAME, compiled


def _script_line(traceback: types.TracebackType | None) -> int | None:
    """The line of the innermost frame of the script in a traceback."""
    line = None
    while traceback is not None:
        if traceback.tb_frame.f_code.co_filename == SCRIPT_FILENAME:
            line = traceback.tb_lineno
        traceback = traceback.tb_next
    return line


# -- the environment SpiffWorkflow runs scripts in ------------------------------------------

class RestrictedEnvironment(TaskDataEnvironment):
    """SpiffWorkflow's TaskDataEnvironment (task data are the script's variables; the functions
    are put in for the run and taken out again), with every script compiled restricted and run
    within a time and memory bound."""

    def __init__(self, functions: Mapping[str, Callable] | None = None,
                 time_limit: float = DEFAULT_TIME_LIMIT, memory_limit: int | None = DEFAULT_MEMORY_LIMIT):
        functions = dict(functions or {})
        for name in functions:
            if name.startswith("_") or name in FORBIDDEN_CALLS or name in BUILTINS:
                raise ValueError(f"a diagram function may not be called '{name}'")
        super().__init__(functions)
        self.time_limit = time_limit
        self.memory_limit = memory_limit

    def evaluate(self, expression, context, external_context=None):
        code = compiled(expression, "eval")
        my_globals = copy.copy(self.globals)  # else we pollute all later evals
        self._prepare_context(context)
        my_globals.update(external_context or {})
        my_globals.update(context)
        my_globals["__builtins__"] = BUILTINS
        return self._run(code, my_globals, "expression")

    def execute(self, script, context, external_context=None):
        self.check_for_overwrite(context, external_context or {})
        code = compiled(script, "exec")  # a refused script never touches the task data
        my_globals = copy.copy(self.globals)
        self._prepare_context(context)
        my_globals.update(external_context or {})
        context.update(my_globals)
        context["__builtins__"] = BUILTINS
        try:
            self._run(code, context, "script")
        finally:
            self._remove_globals_and_functions_from_context(context, external_context)
        return True

    def _run(self, code: types.CodeType, namespace: dict, noun: str) -> Any:
        try:
            with bounded_run(self.time_limit, self.memory_limit):
                return eval(code, namespace)  # an "exec" code object runs the same way and returns None
        except RunStopped as stop:
            line = _script_line(stop.__traceback__)
            if stop.reason == "time":
                message = f"the {noun} ran longer than {self.time_limit:g} s and was stopped"
            else:
                assert self.memory_limit is not None  # a run without a memory bound never stops for memory
                message = (f"the {noun} made the server use more than {self.memory_limit // (1024 * 1024)} MB "
                           "of extra memory and was stopped")
            raise ScriptLimitExceeded(message, line=line) from None
        except NameError as exc:
            if exc.name in FORBIDDEN_CALLS:
                raise ScriptRefused(f"the {noun} uses '{exc.name}', which diagram scripts may not use: "
                                    f"{FORBIDDEN_CALLS[exc.name]}", line=_script_line(exc.__traceback__)) from exc
            raise
        except ScriptError as exc:
            if exc.line is None:
                exc.line = _script_line(exc.__traceback__)
            if noun != "script" and exc.args and str(exc.args[0]).startswith("the script "):
                exc.args = (f"the {noun} " + exc.args[0][len("the script "):],)
            raise


def _detail(err: BaseException) -> str:
    if isinstance(err, ScriptError):
        return str(err)
    if err.args and isinstance(err.args[0], str):
        return f"{err.__class__.__name__}:{err.args[0]}"  # as SpiffWorkflow words it
    return f"{err.__class__.__name__}:{err}"


class RestrictedScriptEngine(PythonScriptEngine):
    """SpiffWorkflow's script engine over a RestrictedEnvironment, telling the designer what went
    wrong (SpiffWorkflow's own wording drops the cause of a failed expression)."""

    def evaluate(self, task, expression, external_context=None):
        try:
            return self.environment.evaluate(expression, task.data, external_context)
        except SpiffWorkflowException as se:
            se.add_note(f"Error evaluating expression '{expression}'")
            raise se
        except Exception as e:
            line, error_line = self.get_error_line_number_and_content(expression, e)
            raise WorkflowTaskException(f"Error evaluating expression '{expression}': {_detail(e)}", task=task,
                                        exception=e, line_number=line or None, error_line=error_line) from e

    def create_task_exec_exception(self, task, script, err):
        line_number, error_line = self.get_error_line_number_and_content(script, err)
        if isinstance(err, SpiffWorkflowException):
            err.line_number = line_number
            err.error_line = error_line
            err.add_note(f"Python script error on line {line_number}: '{error_line}'")
            return err
        return WorkflowTaskException(_detail(err), task=task, exception=err, line_number=line_number,
                                     error_line=error_line)

    def get_error_line_number_and_content(self, script, err):
        if isinstance(err, SyntaxError):
            line = err.lineno
        elif isinstance(err, ScriptError):
            line = err.line
        else:
            line = _script_line(err.__traceback__)
        lines = (script or "").splitlines()
        error_line = lines[line - 1] if line and 0 < line <= len(lines) else ""
        return line or 0, error_line


def make_script_engine(functions: Mapping[str, Callable] | None = None,
                       time_limit: float = DEFAULT_TIME_LIMIT,
                       memory_limit: int | None = DEFAULT_MEMORY_LIMIT) -> PythonScriptEngine:
    """A script engine whose scripts may call exactly `functions` (plus the few builtins in
    ALLOWEDBUILTINS), each script or expression stopped after `time_limit` seconds or once
    the process grew by `memory_limit` bytes while it ran (None: no memory bound)."""
    return RestrictedScriptEngine(environment=RestrictedEnvironment(functions, time_limit, memory_limit))
