"""The script engine that runs BPMN scripts, gateway conditions and timer expressions.

Diagrams are edited by designers, not programmers, and run inside the web process, so their
Python runs restricted (what is allowed and why: docs/scripts.md):

- Every script and expression is compiled with RestrictedPython and a policy of our own: no
  imports, no names or attributes starting with '_', no `try`/`with`/`class`/`yield`, no
  `print`, no `eval`/`exec`/`open`/`getattr`/`type`/`globals`/... . A refused construct never
  runs: the whole script is refused before its first line.
- What does run gets a small set of builtins and guards for attribute access (nothing on
  functions and classes, no `str.format`), item writes (lists and dicts only) and the
  operations that could build something huge in one step (`*`, `+`, `**`, `<<`, `%`,
  format widths, `range`, padding and joining methods).
- Every loop iteration, comprehension step and call of a function the script defines checks
  a deadline (1 s unless the engine is made with another `time_limit`) and, every 10 ms, how
  much the process grew. The check is a call compiled into the script itself, so it works in
  any thread, needs no signal and costs nothing when the script has no loop.

Which functions a diagram may call is decided by the caller (`workflows/` registers them);
the engine itself adds none.
"""
from __future__ import annotations

import ast
import builtins
import copy
import functools
import math
import operator
import os
import re
import threading
import time
import types
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from RestrictedPython import compile_restricted_eval, compile_restricted_exec
from RestrictedPython.Guards import guarded_iter_unpack_sequence, guarded_unpack_sequence, safer_getattr
from RestrictedPython.transformer import INSPECT_ATTRIBUTES, RestrictingNodeTransformer, copy_locations
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment
from SpiffWorkflow.exceptions import SpiffWorkflowException

# the file name compiled scripts carry: how a traceback frame is recognised as the script's
SCRIPT_FILENAME = "<diagram script>"

DEFAULT_TIME_LIMIT = 1.0  # seconds one script or expression may run
DEFAULT_MEMORY_LIMIT = 256 * 1024 * 1024  # bytes the process may grow by while one script runs
MEMORY_CHECK_EVERY = 0.01  # seconds between two looks at the process's size
MAX_RANGE = 100_000  # numbers in one range()
MAX_LENGTH = 1_000_000  # characters or items one operation may build (str, bytes, list, tuple)
MAX_INT_BITS = 65_536  # bits of an integer built by *, ** or << (about 19,700 digits)
MAX_FORMAT_WIDTH = 10_000  # width or precision in a format specification
MAX_ROUND_DIGITS = 1_000  # ndigits of round()
COMPILED_CACHE_SIZE = 1024  # compiled sources kept (scripts are few and reused by every case)


class ScriptError(Exception):
    """A diagram script or expression broke a rule of the restricted environment.

    The message is plain language for the designer; `line` is the line within the script
    (1 for a one-line condition), when known.
    """

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.line = line


class ScriptRefused(ScriptError):
    """The script uses something diagram scripts may not use (found before or while it runs)."""


class ScriptLimitExceeded(ScriptError):
    """The script ran too long, grew the process too much, or tried to build something too big."""


# -- what a script may call ----------------------------------------------------------------

# names a script may not call, with the reason the designer is told
_FORBIDDEN_CALLS: dict[str, str] = {
    **dict.fromkeys(("eval", "exec", "compile"), "running code from a string is not allowed"),
    **dict.fromkeys(("open", "input"), "files and the console are out of a diagram's reach"),
    **dict.fromkeys(("getattr", "setattr", "delattr", "hasattr"), "write the attribute out, as in value.name"),
    **dict.fromkeys(("globals", "locals", "vars", "dir"), "the script's own namespace is off limits"),
    **dict.fromkeys(("type", "object", "super", "classmethod", "staticmethod", "property", "memoryview",
                     "bytearray", "bytes", "id", "help", "breakpoint", "exit", "quit", "iter", "aiter",
                     "anext", "format", "ascii", "callable", "issubclass", "hash"),
                    "it is not one of the builtins they get"),
}

