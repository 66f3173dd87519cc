"""The engine's notion of "now": aware UTC, replaceable in tests."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Callable

_now: Callable[[], datetime] = lambda: datetime.now(timezone.utc)  # noqa: E731


def now() -> datetime:
    """The current time as an aware UTC datetime."""
    return _now()


def set_clock(fn: Callable[[], datetime] | None) -> None:
    """Replace the clock (tests); None restores the system clock."""
    global _now
    _now = fn or (lambda: datetime.now(timezone.utc))


class _EngineDatetime(datetime):
    """`datetime` whose now() is the engine's clock (for SpiffWorkflow's timer module)."""

    @classmethod
    def now(cls, tz=None):
        current = now()
        return current.astimezone(tz) if tz is not None else current.astimezone().replace(tzinfo=None)


def drive_spiffworkflow_timers() -> None:
    """Make SpiffWorkflow's timers read this clock, so tests can move time without sleeping.

    SpiffWorkflow calls `datetime.now(timezone.utc)` inside its timer module; pointing that
    module's `datetime` at a subclass is the one seam it offers. Idempotent.
    """
    from SpiffWorkflow.bpmn.specs.event_definitions import timer

    timer.datetime = _EngineDatetime
