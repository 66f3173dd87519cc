"""Status codes set by the diagram, and the labels people see (domain.md)."""
from __future__ import annotations

LABELS_ID = {
    "belum_terverifikasi": "Belum Terverifikasi",
    "tertunda": "Tertunda",
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


def label(code: str | None, locale: str = "id") -> str:
    """The label of a status code (the code itself if the diagram invented a new one)."""
    labels = LABELS_EN if locale == "en" else LABELS_ID
    return labels.get(code or "", code or "")