_REASONS = {
    "underscore": "names starting with '_' are not allowed in diagram scripts",
    "inspect": "it looks inside the running program, which diagram scripts may not do",
    "format": "str.format can reach inside objects; use an f-string such as f\"{name}\" instead",
}


def _too_big(what: str, size: int, limit: int) -> ScriptLimitExceeded:
    return ScriptLimitExceeded(f"the script would build {what} of {size:,} (at most {limit:,} allowed)")


def _length(value: Any) -> int | None:
    return len(value) if isinstance(value, (str, bytes, list, tuple)) else None


def _check_length(what: str, size: int) -> None:
    if size > MAX_LENGTH:
        raise _too_big(what, size, MAX_LENGTH)


def _is_int(value: Any) -> bool:
    return isinstance(value, int)


def _check_bits(bits: float) -> None:
    if bits > MAX_INT_BITS:
        raise ScriptLimitExceeded(
            f"the script would build a number of about {int(bits):,} bits (at most {MAX_INT_BITS:,} allowed)")


def _check_add(a: Any, b: Any) -> None:
    la, lb = _length(a), _length(b)
    if la is not None and lb is not None:
        _check_length("a text or list", la + lb)


def _check_mul(a: Any, b: Any) -> None:
    if _is_int(a) and _is_int(b):
        _check_bits(a.bit_length() + b.bit_length())
        return
    for sequence, times in ((a, b), (b, a)):
        size = _length(sequence)
        if size is not None and _is_int(times):
            _check_length("a text or list", size * max(times, 0))


def _check_pow(a: Any, b: Any) -> None:
    if _is_int(a) and _is_int(b) and b > 0 and abs(a) > 1:
        _check_bits(b * math.log2(abs(a)))


def _check_lshift(a: Any, b: Any) -> None:
    if _is_int(a) and _is_int(b) and b > 0 and a != 0:
        _check_bits(a.bit_length() + b)


_PERCENT_SPEC = re.compile(r"%(?:\([^)]*\))?[#0\- +]*(\*|\d+)?(?:\.(\*|\d+))?[hlL]?[a-zA-Z%]")


def _check_width(number: str) -> None:
    if len(number) > 6 or int(number) > MAX_FORMAT_WIDTH:
        raise ScriptLimitExceeded(
            f"the script formats with a width or precision of {number[:12]} (at most {MAX_FORMAT_WIDTH:,} allowed)")


def _check_mod(a: Any, b: Any) -> None:
    if not isinstance(a, (str, bytes)):
        return
    text = a.decode("latin-1") if isinstance(a, bytes) else a
    for match in _PERCENT_SPEC.finditer(text):
        for number in match.groups():
            if number == "*":
                raise ScriptRefused("the script uses '*' as a width in %-formatting; write the width out")
            if number:
                _check_width(number)


def _add(a, b):
    _check_add(a, b)
    return a + b


def _mul(a, b):
    _check_mul(a, b)
    return a * b


def _pow(a, b, mod=None):
    if mod is None:
        _check_pow(a, b)
        return a ** b
    if _is_int(b) and _is_int(mod):  # one C call that no loop check can interrupt: keep it small
        _check_bits(max(b.bit_length(), mod.bit_length()) * 16)
    return pow(a, b, mod)


def _lshift(a, b):
    _check_lshift(a, b)
    return a << b


def _mod(a, b):
    _check_mod(a, b)
    return a % b


_INPLACE: dict[str, tuple[Callable[[Any, Any], None] | None, Callable[[Any, Any], Any]]] = {
    "+=": (_check_add, operator.iadd), "-=": (None, operator.isub), "*=": (_check_mul, operator.imul),
    "/=": (None, operator.itruediv), "//=": (None, operator.ifloordiv), "%=": (_check_mod, operator.imod),
    "**=": (_check_pow, operator.ipow), "<<=": (_check_lshift, operator.ilshift),
    ">>=": (None, operator.irshift), "|=": (None, operator.ior), "^=": (None, operator.ixor),
    "&=": (None, operator.iand), "@=": (None, operator.imatmul),
}


