"""Demo complaints at various stages, driven through the real process (not inserted as rows)."""
from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.clock import now, set_clock
from engine.models import HumanTask
from engine.runtime import ProcessEngine
from workflows.complaints import ComplaintInput, file_complaint
from workflows.models import Complaint

DEMO_FILE = Path(__file__).parent / "demo" / "complaints.json"
LIAISONS = {"dinkes-kalbar": "dinkes.penghubung", "pupr-kalbar": "pupr.penghubung",
            "pemkab-kuburaya": "kuburaya.penghubung", "disdik-kalbar": "disdik.penghubung",
            "inspektorat-kalbar": "inspektorat.penghubung", "pemkot-pontianak": "pontianak.penghubung"}
REGION_AGENCY = {"kalbar": "pemprov-kalbar", "pontianak": "pemkot-pontianak", "kubu-raya": "pemkab-kuburaya"}


def complete_step(session: Session, engine: ProcessEngine, instance_id: int, element_id: str,
                  data: dict, actor: str, agency: str | None = None) -> None:
    """Complete the READY task `element_id` of an instance, of `agency` when given (several agencies
    answer a coordination at once). Used by the demo and tests."""
    query = select(HumanTask).where(HumanTask.process_instance_id == instance_id, HumanTask.element_id == element_id,
                                    HumanTask.state == "ready")
    row = session.scalars(query.where(HumanTask.agency_code == agency) if agency else query).first()
    if row is None:
        raise LookupError(f"no ready task {element_id} in instance {instance_id}")
    engine.complete(session, row.id, data, actor)


def _steps(item: dict) -> list[tuple[str, dict, str, str | None]]:
    """The tasks to complete, in order: (element id, form, actor, agency of the task or None)."""
    return [step if len(step) == 4 else (*step, None) for step in _stage_steps(item)]


def _stage_steps(item: dict) -> list[tuple]:
    agency = item.get("lead_agency")
    liaison = LIAISONS.get(agency, "verifikator") if agency else "verifikator"  # a new complaint has no lead
    verify = ("verify_complaint", {"decision": "disposisi", "lead_agency": agency,
                                   "note": item.get("verifier_note")}, "verifikator")
    answer = ("follow_up", {"decision": "jawab", "answer": item.get("agency_answer")}, liaison)
    reporter = "pelapor"
    stage = item["stage"]
    if stage == "new":
        return []
    if stage == "pending_details":
        asked = {"decision": "tunda", "details_question": item["details_question"]}
        return [("verify_complaint", asked, "verifikator")]
    if stage == "archived":
        return [("verify_complaint", {"decision": "arsipkan", "reason": item["archive_reason"]}, "verifikator")]
    if stage == "dispositioned":
        return [verify]
    if stage == "not_authority":
        return [verify, ("follow_up", {"decision": "bukan_wewenang", "reason": item["not_authority_reason"],
                                       "suggested_agency": item.get("suggested_agency")}, liaison)]
    if stage == "answered":
        return [verify, answer]
    if stage == "finished":
        return [verify, answer, ("review_answer", {"satisfied": "puas", "rating": item["rating"] or 5}, reporter)]
    if stage == "transferred":  # the province's verifier sends it to Kubu Raya's, who has not confirmed yet
        return [verify, ("follow_up", {"decision": "bukan_wewenang", "reason": item["not_authority_reason"],
                                       "suggested_agency": item["suggested_agency"]}, liaison),
                ("redispose_complaint", {"lead_agency": item["suggested_agency"]}, "verifikator")]
    if stage == "coordinating":  # the lead asked other agencies; some have answered
        return [verify, ("follow_up", {"decision": "koordinasi"}, liaison),
                ("request_coordination", {"coordination_requests": item["coordination"]}, liaison),
                *[("coordination_reply", {k: v for k, v in reply.items() if k != "agency"},
                   LIAISONS[reply["agency"]], reply["agency"]) for reply in item["coordination_replies"]]]
    if stage == "reopened":
        return [verify, answer, ("review_answer", {"satisfied": "tidak_puas", "rating": 2,
                                                   "reason": item["reporter_reply_reason"]}, reporter)]
    raise ValueError(f"unknown demo stage {stage}")


def seed_demo_complaints(session: Session, engine: ProcessEngine) -> int:
    """File each demo complaint not filed yet, then walk it to its stage. Returns how many were new."""
    items = json.loads(DEMO_FILE.read_text(encoding="utf-8"))
    existing = set(session.scalars(select(Complaint.title)))
    real_now = now()
    added = 0
    try:
        for item in items:
            if item["title"] in existing:
                continue
            # filed within the last week or so: some deadlines are near, a few already passed
            # (so the worker opens escalations), none so old that reply windows close the demo
            moment = real_now - timedelta(days=item["incident_days_ago"] % 8 + 1, hours=-3)
            set_clock(lambda: moment)
            filed = file_complaint(session, engine, ComplaintInput(
                title=item["title"], description=item["description"], category=item["category"],
                classification=item["classification"], channel=item["channel"],
                region=REGION_AGENCY.get(item["region"]), address=item["address"],
                latitude=item["latitude"], longitude=item["longitude"],
                incident_date=(real_now - timedelta(days=item["incident_days_ago"])).date(),
                anonymous=item["anonymous"], confidential=item["confidential"],
                reporter_name=item["reporter_name"], reporter_email=item["reporter_email"],
                reporter_phone=item["reporter_phone"],
            ))
            filed.complaint.created_at = moment
            instance_id = filed.complaint.process_instance_id
            assert instance_id is not None  # file_complaint started the case
            for n, (element_id, data, actor, agency) in enumerate(_steps(item), start=1):
                step_time = moment + timedelta(hours=20 * n)
                set_clock(lambda: min(step_time, real_now))
                data = {k: v for k, v in data.items() if v is not None}
                complete_step(session, engine, instance_id, element_id, data, actor, agency)
            added += 1
    finally:
        set_clock(None)
    return added


