"""Labels people see for codes that live in data (statuses, roles, classifications)."""
from collections.abc import Iterator, Mapping

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from workflows import statuses


def _language() -> str:
    locale = get_locale()
    return locale.language if locale is not None else "id"


class _StatusLabels(Mapping):
    """Status code -> label in the request's language, read from workflows.statuses (the one source)."""

    def __getitem__(self, code: str) -> str:
        return statuses.labels(_language())[code]

    def __iter__(self) -> Iterator[str]:
        return iter(statuses.LABELS_ID)

    def __len__(self) -> int:
        return len(statuses.LABELS_ID)


STATUS = _StatusLabels()
STATUS_COLOUR = {
    "belum_terverifikasi": "secondary", "tertunda": "warning", "terdisposisi": "info",
    "proses": "primary", "selesai": "success", "diarsipkan": "dark", "dialihkan_ombudsman": "danger",
}
# deadline colours (workflows.task_lists.sla_colour), always shown with words as well
SLA = {
    "green": _l("On track"),
    "yellow": _l("Due soon"),
    "red": _l("Overdue"),
}
SLA_ICON = {"green": "bi-check-circle", "yellow": "bi-hourglass-split", "red": "bi-exclamation-triangle-fill"}
ROLE = {
    "super_admin": _l("Super admin"),
    "verifier": _l("Verifier"),
    "agency_admin": _l("Agency admin"),
    "liaison": _l("Liaison officer"),
    "agency_head": _l("Head of agency"),
    "ombudsman": _l("Ombudsman"),
    "designer": _l("Process designer"),
    "reporter": _l("Reporter"),
}
CLASSIFICATION = {
    "pengaduan": _l("Complaint"),
    "aspirasi": _l("Aspiration"),
    "permintaan_informasi": _l("Request for information"),
}
CHANNEL = {
    "web": _l("Website"), "sms": _l("SMS"), "twitter": _l("Twitter / X"), "mobile": _l("Mobile app"),
    "open311": _l("Open311"), "social_media": _l("Social media desk"), "api": _l("API"),
}
EVENT = {
    "started": _l("Complaint received"),
    "task_completed": _l("Task completed"),
    "task_claimed": _l("Task claimed"),
    "task_released": _l("Task released"),
    "task_assigned": _l("Task assigned"),
    "status_changed": _l("Status changed"),
    "lead_agency_changed": _l("Lead agency changed"),
    "timer_fired": _l("Deadline passed"),
    "timers_rearmed": _l("Deadlines moved after an SLA change"),
    "message_received": _l("Coordination step"),
    "completed": _l("Case closed"),
    "answer_published": _l("Answer published to the reporter"),
    "error": _l("A step failed (nothing saved)"),
    "error_cleared": _l("No longer stuck"),
    "repair_retried": _l("Repair: run again"),
    "repair_migrated": _l("Repair: moved to another process version"),
    "repair_token_moved": _l("Repair: moved to another step"),
}


def status_label(code: str | None) -> str:
    return statuses.label(code, _language())