def _inplacevar(op: str, target: Any, value: Any) -> Any:
    check, apply = _INPLACE[op]
    if check is not None:
        check(target, value)
    return apply(target, value)


def _format(value: Any, conversion: int, spec: str) -> str:
    """An f-string field with a format specification, e.g. f"{amount:>12,.2f}"."""
    if conversion == ord("s"):
        value = str(value)
    elif conversion == ord("r"):
        value = repr(value)
    elif conversion == ord("a"):
        value = ascii(value)
    for number in re.findall(r"\d+", spec):
        _check_width(number)
    return format(value, spec)


def _range(*args: int) -> range:
    numbers = range(*args)
    try:
        size = len(numbers)
    except OverflowError:
        size = MAX_RANGE + 1
    if size > MAX_RANGE:
        raise ScriptLimitExceeded(f"the script asks for a range of more than {MAX_RANGE:,} numbers")
    return numbers


def _sum(iterable, start=0):
    if not isinstance(start, (int, float, complex)):
        raise ScriptRefused("the script uses sum() on something other than numbers; join lists with +")
    return sum(iterable, start)


def _round(number, ndigits=None):
    if ndigits is not None and _is_int(ndigits) and abs(ndigits) > MAX_ROUND_DIGITS:
        raise ScriptLimitExceeded(f"the script rounds to {ndigits:,} digits (at most {MAX_ROUND_DIGITS:,} allowed)")
    return round(number) if ndigits is None else round(number, ndigits)


def _arg(args: tuple, kwargs: dict, index: int, name: str, default: Any = None) -> Any:
    return args[index] if len(args) > index else kwargs.get(name, default)


def _padded(text, args, kwargs):
    return max(len(text), _arg(args, kwargs, 0, "width", 0))


def _tabs_expanded(text, args, kwargs):
    tab = b"\t" if isinstance(text, bytes) else "\t"
    return len(text) + text.count(tab) * max(_arg(args, kwargs, 0, "tabsize", 8), 0)


def _replaced(text, args, kwargs):
    old, new, count = _arg(args, kwargs, 0, "old"), _arg(args, kwargs, 1, "new"), _arg(args, kwargs, 2, "count", -1)
    found = text.count(old)
    if count >= 0:
        found = min(found, count)
    return len(text) + found * max(len(new) - len(old), 0)


def _translated(text, args, kwargs):
    table = _arg(args, kwargs, 0, "table")
    longest = max((len(v) for v in table.values() if isinstance(v, (str, bytes))), default=1) \
        if isinstance(table, dict) else 1
    return len(text) * max(longest, 1)


def _extended(items, args, kwargs):
    return len(items) + len(args[0]) if args and hasattr(args[0], "__len__") else len(items)


def _as_bytes(number, args, kwargs):
    return _arg(args, kwargs, 0, "length", 1)


# (type, method) -> how long the result would be, computed before the method runs
_GROWING: dict[tuple[type, str], Callable[[Any, tuple, dict], int]] = {
    **{(kind, name): _padded for kind in (str, bytes) for name in ("center", "ljust", "rjust", "zfill")},
    **{(kind, "expandtabs"): _tabs_expanded for kind in (str, bytes)},
    **{(kind, "replace"): _replaced for kind in (str, bytes)},
    **{(kind, "translate"): _translated for kind in (str, bytes)},
    (list, "extend"): _extended,
    (int, "to_bytes"): _as_bytes,
}


def _sized_method(obj: Any, method: Callable, size_of: Callable[[Any, tuple, dict], int]) -> Callable:
    def checked(*args, **kwargs):
        try:
            size = size_of(obj, args, kwargs)
        except (TypeError, ValueError, AttributeError, IndexError):
            size = 0  # arguments the method itself will refuse, with Python's own message
        _check_length("a text or list", size)
        return method(*args, **kwargs)
    return checked


def _joined(separator: Any, method: Callable) -> Callable:
    def join(items):
        items = list(items)
        size = sum(len(i) for i in items if isinstance(i, (str, bytes))) + len(separator) * max(len(items) - 1, 0)
        _check_length("a text", size)
        return method(items)
    return join


