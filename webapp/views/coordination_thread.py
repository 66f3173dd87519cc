"""The coordination thread's message form and the download of the files attached to messages.

The thread itself shows in the coordination section of the case page. A message with a mistake
comes back on a page of its own with the typed text and mentions kept (422); the browser cannot
keep chosen files, so the page asks for them again. Files are served only to those who may read
the thread, always as downloads; everyone else gets 404.
"""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file
from flask_babel import format_decimal, ngettext
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from webapp import services
from webapp.errors import not_stored_message
from webapp.views.coordination import case_anchor, section_url
from workflows import commands
from workflows.attachments import MAX_BYTES, MAX_FILES, AttachmentNotStored, AttachmentRejected, Upload, served_as
from workflows.cases import visible_complaint
from workflows.coordination import involved_agencies
from workflows.coordination_attachments import path_of
from workflows.coordination_thread import InvalidMessage, may_post, post_message, readable_attachment
from workflows.models import Agency, Complaint, User

bp = Blueprint("coordination_thread", __name__, url_prefix="/cases")

ACCEPT = ",".join((
    "image/jpeg", "image/png", "image/gif", "image/webp", "application/pdf",
    ".docx", ".xlsx", ".pptx", ".odt", ".ods", ".odp"))
ICONS = {"image/": "bi-file-earmark-image", "application/pdf": "bi-file-earmark-pdf",
         "application/vnd.openxmlformats-officedocument.wordprocessingml": "bi-file-earmark-word",
         "application/vnd.openxmlformats-officedocument.spreadsheetml": "bi-file-earmark-excel",
         "application/vnd.openxmlformats-officedocument.presentationml": "bi-file-earmark-ppt",
         "application/vnd.oasis.opendocument.text": "bi-file-earmark-text",
         "application/vnd.oasis.opendocument.spreadsheet": "bi-file-earmark-spreadsheet",
         "application/vnd.oasis.opendocument.presentation": "bi-file-earmark-slides"}


@bp.app_template_global()
def thread_file_limits() -> dict:
    """What the message form's file field accepts (a global, so the imported macro sees it)."""
    return {"accept": ACCEPT, "max_files": MAX_FILES, "max_mb": MAX_BYTES // (1024 * 1024)}


@bp.app_template_filter("filesize")
def filesize(size: int) -> str:
    """A file size for people: 812 bytes, 45 KB, 2.3 MB (in the reader's number format)."""
    if size < 1024:
        return ngettext("%(num)d byte", "%(num)d bytes", size)
    if size < 1024 * 1024:
        return _("%(size)s KB", size=format_decimal(size / 1024, format="#,##0"))
    return _("%(size)s MB", size=format_decimal(size / (1024 * 1024), format="#,##0.#"))


@bp.app_template_filter("file_icon")
def file_icon(content_type: str) -> str:
    """The Bootstrap icon of a stored file's (sniffed) type."""
    return next((icon for prefix, icon in ICONS.items() if content_type.startswith(prefix)), "bi-file-earmark")


def _user() -> User:
    return current_user._get_current_object()


def _uploads() -> list[Upload]:
    files = [(f.filename, f) for f in request.files.getlist("attachments") if f.filename]
    if len(files) > MAX_FILES:
        raise AttachmentRejected("too_many")
    return [Upload(name, f.read(MAX_BYTES + 1)) for name, f in files]  # one byte more shows "too large"


def _attachment_message(exc: AttachmentRejected) -> str:
    return {
        "too_many": _("You can attach at most %(count)d files.", count=MAX_FILES),
        "too_large": _("%(name)s is larger than %(size)d MB.", name=exc.filename, size=MAX_BYTES // (1024 * 1024)),
        "wrong_type": _("%(name)s is not a photo (JPEG, PNG, GIF, WebP), a PDF or an office document (Word, "
                        "Excel, PowerPoint, OpenDocument; without macros). Files are checked by what they "
                        "contain, not by their name.", name=exc.filename),
        "empty": _("%(name)s is empty.", name=exc.filename),
    }.get(exc.code, _("This file cannot be accepted: %(name)s.", name=exc.filename))


def _render_form(complaint: Complaint, status: int = 200, errors: dict | None = None, values: dict | None = None,
                 files_dropped: bool = False):
    with services.db().session() as s:
        involved = involved_agencies(s, complaint.id)
        names = dict(s.execute(select(Agency.code, Agency.name).where(Agency.code.in_(involved))).all())
    return render_template("coordination/form.html", kind="message", c=complaint, groups=[], errors=errors or {},
                           values=values or {}, involved=[(code, names.get(code, code)) for code in involved],
                           case_url=case_anchor(complaint.id), action=section_url(complaint.id, "messages"),
                           files_dropped=files_dropped), status


@bp.route("/<int:complaint_id>/coordination/messages", methods=["GET", "POST"])
@login_required
def message(complaint_id: int):
    user = _user()
    with services.db().session() as s:
        complaint = visible_complaint(s, user, complaint_id)
        if request.method == "GET" and not may_post(s, user, complaint):
            raise commands.Forbidden("only officers of the agencies involved write in the thread")
    if request.method == "GET":
        return _render_form(complaint)
    body, mentions = request.form.get("body", ""), request.form.getlist("mentions")
    values = {"body": body, "mentions": mentions}
    chosen = any(f.filename for f in request.files.getlist("attachments"))
    try:
        post_message(services.db(), user, complaint.id, body, mentions,
                     services.settings().public_url, uploads=_uploads(),
                     attachment_dir=services.settings().attachment_dir)
    except AttachmentRejected as exc:
        return _render_form(complaint, 422, {"attachments": _attachment_message(exc)}, values, chosen)
    except AttachmentNotStored:  # a full disk: the message was not saved, its files are gone again
        current_app.logger.exception("a thread file could not be stored")
        return _render_form(complaint, 503, {"attachments": not_stored_message()}, values, chosen)
    except InvalidMessage as exc:
        errors = ({"body": _("Write a message or attach a file before sending.")} if exc.reason == "empty"
                  else {"mentions": _("Only agencies involved in this case can be mentioned.")})
        return _render_form(complaint, 422, errors, values, chosen)
    flash(_("Your message was added to the coordination thread."), "success")
    return redirect(case_anchor(complaint_id))


@bp.get("/<int:complaint_id>/coordination/attachments/<int:attachment_id>")
@login_required
def attachment(complaint_id: int, attachment_id: int):
    """A thread file, for whoever may read the thread (CaseNotFound, so 404, for anyone else)."""
    with services.db().session() as s:
        row = readable_attachment(s, _user(), complaint_id, attachment_id)
    path = path_of(services.settings().attachment_dir, row)
    if path is None:
        abort(404)
    name, content_type = served_as(row.id, row.content_type)
    response = send_file(path, as_attachment=True, download_name=name, mimetype=content_type)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.cache_control.private = True  # internal: no shared cache may keep it
    return response
