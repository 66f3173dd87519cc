"""The compile-time restrictions on diagram scripts and expressions: every source is parsed
and compiled with RestrictedPython under a policy of our own (no imports, no names or
attributes starting with '_', no `try`/`with`/`class`/`yield`, no `print`, no
`eval`/`exec`/`open`/`getattr`/`type`/`globals`/...), reworded in plain language for the
designer. A refused construct never runs: the whole script is refused before its first line.

The policy also compiles in the calls to the run-time guards (script_builtins, script_sizes,
script_limits): attribute reads and writes, size-growing operators, format specifications,
and a bound check at the top of every loop body and function the script defines.
"""
from __future__ import annotations

import ast
import functools
import re
import types
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TypeVar

from RestrictedPython import compile_restricted_eval, compile_restricted_exec
from RestrictedPython.transformer import INSPECT_ATTRIBUTES, RestrictingNodeTransformer, copy_locations

from engine.script_errors import ScriptRefused

# the file name compiled scripts carry: how a traceback frame is recognised as the script's
SCRIPT_FILENAME = "<diagram script>"

COMPILED_CACHE_SIZE = 1024  # compiled sources kept (scripts are few and reused by every case)

# names a script may not call, with the reason the designer is told
FORBIDDEN_CALLS: dict[str, str] = {
    **dict.fromkeys(("eval", "exec", "compile"), "running code from a string is not allowed"),
    **dict.fromkeys(("open", "input"), "files and the console are out of a diagram's reach"),
    **dict.fromkeys(("getattr", "setattr", "delattr", "hasattr"), "write the attribute out, as in value.name"),
    **dict.fromkeys(("globals", "locals", "vars", "dir"), "the script's own namespace is off limits"),
    **dict.fromkeys(("type", "object", "super", "classmethod", "staticmethod", "property", "memoryview",
                     "bytearray", "bytes", "id", "help", "breakpoint", "exit", "quit", "iter", "aiter",
                     "anext", "format", "ascii", "callable", "issubclass", "hash"),
                    "it is not one of the builtins they get"),
}

REFUSAL_REASONS = {
    "underscore": "names starting with '_' are not allowed in diagram scripts",
    "inspect": "it looks inside the running program, which diagram scripts may not do",
    "format": "str.format can reach inside objects; use an f-string such as f\"{name}\" instead",
}


# -- compiling -----------------------------------------------------------------------------

_GUARDED_OPERATORS = {ast.Add: "_add_", ast.Mult: "_mul_", ast.Pow: "_pow_", ast.LShift: "_lshift_",
                      ast.Mod: "_mod_"}
# node type -> how the designer wrote it, and why diagram scripts go without it
_PLAIN_DATA = "diagram scripts work on plain values (text, numbers, lists, dicts)"
_NOT_ALLOWED = {
    "Try": ("'try'", "a script that fails should stop the task, so the failure is seen and fixed"),
    "TryStar": ("'try'", "a script that fails should stop the task, so the failure is seen and fixed"),
    "With": ("'with'", "there is nothing in a diagram script to open or close"),
    "AsyncWith": ("'async with'", None), "AsyncFunctionDef": ("'async def'", None),
    "Await": ("'await'", None), "AsyncFor": ("'async for'", None),
    "ClassDef": ("'class'", _PLAIN_DATA), "Yield": ("'yield'", _PLAIN_DATA), "YieldFrom": ("'yield from'", _PLAIN_DATA),
    "Global": ("'global'", "a script's variables are the task data already"),
    "Nonlocal": ("'nonlocal'", "a script's variables are the task data already"),
    "Match": ("'match'", "write it with if and elif"),
    "AnnAssign": ("a type annotation", "write x = value"),
}
_LINE = re.compile(r"^Line (\d+|None): (\d{12}) (.*)$", re.S)

_Node = TypeVar("_Node", bound=ast.AST)


