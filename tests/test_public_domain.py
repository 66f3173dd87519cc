"""The citizen's side in the domain layer: filing with attachments, tracking, reporter tasks, listing."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select, update

from engine.clock import now
from tests.casework import Case
from workflows import public, roles
from workflows.attachments import MAX_BYTES, AttachmentRejected, Upload
from workflows.cases import CaseNotFound, case_view
from workflows.complaints import ComplaintInput
from workflows.models import Attachment, CaseNote, Complaint, User

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.7\n" + b"0" * 64


def complaint_input(**extra):
    return ComplaintInput(title="Sampah menumpuk di Parit Tokaya", description="Sudah seminggu tidak diangkut.",
                          category="lingkungan", **extra)


def test_file_with_attachments_outside_the_web_root(db, process_engine, tmp_path):
    filed = public.submit_complaint(db, process_engine, complaint_input(),
                                    [Upload("foto.png", PNG), Upload("surat.pdf", PDF)], tmp_path / "files")
    with db.session() as s:
        rows = list(s.scalars(select(Attachment).where(Attachment.complaint_id == filed.complaint.id)))
    assert sorted((r.filename, r.content_type) for r in rows) == [("foto.png", "image/png"),
                                                                   ("surat.pdf", "application/pdf")]
    for row in rows:
        assert (tmp_path / "files" / row.storage_key).read_bytes() in (PNG, PDF)
        assert "/" not in row.storage_key and row.storage_key != row.filename


@pytest.mark.parametrize("uploads, code", [
    ([Upload("foto.jpg", b"MZ\x90\x00 not an image")], "wrong_type"),  # an .exe named .jpg
    ([Upload("x.png", PNG + b"0" * MAX_BYTES)], "too_large"),
    ([Upload(f"{i}.png", PNG) for i in range(6)], "too_many"),
    ([Upload("kosong.pdf", b"")], "empty"),
])
def test_bad_uploads_are_refused_and_nothing_is_kept(db, process_engine, tmp_path, uploads, code):
    with pytest.raises(AttachmentRejected) as refused:
        public.submit_complaint(db, process_engine, complaint_input(), uploads, tmp_path / "files")
    assert refused.value.code == code
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Complaint)) == 0
    assert not list((tmp_path / "files").glob("*")) if (tmp_path / "files").exists() else True


def test_files_are_removed_when_the_filing_fails_later(db, process_engine, tmp_path, monkeypatch):
    def crash(*args, **kwargs):
        raise RuntimeError("engine down")

    monkeypatch.setattr(process_engine, "start", crash)
    with pytest.raises(RuntimeError):
        public.submit_complaint(db, process_engine, complaint_input(), [Upload("a.png", PNG)], tmp_path / "files")
    assert list((tmp_path / "files").glob("*")) == []


def test_tracking_needs_the_right_secret_and_says_nothing_more(db, process_engine):
    case = Case(db, process_engine)
    with db.session() as s:
        assert public.track(s, case.complaint.tracking_id.lower(), case.secret).id == case.complaint_id
        with pytest.raises(public.TrackingFailed):
            public.track(s, case.complaint.tracking_id, "wrong")
        with pytest.raises(public.TrackingFailed):
            public.track(s, "TDK-0000-0000", case.secret)
        with pytest.raises(public.TrackingFailed):
            public.track(s, "TDK-0000-0000", "no such complaint")


def test_public_timeline_shows_answers_not_officers_or_notes(db, process_engine):
    case = Case(db, process_engine)
    case.do("verify_complaint", {"decision": "disposisi", "lead_agency": "dinkes-kalbar",
                                 "note": "Catatan internal verifikator"}, "verifikator")
    case.do("follow_up", {"decision": "jawab", "answer": "Petugas datang 3 Desember."}, "dinkes.penghubung")
    with db.transaction() as s:
        s.add(CaseNote(complaint_id=case.complaint_id, author_id=1, body="Rahasia antarpetugas"))
    with db.session() as s:
        complaint = s.get(Complaint, case.complaint_id)
        events = public.public_timeline(s, complaint)
    text = repr(events)
    assert "Petugas datang 3 Desember." in text
    assert "Dinas Kesehatan Provinsi Kalimantan Barat" in text
    for secret in ("Catatan internal verifikator", "Rahasia antarpetugas", "dinkes.penghubung", "verifikator"):
        assert secret not in text
    assert [e.kind for e in events][:2] == ["received", "status"]


def test_reporter_replies_through_the_engine(db, process_engine):
    case = Case(db, process_engine)
    case.do("verify_complaint", {"decision": "disposisi", "lead_agency": "dinkes-kalbar"})
    case.do("follow_up", {"decision": "jawab", "answer": "Sudah diperbaiki."})
    with db.session() as s:
        [task] = public.reporter_tasks(s, s.get(Complaint, case.complaint_id))
    assert task.element_id == "review_answer"
    with pytest.raises(public.TrackingFailed):
        public.complete_reporter_task(db, process_engine, case.complaint.tracking_id, "wrong", task.id,
                                      {"satisfied": "puas", "rating": 5})
    public.complete_reporter_task(db, process_engine, case.complaint.tracking_id, case.secret, task.id,
                                  {"satisfied": "puas", "rating": 5})
    assert case.status == "selesai"
    assert case.events("task_completed")[-1].actor == "pelapor"


def test_reporter_cannot_complete_an_officer_task(db, process_engine):
    case = Case(db, process_engine)
    [task] = case.ready()
    with pytest.raises(public.TrackingFailed):
        public.complete_reporter_task(db, process_engine, case.complaint.tracking_id, case.secret, task.id,
                                      {"decision": "arsipkan", "reason": "x"})


def test_listing_hides_rahasia_and_counts(db, process_engine):
    Case(db, process_engine, title="Terbuka")
    Case(db, process_engine, title="Rahasia", confidential=True)
    done = Case(db, process_engine, title="Selesai")
    done.do("verify_complaint", {"decision": "disposisi", "lead_agency": "dinkes-kalbar"})
    done.do("follow_up", {"decision": "jawab", "answer": "OK"})
    done.do("review_answer", {"satisfied": "puas", "rating": 4}, "pelapor")
    with db.session() as s:
        page = public.public_listing(s, public.ListingQuery())
        assert sorted(c.title for c in page.rows) == ["Selesai", "Terbuka"]
        assert [c.title for c in public.public_listing(s, public.ListingQuery(status="selesai")).rows] == ["Selesai"]
        assert public.public_counts(s, now()) == {"received": 2, "in_process": 1, "finished_this_month": 1}


def test_a_complaint_without_its_case_is_not_found_instead_of_failing(db, process_engine):
    """`tindak check-integrity` reports such a complaint; meanwhile its pages answer 404, not 500."""
    case = Case(db, process_engine)
    with db.transaction() as s:
        s.execute(update(Complaint).where(Complaint.id == case.complaint_id).values(process_instance_id=None))
    with db.session() as s:
        admin = s.scalars(select(User).where(User.role == roles.SUPER_ADMIN)).first()
        with pytest.raises(CaseNotFound):
            public.public_timeline(s, s.get(Complaint, case.complaint_id))
        with pytest.raises(CaseNotFound):
            case_view(s, process_engine, admin, case.complaint_id)
