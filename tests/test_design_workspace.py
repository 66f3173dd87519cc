"""The pieces under the designer's workspace that need no web page: what changed between two
versions (engine/version_diff.py) and how an upload is read and laid out (workflows/design_upload.py)."""
from __future__ import annotations

import io
import json
import os
import re
import zipfile

import pytest

from engine.version_diff import change_summary
from tests.conftest import DATA
from workflows import design_upload
from workflows.design_upload import UploadNotFound, UploadRefused

V1 = (DATA / "simple_v1" / "simple.bpmn").read_text(encoding="utf-8")
V2 = (DATA / "simple_v2" / "simple.bpmn").read_text(encoding="utf-8")
FORM = (DATA / "simple_v1" / "forms" / "simple.json").read_bytes()


# ---- what changed between versions --------------------------------------------------------------

def test_added_and_removed_elements_with_their_names():
    summary = change_summary({"simple.bpmn": V1}, {"simple.bpmn": V2})
    assert summary["added"] == ["check_it", "flow_do_it_to_check_it", "flow_check_it_to_end"]
    assert summary["removed"] == ["flow_do_it_to_end"]
    assert summary["changed"] == []  # do_it's outgoing reference changed, but that only repeats the flows
    assert summary["names"] == {"check_it": "Periksa"}
    back = change_summary({"simple.bpmn": V2}, {"simple.bpmn": V1})
    assert back["removed"] == ["check_it", "flow_do_it_to_check_it", "flow_check_it_to_end"]
    assert back["names"]["check_it"] == "Periksa"  # a removed element keeps its old name


def test_moving_shapes_or_reindenting_is_not_a_change():
    moved = V1.replace('x="310" y="120"', 'x="330" y="140"').replace("\n      ", "\n  ")
    assert change_summary({"simple.bpmn": V1}, {"simple.bpmn": moved}) == {
        "added": [], "removed": [], "changed": [], "names": {}, "forms": []}


def test_a_renamed_task_a_new_script_or_another_form_is_a_change():
    renamed = V1.replace('name="Kerjakan"', 'name="Kerjakan segera"')
    assert change_summary({"a": V1}, {"a": renamed})["changed"] == ["do_it"]
    assert change_summary({"a": V1}, {"a": renamed})["names"] == {"do_it": "Kerjakan segera"}
    other_form = V1.replace('value="simple.json"', 'value="other.json"')
    assert change_summary({"a": V1}, {"a": other_form})["changed"] == ["do_it"]
    condition = V1.replace('targetRef="end_simple" />', 'targetRef="end_simple">'
                           '<bpmn:conditionExpression>x</bpmn:conditionExpression></bpmn:sequenceFlow>')
    assert change_summary({"a": V1}, {"a": condition})["changed"] == ["flow_do_it_to_end"]


def test_moving_a_task_to_another_lane_changes_the_task():
    two_lanes = V1.replace(
        '        <bpmn:flowNodeRef>do_it</bpmn:flowNodeRef>\n', '').replace(
        '</bpmn:lane>\n', '</bpmn:lane>\n      <bpmn:lane id="lane_other" name="Penghubung Instansi">'
                          '<bpmn:flowNodeRef>do_it</bpmn:flowNodeRef></bpmn:lane>\n')
    summary = change_summary({"a": V1}, {"a": two_lanes})
    assert summary["added"] == ["lane_other"]
    assert summary["changed"] == ["do_it"]


def test_form_files_that_changed_are_named():
    summary = change_summary({"a": V1}, {"a": V1}, {"simple.json": {"a": 1}, "gone.json": {}},
                             {"simple.json": {"a": 2}, "new.json": {}})
    assert summary["forms"] == ["gone.json", "new.json", "simple.json"]


def test_an_unreadable_file_is_skipped_not_fatal():
    assert change_summary({"a": "not xml"}, {"a": V1})["added"][:2] == ["collaboration_simple", "participant_simple"]


# ---- reading an upload ------------------------------------------------------------------------------

def stream(content: bytes):
    return io.BytesIO(content)