def _getattr(obj: Any, name: str) -> Any:
    """`value.name` in a script."""
    if not isinstance(name, str) or (name.startswith("_") and name != "_"):
        raise ScriptRefused(f"the script uses '{name}': {_REASONS['underscore']}")
    if name in INSPECT_ATTRIBUTES:
        raise ScriptRefused(f"the script uses '{name}': {_REASONS['inspect']}")
    if isinstance(obj, type):
        raise ScriptRefused(f"the script reads '{obj.__name__}.{name}': attributes of types are not "
                            f"available in diagram scripts; call methods on a value instead")
    if callable(obj) or isinstance(obj, (types.ModuleType, types.FrameType, types.CodeType, types.TracebackType)):
        raise ScriptRefused(f"the script reads '.{name}' of a function: functions may only be called")
    if name in ("format", "format_map") and isinstance(obj, str):
        raise ScriptRefused(f"the script uses '{name}': {_REASONS['format']}")
    try:
        value = safer_getattr(obj, name, default=_MISSING)
    except NotImplementedError as exc:  # RestrictedPython's own refusals (string.Formatter and the like)
        raise ScriptRefused(f"the script uses '{name}', which is not safe in diagram scripts") from exc
    if value is _MISSING:
        raise AttributeError(f"'{type(obj).__name__}' object has no attribute '{name}'")
    size_of = _GROWING.get((type(obj), name))
    if size_of is not None:
        return _sized_method(obj, value, size_of)
    if name == "join" and isinstance(obj, (str, bytes)):
        return _joined(obj, value)
    return value


_MISSING = object()


def _getitem(obj: Any, key: Any) -> Any:
    return obj[key]


def _write(obj: Any) -> Any:
    """The target of `x[k] = v`, `del x[k]`, `x.a = v`: only task-data lists and dicts change."""
    if type(obj) in (dict, list):
        return obj
    raise ScriptRefused(f"the script changes a {type(obj).__name__}; only lists and dicts may be changed")


def _apply(function, *args, **kwargs):
    return function(*args, **kwargs)


# -- the time and memory bound -------------------------------------------------------------

class _Stop(BaseException):
    """Raised inside a script that ran out of time or memory. A BaseException, so that nothing
    between the script and the environment (which turns it into ScriptLimitExceeded) swallows it."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class _ProcessSize:
    """The process's resident size (Linux /proc; None elsewhere), read without reopening the file."""

    def __init__(self):
        self._lock = threading.Lock()
        self._fd: int | None = None
        self._pid: int | None = None
        self._page = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096

    def bytes(self) -> int | None:
        try:
            with self._lock:
                if self._pid != os.getpid():  # first use, or a forked worker: /proc/self was the parent
                    if self._fd is not None:
                        os.close(self._fd)
                    self._fd, self._pid = os.open("/proc/self/statm", os.O_RDONLY), os.getpid()
                fd = self._fd
            return int(os.pread(fd, 128, 0).split()[1]) * self._page
        except (OSError, ValueError, IndexError):
            return None


_process_size = _ProcessSize()
_current = threading.local()  # .run: the _Run of the script this thread is running, if any


class _Run:
    """The bounds of one script run; `check` is called on every loop step and function call."""

    __slots__ = ("deadline", "memory_limit", "memory_start", "next_memory_check")

    def __init__(self, time_limit: float, memory_limit: int | None):
        started = time.monotonic()
        self.deadline = started + time_limit
        self.memory_limit = memory_limit
        self.memory_start = _process_size.bytes() if memory_limit else None
        self.next_memory_check = started + MEMORY_CHECK_EVERY

    def check(self) -> None:
        now = time.monotonic()
        if now > self.deadline:
            raise _Stop("time")
        if self.memory_start is not None and now >= self.next_memory_check:
            self.next_memory_check = now + MEMORY_CHECK_EVERY
            size = _process_size.bytes()
            if size is not None and size - self.memory_start > self.memory_limit:
                raise _Stop("memory")


def _tick() -> None:
    """Compiled in at the top of every `while` body and every function the script defines."""
    run = getattr(_current, "run", None)
    if run is not None:
        run.check()


