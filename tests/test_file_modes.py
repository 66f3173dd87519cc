"""Files Tindak creates are readable by its own user only: folders 0700, files 0600 (issue 12)."""
from __future__ import annotations

import os
import stat

import pytest
from click.testing import CliRunner

from webapp.cli import main
from webapp.config import Settings
from workflows import attachments


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def open_umask():
    """The usual umask (022), under which files are created world-readable unless we say otherwise."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_the_instance_folder_and_the_sqlite_file_are_private(tmp_path, open_umask):
    settings = Settings.from_env({"TINDAK_DATABASE_URL": f"sqlite:///{tmp_path / 'instance' / 'tindak.db'}"})
    settings.ensure_instance_folder()
    assert mode(tmp_path / "instance") == 0o700
    assert mode(tmp_path / "instance" / "tindak.db") == 0o600


def test_an_existing_database_file_is_left_as_it_is(tmp_path, open_umask):
    (tmp_path / "tindak.db").write_bytes(b"")
    os.chmod(tmp_path / "tindak.db", 0o640)  # the operator's choice (e.g. a backup group)
    Settings.from_env({"TINDAK_DATABASE_URL": f"sqlite:///{tmp_path / 'tindak.db'}"}).ensure_instance_folder()
    assert mode(tmp_path / "tindak.db") == 0o640


def test_attachments_are_written_private(tmp_path, open_umask):
    _key, path = attachments.write(tmp_path / "attachments" / "thread", b"%PDF-1.4", ".pdf", [])
    assert mode(path) == 0o600 and path.read_bytes() == b"%PDF-1.4"
    assert mode(tmp_path / "attachments" / "thread") == 0o700


def test_the_command_creates_with_umask_077_and_gives_the_old_one_back(tmp_path, monkeypatch, open_umask):
    monkeypatch.setenv("TINDAK_DATABASE_URL", f"sqlite:///{tmp_path / 'instance' / 'tindak.db'}")
    result = CliRunner().invoke(main, ["init"])
    assert result.exit_code == 0, result.output
    created = [tmp_path / "instance" / "tindak.db"] + sorted((tmp_path / "instance").glob("tindak.db-*"))
    assert all(mode(p) & 0o077 == 0 for p in created), [(p.name, oct(mode(p))) for p in created]
    assert os.umask(0o022) == 0o022  # the test process's own umask is untouched