def _visited(result: ast.AST | Iterable[ast.AST] | None, kind: type[_Node]) -> _Node:
    """What one of RestrictedPython's visits returned, as the single node of `kind` it is: a visit
    may in general return a list of nodes or None, but the ones this policy extends give back a node
    of the kind they were given."""
    if not isinstance(result, kind):
        raise TypeError(f"RestrictedPython's visit returned {type(result).__name__}, not {kind.__name__}")
    return result


class _Policy(RestrictingNodeTransformer):
    """RestrictedPython's policy, stricter where diagrams need nothing, with plain messages, and
    with calls to our guards compiled in (loop steps, size-growing operators, format specs)."""

    noun = "script"

    # -- reporting

    def _refuse(self, node: ast.AST, message: str) -> None:
        # RestrictedPython keeps errors as "Line N: message" strings; where the node starts and
        # ends on its line go in too, so the first problem reported is the first one read
        # (in a.b.c, the node of .b starts where the node of .c does, and ends before it)
        where = f"{getattr(node, 'col_offset', 0):06d}{getattr(node, 'end_col_offset', 0) or 0:06d}"
        self.errors.append(f"Line {getattr(node, 'lineno', None)}: {where} {message}")

    def error(self, node: ast.AST, info: str) -> None:
        """RestrictedPython's own findings, reworded for a designer."""
        plain = info
        if m := re.match(r'^(\w+) statements are not allowed\.$', info):
            plain = self._keyword_message(m.group(1))
        elif m := re.match(r'^"(.+)" is an invalid (?:variable|attribute) name because it starts with "_"', info):
            plain = f"the {self.noun} uses '{m.group(1)}': {REFUSAL_REASONS['underscore']}"
        elif m := re.match(r'^"(.+)" is a restricted name', info):
            plain = f"the {self.noun} uses '{m.group(1)}': {REFUSAL_REASONS['inspect']}"
        elif info.startswith("Augmented assignment of object items"):
            plain = (f"the {self.noun} uses an augmented assignment on an item, as in d[k] += 1; "
                     "write d[k] = d[k] + 1 instead")
        elif info.startswith("Augmented assignment of attributes"):
            plain = f"the {self.noun} uses an augmented assignment on an attribute, which is not allowed"
        elif info.startswith("Unpacking in comprehensions"):
            plain = f"the {self.noun} unpacks with * inside a comprehension, which is not allowed"
        self._refuse(node, plain)

    def warn(self, node: ast.AST, info: str) -> None:
        pass  # RestrictedPython warns about unknown nodes and also refuses them: the refusal suffices

    def _keyword_message(self, node_name: str) -> str:
        written, why = _NOT_ALLOWED.get(node_name, (f"'{node_name}'", None))
        return f"the {self.noun} uses {written}, which is not allowed in diagram scripts" + (f": {why}" if why else "")

    def _not_allowed(self, node: ast.AST) -> ast.AST:
        self._refuse(node, self._keyword_message(type(node).__name__))
        return self.node_contents_visit(node)  # report what is inside too

    # -- names and attributes

    def check_name(self, node, name, allow_magic_methods=False) -> None:
        if name is None:
            return
        if name.startswith("_") and name != "_":
            self._refuse(node, f"the {self.noun} uses '{name}': {REFUSAL_REASONS['underscore']}")
        elif name in ("builtins", "breakpoint"):
            self._refuse(node, f"the {self.noun} uses '{name}', which is not available in diagram scripts")

    def visit_Name(self, node: ast.Name) -> ast.AST:
        if node.id in ("print", "printed"):
            self._refuse(node, f"the {self.noun} uses '{node.id}': a diagram script has no output; "
                               "keep the value in a variable instead")
            return node
        return _visited(super().visit_Name(node), ast.expr)

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        attr = node.attr
        if attr.startswith("_") and attr != "_":
            self._refuse(node, f"the {self.noun} uses '{attr}': {REFUSAL_REASONS['underscore']}")
        elif attr in INSPECT_ATTRIBUTES:
            self._refuse(node, f"the {self.noun} uses '{attr}': {REFUSAL_REASONS['inspect']}")
        elif attr in ("format", "format_map") and isinstance(node.value, ast.Constant) \
                and isinstance(node.value.value, str):
            self._refuse(node, f"the {self.noun} uses '{attr}': {REFUSAL_REASONS['format']}")
        node = self.node_contents_visit(node)
        if isinstance(node.ctx, ast.Load):  # a.b -> _getattr_(a, "b")
            new = ast.Call(func=ast.Name("_getattr_", ast.Load()), args=[node.value, ast.Constant(attr)],
                           keywords=[])
            copy_locations(new, node)
            return new
        written = ast.Call(func=ast.Name("_write_", ast.Load()), args=[node.value], keywords=[])
        copy_locations(written, node.value)  # a.b = c -> _write_(a).b = c
        node.value = written
        return node

    def visit_Call(self, node: ast.Call) -> ast.AST:
        if isinstance(node.func, ast.Name) and node.func.id in FORBIDDEN_CALLS:
            name = node.func.id
            self._refuse(node, f"the {self.noun} calls '{name}', which diagram scripts may not use: "
                               f"{FORBIDDEN_CALLS[name]}")
        needs_apply = any(k.arg is None for k in node.keywords)  # f(**d) -> _apply_(f, **d)
        node = self.node_contents_visit(node)
        if needs_apply:
            node.args.insert(0, node.func)
            node.func = ast.Name("_apply_", ast.Load())
            copy_locations(node.func, node.args[0])
        return node

    def visit_Starred(self, node: ast.Starred) -> ast.AST:
        # *x in a list, tuple, set or call would copy x in one step, unchecked: [*a, *a, *a]
        if isinstance(node.ctx, ast.Load):
            self._refuse(node, f"the {self.noun} unpacks with *; join lists with + instead")
        return self.node_contents_visit(node)

    # -- statements diagrams do not need

    def visit_Import(self, node: ast.Import | ast.ImportFrom) -> ast.AST:
        names = ", ".join(alias.name for alias in node.names)
        module = getattr(node, "module", None)
        what = f"{names} from {module}" if module else names
        self._refuse(node, f"the {self.noun} imports {what}: imports are not allowed in diagram scripts; "
                           "use the functions this installation provides")
        return node

    visit_ImportFrom = visit_Import
    visit_Try = visit_TryStar = visit_With = visit_ClassDef = _not_allowed
    visit_Global = visit_Nonlocal = visit_Yield = visit_YieldFrom = _not_allowed

    # -- guards compiled in

    def _tick_call(self, like: ast.stmt | ast.expr) -> ast.Call:
        call = ast.Call(func=ast.Name("_tick_", ast.Load()), args=[], keywords=[])
        copy_locations(call, like)
        return call

    def _tick_first(self, node: ast.While | ast.FunctionDef) -> ast.AST:
        """`node` with a tick as the first statement of its body (each loop round, each call)."""
        tick = ast.Expr(self._tick_call(node))
        copy_locations(tick, node)
        node.body.insert(0, tick)
        return node

    def visit_While(self, node: ast.While) -> ast.AST:
        return self._tick_first(_visited(self.node_contents_visit(node), ast.While))

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.AST:
        return self._tick_first(_visited(super().visit_FunctionDef(node), ast.FunctionDef))

    def visit_Lambda(self, node: ast.Lambda) -> ast.AST:
        node = _visited(super().visit_Lambda(node), ast.Lambda)
        node.body = ast.BoolOp(op=ast.Or(), values=[self._tick_call(node.body), node.body])  # None or body
        copy_locations(node.body, node.body.values[1])
        return node

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        node = self.node_contents_visit(node)
        guard = _GUARDED_OPERATORS.get(type(node.op))
        if guard is None:
            return node
        call = ast.Call(func=ast.Name(guard, ast.Load()), args=[node.left, node.right], keywords=[])
        copy_locations(call, node)
        return call

    def visit_FormattedValue(self, node: ast.FormattedValue) -> ast.AST:
        node = self.node_contents_visit(node)
        if node.format_spec is None:
            return node
        # f"{x!r:>{n}}" -> f"{_format_(x, ord('r'), f'>{n}')}"
        call = ast.Call(func=ast.Name("_format_", ast.Load()),
                        args=[node.value, ast.Constant(node.conversion), node.format_spec], keywords=[])
        copy_locations(call, node)
        node.value, node.conversion, node.format_spec = call, -1, None
        return node

    def visit_Module(self, node: ast.Module) -> ast.AST:
        return ast.fix_missing_locations(_visited(super().visit_Module(node), ast.Module))

    def visit_Expression(self, node: ast.Expression) -> ast.AST:
        return ast.fix_missing_locations(_visited(super().visit_Expression(node), ast.Expression))


