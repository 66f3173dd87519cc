"""The designer's workspace through the Flask test client: who may open it, the process library
with change summaries and running cases, a version's diagram counts and download, upload →
check → deploy (good, broken and refused files), the lane table and new SLA keys."""
from __future__ import annotations

import html as html_lib
import io
import json
import logging
import re
import shutil
import time
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import select

from engine.deploy import deploy
from engine.models import HumanTask, ProcessVersion
from tests.conftest import BPMN_DIR, DATA
from webapp import services
from workflows import design_upload
from workflows.models import LaneRole
from workflows.sla import SlaChange, SlaPolicy

SIMPLE_V1 = DATA / "simple_v1"
SIMPLE_V2 = DATA / "simple_v2"
FORM = (SIMPLE_V1 / "forms" / "simple.json").read_bytes()

GET_PAGES = ["/design/", "/design/processes/complaint", "/design/processes/complaint/versions/1",
             "/design/processes/complaint/versions/1/diagram.xml", "/design/processes/complaint/versions/1/download",
             "/design/upload", "/design/lanes", "/design/lanes/new", "/design/lanes/1", "/design/deadlines"]


@pytest.fixture(autouse=True)
def upload_dir(app, client, tmp_path):
    """Uploads go to the test's own folder; pages are in English (messages are compared)."""
    folder = tmp_path / "uploads"
    app.config["TINDAK_DESIGN_UPLOAD_DIR"] = str(folder)
    client.post("/language/en")
    return folder


def text(response) -> str:
    return html_lib.unescape(response.get_data(as_text=True))


def app_engine(client):
    """The app's own engine (the one whose lane router and SLA book the pages reload)."""
    with client.application.app_context():
        return services.process_engine()


def files(*items):
    """Multipart form data: (name, bytes) pairs as the field 'files'."""
    return {"files": [(io.BytesIO(content), name) for name, content in items]}


def simple_files(folder=SIMPLE_V1, form=FORM):
    return [("simple.bpmn", (folder / "simple.bpmn").read_bytes()), ("simple.json", form)]


def upload(client, items, **kwargs):
    return client.post("/design/upload", data=files(*items), content_type="multipart/form-data", **kwargs)


def token_of(response) -> str:
    return re.search(r"/design/uploads/([A-Za-z0-9_-]+)", response.headers["Location"]).group(1)


def version_row(page: str, process_id: str, version: int) -> str:
    """The HTML of one version's row in a list of versions."""
    start = page.index(f'data-process="{process_id}" data-version="{version}"')
    end = page.find('data-testid="version-row"', start)
    return page[start:end if end > 0 else None]


