"""Case endpoints: search the cases the caller may see, and read one case with its timeline."""
from __future__ import annotations

from webapp import services
from webapp.api.access import api_user
from webapp.api.blueprint import API_PREFIX, ApiBlueprint
from webapp.api.representation import case_dict, case_summary, page_dict
from webapp.api.schemas import CasePageSchema, CaseSchema, CaseSearchArgs
from workflows.cases import CaseSearch, case_view, search_cases

bp = ApiBlueprint("cases_api", __name__, url_prefix=f"{API_PREFIX}/cases",
                  description="Complaints and their cases, as far as the caller may see them.")


@bp.get("")
@bp.reads
@bp.arguments(CaseSearchArgs, location="query", error_status_code=400, as_kwargs=True)
@bp.response(200, CasePageSchema)
@bp.errors(401, 429)
def list_cases(page, per_page, q=None, category=None, agency=None, status=None, date_from=None, date_to=None):
    """Search cases

    Cases the caller may see, newest first, matching every criterion given.
    """
    search = CaseSearch(text=q, category=category, agency=agency, status=status, date_from=date_from,
                        date_to=date_to, page=page, per_page=per_page)
    with services.db().session() as s:
        result = search_cases(s, api_user(), search)
        return page_dict(result, [case_summary(c) for c in result.rows], requested=page)


@bp.get("/<int:complaint_id>")
@bp.reads
@bp.response(200, CaseSchema)
@bp.errors(401, 404, 429)
def get_case(complaint_id):
    """Get a case

    The complaint, its open tasks and its timeline. `reporter` is null when the caller may not
    see the reporter's identity (an anonymous complaint, for anyone but verifiers and super
    admins). 404 for a case the caller may not see.
    """
    with services.db().session() as s:
        view = case_view(s, services.process_engine(), api_user(), complaint_id)
        return case_dict(s, view)
