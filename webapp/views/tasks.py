"""Officers' task list (tabs, filters, claim/release/assign) and the task page with its form."""
from __future__ import annotations

from uuid import UUID

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user, login_required
from SpiffWorkflow.exceptions import TaskNotFoundException
from sqlalchemy import select
from werkzeug.datastructures import MultiDict
from werkzeug.routing import BuildError

from engine.errors import ConcurrentUpdate, FormInvalid, NotAllowed, TaskNotReady
from engine.models import HumanTask, ProcessInstance
from webapp import content_language, errors, form_render, labels, services
from webapp.redirects import local_target
from webapp.views.coordination import section_url, task_question
from workflows import commands, policy, roles, task_lists
from workflows.case_errors import StepFailed
from workflows.models import Agency, Attachment, Category, User

bp = Blueprint("tasks", __name__, url_prefix="/tasks")
PER_PAGE = 25


def case_url(complaint_id: int) -> str:
    """The case page (built by the cases blueprint; a plain path until that endpoint exists)."""
    try:
        return url_for("cases.view", complaint_id=complaint_id)
    except BuildError:
        return f"/cases/{complaint_id}"


def attachment_url(complaint_id: int, attachment_id: int) -> str:
    try:
        return url_for("cases.attachment", complaint_id=complaint_id, attachment_id=attachment_id)
    except BuildError:
        return f"/cases/{complaint_id}/attachments/{attachment_id}"


@bp.context_processor
def _links():
    return {"case_url": case_url, "attachment_url": attachment_url}


def _user() -> User:
    return current_user._get_current_object()


def _full_names(session, usernames) -> dict[str, str]:
    wanted = {u for u in usernames if u}
    if not wanted:
        return {}
    rows = session.execute(select(User.username, User.full_name).where(User.username.in_(wanted)))
    return dict(rows.all())


# -- the task list ----------------------------------------------------------------------

def _filter_from_args(args) -> task_lists.TaskFilter:
    page = args.get("page", "1")
    return task_lists.TaskFilter(
        category=args.get("category") or None,
        status=args.get("status") or None,
        agency=args.get("agency") or None,
        overdue=args.get("overdue") == "1",
        sla=args.get("sla") if args.get("sla") in task_lists.SLA_COLOURS else None,
        text=(args.get("q") or "").strip() or None,
        sort=args.get("sort") if args.get("sort") in task_lists.SORTS else "due",
        page=min(int(page), 10**6) if page.isdigit() and int(page) > 0 else 1,
        per_page=PER_PAGE,
    )


def _query_args(f: task_lists.TaskFilter) -> dict[str, str]:
    """The filter as URL arguments, for tab and page links that keep it."""
    args = {"category": f.category, "status": f.status, "agency": f.agency, "q": f.text,
            "overdue": "1" if f.overdue else None, "sla": f.sla, "sort": f.sort if f.sort != "due" else None}
    return {k: v for k, v in args.items() if v}


def _agency_filter_groups(session, user: User) -> list[form_render.OptionGroup]:
    groups = form_render.agency_groups(session)
    if user.role == roles.SUPER_ADMIN:
        return groups
    scope = set(policy.agency_codes_in_scope(session, user))
    kept = [form_render.OptionGroup(g.label, [o for o in g.options if o.value in scope]) for g in groups]
    return [g for g in kept if g.options]


def _assign_choices(session, user: User, rows) -> dict[str, list[User]]:
    """For each task the user may assign: the colleagues it may go to (one query per kind)."""
    by_kind: dict[tuple[str | None, str | None], list[User] | None] = {}
    result = {}
    for row in rows:
        kind = (row.task.role, row.task.agency_code)
        if kind not in by_kind:
            allowed = policy.can_assign(session, user, row.task)
            by_kind[kind] = policy.assignable_users(session, row.task) if allowed else None
        colleagues = by_kind[kind]
        if colleagues is not None:
            result[row.task.id] = colleagues
    return result


@bp.get("/")
@login_required
def index():
    user = _user()
    with services.db().session() as s:
        tabs = task_lists.tabs_for(user)
        counts = task_lists.tab_counts(s, user)
        tab = request.args.get("tab")
        if tab not in tabs:
            tab = "mine" if counts.get("mine") else "team"
        f = _filter_from_args(request.args)
        page = task_lists.task_page(s, user, tab, f)  # a stale link past the end shows the last page
        f.page = page.page
        content_language.preload(s, [r.task.process_instance_id for r in page.rows])  # task names
        return render_template(
            "tasks/index.html", tab=tab, tabs=tabs, counts=counts, f=f, page=page,
            filtered=any([f.category, f.status, f.agency, f.overdue, f.sla, f.text]), query_args=_query_args(f),
            names=_full_names(s, [r.task.assignee for r in page.rows]),
            assign_choices=_assign_choices(s, user, page.rows),
            categories=list(s.scalars(select(Category).where(Category.active).order_by(Category.name))),
            category_names=content_language.category_names(s),
            statuses=labels.STATUS, sla_labels=labels.SLA,
            agency_groups=_agency_filter_groups(s, user) if "agency" in tabs else [],
        )


