"""The one rule for where a `next` parameter may send the browser."""
import pytest

from webapp.redirects import local_target


@pytest.mark.parametrize("target", [
    "/tasks/", "/tasks/?tab=mine&page=2", "/cases/12#notes", "/admin/users/3", "/publik/lacak?id=AB 12",
])
def test_paths_on_this_site_are_kept(target):
    assert local_target(target) == target


@pytest.mark.parametrize("target", [
    None, "", 42, "tasks/", "https://evil.example.com/", "http:/evil.example.com", "//evil.example.com/x",
    "/\\evil.example.com", "\\\\evil.example.com", "/\t/evil.example.com", "/\n/evil.example.com",
    "/\r\n/evil", "/\x00", "/\x7f", "javascript:alert(1)", " /tasks/", "/" + "a" * 2001,
])
def test_anything_that_could_leave_the_site_is_refused(target):
    assert local_target(target) is None


def test_under_narrows_the_paths():
    assert local_target("/admin/users/3", under="/admin/") == "/admin/users/3"
    assert local_target("/tasks/", under="/admin/") is None
    assert local_target("//admin/", under="/admin/") is None
