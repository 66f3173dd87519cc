"""The functions BPMN scripts, gateway conditions and timer expressions may call.

Designers see this list in the README; anything not here is not callable from a diagram.
Later issues add SLA functions such as `sla_due("first_response")`.
"""
from __future__ import annotations

from typing import Callable

from workflows.statuses import FINAL


def is_final_status(status: str) -> bool:
    """True for a status that ends the case (Selesai, Diarsipkan, Dialihkan ke Ombudsman)."""
    return status in FINAL


def script_functions() -> dict[str, Callable]:
    return {"is_final_status": is_final_status}
