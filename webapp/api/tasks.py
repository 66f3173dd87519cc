"""Task endpoints: the task lists, one task with its form, and claim / release / assign / complete."""
from __future__ import annotations

from flask_babel import gettext as _

from engine.errors import FormInvalid
from webapp import services
from webapp.api.access import api_user
from webapp.api.blueprint import API_PREFIX, ApiBlueprint
from webapp.api.errors import api_error
from webapp.api.representation import page_dict, task_detail, task_row_dict
from webapp.api.schemas import (
    AssignSchema,
    CompletedSchema,
    FormDataSchema,
    TaskDetailSchema,
    TaskListArgs,
    TaskPageSchema,
)
from webapp.labels import status_label
from workflows import commands
from workflows.models import Complaint
from workflows.task_lists import TaskFilter, tabs_for, task_page

bp = ApiBlueprint("tasks_api", __name__, url_prefix=f"{API_PREFIX}/tasks",
                   description="Open tasks of the caller and their team; act on them.")


def _task_answer(task_id: str) -> dict:
    """The task as the caller now sees it (after a command)."""
    user = api_user()
    with services.db().session() as s:
        task, complaint = commands.task_or_gone(s, user, task_id)
        return task_detail(s, services.process_engine(), user, task, complaint)


@bp.get("")
@bp.reads
@bp.arguments(TaskListArgs, location="query", error_status_code=400, as_kwargs=True)
@bp.response(200, TaskPageSchema)
@bp.errors(401, 403, 429)
def list_tasks(tab, sort, page, per_page, overdue, category=None, status=None, agency=None, q=None):
    """List open tasks

    One page of a task list tab, sorted by due time (soonest first) or by age.
    The `agency` tab is for agency admins, agency heads and super admins (403 for others).
    """
    user = api_user()
    if tab not in tabs_for(user):
        return api_error(403, _("This task list is not available for your role."), {"tab": "not allowed"})
    task_filter = TaskFilter(category=category, status=status, agency=agency, overdue=overdue, text=q,
                             sort=sort, page=page, per_page=per_page)
    with services.db().session() as s:
        result = task_page(s, user, tab, task_filter)
        return page_dict(result, [task_row_dict(row) for row in result.rows], requested=page)


@bp.get("/<string:task_id>")
@bp.reads
@bp.response(200, TaskDetailSchema)
@bp.errors(401, 404, 410, 429)
def get_task(task_id):
    """Get a task with its form

    The task, its case, the JSON Schema and UI schema of its form, the instructions of the
    diagram, and the `actions` the caller may take now. 404 for a task the caller may not see.
    410 for a task closed meanwhile whose case the caller no longer sees, if the caller could
    have done it: the error then says who completed it (`completed_by`), when (`completed_at`),
    the case's status and open tasks now, and `case` (the case's URL, or null if out of sight).
    Completing such a task answers 409 with the same information.
    """
    return _task_answer(task_id)


@bp.post("/<string:task_id>/claim")
@bp.writes
@bp.response(200, TaskDetailSchema)
@bp.errors(400, 401, 403, 404, 409, 429)
def claim_task(task_id):
    """Claim a task

    Take an unclaimed task, so colleagues see that you work on it. 403 if someone else holds it
    or it is for another role or agency; 409 if it is no longer open.
    """
    commands.claim_task(services.db(), services.process_engine(), api_user(), task_id)
    return _task_answer(task_id)


@bp.post("/<string:task_id>/release")
@bp.writes
@bp.response(200, TaskDetailSchema)
@bp.errors(400, 401, 403, 404, 409, 429)
def release_task(task_id):
    """Release a task

    Give a task you hold back to the team. 403 if you do not hold it.
    """
    commands.release_task(services.db(), services.process_engine(), api_user(), task_id)
    return _task_answer(task_id)


@bp.post("/<string:task_id>/assign")
@bp.writes
@bp.arguments(AssignSchema, error_status_code=400, as_kwargs=True)
@bp.response(200, TaskDetailSchema)
@bp.errors(400, 401, 403, 404, 409, 429)
def assign_task(task_id, assignee):
    """Assign a task

    Give a task to a colleague who can do it (or `null`: back to the team).
    Agency admins and heads, for their agencies, and super admins.
    """
    commands.assign_task(services.db(), services.process_engine(), api_user(), task_id, assignee,
                         services.notifier())
    return _task_answer(task_id)


@bp.post("/<string:task_id>/complete")
@bp.writes
@bp.arguments(FormDataSchema, error_status_code=400, description="The form data: an object matching the "
              "task's `schema` (see GET /tasks/{task_id}).")
@bp.response(200, CompletedSchema)
@bp.errors(400, 401, 403, 404, 409, 422, 429, 500)
def complete_task(form_data, task_id):
    """Complete a task

    Send the task's form data. Fields that do not match the form's JSON Schema are answered
    with 422 and one message per field in `error.fields`; nothing is saved then.
    409 when the task was completed by someone else in the meantime.
    500 with `error.code` "step_failed" when a step of the process after the task failed:
    nothing is saved, the message names the step, and the case is listed for administrators.
    """
    user = api_user()
    try:
        complaint_id = commands.complete_task(
            services.db(), services.process_engine(), user, task_id, dict(form_data))
    except FormInvalid as exc:
        return api_error(422, _("Some fields are not filled in correctly."), exc.fields)
    with services.db().session() as s:
        status = s.get_one(Complaint, complaint_id).status
    return {"complaint_id": complaint_id, "status": status, "status_label": status_label(status)}