def zipped(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return buffer.getvalue()


# ---- who may open it ------------------------------------------------------------------------------

@pytest.mark.parametrize("username", ["perancang", "admin"])
def test_designers_and_super_admins_open_every_page(client, auth, username):
    auth.login(username)
    for path in GET_PAGES:
        assert client.get(path).status_code == 200, path


@pytest.mark.parametrize("username", ["verifikator", "dinkes.admin", "dinkes.penghubung", "dinkes.kepala",
                                      "gubernur", "ombudsman"])
def test_other_roles_get_403_everywhere(client, auth, upload_dir, username):
    auth.login(username)
    for path in GET_PAGES + ["/design/uploads/" + "x" * 32]:
        assert client.get(path).status_code == 403, path
    assert upload(client, simple_files()).status_code == 403
    assert not upload_dir.exists() or not any(upload_dir.iterdir())
    assert client.post("/design/lanes/new", data={"lane": "X", "role": "liaison"}).status_code == 403
    assert client.post("/design/lanes/1/delete").status_code == 403
    assert client.post("/design/deadlines", data={"key": "x_y", "label": "X", "duration": "3",
                                                  "unit": "working_days", "yellow_share": "0.75"}).status_code == 403
    assert "nav-design" not in client.get("/tasks/").get_data(as_text=True)


def test_logged_out_goes_to_login(client):
    response = client.get("/design/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_designers_land_on_the_library_and_see_it_in_the_navbar(client, auth):
    assert auth.login("perancang").headers["Location"].endswith("/design/")
    assert client.get("/").headers["Location"].endswith("/design/")
    assert 'data-testid="nav-design"' in client.get("/design/").get_data(as_text=True)
    auth.logout()
    assert auth.login("admin").headers["Location"].endswith("/tasks/")
    assert 'data-testid="nav-design"' in client.get("/tasks/").get_data(as_text=True)


def test_forms_need_the_csrf_token(app, client, auth):
    auth.login("perancang")
    app.config["WTF_CSRF_ENABLED"] = True
    assert upload(client, simple_files()).status_code == 400
    assert client.post("/design/lanes/1/delete").status_code == 400
    assert client.post("/design/deadlines", data={"key": "abc"}).status_code == 400


# ---- the library ------------------------------------------------------------------------------------

def test_library_lists_each_process_with_its_versions(db, client, auth):
    auth.login("perancang")
    page = text(client.get("/design/"))
    for process_id in ("complaint", "coordination", "coordination_round"):
        assert f'data-process="{process_id}"' in page
    assert "First version" in page
    assert 'data-testid="deployed-by">tests<' in page


def test_running_cases_are_counted_per_version(db, client, auth):
    engine = app_engine(client)
    with db.transaction() as s:
        deploy(s, [SIMPLE_V1], deployed_by="perancang")
    with db.transaction() as s:
        ids = [engine.start(s, "simple", {}, "t").id for _ in range(3)]
    with db.transaction() as s:
        deploy(s, [SIMPLE_V2], deployed_by="perancang")
    with db.transaction() as s:
        engine.start(s, "simple", {}, "t")
    with db.transaction() as s:  # one case on v1 finishes: it no longer counts
        task = s.scalars(select(HumanTask).where(HumanTask.process_instance_id == ids[0])).one()
        engine.complete(s, task.id, {"note": "selesai"}, "t")
    auth.login("perancang")
    page = text(client.get("/design/"))
    section = page[page.index('data-process="simple"'):]
    rows = dict(re.findall(r'data-process="simple" data-version="(\d)".*?data-testid="running" data-count="(\d+)"',
                           section, re.S))
    assert rows == {"2": "1", "1": "2"}
    assert "3 running cases" in section


def test_change_summary_names_what_was_added_and_removed(db, client, auth):
    with db.transaction() as s:
        deploy(s, [SIMPLE_V1], deployed_by="perancang")
        deploy(s, [SIMPLE_V2], deployed_by="perancang", deployed_from="/srv/bpmn")
    with db.session() as s:
        v2 = s.scalars(select(ProcessVersion).where(ProcessVersion.process_id == "simple",
                                                    ProcessVersion.version == 2)).one()
        assert v2.change_summary["added"] == ["check_it", "flow_do_it_to_check_it", "flow_check_it_to_end"]
        assert v2.change_summary["removed"] == ["flow_do_it_to_end"]
        assert v2.change_summary["changed"] == []
        assert v2.deployed_from == "/srv/bpmn"
    auth.login("perancang")
    page = text(client.get("/design/"))
    row = version_row(page, "simple", 2)
    assert "/srv/bpmn" in row
    added = re.search(r'data-testid="summary-added" data-count="3">(.*?)</li>', row, re.S).group(1)
    assert "Periksa" in added and "flow_do_it_to_check_it" in added
    assert "flow_do_it_to_end" in re.search(r'data-testid="summary-removed".*?</li>', row, re.S).group(0)


def test_versions_are_paginated(db, client, auth, tmp_path):
    folder = tmp_path / "simple"
    shutil.copytree(SIMPLE_V1, folder)
    form = json.loads(FORM)
    for n in range(23):
        form["title"] = f"Formulir {n}"
        (folder / "forms" / "simple.json").write_text(json.dumps(form), encoding="utf-8")
        with db.transaction() as s:
            deploy(s, [folder], deployed_by="perancang")
    auth.login("perancang")
    library = text(client.get("/design/"))
    section = library[library.index('data-process="simple"'):]
    assert len(re.findall(r'data-process="simple" data-version=', section)) == 5
    assert "/design/processes/simple" in section and "23" in section
    first = text(client.get("/design/processes/simple"))
    assert len(re.findall(r'data-testid="version-row"', first)) == 20
    assert 'data-version="23"' in first and 'data-testid="newest"' in first
    assert 'data-testid="summary-forms"' in first
    second = text(client.get("/design/processes/simple?page=2"))
    assert re.findall(r'data-version="(\d+)"', second) == ["3", "2", "1"]
    assert 'data-testid="newest"' not in second
    assert client.get("/design/processes/no_such_process").status_code == 404


# ---- a version --------------------------------------------------------------------------------------

def test_version_page_counts_the_cases_waiting_at_each_element(db, client, auth):
    engine = app_engine(client)
    with db.transaction() as s:
        deploy(s, [SIMPLE_V2], deployed_by="perancang")
    with db.transaction() as s:
        ids = [engine.start(s, "simple", {}, "t").id for _ in range(3)]
    with db.transaction() as s:  # one moves on to check_it
        task = s.scalars(select(HumanTask).where(HumanTask.process_instance_id == ids[0])).one()
        engine.complete(s, task.id, {"note": "ok"}, "t")
    auth.login("perancang")
    page = text(client.get("/design/processes/simple/versions/1"))
    counts = json.loads(re.search(r"data-counts='([^']*)'", page).group(1))
    assert counts == {"do_it": 2, "check_it": 1}
    assert re.search(r'data-testid="waiting-row" data-element="do_it" data-count="2"', page)
    assert 'data-testid="running" data-count="3"' in page
    xml = client.get("/design/processes/simple/versions/1/diagram.xml")
    assert xml.mimetype == "application/xml" and b'id="check_it"' in xml.data
    assert client.get("/design/processes/simple/versions/9").status_code == 404
    assert client.get("/design/processes/simple/versions/9/download").status_code == 404


def test_version_page_without_waiting_cases(client, auth):
    auth.login("perancang")
    page = text(client.get("/design/processes/coordination/versions/1"))
    assert 'data-testid="no-waiting"' in page and "data-counts='{}'" in page


def test_download_holds_the_diagrams_and_the_forms(db, client, auth):
    auth.login("perancang")
    response = client.get("/design/processes/complaint/versions/1/download")
    assert response.mimetype == "application/zip"
    assert 'filename="complaint-v1.zip"' in response.headers["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    names = set(archive.namelist())
    assert {"complaint.bpmn", "coordination_round.bpmn", "coordination.bpmn"} <= names
    assert "forms/verify.json" in names and "forms/verify.ui.json" in names
    assert archive.read("complaint.bpmn").decode() == (BPMN_DIR / "complaint.bpmn").read_text(encoding="utf-8")
    assert json.loads(archive.read("forms/verify.json")) == json.loads((BPMN_DIR / "forms" / "verify.json").read_text())


# ---- upload → check → deploy ----------------------------------------------------------------------

def test_upload_check_deploy(db, client, auth, upload_dir):
    auth.login("perancang")
    response = upload(client, simple_files())
    assert response.status_code == 303
    token = token_of(response)
    folder = upload_dir / token
    assert (folder / "bpmn" / "simple.bpmn").is_file() and (folder / "bpmn" / "forms" / "simple.json").is_file()
    assert (upload_dir.stat().st_mode & 0o777) == 0o700
    page = text(client.get(f"/design/uploads/{token}"))
    assert 'data-result="errors"' not in page and 'data-testid="deploy"' in page  # warnings only: no English yet
    diagram = client.get(f"/design/uploads/{token}/diagrams/simple.bpmn")
    assert diagram.data == (SIMPLE_V1 / "simple.bpmn").read_bytes()
    assert diagram.headers["Content-Disposition"] == "attachment"  # never rendered in the browser
    assert client.get(f"/design/uploads/{token}/diagrams/other.bpmn").status_code == 404
    deployed = client.post(f"/design/uploads/{token}/deploy")
    assert deployed.status_code == 303 and deployed.headers["Location"].endswith("/design/")
    library = text(client.get("/design/"))
    assert "simple: new version 1" in library
    assert not folder.exists()
    with db.session() as s:
        pv = s.scalars(select(ProcessVersion).where(ProcessVersion.process_id == "simple")).one()
        assert pv.deployed_by == "perancang"
        assert pv.deployed_from == "upload: simple.bpmn, simple.json by perancang"
    assert client.get(f"/design/uploads/{token}").status_code == 404  # gone once deployed


def test_a_second_upload_of_the_same_files_is_unchanged(db, client, auth):
    auth.login("perancang")
    archive = zipped({f"bpmn/{p.name}": p.read_bytes() for p in BPMN_DIR.glob("*.bpmn")}
                     | {f"bpmn/{p.name}": p.read_bytes() for p in BPMN_DIR.glob("*.en.json")}
                     | {f"bpmn/forms/{p.name}": p.read_bytes() for p in (BPMN_DIR / "forms").glob("*.json")}
                     | {"__MACOSX/._complaint.bpmn": b"junk", "bpmn/README.md": b"notes"})
    response = upload(client, [("proses.zip", archive)])
    token = token_of(response)
    page = text(client.get(f"/design/uploads/{token}"))
    assert 'data-result="errors"' not in page
    assert "README.md" in re.search(r'data-testid="ignored">(.*?)</dd>', page).group(1)
    client.post(f"/design/uploads/{token}/deploy")
    library = text(client.get("/design/"))
    assert "complaint: unchanged (still version 1)" in library
    with db.session() as s:
        assert s.scalar(select(ProcessVersion.id).where(ProcessVersion.version == 2)) is None


def test_the_upload_form_answers_its_script_in_json(client, auth):
    auth.login("perancang")
    ok = upload(client, simple_files(), headers={"Accept": "application/json"})
    assert ok.status_code == 200 and ok.json["url"].startswith("/design/uploads/")
    refused = upload(client, [("notes.txt", b"hello")], headers={"Accept": "application/json"})
    assert refused.status_code == 422 and "notes.txt" in refused.json["errors"][0]


def test_a_broken_flow_is_listed_and_cannot_be_deployed(db, client, auth):
    auth.login("perancang")
    token = token_of(upload(client, [("broken_missing_flow_target.bpmn",
                                      (DATA / "broken_missing_flow_target.bpmn").read_bytes()), ("simple.json", FORM)]))
    page = text(client.get(f"/design/uploads/{token}"))
    assert 'data-result="errors"' in page and 'data-testid="deploy"' not in page
    row = re.search(r'<li class="list-group-item" data-testid="problem".*?</li>', page, re.S).group(0)
    assert 'data-element="flow_do_it_to_end"' in row and 'data-file="broken_missing_flow_target.bpmn"' in row
    assert ":30<" in row and "no_such_end_event" in row
    problems = json.loads(re.search(r"data-problems='([^']*)'", page).group(1))
    assert problems[0]["element_id"] == "flow_do_it_to_end" and problems[0]["line"] == 30
    refused = client.post(f"/design/uploads/{token}/deploy")
    assert refused.status_code == 303 and refused.headers["Location"].endswith(f"/design/uploads/{token}")
    assert "Nothing was deployed: the check now finds 1 error." in text(client.get(f"/design/uploads/{token}"))
    with db.session() as s:
        assert s.scalar(select(ProcessVersion.id).where(
            ProcessVersion.process_id == "broken_missing_flow_target")) is None


def test_a_broken_form_marks_its_task(client, auth):
    auth.login("perancang")
    token = token_of(upload(client, simple_files(form=b'{"type": "object", "properties": ')))
    page = text(client.get(f"/design/uploads/{token}"))
    assert re.search(r'data-testid="problem" data-severity="error" data-file="simple.bpmn" data-element="do_it"', page)
    assert "forms/simple.json" in page and "not valid JSON" in page


def test_check_again_and_discard(client, auth, upload_dir):
    auth.login("perancang")
    token = token_of(upload(client, simple_files()))
    assert client.post(f"/design/uploads/{token}/check").status_code == 303
    assert client.post(f"/design/uploads/{token}/discard").status_code == 303
    assert not (upload_dir / token).exists()
    gone = client.get(f"/design/uploads/{token}")
    assert gone.status_code == 404 and "Upload the files again" in text(gone)


def test_only_the_uploader_sees_an_upload(client, auth):
    auth.login("perancang")
    token = token_of(upload(client, simple_files()))
    auth.logout()
    auth.login("admin")
    assert client.get(f"/design/uploads/{token}").status_code == 404
    assert client.post(f"/design/uploads/{token}/deploy").status_code == 404
    assert client.get("/design/uploads/../../etc").status_code == 404
    assert client.get("/design/uploads/short").status_code == 404


def test_uploads_expire(client, auth, upload_dir, monkeypatch):
    auth.login("perancang")
    token = token_of(upload(client, simple_files()))
    later = time.time() + design_upload.TTL + 1
    monkeypatch.setattr(design_upload.time, "time", lambda: later)
    assert client.get(f"/design/uploads/{token}").status_code == 404
    assert not (upload_dir / token).exists()


def test_a_new_upload_sweeps_expired_ones(client, auth, upload_dir):
    auth.login("perancang")
    old = token_of(upload(client, simple_files()))
    meta = upload_dir / old / "upload.json"
    data = json.loads(meta.read_text())
    data["created_at"] -= design_upload.TTL + 10
    meta.write_text(json.dumps(data))
    upload(client, simple_files())
    assert not (upload_dir / old).exists()


PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 20
SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"></svg>'


@pytest.mark.parametrize("items, expected", [
    ([], "Choose at least one"),
    ([("notes.txt", b"hello")], "notes.txt is not a diagram"),
    ([("gambar.bpmn", PNG)], "gambar.bpmn is not a text file"),
    ([("plain.bpmn", b"just some words")], "plain.bpmn is not XML"),
    ([("picture.bpmn", SVG)], "its root element is <svg>"),
    ([("simple.json", FORM)], "holds no .bpmn diagram"),
    ([("evil.bpmn", b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "e">]><x>&e;</x>')], "evil.bpmn declares a DOCTYPE"),
    ([("proses.zip", b"PK\x03\x04 not really")], "proses.zip is not a .zip file"),
    ([("a b.bpmn", b"<x/>")], "a b.bpmn: a file name may hold only"),
    ([("simple.bpmn", b"<x/>"), ("simple.bpmn", b"<x/>")], "simple.bpmn is in the upload twice"),
])
def test_wrong_files_are_refused_with_a_clear_message(client, auth, upload_dir, items, expected):
    auth.login("perancang")
    response = upload(client, items) if items else client.post("/design/upload", data={},
                                                                 content_type="multipart/form-data")
    assert response.status_code == 422
    page = text(response)
    assert expected in re.search(r'data-testid="upload-errors".*?</div>', page, re.S).group(0)
    assert not upload_dir.exists() or not any(upload_dir.iterdir())


def test_too_large_files_are_refused(client, auth, monkeypatch):
    auth.login("perancang")
    monkeypatch.setattr(design_upload, "MAX_FILE", 1000)
    page = text(upload(client, simple_files()))
    assert "simple.bpmn is larger than" in page
    archive = zipped({"simple.bpmn": (SIMPLE_V1 / "simple.bpmn").read_bytes()})
    assert "simple.bpmn is larger than" in text(upload(client, [("p.zip", archive)]))


def test_malformed_xml_reaches_the_check_with_its_line(client, auth):
    auth.login("perancang")
    broken = (SIMPLE_V1 / "simple.bpmn").read_text().replace("</bpmn:process>", "</bpmn:proces>")
    token = token_of(upload(client, [("simple.bpmn", broken.encode()), ("simple.json", FORM)]))
    page = text(client.get(f"/design/uploads/{token}"))
    assert 'data-result="errors"' in page and "not well-formed XML" in page


# ---- lanes ----------------------------------------------------------------------------------------

def lane_id(db, lane: str) -> int | None:
    with db.session() as s:
        return s.scalar(select(LaneRole.id).where(LaneRole.lane == lane))


def test_lanes_are_listed_with_the_diagrams_that_use_them(client, auth):
    auth.login("perancang")
    page = text(client.get("/design/lanes"))
    assert 'data-lane="Penghubung Instansi" data-role="liaison"' in page
    assert "complaint" in re.search(r'data-lane="Penghubung Instansi".*?</tr>', page, re.S).group(0)


def test_add_change_and_remove_a_lane_reaches_the_running_router(db, client, auth, caplog):
    engine = app_engine(client)
    auth.login("perancang")
    caplog.set_level(logging.INFO, logger="tindak.admin")
    response = client.post("/design/lanes/new", data={"lane": "  Inspektorat  ", "role": "agency_head",
                                                      "agency_variable": "lead_agency"})
    assert response.status_code == 303
    assert engine.lane_router.mapping["Inspektorat"] == ("agency_head", "lead_agency")
    assert any("perancang added lane_role 'Inspektorat'" in r.getMessage() for r in caplog.records)
    # the simple diagram's lane is Verifikator: send its tasks to liaisons of the agency in lead_agency
    verifier = lane_id(db, "Verifikator")
    edited = client.post(f"/design/lanes/{verifier}", data={"lane": "Verifikator", "role": "liaison",
                                                             "agency_variable": "lead_agency"})
    assert edited.status_code == 303
    with db.transaction() as s:
        deploy(s, [SIMPLE_V1], deployed_by="t")
    with db.transaction() as s:
        instance_id = engine.start(s, "simple", {"lead_agency": "dinkes-kalbar"}, "t").id
    with db.session() as s:
        task = s.scalars(select(HumanTask).where(HumanTask.process_instance_id == instance_id)).one()
        assert (task.role, task.agency_code) == ("liaison", "dinkes-kalbar")
    assert any("changed lane_role 'Verifikator'" in r.getMessage() for r in caplog.records)
    removed = client.post(f"/design/lanes/{lane_id(db, 'Inspektorat')}/delete")
    assert removed.status_code == 303 and lane_id(db, "Inspektorat") is None
    assert "Inspektorat" not in engine.lane_router.mapping
    assert any("perancang removed lane_role 'Inspektorat'" in r.getMessage() for r in caplog.records)
    assert client.post("/design/lanes/99999/delete").status_code == 404
    assert client.get("/design/lanes/99999").status_code == 404


def test_other_processes_pick_up_a_lane_change_within_the_ttl(db, client, auth):
    from workflows.process import make_process_engine

    other = make_process_engine(db)  # another web or worker process, with its own copy
    auth.login("perancang")
    client.post(f"/design/lanes/{lane_id(db, 'Ombudsman')}", data={"lane": "Ombudsman", "role": "super_admin"})
    assert other.lane_router.mapping["Ombudsman"][0] == "ombudsman"
    other.lane_router._loaded_at -= other.lane_router.ttl + 1  # time passes
    assert other.lane_router("Ombudsman", {}, {}).role == "super_admin"


@pytest.mark.parametrize("form, field, message", [
    ({"lane": "", "role": "liaison"}, "lane", "This field is required."),
    ({"lane": "Verifikator", "role": "liaison"}, "lane", "This lane already has a row."),
    ({"lane": "Baru", "role": "designer"}, "role", "Choose one of the roles."),
    ({"lane": "Baru", "role": "liaison", "agency_variable": "lead agency"}, "agency_variable", "Use a variable name"),
])
def test_lane_mistakes_keep_what_was_typed(client, auth, form, field, message):
    auth.login("perancang")
    response = client.post("/design/lanes/new", data=form)
    assert response.status_code == 422
    page = text(response)
    assert message in re.search(rf'data-testid="error-{field}">(.*?)</div>', page).group(1)
    if form["lane"]:
        assert f'value="{form["lane"]}"' in page


def test_the_last_lane_cannot_be_removed(db, client, auth):
    auth.login("perancang")
    with db.session() as s:
        ids = list(s.scalars(select(LaneRole.id).order_by(LaneRole.id)))
    for lane in ids[:-1]:
        assert client.post(f"/design/lanes/{lane}/delete").status_code == 303
    response = client.post(f"/design/lanes/{ids[-1]}/delete")
    assert response.status_code == 303
    assert "The last lane cannot be removed" in text(client.get("/design/lanes"))
    with db.session() as s:
        assert list(s.scalars(select(LaneRole.id))) == [ids[-1]]


def test_unmapped_lanes_are_offered_for_adding(db, client, auth):
    auth.login("perancang")
    client.post(f"/design/lanes/{lane_id(db, 'Ombudsman')}/delete")
    page = text(client.get("/design/lanes"))
    unmapped = re.search(r'data-testid="unmapped".*?</div>', page, re.S).group(0)
    assert "Ombudsman" in unmapped and "/design/lanes/new?lane=Ombudsman" in unmapped
    form = text(client.get("/design/lanes/new?lane=Ombudsman"))
    assert 'value="Ombudsman"' in form


# ---- new SLA keys -------------------------------------------------------------------------------------

NEW_KEY = {"key": "field_inspection", "label": "Pemeriksaan lapangan", "duration": "7", "unit": "working_days",
           "yellow_share": "0,8"}


def test_a_designer_creates_a_new_sla_key(db, client, auth):
    engine = app_engine(client)
    auth.login("perancang")
    response = client.post("/design/deadlines", data=NEW_KEY)
    assert response.status_code == 303 and response.headers["Location"].endswith("/design/deadlines")
    with db.session() as s:
        policy = s.scalars(select(SlaPolicy).where(SlaPolicy.key == "field_inspection")).one()
        assert (policy.label, policy.duration, policy.unit, policy.yellow_share) == (
            "Pemeriksaan lapangan", 7, "working_days", 0.8)
        change = s.scalars(select(SlaChange).where(SlaChange.policy_key == "field_inspection")).one()
        assert change.changed_by == "perancang" and change.old is None and change.new["duration"] == 7
    assert engine.sla_book.rule("field_inspection").duration == 7  # the running engine knows it at once
    page = text(client.get("/design/deadlines"))
    assert 'data-key="field_inspection"' in page


@pytest.mark.parametrize("changes, field, message", [
    ({"key": "first_response"}, "key", "This key already exists."),
    ({"key": "Pemeriksaan Lapangan"}, "key", "Use 2 to 50 characters"),
    ({"key": "1st"}, "key", "Use 2 to 50 characters"),
    ({"label": "  "}, "label", "This field is required."),
    ({"duration": "tujuh"}, "duration", "Enter a whole number"),
    ({"duration": "0"}, "duration", "Enter a whole number"),
    ({"unit": "weeks"}, "unit", "Choose one of the units."),
    ({"yellow_share": "2"}, "yellow_share", "Enter a share between 0 and 1"),
])
def test_sla_key_mistakes_keep_what_was_typed(db, client, auth, changes, field, message):
    auth.login("perancang")
    typed = NEW_KEY | changes
    response = client.post("/design/deadlines", data=typed)
    assert response.status_code == 422
    page = text(response)
    assert message in re.search(rf'data-testid="error-{field}">(.*?)</div>', page).group(1)
    for name in ("key", "label", "duration", "yellow_share"):
        if typed[name].strip():
            assert f'value="{typed[name]}"' in page, name
    with db.session() as s:
        assert s.scalar(select(SlaPolicy.id).where(SlaPolicy.key == typed["key"], SlaPolicy.label == typed["label"],
                                                   SlaPolicy.duration == 7)) is None


def test_super_admins_reach_the_new_key_form_from_the_sla_page(client, auth):
    auth.login("admin")
    page = text(client.get("/admin/sla"))
    assert "/design/deadlines?next=sla_admin#new-key" in page
    form = text(client.get("/design/deadlines?next=sla_admin"))
    assert 'name="next" value="sla_admin"' in form
    response = client.post("/design/deadlines", data=NEW_KEY | {"next": "sla_admin"})
    assert response.headers["Location"].endswith("/admin/sla")


def test_keys_the_diagrams_call_without_a_policy_are_pointed_out(db, client, auth):
    with db.transaction() as s:
        s.delete(s.scalars(select(SlaPolicy).where(SlaPolicy.key == "reporter_reply")).one())
    auth.login("perancang")
    page = text(client.get("/design/deadlines"))
    missing = re.search(r'data-testid="missing-keys".*?</div>', page, re.S).group(0)
    assert "reporter_reply" in missing and "complaint" in missing


def test_a_deployment_that_loses_a_race_says_so(client, auth, upload_dir, monkeypatch):
    from sqlalchemy.exc import IntegrityError

    from workflows import design

    auth.login("perancang")
    token = token_of(upload(client, simple_files()))

    def lost(*_args, **_kwargs):  # the other deployment committed version 1 first
        raise IntegrityError("INSERT INTO process_version", {}, Exception("unique"))

    monkeypatch.setattr(design, "deploy_files", lost)
    response = client.post(f"/design/uploads/{token}/deploy")
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/design/uploads/{token}")
    assert "Someone else deployed the same process at the same moment" in text(client.get(f"/design/uploads/{token}"))
    assert (upload_dir / token).exists()  # kept: check again, then deploy


def test_the_upload_folder_comes_from_the_environment(app, client, auth, tmp_path):
    from webapp.config import Settings

    assert Settings.from_env({"TINDAK_DESIGN_UPLOAD_DIR": "/srv/uploads"}).design_upload_dir == Path("/srv/uploads")
    assert Settings.from_env({}).design_upload_dir is None
    app.config.pop("TINDAK_DESIGN_UPLOAD_DIR")
    app.extensions["tindak.settings"].design_upload_dir = tmp_path / "from-env"
    auth.login("perancang")
    token = token_of(upload(client, simple_files()))
    assert (tmp_path / "from-env" / token / "bpmn" / "simple.bpmn").is_file()
