"""Files attached to messages of the coordination thread: internal, like the thread itself.

They have a table of their own (not `attachment`, which holds the reporter's files and feeds the
tracking page) and a folder of their own below the attachment folder, so no public or reporter
page can list or serve them by mistake: only the thread's download reads this table.
"""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from engine.clock import now
from engine.db import Base, UTCDateTime
from workflows import attachments
from workflows.attachments import Upload

FOLDER = "coordination"  # below TINDAK_ATTACHMENT_DIR


class CoordinationAttachment(Base):
    """A file attached to one message of a case's coordination thread; never shown to the public."""

    __tablename__ = "coordination_attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("coordination_message.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    storage_key: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


def check(uploads: list[Upload]) -> list[tuple[Upload, str, str]]:
    """Like the reporter's files (same count and size limits), and office documents too."""
    return attachments.check(uploads, attachments.sniff_document)


def store(attachment_dir: Path, checked: list[tuple[Upload, str, str]], written: list[Path]
          ) -> list[CoordinationAttachment]:
    """Write the files and return their rows (not yet added to a message).

    Each path goes into `written` before its first byte is written, so whoever opened the
    transaction can remove them all if it fails, even halfway through one file (a full disk).
    """
    rows = []
    for upload, content_type, extension in checked:
        key, _path = attachments.write(attachment_dir / FOLDER, upload.data, extension, written)
        rows.append(CoordinationAttachment(filename=attachments.safe_name(upload.filename), content_type=content_type,
                                           size=len(upload.data), storage_key=key, created_at=now()))
    return rows


def path_of(attachment_dir: Path, attachment: CoordinationAttachment) -> Path | None:
    """The stored file, or None when it is missing or its key would lead outside the folder."""
    folder = (attachment_dir / FOLDER).resolve()
    path = (folder / attachment.storage_key).resolve()
    return path if folder in path.parents and path.is_file() else None
