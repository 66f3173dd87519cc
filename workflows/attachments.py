"""Attachments: checked by content (not by name), stored outside the web root."""
from __future__ import annotations

import io
import os
import secrets
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

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
# office documents are ZIP files; the part that says what they are → (content type, extension).
# Macro-enabled variants (.docm, .xlsm, ODF with Basic/ or Scripts/) are refused, and so is any
# package declaring a macro or ActiveX type or holding a VBA/compound part, whatever it is called.
OOXML = {
    b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml":
        ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", ".docx"),
    b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml":
        ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx"),
    b"application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml":
        ("application/vnd.openxmlformats-officedocument.presentationml.presentation", ".pptx"),
}
ODF = {
    b"application/vnd.oasis.opendocument.text": ".odt",
    b"application/vnd.oasis.opendocument.spreadsheet": ".ods",
    b"application/vnd.oasis.opendocument.presentation": ".odp",
}
_PART_LIMIT = 1024 * 1024  # read at most this much of a part (a ZIP bomb stays unopened)
# content types (lower case) that mean macros or controls, wherever [Content_Types].xml declares them
_ACTIVE_TYPES = (b"macroenabled", b"vbaproject", b"vbadata", b"activex", b"ms-office.vba")
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # a compound file: what a VBA project or ActiveX binary is


def _has_active_content(archive: zipfile.ZipFile, names: list[str]) -> bool:
    """Macros or ActiveX in an office package, whatever the parts are called."""
    lowered = [n.lower() for n in names]
    if any(n.endswith(("vbaproject.bin", "vbadata.xml")) or "/activex/" in f"/{n}"
           or n.startswith(("basic/", "scripts/")) for n in lowered):
        return True
    if "[Content_Types].xml" in names:
        info = archive.getinfo("[Content_Types].xml")
        if info.file_size > _PART_LIMIT:  # too big to read whole: what it declares is unknown
            return True
        types = archive.open(info).read(_PART_LIMIT).lower()
        if any(active in types for active in _ACTIVE_TYPES):
            return True
    # an embedded compound file (a renamed vbaProject.bin, an ActiveX .bin, an old .doc with macros)
    return any(archive.open(info).read(len(_OLE)) == _OLE for info in archive.infolist() if not info.is_dir())


class AttachmentRejected(ValueError):
    """A file was refused; the message says why in plain words (English; the web layer translates)."""

    def __init__(self, code: str, filename: str = ""):
        self.code, self.filename = code, filename
        super().__init__(f"{filename}: {code}" if filename else code)


class AttachmentNotStored(RuntimeError):
    """A file could not be written (a full disk, a read-only folder): nothing of the request is saved.

    Whoever opened the transaction removes every file it registered, the partial one too.
    """


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


def _office(data: bytes) -> tuple[str, str] | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
            if _has_active_content(archive, names):
                return None
            if names and names[0] == "mimetype":
                kind = archive.open("mimetype").read(200).strip()
                return (kind.decode(), ODF[kind]) if kind in ODF else None
            if "[Content_Types].xml" in names:
                types = archive.open("[Content_Types].xml").read(_PART_LIMIT)
                found = [OOXML[main] for main in OOXML if b'"' + main + b'"' in types]
                return found[0] if len(found) == 1 else None
    except (zipfile.BadZipFile, zlib.error, EOFError, KeyError, ValueError, NotImplementedError, RuntimeError,
            OSError):  # a damaged or hostile archive is simply not an office document
        return None
    return None


def sniff_document(data: bytes) -> tuple[str, str] | None:
    """Like sniff, and also Word, Excel and PowerPoint (.docx/.xlsx/.pptx) and OpenDocument files."""
    return sniff(data) or (_office(data) if data.startswith(b"PK\x03\x04") else None)


def check(uploads: list[Upload], sniffer: Callable[[bytes], tuple[str, str] | None] = sniff
          ) -> list[tuple[Upload, str, str]]:
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
        kind = sniffer(upload.data)
        if kind is None:
            raise AttachmentRejected("wrong_type", upload.filename)
        checked.append((upload, *kind))
    return checked


def safe_name(name: str) -> str:
    """The file's own name without folders or NUL, at most 200 characters."""
    name = Path(name or "lampiran").name.replace("\x00", "")
    return name[-200:] or "lampiran"


def write_private(path: Path, data: bytes) -> None:
    """A new file readable by Tindak's own user only (0600), whatever the umask; never over an
    existing one."""
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as file:
        file.write(data)


def write(folder: Path, data: bytes, extension: str, written: list[Path]) -> tuple[str, Path]:
    """Write one file under a new random name; returns its storage key and path.

    The path goes into `written` *before* the first byte is written, so a write that fails
    halfway (ENOSPC) leaves a path the caller's clean-up removes, not a stray partial file.
    Raises AttachmentNotStored when the disk refuses.
    """
    key = secrets.token_hex(16) + extension
    path = folder / key
    written.append(path)
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        write_private(path, data)
    except OSError as exc:
        raise AttachmentNotStored(f"{path.name}: {exc}") from exc
    return key, path


def store(session: Session, folder: Path, complaint_id: int, checked: list[tuple[Upload, str, str]],
          written: list[Path]) -> list[Path]:
    """Write the files and add their rows; each path is added to `written` before it is written."""
    for upload, content_type, extension in checked:
        key, _path = write(folder, upload.data, extension, written)
        session.add(Attachment(complaint_id=complaint_id, filename=safe_name(upload.filename),
                               content_type=content_type, size=len(upload.data), storage_key=key))
    return written


def served_as(attachment_id: int, content_type: str) -> tuple[str, str]:
    """(download name, content type) of a stored file: named by its checked type, never by the uploader.

    A file's own name may say .html for a PDF/HTML polyglot; the download says lampiran-12.pdf. A
    type we do not accept (a row changed by hand) is served as bytes: application/octet-stream, .bin.
    """
    known = {kind: extension for _magic, kind, extension in SIGNATURES}
    known.update({"image/webp": ".webp", **dict(OOXML.values()), **{k.decode(): e for k, e in ODF.items()}})
    if content_type in known:
        return f"lampiran-{attachment_id}{known[content_type]}", content_type
    return f"lampiran-{attachment_id}.bin", "application/octet-stream"


def path_of(folder: Path, attachment: Attachment) -> Path:
    return folder / attachment.storage_key
