"""Status codes set by the diagram, and the labels people see (docs/domain.md).

The one place these labels live: web pages, the API, notices and Open311 all read them here."""
from __future__ import annotations

LABELS_ID = {
    "belum_terverifikasi": "Belum Terverifikasi",
    "tertunda": "Tertunda (menunggu pelapor)",
    "terdisposisi": "Terdisposisi / Belum Ditindaklanjuti",
    "proses": "Proses",
    "selesai": "Selesai",
    "diarsipkan": "Diarsipkan",
    "dialihkan_ombudsman": "Dialihkan ke Ombudsman",
}
LABELS_EN = {
    "belum_terverifikasi": "Not yet verified",
    "tertunda": "Pending (waiting for the reporter)",
    "terdisposisi": "Dispositioned / not yet followed up",
    "proses": "In process",
    "selesai": "Finished",
    "diarsipkan": "Archived",
    "dialihkan_ombudsman": "Transferred to the Ombudsman",
}
FINAL = {"selesai", "diarsipkan", "dialihkan_ombudsman"}


def labels(locale: str | None = "id") -> dict[str, str]:
    """Every status code with its label in `locale` ("en…" is English, anything else Indonesian)."""
    return LABELS_EN if (locale or "").startswith("en") else LABELS_ID


def label(code: str | None, locale: str | None = "id") -> str:
    """The label of a status code (the code itself if the diagram invented a new one)."""
    return labels(locale).get(code or "", code or "")
