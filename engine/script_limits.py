"""The time and memory bound of one script run: every loop step, comprehension step and call
of a function the script defines checks a deadline and, every MEMORY_CHECK_EVERY seconds, how
much the process grew. The check is a call compiled into the script itself (script_policy), so
it works in any thread, needs no signal and costs nothing when the script has no loop.
"""
from __future__ import annotations

import os
import threading
import time
from contextlib import contextmanager
from typing import Any, Callable, Iterator

DEFAULT_TIME_LIMIT = 1.0  # seconds one script or expression may run
DEFAULT_MEMORY_LIMIT = 256 * 1024 * 1024  # bytes the process may grow by while one script runs
MEMORY_CHECK_EVERY = 0.01  # seconds between two looks at the process's size


class RunStopped(BaseException):
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
                fd = self._fd
                # first use, or a forked worker: /proc/self was the parent
                if fd is None or self._pid != os.getpid():
                    if fd is not None:
                        os.close(fd)
                    fd = os.open("/proc/self/statm", os.O_RDONLY)
                    self._fd, self._pid = fd, os.getpid()
            return int(os.pread(fd, 128, 0).split()[1]) * self._page
        except (OSError, ValueError, IndexError):
            return None


_process_size = _ProcessSize()
_current = threading.local()  # .run: the _Run of the script this thread is running, if any


class _Run:
    """The bounds of one script run; `check` is called on every loop step and function call."""

    __slots__ = ("deadline", "memory_ceiling", "next_memory_check")

    def __init__(self, time_limit: float, memory_limit: int | None):
        started = time.monotonic()
        self.deadline = started + time_limit
        start = _process_size.bytes() if memory_limit else None
        # the size the process may not grow past; None: no memory bound (or no way to measure)
        self.memory_ceiling = start + memory_limit if start is not None and memory_limit else None
        self.next_memory_check = started + MEMORY_CHECK_EVERY

    def check(self) -> None:
        now = time.monotonic()
        if now > self.deadline:
            raise RunStopped("time")
        if self.memory_ceiling is not None and now >= self.next_memory_check:
            self.next_memory_check = now + MEMORY_CHECK_EVERY
            size = _process_size.bytes()
            if size is not None and size > self.memory_ceiling:
                raise RunStopped("memory")


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


@contextmanager
def bounded_run(time_limit: float, memory_limit: int | None) -> Iterator[None]:
    """Bound the script this thread runs inside the block: once it runs past `time_limit`
    seconds or grows the process by more than `memory_limit` bytes (None: no memory bound),
    its next loop step or function call raises RunStopped. The bound of an enclosing run, if
    any, is back in force after the block."""
    previous = getattr(_current, "run", None)
    _current.run = _Run(time_limit, memory_limit)
    try:
        yield
    finally:
        _current.run = previous


# guard names (called by the code script_policy compiles) -> the checks of the bound
BOUND_CHECKS: dict[str, Callable] = {"_tick_": _tick, "_getiter_": _getiter}
