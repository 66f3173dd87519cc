"""What people are told, and when: notices queued in the outbox, in Indonesian or English."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflows import outbox, statuses
from workflows.models import Complaint, User

TEXTS = {
    "id": {
        "received_subject": "Laporan Anda diterima: {tracking_id}",
        "received_body": (
            "Terima kasih, laporan Anda \"{title}\" sudah kami terima.\n\n"
            "Nomor pelacakan: {tracking_id}\n"
            "Pantau perkembangannya, jawab pertanyaan petugas, dan beri tanggapan lewat tautan rahasia ini:\n"
            "{link}\n\n"
            "Simpan tautan ini dan jangan bagikan kepada orang lain.\n"),
        "status_subject": "Status laporan {tracking_id}: {status}",
        "status_body": (
            "Status laporan Anda \"{title}\" ({tracking_id}) berubah menjadi: {status}.\n\n"
            "Lihat rinciannya di {tracking_url} dengan nomor pelacakan dan tautan rahasia dari surel pertama.\n"),
        "assigned_subject": "Tugas baru untuk Anda: {task} ({tracking_id})",
        "assigned_body": "Tugas \"{task}\" untuk laporan {tracking_id} \"{title}\" diberikan kepada Anda.\n\n{link}\n",
    },
    "en": {
        "received_subject": "Your report was received: {tracking_id}",
        "received_body": (
            "Thank you, we received your report \"{title}\".\n\n"
            "Tracking ID: {tracking_id}\n"
            "Follow it, answer the officers' questions and give your reply through this secret link:\n"
            "{link}\n\n"
            "Keep this link and do not share it.\n"),
        "status_subject": "Report {tracking_id}: {status}",
        "status_body": (
            "The status of your report \"{title}\" ({tracking_id}) is now: {status}.\n\n"
            "See the details at {tracking_url} with the tracking ID and the secret link from the first e-mail.\n"),
        "assigned_subject": "A new task for you: {task} ({tracking_id})",
        "assigned_body": "The task \"{task}\" for report {tracking_id} \"{title}\" was assigned to you.\n\n{link}\n",
    },
}


def _texts(locale: str | None) -> dict[str, str]:
    return TEXTS.get(locale or "id", TEXTS["id"])


@dataclass
class Notifier:
    """Queues notices; `public_url` is where reporters and officers reach Tindak."""

    public_url: str = "http://127.0.0.1:5000"

    def tracking_link(self, tracking_id: str, secret: str) -> str:
        return f"{self.public_url}/lacak/{tracking_id}?kode={secret}"

    def complaint_received(self, session: Session, complaint: Complaint, secret: str) -> None:
        t = _texts(complaint.locale)
        values = {"title": complaint.title, "tracking_id": complaint.tracking_id,
                  "link": self.tracking_link(complaint.tracking_id, secret)}
        outbox.enqueue(session, f"received:{complaint.id}", complaint.reporter_email,
                       t["received_subject"].format(**values), t["received_body"].format(**values))

    def status_changed(self, session: Session, complaint: Complaint, variable: str, old, new, event_id: int) -> None:
        """An on_change callback of the status projection: tell the reporter."""
        if variable != "status" or not isinstance(complaint, Complaint):
            return
        t = _texts(complaint.locale)
        values = {"title": complaint.title, "tracking_id": complaint.tracking_id,
                  "status": statuses.label(new, complaint.locale), "tracking_url": f"{self.public_url}/lacak"}
        outbox.enqueue(session, f"status:{event_id}", complaint.reporter_email,
                       t["status_subject"].format(**values), t["status_body"].format(**values))

    def task_assigned(self, session: Session, complaint: Complaint, task_id: str, task_name: str,
                      assignee: str, event_key: str) -> None:
        user = session.scalars(select(User).where(User.username == assignee)).first()
        if user is None or not user.email:
            return
        t = _texts("id")
        values = {"task": task_name, "tracking_id": complaint.tracking_id, "title": complaint.title,
                  "link": f"{self.public_url}/tasks/{task_id}"}
        outbox.enqueue(session, f"assigned:{event_key}", user.email,
                       t["assigned_subject"].format(**values), t["assigned_body"].format(**values))
