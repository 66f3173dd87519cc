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
FINAL = {"selesai", "diarsipkan", "dialihkan_ombudsman"}


def label(code: str | None) -> str:
    """The Indonesian label of a status code (the code itself if the diagram invented a new one)."""
    return LABELS_ID.get(code or "", code or "")
