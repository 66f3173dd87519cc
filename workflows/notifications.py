"""What people are told, and when: notices queued in the outbox, in Indonesian or English."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflows import outbox, roles, statuses
from workflows.accounts import users_with_role
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
        "escalation_subject": "Perlu perhatian: {task} ({tracking_id})",
        "escalation_body": ("Laporan {tracking_id} \"{title}\" melewati tenggat dan menunggu tindakan Anda: {task}.\n\n"
                            "{link}\n"),
        "reminder_subject": "Pengingat tenggat: {tracking_id}",
        "reminder_body": ("Tenggat laporan {tracking_id} \"{title}\" sudah dekat ({timer}). "
                          "Mohon segera ditindaklanjuti.\n\n{link}\n"),
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
        "escalation_subject": "Needs attention: {task} ({tracking_id})",
        "escalation_body": ("Report {tracking_id} \"{title}\" is past its deadline and waits for you: {task}.\n\n"
                            "{link}\n"),
        "reminder_subject": "Deadline reminder: {tracking_id}",
        "reminder_body": ("The deadline of report {tracking_id} \"{title}\" is near ({timer}). "
                          "Please follow it up soon.\n\n{link}\n"),
        "assigned_subject": "A new task for you: {task} ({tracking_id})",
        "assigned_body": "The task \"{task}\" for report {tracking_id} \"{title}\" was assigned to you.\n\n{link}\n",
    },
}


ESCALATION_ROLES = (roles.AGENCY_HEAD, roles.OMBUDSMAN, roles.SUPER_ADMIN)


def _texts(locale: str | None) -> dict[str, str]:
    return TEXTS.get(locale or "id", TEXTS["id"])


@dataclass
class Notifier:
    """Queues notices; `public_url` is where reporters and officers reach Tindak."""

    public_url: str = "http://127.0.0.1:5000"

    def tracking_link(self, tracking_id: str, secret: str) -> str:
        return f"{self.public_url}/lacak/{tracking_id}?kode={secret}"

    def complaint_received(self, session: Session, complaint: Complaint, secret: str) -> None:
        """The first notice: the only one with the secret link, kept out of the stored body
        (workflows.outbox.SECRET_LINK) and dropped once sent."""
        t = _texts(complaint.locale)
        values = {"title": outbox.without_placeholder(complaint.title), "tracking_id": complaint.tracking_id,
                  "link": outbox.SECRET_LINK}
        outbox.enqueue(session, f"received:{complaint.id}", complaint.reporter_email,
                       t["received_subject"].format(**values), t["received_body"].format(**values),
                       secret_link=self.tracking_link(complaint.tracking_id, secret))

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

    # -- deadlines ----------------------------------------------------------------------

    def _complaint(self, session: Session, instance) -> Complaint | None:
        return session.scalars(select(Complaint).where(Complaint.process_instance_id == instance.id)).first()

    def _staff(self, session: Session, role: str | None, agency_code: str | None) -> list[User]:
        return users_with_role(session, role, agency_code, with_email=True)

    def tasks_created(self, session: Session, instance, rows) -> None:
        """A task hook: escalations (tasks for heads, the Ombudsman, the coordinator) are e-mailed."""
        escalated = [r for r in rows if r.role in ESCALATION_ROLES]
        if not escalated:
            return
        complaint = self._complaint(session, instance)
        if complaint is None:
            return
        t = _texts("id")
        for row in escalated:
            values = {"task": row.name, "tracking_id": complaint.tracking_id, "title": complaint.title,
                      "link": f"{self.public_url}/tasks/{row.id}"}
            for user in self._staff(session, row.role, row.agency_code):
                outbox.enqueue(session, f"escalation:{row.id}:{user.id}", user.email,
                               t["escalation_subject"].format(**values), t["escalation_body"].format(**values))

    def timer_fired(self, session: Session, instance, element_id: str, name: str | None) -> None:
        """A timer hook: a reminder (a timer whose id ends in _reminder) e-mails whoever holds the work."""
        if not element_id.endswith("_reminder"):
            return
        from engine.models import HumanTask

        complaint = self._complaint(session, instance)
        if complaint is None:
            return
        t = _texts("id")
        for row in session.scalars(select(HumanTask).where(
                HumanTask.process_instance_id == instance.id, HumanTask.state == "ready")):
            holders = ([u for u in session.scalars(select(User).where(User.username == row.assignee, User.active))]
                       if row.assignee else self._staff(session, row.role, row.agency_code))
            values = {"tracking_id": complaint.tracking_id, "title": complaint.title, "timer": name or element_id,
                      "link": f"{self.public_url}/tasks/{row.id}"}
            for user in holders:
                if user.email:
                    outbox.enqueue(session, f"reminder:{row.id}:{element_id}:{user.id}", user.email,
                                   t["reminder_subject"].format(**values), t["reminder_body"].format(**values))