def _back() -> str:
    return local_target(request.form.get("next")) or url_for("tasks.index")


def _holder_name(task_id: str) -> str:
    with services.db().session() as s:
        task = s.get(HumanTask, task_id)
        holder = task.assignee if task is not None else None
        if not holder:
            return "?"
        return _full_names(s, [holder]).get(holder, holder)


@bp.post("/<task_id>/claim")
@login_required
def claim(task_id: str):
    try:
        commands.claim_task(services.db(), services.process_engine(), _user(), task_id)
        flash(_("You have claimed the task. It is now under My tasks."), "success")
    except NotAllowed:
        flash(_("This task has already been claimed by %(name)s.", name=_holder_name(task_id)), "warning")
    except TaskNotReady:
        flash(_("This task is no longer open: it was completed or cancelled in the meantime."), "warning")
    return redirect(_back())


@bp.post("/<task_id>/release")
@login_required
def release(task_id: str):
    try:
        commands.release_task(services.db(), services.process_engine(), _user(), task_id)
        flash(_("You have released the task. Your team can take it now."), "success")
    except NotAllowed:
        flash(_("Only the officer who holds a task can release it. It is held by %(name)s.",
                name=_holder_name(task_id)), "warning")
    except TaskNotReady:
        flash(_("This task is no longer open: it was completed or cancelled in the meantime."), "warning")
    return redirect(_back())


@bp.post("/<task_id>/assign")
@login_required
def assign(task_id: str):
    assignee = (request.form.get("assignee") or "").strip() or None
    try:
        commands.assign_task(services.db(), services.process_engine(), _user(), task_id, assignee, services.notifier())
    except TaskNotReady:
        flash(_("This task is no longer open: it was completed or cancelled in the meantime."), "warning")
        return redirect(_back())
    if assignee:
        with services.db().session() as s:
            flash(_("Task assigned to %(name)s.", name=_full_names(s, [assignee]).get(assignee, assignee)), "success")
    else:
        flash(_("The task is no longer assigned to anyone. The team can claim it."), "success")
    return redirect(_back())


# -- the task page ----------------------------------------------------------------------

def _spiff_task(session, task: HumanTask):
    _instance, workflow = services.process_engine().load(session, task.process_instance_id)
    try:
        return workflow.get_task_from_id(UUID(task.id))
    except TaskNotFoundException:  # the task left the workflow's tree (e.g. a loop pruned it)
        return None


def _instructions(session, spiff_task, task: HumanTask, name: str) -> str | None:
    text = spiff_task.task_spec.extensions.get("instructionsForEndUser") if spiff_task else None
    if text:  # in the visitor's language when the version has it
        text = content_language.element_label(session, task.process_instance_id, task.element_id, text,
                                               kind="instructions")
    return _without_title(text or "", name) or None


def _prefill(spiff_task, ui_schema: dict | None) -> dict[str, str]:
    """Values a designer asked to start from task data ("ui:defaultFromData": variable), e.g.
    the agency suggested by the one that said "not ours", so re-routing takes one click."""
    if spiff_task is None or not ui_schema:
        return {}
    found = {}
    for name, options in ui_schema.items():
        variable = options.get("ui:defaultFromData") if isinstance(options, dict) else None
        value = spiff_task.data.get(variable) if variable else None
        if isinstance(value, (str, int, float)) and value != "":
            found[name] = str(value)
    return found


def _without_title(text: str, title: str) -> str:
    """Instructions often open with the task's name as a heading; the page shows it already."""
    first, _sep, rest = text.strip().partition("\n")
    if first.startswith("#") and first.lstrip("#").strip().casefold() == title.strip().casefold():
        return rest.strip()
    return text.strip()