def _getiter(iterable: Any):
    """`for x in iterable` (loops, comprehensions, unpacking): every step checks the bounds."""
    iterator = iter(iterable)
    run = getattr(_current, "run", None)
    if run is None:
        return iterator
    return _checked_steps(iterator, run.check)


def _checked_steps(iterator, check):
    for item in iterator:
        check()
        yield item


# -- builtins ------------------------------------------------------------------------------

_PLAIN = ("abs", "all", "any", "bool", "chr", "dict", "divmod", "enumerate", "filter", "float", "frozenset",
          "int", "isinstance", "len", "list", "map", "max", "min", "next", "ord", "repr", "reversed", "set",
          "sorted", "str", "tuple", "zip", "hex", "oct", "bin")
_EXCEPTIONS = ("ArithmeticError", "AssertionError", "AttributeError", "Exception", "IndexError", "KeyError",
               "LookupError", "NameError", "NotImplementedError", "OverflowError", "RuntimeError",
               "StopIteration", "TypeError", "ValueError", "ZeroDivisionError")
_BUILTINS: dict[str, Any] = {name: getattr(builtins, name) for name in (*_PLAIN, *_EXCEPTIONS)}
_BUILTINS.update({
    "range": _range, "sum": _sum, "round": _round, "pow": _pow,
    # the guards RestrictedPython's compiled code calls, and ours
    "_getattr_": _getattr, "_getitem_": _getitem, "_write_": _write, "_getiter_": _getiter,
    "_iter_unpack_sequence_": guarded_iter_unpack_sequence, "_unpack_sequence_": guarded_unpack_sequence,
    "_apply_": _apply, "_inplacevar_": _inplacevar,
    "_tick_": _tick, "_add_": _add, "_mul_": _mul, "_pow_": _pow, "_lshift_": _lshift, "_mod_": _mod,
    "_format_": _format,
})
ALLOWED_BUILTINS = frozenset(name for name in _BUILTINS if not name.startswith("_"))


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
            plain = f"the {self.noun} uses '{m.group(1)}': {_REASONS['underscore']}"
        elif m := re.match(r'^"(.+)" is a restricted name', info):
            plain = f"the {self.noun} uses '{m.group(1)}': {_REASONS['inspect']}"
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
            self._refuse(node, f"the {self.noun} uses '{name}': {_REASONS['underscore']}")
        elif name in ("builtins", "breakpoint"):
            self._refuse(node, f"the {self.noun} uses '{name}', which is not available in diagram scripts")

    def visit_Name(self, node: ast.Name) -> ast.AST:
        if node.id in ("print", "printed"):
            self._refuse(node, f"the {self.noun} uses '{node.id}': a diagram script has no output; "
                               "keep the value in a variable instead")
            return node
        return super().visit_Name(node)

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        attr = node.attr
        if attr.startswith("_") and attr != "_":
            self._refuse(node, f"the {self.noun} uses '{attr}': {_REASONS['underscore']}")
        elif attr in INSPECT_ATTRIBUTES:
            self._refuse(node, f"the {self.noun} uses '{attr}': {_REASONS['inspect']}")
        elif attr in ("format", "format_map") and isinstance(node.value, ast.Constant) \
                and isinstance(node.value.value, str):
            self._refuse(node, f"the {self.noun} uses '{attr}': {_REASONS['format']}")
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
        if isinstance(node.func, ast.Name) and node.func.id in _FORBIDDEN_CALLS:
            name = node.func.id
            self._refuse(node, f"the {self.noun} calls '{name}', which diagram scripts may not use: "
                               f"{_FORBIDDEN_CALLS[name]}")
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

    def _tick_call(self, like: ast.AST) -> ast.Call:
        call = ast.Call(func=ast.Name("_tick_", ast.Load()), args=[], keywords=[])
        copy_locations(call, like)
        return call

    def visit_While(self, node: ast.While) -> ast.AST:
        node = self.node_contents_visit(node)
        tick = ast.Expr(self._tick_call(node))
        copy_locations(tick, node)
        node.body.insert(0, tick)
        return node

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.AST:
        node = super().visit_FunctionDef(node)
        tick = ast.Expr(self._tick_call(node))
        copy_locations(tick, node)
        node.body.insert(0, tick)
        return node

    def visit_Lambda(self, node: ast.Lambda) -> ast.AST:
        node = super().visit_Lambda(node)
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
        return ast.fix_missing_locations(super().visit_Module(node))

    def visit_Expression(self, node: ast.Expression) -> ast.AST:
        return ast.fix_missing_locations(super().visit_Expression(node))


