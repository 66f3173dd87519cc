"""Size guards: the operations that could build something huge in one step (`*`, `+`, `**`,
`<<`, `%`, format widths, `range`, `round`, padding, joining and replacing methods) check the
size of their result before they build it, so one line cannot exhaust the server's memory
faster than the loop checks of script_limits would notice.
"""
from __future__ import annotations

import math
import operator
import re
from typing import Any, Callable

from engine.script_errors import ScriptLimitExceeded, ScriptRefused

MAX_RANGE = 100_000  # numbers in one range()
MAX_LENGTH = 1_000_000  # characters or items one operation may build (str, bytes, list, tuple)
MAX_INT_BITS = 65_536  # bits of an integer built by *, ** or << (about 19,700 digits)
MAX_FORMAT_WIDTH = 10_000  # width or precision in a format specification
MAX_ROUND_DIGITS = 1_000  # ndigits of round()


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


def size_checked_method(obj: Any, name: str, method: Any) -> Any:
    """`method` (the attribute `name` of `obj`), wrapped to check the size of what it returns
    before it builds it when it is a padding, joining, replacing or extending method; else
    `method` itself."""
    size_of = _GROWING.get((type(obj), name))
    if size_of is not None:
        return _sized_method(obj, method, size_of)
    if name == "join" and isinstance(obj, (str, bytes)):
        return _joined(obj, method)
    return method


# builtins and guard names (called by the code script_policy compiles) -> their size-checked versions
SIZE_CHECKED: dict[str, Callable] = {
    "range": _range, "sum": _sum, "round": _round, "pow": _pow,
    "_inplacevar_": _inplacevar, "_add_": _add, "_mul_": _mul, "_pow_": _pow, "_lshift_": _lshift, "_mod_": _mod,
    "_format_": _format,
}