def _task_context(user: User, task_id: str) -> dict:
    """Everything the task page shows, read in one session. TaskNotFound if not visible."""
    with services.db().session() as s:
        task, complaint = commands.task_or_gone(s, user, task_id)  # TaskGone: who took it, where it is now
        instance = s.get_one(ProcessInstance, task.process_instance_id)
        # labels, help texts and choices in the visitor's language (names and values never change)
        forms = content_language.forms_of(instance.process_version)
        schema = forms.get(task.form) if task.form else None
        ui_schema = forms.get(task.ui_form) if task.ui_form else None
        task_name = content_language.task_label(s, task)
        ready = task.state == "ready"
        spiff_task = _spiff_task(s, task) if ready else None
        wants_agencies = schema and any(
            form_render.AGENCY_FORMAT in ((p or {}).get("format"), ((p or {}).get("items") or {}).get("format"))
            for p in (schema.get("properties") or {}).values())
        groups = form_render.agency_groups(s) if wants_agencies else []
        can_assign = ready and policy.can_assign(s, user, task)
        agency = s.scalars(select(Agency).where(Agency.code == task.agency_code)).first() if task.agency_code else None
        return {
            "task": task, "complaint": complaint, "ready": ready, "schema": schema, "ui_schema": ui_schema,
            "category": s.scalars(select(Category).where(Category.code == complaint.category_code)).first(),
            "attachments": list(s.scalars(
                select(Attachment).where(Attachment.complaint_id == complaint.id).order_by(Attachment.id))),
            "show_identity": policy.sees_reporter_identity(s, user, complaint),
            "incident_date": format_date(complaint.incident_date, "d MMM yyyy") if complaint.incident_date else None,
            "instructions": _instructions(s, spiff_task, task, task_name),
            "task_name": task_name,
            "prefill": _prefill(spiff_task, ui_schema) if ready else {},
            "can_act": ready and policy.can_act_on_task(s, user, task),
            "can_assign": can_assign,
            "assignees": policy.assignable_users(s, task) if can_assign else [],
            "task_agency": agency,
            "agencies": groups,
            "agency_codes": {o.value for g in groups for o in g.options},
            "names": _full_names(s, [task.assignee, task.completed_by]),
            "coordination_question": task_question(s, task),
        }


def _render_task(ctx: dict, status: int = 200, values=None, messages=None, alert: str | None = None,
                 failure: StepFailed | None = None):
    schema = ctx["schema"] or {"properties": {}}
    messages = messages or {}
    fields = form_render.build_fields(schema, ctx["ui_schema"], values, messages, ctx["agencies"])
    held_by_other = bool(ctx["task"].assignee) and ctx["task"].assignee != current_user.username
    locked = not ctx["ready"] or held_by_other
    return render_template(
        "tasks/task.html", **ctx, fields=fields, locked=locked, held_by_other=held_by_other,
        submitted=values is not None, alert=alert, failure=failure,
        failure_message=errors.step_failed_message(failure) if failure else None,
        form_errors=form_render.form_errors_outside_fields(messages, fields),
    ), status


# Forms the generic renderer cannot draw (rows of objects) name a page of their own in their UI
# schema ("ui:page"); the task page sends the officer there.
FORM_PAGES = {"coordination_request": lambda complaint_id: section_url(complaint_id, "request")}


def _own_page(ctx: dict) -> str | None:
    page = (ctx["ui_schema"] or {}).get("ui:page")
    return FORM_PAGES[page](ctx["complaint"].id) if ctx["ready"] and page in FORM_PAGES else None


@bp.get("/<task_id>")
@login_required
def view(task_id: str):
    ctx = _task_context(_user(), task_id)
    if page := _own_page(ctx):
        return redirect(page)
    return _render_task(ctx, values=MultiDict(ctx["prefill"]) if ctx["prefill"] else None)


@bp.post("/<task_id>")
@login_required
def complete(task_id: str):
    user = _user()
    ctx = _task_context(user, task_id)
    lost_race = _("Someone else completed or changed this task in the meantime; your answers were not saved.")
    if not ctx["ready"]:
        return _render_task(ctx, 409, request.form, alert=lost_race)
    if not ctx["can_act"]:
        raise commands.Forbidden("this task is for another role or agency")
    if page := _own_page(ctx):
        return redirect(page)
    schema = ctx["schema"] or {"properties": {}}
    data, errors = form_render.parse_submission(schema, ctx["ui_schema"], request.form, ctx["agency_codes"] or None)
    if errors:
        return _render_task(ctx, 422, request.form, errors)
    try:
        complaint_id = commands.complete_task(services.db(), services.process_engine(), user, task_id, data)
    except FormInvalid as exc:
        return _render_task(ctx, 422, request.form, form_render.field_messages(exc.fields))
    except (TaskNotReady, ConcurrentUpdate):
        return _render_task(_task_context(user, task_id), 409, request.form, alert=lost_race)
    except StepFailed as exc:  # nothing saved: show which step failed, keep what was typed
        return _render_task(_task_context(user, task_id), 500, request.form, failure=exc)
    except NotAllowed:
        fresh = _task_context(user, task_id)
        holder = fresh["names"].get(fresh["task"].assignee, fresh["task"].assignee)
        return _render_task(fresh, 409, request.form, alert=_(
            "%(name)s claimed this task in the meantime; your answers were not saved.", name=holder))
    flash(_("Task completed."), "success")
    return redirect(case_url(complaint_id))