class _ExpressionPolicy(_Policy):
    noun = "expression"


@dataclass(frozen=True)
class _Compiled:
    code: types.CodeType | None
    problems: tuple[tuple[int | None, str], ...]
    syntax_error: tuple[str, int | None, int | None, str | None] | None = None  # msg, line, offset, text


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
        tree = ast.parse(text, SCRIPT_FILENAME, mode)
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


def _compiled(source: str, mode: str) -> types.CodeType:
    compiled = _compile(source, mode)
    if compiled.syntax_error is not None:
        msg, line, offset, text = compiled.syntax_error
        raise SyntaxError(msg, (SCRIPT_FILENAME, line, offset, text))
    if compiled.code is None:
        line, message = compiled.problems[0]
        raise ScriptRefused(message, line=line)
    return compiled.code


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
            if name.startswith("_") or name in _FORBIDDEN_CALLS or name in _BUILTINS:
                raise ValueError(f"a diagram function may not be called '{name}'")
        super().__init__(functions)
        self.time_limit = time_limit
        self.memory_limit = memory_limit

    def evaluate(self, expression, context, external_context=None):
        code = _compiled(expression, "eval")
        my_globals = copy.copy(self.globals)  # else we pollute all later evals
        self._prepare_context(context)
        my_globals.update(external_context or {})
        my_globals.update(context)
        my_globals["__builtins__"] = _BUILTINS
        return self._run(code, my_globals, "expression")

    def execute(self, script, context, external_context=None):
        self.check_for_overwrite(context, external_context or {})
        code = _compiled(script, "exec")  # a refused script never touches the task data
        my_globals = copy.copy(self.globals)
        self._prepare_context(context)
        my_globals.update(external_context or {})
        context.update(my_globals)
        context["__builtins__"] = _BUILTINS
        try:
            self._run(code, context, "script")
        finally:
            self._remove_globals_and_functions_from_context(context, external_context)
        return True

    def _run(self, code: types.CodeType, namespace: dict, noun: str) -> Any:
        previous = getattr(_current, "run", None)
        _current.run = _Run(self.time_limit, self.memory_limit)
        try:
            return eval(code, namespace)  # an "exec" code object runs the same way and returns None
        except _Stop as stop:
            line = _script_line(stop.__traceback__)
            if stop.reason == "time":
                message = f"the {noun} ran longer than {self.time_limit:g} s and was stopped"
            else:
                message = (f"the {noun} made the server use more than {self.memory_limit // (1024 * 1024)} MB "
                           "of extra memory and was stopped")
            raise ScriptLimitExceeded(message, line=line) from None
        except NameError as exc:
            if exc.name in _FORBIDDEN_CALLS:
                raise ScriptRefused(f"the {noun} uses '{exc.name}', which diagram scripts may not use: "
                                    f"{_FORBIDDEN_CALLS[exc.name]}", line=_script_line(exc.__traceback__)) from exc
            raise
        except ScriptError as exc:
            if exc.line is None:
                exc.line = _script_line(exc.__traceback__)
            if noun != "script" and exc.args and str(exc.args[0]).startswith("the script "):
                exc.args = (f"the {noun} " + exc.args[0][len("the script "):],)
            raise
        finally:
            _current.run = previous


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
    ALLOWED_BUILTINS), each script or expression stopped after `time_limit` seconds or once
    the process grew by `memory_limit` bytes while it ran (None: no memory bound)."""
    return RestrictedScriptEngine(environment=RestrictedEnvironment(functions, time_limit, memory_limit))
