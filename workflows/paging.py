"""One page of a list: every paged list (tasks, cases, users, versions, changes) uses these rules.

Pages are numbered from 1; a page below 1 is the first and one past the end the last (a
stale link still shows something); the total is counted in SQL over the same filters.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from math import ceil

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session


@dataclass
class Page:
    rows: list
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, ceil(self.total / self.per_page))


def paginate(session: Session, query: Select, page: int, per_page: int, *, total: int | None = None,
             rows: str = "scalars", each: Callable | None = None) -> Page:
    """Page `page` of the ordered `query`, `per_page` rows a page.

    `total` may be counted by the caller (a cheaper query); `rows="tuples"` keeps whole result
    rows instead of the first column; `each` turns every row into what the page holds.
    """
    if total is None:
        total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    page = min(max(1, page), max(1, ceil(total / per_page)))
    result = session.execute(query.limit(per_page).offset((page - 1) * per_page))
    found = list(result.scalars() if rows == "scalars" else result.all())
    return Page([each(r) for r in found] if each else found, total, page, per_page)