def zipped(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def codes(exc: UploadRefused) -> list[tuple[str, str]]:
    return [(code, name) for code, name, _details in exc.problems]


def test_files_are_laid_out_like_the_bpmn_folder(tmp_path):
    staged = design_upload.stage(tmp_path, "perancang", [("C:\\Users\\x\\simple.bpmn", stream(V1.encode())),
                                                         ("simple.json", stream(FORM))])
    assert staged.uploaded == ["simple.bpmn", "simple.json"]
    assert (staged.folder / "simple.bpmn").read_text() == V1
    assert (staged.folder / "forms" / "simple.json").read_bytes() == FORM
    assert (os.stat(staged.root).st_mode & 0o777) == 0o700
    again = design_upload.load(tmp_path, staged.token, "perancang")
    assert (again.diagrams, again.forms) == (["simple.bpmn"], ["simple.json"])
    with pytest.raises(UploadNotFound):
        design_upload.load(tmp_path, staged.token, "admin")
    with pytest.raises(UploadNotFound):
        again.diagram_path("../upload.json")


def test_a_zip_of_a_folder_is_read_inside_the_folder_and_stays_inside_ours(tmp_path):
    archive = zipped({"proses/simple.bpmn": V1.encode(), "proses/forms/simple.json": FORM,
                      "proses/notes/readme.txt": b"x", "proses/../evil.bpmn": V1.encode(),
                      "proses/.DS_Store": b"x", "__MACOSX/proses/._simple.bpmn": b"x"})
    staged = design_upload.stage(tmp_path / "up", "perancang", [("proses.zip", stream(archive))])
    assert staged.diagrams == ["simple.bpmn"] and staged.forms == ["simple.json"]
    assert staged.ignored == ["notes/readme.txt"]  # "..", dot files and __MACOSX are skipped silently
    assert not (tmp_path / "evil.bpmn").exists() and not (tmp_path / "up" / "evil.bpmn").exists()


def test_a_zip_bomb_stops_at_the_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(design_upload, "MAX_FILE", 10_000)
    huge = zipped({"simple.bpmn": V1.encode() + b" " * 50_000})
    with pytest.raises(UploadRefused) as refused:
        design_upload.stage(tmp_path, "p", [("p.zip", stream(huge))])
    assert codes(refused.value) == [("too_large", "simple.bpmn")]


def test_a_doctype_is_refused(tmp_path):
    evil = V1.replace('<?xml version="1.0" encoding="UTF-8"?>',
                      '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY e SYSTEM "file:///etc/passwd">]>')
    with pytest.raises(UploadRefused) as refused:
        design_upload.stage(tmp_path, "p", [("simple.bpmn", stream(evil.encode()))])
    assert codes(refused.value) == [("doctype", "simple.bpmn")]


def test_every_problem_is_reported_at_once(tmp_path):
    with pytest.raises(UploadRefused) as refused:
        design_upload.stage(tmp_path, "p", [("a.txt", stream(b"x")), ("b.bpmn", stream(b"\xff\xfe")),
                                            ("c.bpmn", stream(b"<svg/>")), ("d.dmn", stream(V1.encode()))])
    assert codes(refused.value) == [("bad_type", "a.txt"), ("not_text", "b.bpmn"), ("not_bpmn", "c.bpmn"),
                                    ("not_bpmn", "d.dmn")]
    assert not any(tmp_path.iterdir())  # nothing was written


def test_expired_uploads_are_swept(tmp_path):
    keep = design_upload.stage(tmp_path, "p", [("simple.bpmn", stream(V1.encode()))])
    old = design_upload.stage(tmp_path, "p", [("simple.bpmn", stream(V1.encode()))])
    meta = json.loads((old.root / "upload.json").read_text())
    meta["created_at"] -= design_upload.TTL + 1
    (old.root / "upload.json").write_text(json.dumps(meta))
    (tmp_path / "not-an-upload").mkdir()
    assert design_upload.sweep(tmp_path) == 1
    assert keep.root.exists() and not old.root.exists() and (tmp_path / "not-an-upload").exists()


def test_a_shared_upload_folder_is_refused(tmp_path):
    other = tmp_path / "elsewhere"
    other.mkdir()
    link = tmp_path / "uploads"
    link.symlink_to(other)
    with pytest.raises(RuntimeError, match="not a private folder"):
        design_upload.stage(link, "p", [("simple.bpmn", stream(V1.encode()))])


def test_tokens_are_long_and_random(tmp_path):
    tokens = {design_upload.stage(tmp_path, "p", [("simple.bpmn", stream(V1.encode()))]).token for _ in range(3)}
    assert len(tokens) == 3 and all(re.fullmatch(r"[A-Za-z0-9_-]{32}", t) for t in tokens)
