"""workflows.paging.paginate: the one rule every paged list follows."""
import pytest
from sqlalchemy import select

from workflows.models import User
from workflows.paging import Page, paginate


def by_name():
    return select(User).order_by(User.username, User.id)


def test_pages_count_in_sql_and_hold_per_page_rows(db):
    with db.session() as s:
        everyone = list(s.scalars(by_name()))
        first = paginate(s, by_name(), 1, 4)
        last = paginate(s, by_name(), first.pages, 4)
    assert first.total == len(everyone) > 4 and first.pages == -(-len(everyone) // 4)
    assert [u.id for u in first.rows] == [u.id for u in everyone[:4]]
    assert [u.id for u in last.rows] == [u.id for u in everyone[(first.pages - 1) * 4:]]


@pytest.mark.parametrize("asked, shown", [(0, 1), (-5, 1), (10**6, "last")])
def test_pages_outside_the_range_show_the_first_or_the_last(db, asked, shown):
    with db.session() as s:
        page = paginate(s, by_name(), asked, 4)
        last = paginate(s, by_name(), 10**6, 4).pages
    assert page.page == (last if shown == "last" else shown) and page.rows


def test_a_given_total_tuples_and_each(db):
    with db.session() as s:
        page = paginate(s, select(User.username, User.role).order_by(User.username), 2, 3, total=5, rows="tuples",
                        each=lambda r: f"{r.username}:{r.role}")
    assert page.total == 5 and page.page == 2 and len(page.rows) == 3 and all(":" in r for r in page.rows)


def test_an_empty_list_is_one_empty_page():
    assert Page([], 0, 1, 20).pages == 1
