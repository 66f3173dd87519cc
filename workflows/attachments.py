"""Attachments: checked by content (not by name), stored outside the web root."""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from workflows.models import Attachment

MAX_FILES = 5
MAX_BYTES = 10 * 1024 * 1024
# leading bytes → the only types accepted, whatever the file is called
SIGNATURES = [
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
    (b"GIF87a", "image/gif", ".gif"),
    (b"GIF89a", "image/gif", ".gif"),
    (b"%PDF-", "application/pdf", ".pdf"),
]


class AttachmentRejected(ValueError):
    """A file was refused; the message says why in plain words (English; the web layer translates)."""

    def __init__(self, code: str, filename: str = ""):
        self.code, self.filename = code, filename
        super().__init__(f"{filename}: {code}" if filename else code)


@dataclass
class Upload:
    filename: str
    data: bytes


def sniff(data: bytes) -> tuple[str, str] | None:
    """(content type, extension) of an accepted file, or None."""
    for magic, content_type, extension in SIGNATURES:
        if data.startswith(magic):
            return content_type, extension
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp", ".webp"
    return None


def check(uploads: list[Upload]) -> list[tuple[Upload, str, str]]:
    """Every upload with its sniffed type; raises AttachmentRejected for the first bad one."""
    uploads = [u for u in uploads if u.data or u.filename]
    if len(uploads) > MAX_FILES:
        raise AttachmentRejected("too_many")
    checked = []
    for upload in uploads:
        if not upload.data:
            raise AttachmentRejected("empty", upload.filename)
        if len(upload.data) > MAX_BYTES:
            raise AttachmentRejected("too_large", upload.filename)
        kind = sniff(upload.data)
        if kind is None:
            raise AttachmentRejected("wrong_type", upload.filename)
        checked.append((upload, *kind))
    return checked


def _safe_name(name: str) -> str:
    name = Path(name or "lampiran").name.replace("\x00", "")
    return name[-200:] or "lampiran"


def store(session: Session, folder: Path, complaint_id: int, checked: list[tuple[Upload, str, str]]) -> list[Path]:
    """Write the files and add their rows; returns the paths written (for clean-up on failure)."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for upload, content_type, extension in checked:
        key = secrets.token_hex(16) + extension
        path = folder / key
        path.write_bytes(upload.data)
        written.append(path)
        session.add(Attachment(complaint_id=complaint_id, filename=_safe_name(upload.filename),
                               content_type=content_type, size=len(upload.data), storage_key=key))
    return written


def path_of(folder: Path, attachment: Attachment) -> Path:
    return folder / attachment.storage_key
