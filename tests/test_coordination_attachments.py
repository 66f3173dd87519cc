"""Files in the coordination thread (workflows/coordination_attachments.py and post_message with files)."""
from __future__ import annotations

import io
import zipfile

import pytest
from sqlalchemy import func, select

from tests.test_coordination import DINKES, PUPR, HostCase, engine, host, outbox, request_coordination  # noqa: F401  (fixtures shared with the domain tests)
from workflows import coordination, coordination_thread
from workflows.attachments import MAX_BYTES, AttachmentRejected, Upload, sniff, sniff_document
from workflows.cases import CaseNotFound
from workflows.coordination_attachments import FOLDER, CoordinationAttachment
from workflows.coordination_thread import (
    AttachmentNotFound,
    InvalidMessage,
    post_message,
    readable_attachment,
    thread_of,
)
from workflows.models import Attachment

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
EXE = b"MZ\x90\x00\x03\x00\x00\x00 this program cannot be run in DOS mode"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def ooxml(main: str, extra: dict[str, bytes] | None = None) -> bytes:
    """A minimal Office Open XML package whose main part has the content type `main`."""
    types = (f'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
             f'<Default Extension="xml" ContentType="application/xml"/>'
             f'<Override PartName="/main.xml" ContentType="{main}"/></Types>')
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", types)
        archive.writestr("main.xml", "<document/>")
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return buffer.getvalue()


def odf(kind: str, extra: dict[str, bytes] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", kind, compress_type=zipfile.ZIP_STORED)  # first, as ODF requires
        archive.writestr("content.xml", "<office:document-content/>")
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return buffer.getvalue()


DOCX = ooxml(f"{DOCX_TYPE}.main+xml")
XLSX = ooxml("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml")
PPTX = ooxml("application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml")
DOCM = ooxml("application/vnd.ms-word.document.macroEnabled.main+xml", {"word/vbaProject.bin": b"\xd0\xcf"})
ODT = odf("application/vnd.oasis.opendocument.text")


@pytest.fixture
def case(db, engine, host, clock):
    return request_coordination(HostCase(db, engine))


@pytest.fixture
def folder(tmp_path):
    return tmp_path / "attachments"


def post(case, username, body="", files=(), mentions=(), folder=None):
    return post_message(case.db, case.user(username), case.complaint_id, body, list(mentions), "https://tindak.example",
                        uploads=[Upload(name, data) for name, data in files], attachment_dir=folder)


def files_on_disk(folder) -> list[bytes]:
    return sorted(p.read_bytes() for p in (folder / FOLDER).iterdir()) if (folder / FOLDER).exists() else []


def count(db, model) -> int:
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(model))


# -- what is accepted ------------------------------------------------------------------------