class _ExpressionPolicy(_Policy):
    noun = "expression"


@dataclass(frozen=True)
class _Compiled:
    code: types.CodeType | None
    problems: tuple[tuple[int | None, str], ...]
    syntax_error: tuple[str, int | None, int | None, str | None] | None = None  # msg, line, offset, text


def _parse(text: str, mode: str) -> ast.Module | ast.Expression:
    """The tree of a script ("exec") or an expression ("eval")."""
    if mode == "exec":
        return ast.parse(text, SCRIPT_FILENAME, "exec")
    return ast.parse(text, SCRIPT_FILENAME, "eval")


def _source(source: str, mode: str) -> str:
    # eval() ignores leading spaces and tabs (as a condition written on an indented line has)
    return source.lstrip(" \t") if mode == "eval" else source


@functools.lru_cache(maxsize=COMPILED_CACHE_SIZE)
def _compile(source: str, mode: str) -> _Compiled:
    if mode not in ("exec", "eval"):
        raise ValueError(f"mode must be 'exec' or 'eval', not {mode!r}")
    noun = "script" if mode == "exec" else "expression"
    text = _source(source, mode)
    try:
        tree = _parse(text, mode)
    except SyntaxError as exc:
        problem = (exc.lineno, f"the {noun} is not valid Python: {exc.msg}")
        return _Compiled(None, (problem,), (exc.msg, exc.lineno, exc.offset, exc.text))
    compile_restricted = compile_restricted_exec if mode == "exec" else compile_restricted_eval
    result = compile_restricted(tree, filename=SCRIPT_FILENAME, policy=_Policy if mode == "exec" else _ExpressionPolicy)
    found = []
    for error in result.errors:
        if m := _LINE.match(error):
            found.append((int(m.group(1)) if m.group(1) != "None" else 0, int(m.group(2)), m.group(3)))
        else:
            found.append((0, 0, error))
    problems: list[tuple[int | None, str]] = []
    for line, _column, message in sorted(found, key=lambda f: (f[0], f[1])):
        if (line or None, message) not in problems:
            problems.append((line or None, message))
    return _Compiled(None if problems else result.code, tuple(problems))


def compile_problems(source: str, mode: str) -> list[tuple[int | None, str]]:
    """Everything that would stop `source` from running as a diagram script ("exec") or a
    condition or timer expression ("eval"): syntax errors and refused constructs, as
    (line within the source, plain message); [] when it may run. Executes nothing.

    What it cannot see before running (a name the task data lacks, a limit a value breaks)
    is reported when the script runs.
    """
    return list(_compile(source, mode).problems)


def compiled(source: str, mode: str) -> types.CodeType:
    """The restricted code of `source` ("exec" or "eval"), compiled once and cached; raises
    SyntaxError for invalid Python and ScriptRefused (with the line) for a refused construct."""
    result = _compile(source, mode)
    if result.syntax_error is not None:
        msg, line, offset, text = result.syntax_error
        raise SyntaxError(msg, (SCRIPT_FILENAME, line, offset, text))
    if result.code is None:
        line, message = result.problems[0]
        raise ScriptRefused(message, line=line)
    return result.code
