"""What a running diagram script can reach: the few builtins it gets (some replaced by
size-checked versions) and the guards the restricted compiler (script_policy) routes
attribute reads, item reads and writes, iteration and calls through. Attribute access stops
at functions and classes and refuses `str.format`; only task-data lists and dicts change.
"""
from __future__ import annotations

import builtins
import types
from typing import Any

from RestrictedPython.Guards import guarded_iter_unpack_sequence, guarded_unpack_sequence, safer_getattr
from RestrictedPython.transformer import INSPECT_ATTRIBUTES

from engine.script_errors import ScriptRefused
from engine.script_limits import BOUND_CHECKS
from engine.script_policy import REFUSAL_REASONS
from engine.script_sizes import SIZE_CHECKED, size_checked_method


def _getattr(obj: Any, name: str) -> Any:
    """`value.name` in a script."""
    if not isinstance(name, str) or (name.startswith("_") and name != "_"):
        raise ScriptRefused(f"the script uses '{name}': {REFUSAL_REASONS['underscore']}")
    if name in INSPECT_ATTRIBUTES:
        raise ScriptRefused(f"the script uses '{name}': {REFUSAL_REASONS['inspect']}")
    if isinstance(obj, type):
        raise ScriptRefused(f"the script reads '{obj.__name__}.{name}': attributes of types are not "
                            f"available in diagram scripts; call methods on a value instead")
    if callable(obj) or isinstance(obj, (types.ModuleType, types.FrameType, types.CodeType, types.TracebackType)):
        raise ScriptRefused(f"the script reads '.{name}' of a function: functions may only be called")
    if name in ("format", "format_map") and isinstance(obj, str):
        raise ScriptRefused(f"the script uses '{name}': {REFUSAL_REASONS['format']}")
    try:
        value = safer_getattr(obj, name, default=_MISSING)
    except NotImplementedError as exc:  # RestrictedPython's own refusals (string.Formatter and the like)
        raise ScriptRefused(f"the script uses '{name}', which is not safe in diagram scripts") from exc
    if value is _MISSING:
        raise AttributeError(f"'{type(obj).__name__}' object has no attribute '{name}'")
    return size_checked_method(obj, name, value)


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


# -- builtins ------------------------------------------------------------------------------

_PLAIN = ("abs", "all", "any", "bool", "chr", "dict", "divmod", "enumerate", "filter", "float", "frozenset",
          "int", "isinstance", "len", "list", "map", "max", "min", "next", "ord", "repr", "reversed", "set",
          "sorted", "str", "tuple", "zip", "hex", "oct", "bin")
_EXCEPTIONS = ("ArithmeticError", "AssertionError", "AttributeError", "Exception", "IndexError", "KeyError",
               "LookupError", "NameError", "NotImplementedError", "OverflowError", "RuntimeError",
               "StopIteration", "TypeError", "ValueError", "ZeroDivisionError")
BUILTINS: dict[str, Any] = {name: getattr(builtins, name) for name in (*_PLAIN, *_EXCEPTIONS)}
BUILTINS.update({
    # the guards RestrictedPython's compiled code calls, and ours
    "_getattr_": _getattr, "_getitem_": _getitem, "_write_": _write,
    "_iter_unpack_sequence_": guarded_iter_unpack_sequence, "_unpack_sequence_": guarded_unpack_sequence,
    "_apply_": _apply,
    **SIZE_CHECKED,  # range, sum, round, pow and the size-growing operators
    **BOUND_CHECKS,  # loop steps and function calls
})
ALLOWED_BUILTINS = frozenset(name for name in BUILTINS if not name.startswith("_"))
