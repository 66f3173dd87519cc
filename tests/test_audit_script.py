"""scripts/audit_latest.py: CI's fallback dependency audit when pip-audit's PyPI endpoint does not answer."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "audit_latest.py"
spec = importlib.util.spec_from_file_location("audit_latest", SCRIPT)
audit = importlib.util.module_from_spec(spec)
sys.modules[spec.name] = audit  # dataclasses look their module up there
spec.loader.exec_module(audit)

LOCK = """\
flask==3.1.3 \\
    --hash=sha256:aaa
    # via tindak (pyproject.toml)
python-dateutil==2.9.0.post0 \\
    --hash=sha256:bbb
pip==26.0 ; python_version >= "3.11" \\
    --hash=sha256:ccc
"""


def test_pins_are_read_from_a_hashed_lock():
    assert audit.pins(LOCK) == [("flask", "3.1.3"), ("python-dateutil", "2.9.0.post0"), ("pip", "26.0")]


def test_a_vulnerability_listed_for_the_pinned_latest_release_fails(capsys):
    advisory = {"id": "PYSEC-2099-1", "aliases": ["CVE-2099-1"], "fixed_in": ["3.1.4"]}
    findings = [audit.Finding("flask", "3.1.3", "3.1.3", [advisory]), audit.Finding("jinja2", "3.1.6", "3.1.6")]
    assert audit.report(findings) == 1
    out = capsys.readouterr().out
    assert "VULNERABLE flask==3.1.3: PYSEC-2099-1" in out and "fixed in 3.1.4" in out
    assert "audited 2 of 2 pins" in out and "1 vulnerable" in out


def test_an_older_pin_is_named_as_not_audited_instead_of_passing_silently(capsys):
    findings = [audit.Finding("python-dateutil", "2.9.0.post0", "4.0.0"), audit.Finding("flask", "3.1.3", "3.1.3")]
    assert audit.report(findings) == 0
    out = capsys.readouterr().out
    assert "NOT AUDITED python-dateutil==2.9.0.post0 (older than the latest release 4.0.0)" in out
    assert "audited 1 of 2 pins" in out and "1 not audited" in out


def test_no_answer_from_pypi_at_all_is_an_error_not_a_pass(capsys):
    findings = [audit.Finding("flask", "3.1.3", error="timed out"), audit.Finding("jinja2", "3.1.6", error="timed out")]
    assert audit.report(findings) == 2
    assert "NOT AUDITED flask==3.1.3 (PyPI did not answer: timed out)" in capsys.readouterr().out


def test_advisories_of_the_latest_release_do_not_apply_to_an_older_pin(monkeypatch):
    class Response:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def read(self, *args):
            return b'{"info": {"version": "2.0"}, "vulnerabilities": [{"id": "X"}]}'

    monkeypatch.setattr(audit.urllib.request, "urlopen", lambda url, timeout: Response())
    older, latest = audit.look_up("pkg", "1.0"), audit.look_up("pkg", "2.0")
    assert not older.audited and older.vulnerabilities == []
    assert latest.audited and latest.vulnerabilities == [{"id": "X"}]