@pytest.mark.parametrize("data, expected", [
    (DOCX, (DOCX_TYPE, ".docx")),
    (XLSX, ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx")),
    (PPTX, ("application/vnd.openxmlformats-officedocument.presentationml.presentation", ".pptx")),
    (ODT, ("application/vnd.oasis.opendocument.text", ".odt")),
    (odf("application/vnd.oasis.opendocument.spreadsheet"), ("application/vnd.oasis.opendocument.spreadsheet", ".ods")),
    (PNG, ("image/png", ".png")),
    (b"%PDF-1.7 laporan", ("application/pdf", ".pdf")),
])
def test_office_documents_photos_and_pdfs_are_recognised_by_content(data, expected):
    assert sniff_document(data) == expected


@pytest.mark.parametrize("data", [
    DOCM,  # macros
    odf("application/vnd.oasis.opendocument.text", {"Basic/Standard/Module1.xml": b"<macro/>"}),
    odf("application/x-something-else"),
    ooxml("application/xml"),  # a ZIP with content types but no document
    DOCX[:200],  # cut short
    b"PK\x03\x04" + b"\x00" * 100,
    EXE,
])
def test_macros_broken_archives_and_programs_are_not_documents(data):
    assert sniff_document(data) is None


def test_the_reporters_form_still_takes_only_photos_and_pdfs():
    assert sniff(DOCX) is None and sniff(PNG) == ("image/png", ".png")


# -- posting ------------------------------------------------------------------------------------

def test_a_message_carries_files_for_the_agencies_involved_only(db, case, folder):
    post(case, "dinkes.penghubung", "Data puskesmas terlampir.", [("foto saluran.png", PNG), ("../../data.docx", DOCX)],
         [PUPR], folder)
    with db.session() as s:
        [message] = thread_of(s, case.complaint_id)
        shown = [(a.filename, a.content_type, a.size) for a in message.attachments]
    assert shown == [("foto saluran.png", "image/png", len(PNG)), ("data.docx", DOCX_TYPE, len(DOCX))]
    assert files_on_disk(folder) == sorted([PNG, DOCX])
    assert not any(p.is_file() for p in folder.iterdir())  # none among the reporters' files
    assert count(db, Attachment) == 0  # the reporter's table (read by the tracking page) stays untouched
    [mail] = outbox(db, "coordination-mention:")
    assert mail.recipient == "pupr.penghubung@tindak.example.org"
    assert "Data puskesmas terlampir." in mail.body and "2 lampiran" in mail.body


def test_files_alone_are_a_message_but_nothing_at_all_is_not(db, case, folder):
    post(case, "pupr.penghubung", "   ", [("denah.pdf", b"%PDF-1.4 denah")], folder=folder)
    with pytest.raises(InvalidMessage) as refused:
        post(case, "pupr.penghubung", "  ", folder=folder)
    assert refused.value.reason == "empty"
    with db.session() as s:
        [message] = thread_of(s, case.complaint_id)
        assert message.body == "" and [a.filename for a in message.attachments] == ["denah.pdf"]


@pytest.mark.parametrize("files, code", [
    ([("foto.jpg", EXE)], "wrong_type"),
    ([("rekap.docm", DOCM)], "wrong_type"),
    ([(f"{n}.png", PNG) for n in range(6)], "too_many"),
    ([("besar.pdf", b"%PDF-" + b"0" * MAX_BYTES)], "too_large"),
    ([("baik.png", PNG), ("kosong.pdf", b"")], "empty"),
])
def test_a_bad_file_refuses_the_whole_message(db, case, folder, files, code):
    with pytest.raises(AttachmentRejected) as refused:
        post(case, "dinkes.penghubung", "Lihat lampiran.", files, [PUPR], folder)
    assert refused.value.code == code
    with db.session() as s:
        assert thread_of(s, case.complaint_id) == []
    assert count(db, CoordinationAttachment) == 0 and files_on_disk(folder) == []
    assert outbox(db, "coordination-mention:") == []


def test_a_transaction_that_fails_after_the_files_were_written_leaves_nothing(db, case, folder, monkeypatch):
    def broken_outbox(*_args, **_kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(coordination_thread.outbox, "enqueue", broken_outbox)
    with pytest.raises(RuntimeError):
        post(case, "dinkes.penghubung", "Data terlampir.", [("a.png", PNG), ("b.docx", DOCX)], [PUPR], folder)
    assert count(db, CoordinationAttachment) == 0 and files_on_disk(folder) == []
    with db.session() as s:
        assert thread_of(s, case.complaint_id) == []


def test_outsiders_cannot_attach_either(db, case, folder):
    with pytest.raises(CaseNotFound):
        post(case, "disdik.penghubung", "Halo", [("a.png", PNG)], folder=folder)
    assert files_on_disk(folder) == []


# -- reading ------------------------------------------------------------------------------------

def test_whoever_reads_the_thread_may_download_and_nobody_else(db, engine, case, folder):
    message = post(case, "kuburaya.penghubung", "Foto lokasi.", [("lokasi.png", PNG)], folder=folder)
    attachment_id = message.attachments[0].id
    case.do("dinkes.penghubung", "coordination_reply", {"decision": "jawab", "answer": "Data terlampir."},
            agency=DINKES)
    coordination.stop_waiting(db, engine, case.user("pupr.penghubung"), case.complaint_id)  # Kubu Raya's request closes

    def reads(username: str) -> bool:
        with db.session() as s:
            try:
                return readable_attachment(s, case.user(username), case.complaint_id, attachment_id).size == len(PNG)
            except CaseNotFound:
                return False

    # the lead, the agencies asked (Kubu Raya also after its request was closed), their heads, the super admin
    for username in ("pupr.penghubung", "dinkes.penghubung", "dinkes.kepala", "kuburaya.penghubung", "gubernur",
                     "admin"):
        assert reads(username), username
    for username in ("disdik.penghubung", "pontianak.penghubung", "perancang", "ombudsman", "verifikator"):
        assert not reads(username), username
    other = HostCase(db, engine)
    with db.session() as s, pytest.raises(AttachmentNotFound):  # the right file, asked for through another case
        readable_attachment(s, case.user("admin"), other.complaint_id, attachment_id)


def ooxml_with(overrides: dict[str, str], parts: dict[str, bytes], defaults: dict[str, str] | None = None) -> bytes:
    """A Word package that declares its main part as .docx, plus other parts with other types."""
    types = ('<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
             '<Default Extension="xml" ContentType="application/xml"/>'
             + "".join(f'<Default Extension="{e}" ContentType="{t}"/>' for e, t in (defaults or {}).items())
             + f'<Override PartName="/main.xml" ContentType="{DOCX_TYPE}.main+xml"/>'
             + "".join(f'<Override PartName="{p}" ContentType="{t}"/>' for p, t in overrides.items()) + "</Types>")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", types)
        archive.writestr("main.xml", "<document/>")
        for name, data in parts.items():
            archive.writestr(name, data)
    return buffer.getvalue()


OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 56


@pytest.mark.parametrize("data", [
    # the macro-enabled main type declared beside the plain one
    ooxml_with({"/doc2.xml": "application/vnd.ms-word.document.macroEnabled.main+xml"}, {"doc2.xml": b"<d/>"}),
    ooxml_with({"/doc2.xml": "application/vnd.ms-word.document.macroenabled.main+xml"}, {"doc2.xml": b"<d/>"}),
    # a VBA project under another name, by override or by default extension
    ooxml_with({"/word/gambar.dat": "application/vnd.ms-office.vbaProject"}, {"word/gambar.dat": OLE}),
    ooxml_with({}, {"word/sesuatu.bin": OLE}, {"bin": "application/vnd.ms-office.vbaProject"}),
    ooxml_with({"/word/vbaData.xml": "application/vnd.ms-word.vbaData+xml"}, {"word/vbaData.xml": b"<v/>"}),
    # ActiveX controls
    ooxml_with({"/word/activeX/activeX1.xml": "application/vnd.ms-office.activeX+xml"},
               {"word/activeX/activeX1.xml": b"<ax/>"}),
    # a VBA part anywhere, whatever its case or name, or an OLE container dressed as a picture
    ooxml_with({}, {"customUI/VBAPROJECT.BIN": OLE}),
    ooxml_with({}, {"word/media/image1.png": OLE}),
])
def test_crafted_macro_enabled_word_files_are_refused(data):
    assert sniff_document(data) is None


def test_a_plain_word_file_with_pictures_is_still_accepted():
    assert sniff_document(ooxml_with({}, {"word/media/image1.png": PNG}, {"png": "image/png"})) == (DOCX_TYPE, ".docx")
