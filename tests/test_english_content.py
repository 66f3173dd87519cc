"""English for what the diagrams show: catalogs and form overlays beside the files, the check that
names missing and unknown keys, and the pages an English visitor reads with no Indonesian left."""
from __future__ import annotations

import html as html_lib
import json
import re
import shutil
from pathlib import Path

import pytest
from lxml import etree
from sqlalchemy import select

from engine.deploy import deploy, latest_version
from engine.models import ProcessVersion
from engine.translations import check_overlay, diagram_texts, form_texts, localize_form, localized_forms, overlay_name
from tests.casework import Case
from webapp import form_render
from workflows.design import check_files
from workflows.models import Category

ROOT = Path(__file__).resolve().parent.parent
BPMN_DIR = ROOT / "bpmn"
FORMS = sorted(p.name for p in (BPMN_DIR / "forms").glob("*.json") if p.name.count(".") == 1)
DIAGRAMS = sorted(BPMN_DIR.glob("*.bpmn"))
DISPOSE = {"decision": "disposisi", "lead_agency": "dinkes-kalbar"}


def read(path: Path):
    return json.loads(path.read_text(encoding="utf-8"))


def form_files(name: str) -> tuple[dict, dict, dict]:
    """A shipped form's schema, UI schema and English overlay."""
    folder = BPMN_DIR / "forms"
    ui = folder / name.replace(".json", ".ui.json")
    return read(folder / name), read(ui) if ui.exists() else {}, read(folder / overlay_name(name, "en"))


def indonesian_of(name: str) -> set[str]:
    schema, ui, _overlay = form_files(name)
    return set(form_texts(schema, ui).values())


def page(response) -> str:
    return html_lib.unescape(response.get_data(as_text=True))


# -- the shipped files are complete ----------------------------------------------------------

@pytest.mark.parametrize("name", FORMS)
def test_every_shipped_form_has_an_english_overlay_with_every_key_and_no_other(name):
    schema, ui, overlay = form_files(name)
    assert check_overlay(overlay_name(name, "en"), overlay, form_texts(schema, ui), True, "en") == []


@pytest.mark.parametrize("diagram", DIAGRAMS, ids=lambda p: p.name)
def test_every_shipped_diagram_has_a_complete_english_catalog(diagram):
    texts = diagram_texts(etree.parse(str(diagram)).getroot())
    catalog = read(diagram.with_name(f"{diagram.stem}.en.json"))
    assert set(catalog) == set(texts)
    for element_id, kinds in texts.items():
        assert set(catalog[element_id]) == set(kinds), element_id
        for kind, original in kinds.items():
            assert catalog[element_id][kind].strip() and catalog[element_id][kind] != original, (element_id, kind)


@pytest.mark.parametrize("name", FORMS)
def test_every_shipped_form_renders_in_english_with_no_indonesian_left(name):
    """What the renderer gives the template: every label, help text and choice from the overlay."""
    schema, ui, overlay = form_files(name)
    english_schema, english_ui = localize_form(schema, ui, overlay)
    fields = form_render.build_fields(english_schema, english_ui)
    shown = [english_schema.get("title"), english_schema.get("description")]
    for f in fields:
        shown += [f.label, f.help, f.attrs.get("placeholder")] + [o.label for o in f.options]
    rows = (english_schema["properties"].get(f.name, {}).get("items") or {}).get("properties") or {}
    shown += [p.get("title") for f in fields for p in rows.values()]
    shown = [s for s in shown if s]
    assert shown, name
    left = indonesian_of(name) & set(shown)
    assert left == set(), f"{name}: still Indonesian: {left}"
    assert set(shown) <= set(overlay.values()), f"{name}: not from the overlay: {set(shown) - set(overlay.values())}"
    # names, values and rules stay the deployed ones: the same answers validate and are stored
    assert [f.name for f in fields] == [f.name for f in form_render.build_fields(schema, ui)]
    assert [[o.value for o in f.options] for f in fields] == \
        [[o.value for o in f.options] for f in form_render.build_fields(schema, ui)]
    assert english_schema.get("required") == schema.get("required")
    assert english_schema.get("allOf") == schema.get("allOf")


def test_localizing_leaves_the_original_untouched_and_falls_back_where_a_key_is_missing():
    schema, ui, overlay = form_files("verify.json")
    before = json.dumps(schema, sort_keys=True)
    partial = {k: v for k, v in overlay.items() if k != "decision.choices.tunda"}
    english, _ui = localize_form(schema, ui, partial)
    assert json.dumps(schema, sort_keys=True) == before
    titles = {c["const"]: c["title"] for c in english["properties"]["decision"]["oneOf"]}
    assert titles == {"disposisi": "Forward to an agency", "tunda": "Minta data tambahan ke pelapor (Tunda)",
                      "arsipkan": "Archive"}


def test_a_ui_schema_takes_its_texts_from_the_overlay_of_its_form():
    forms = {"redispose.json": read(BPMN_DIR / "forms" / "redispose.json"),
             "redispose.ui.json": read(BPMN_DIR / "forms" / "redispose.ui.json")}
    translations = {"en": {"forms": {"redispose.json": read(BPMN_DIR / "forms" / "redispose.en.json")}}}
    english = localized_forms(forms, translations, "en")
    assert english["redispose.ui.json"]["lead_agency"]["ui:help"].startswith("Filled in with the agency")
    assert english["redispose.ui.json"]["lead_agency"]["ui:defaultFromData"] == "suggested_agency"
    assert forms["redispose.ui.json"]["lead_agency"]["ui:help"].startswith("Diisi")


# -- the check -----------------------------------------------------------------------------------

@pytest.fixture
def folder(tmp_path) -> Path:
    target = tmp_path / "bpmn"
    shutil.copytree(BPMN_DIR, target)
    return target


def edit_json(path: Path, change) -> None:
    content = read(path)
    change(content)
    path.write_text(json.dumps(content, ensure_ascii=False, indent=2), encoding="utf-8")


def translation_problems(report, severity: str) -> list[str]:
    return [str(p) for p in report.problems if p.severity == severity and ".en.json" in p.file]


def test_the_shipped_files_check_without_a_translation_problem(db, process_engine):
    report = check_files(db, process_engine, [BPMN_DIR], dry_run=False)
    assert translation_problems(report, "error") == [] and translation_problems(report, "warning") == []


def test_missing_english_is_a_warning_that_names_the_field_or_element(db, process_engine, folder):
    edit_json(folder / "forms" / "verify.en.json", lambda c: c.pop("decision.choices.tunda"))
    edit_json(folder / "forms" / "follow_up.en.json", lambda c: c.pop("reason.description"))
    edit_json(folder / "complaint.en.json", lambda c: c["follow_up"].pop("instructions"))
    edit_json(folder / "coordination.en.json", lambda c: c.pop("coordination_reply_deadline"))
    report = check_files(db, process_engine, [folder], dry_run=False)
    assert report.ok  # a missing translation shows the Indonesian text; it stops nothing
    warnings = translation_problems(report, "warning")
    assert len(warnings) == 4, warnings
    assert any("forms/verify.en.json" in w and "field 'decision'" in w and "'decision.choices.tunda'" in w
               and "Minta data tambahan" in w for w in warnings)
    assert any("forms/follow_up.en.json" in w and "'reason.description'" in w for w in warnings)
    assert any("complaint.en.json" in w and "[follow_up]" in w and "instructions" in w for w in warnings)
    assert any("coordination.en.json" in w and "[coordination_reply_deadline]" in w for w in warnings)


def test_a_diagram_without_a_catalog_warns_for_every_text_people_read(db, process_engine, folder):
    (folder / "coordination.en.json").unlink()
    report = check_files(db, process_engine, [folder], dry_run=False)
    warned = {p.element_id for p in report.warnings if p.file == "coordination.en.json"}
    assert warned == set(diagram_texts(etree.parse(str(folder / "coordination.bpmn")).getroot()))


def test_unknown_keys_are_errors_and_stop_the_deployment(db, process_engine, folder):
    edit_json(folder / "forms" / "verify.en.json", lambda c: c.update({"decison.title": "Decision"}))
    edit_json(folder / "forms" / "review_answer.en.json", lambda c: c.update({"rating.choices.6": "6 - Great"}))
    edit_json(folder / "complaint.en.json", lambda c: c.update({"verify_complain": {"name": "Verify"}}))
    edit_json(folder / "complaint.en.json", lambda c: c["start_complaint"].update({"instructions": "Hi"}))
    report = check_files(db, process_engine, [folder], dry_run=False)
    assert not report.ok
    errors = translation_problems(report, "error")
    assert len(errors) == 4, errors
    assert any("forms/verify.en.json" in e and "'decison.title'" in e and "did you mean 'decision.title'" in e
               for e in errors)
    assert any("forms/review_answer.en.json" in e and "'rating.choices.6'" in e for e in errors)
    assert any("complaint.en.json" in e and "[verify_complain]" in e for e in errors)
    assert any("complaint.en.json" in e and "[start_complaint]" in e and "no instructions" in e for e in errors)


def test_a_translation_file_that_is_not_json_is_an_error(db, process_engine, folder):
    (folder / "forms" / "escalation.en.json").write_text("{\"title\": ", encoding="utf-8")
    report = check_files(db, process_engine, [folder], dry_run=False)
    assert any(p.file == "forms/escalation.en.json" and "not valid JSON" in p.message for p in report.errors)


def test_deploy_stores_the_translations_and_a_changed_translation_is_a_new_version(db, folder):
    with db.transaction() as s:
        first = {r.process_id: r for r in deploy(s, [folder], deployed_by="tests")}
    assert not first["complaint"].created  # the shipped files are deployed already, translations included
    assert "complaint.en.json" in first["complaint"].files and "forms/verify.en.json" in first["complaint"].files
    with db.session() as s:
        stored = latest_version(s, "complaint").translations
    assert stored["en"]["diagrams"]["complaint.bpmn"]["verify_complaint"]["name"] == "Verify the complaint"
    assert stored["en"]["diagrams"]["coordination.bpmn"]["coordination_reply"]["name"]
    assert stored["en"]["forms"]["verify.json"]["decision.title"] == "Decision"

    edit_json(folder / "forms" / "verify.en.json", lambda c: c.update({"decision.title": "Your decision"}))
    with db.transaction() as s:
        second = {r.process_id: r for r in deploy(s, [folder], deployed_by="tests")}
    assert second["complaint"].created and second["complaint"].version == first["complaint"].version + 1
    assert not second["coordination"].created  # its files did not change
    with db.session() as s:
        assert latest_version(s, "complaint").translations["en"]["forms"]["verify.json"]["decision.title"] == \
            "Your decision"


# -- what an English visitor sees ------------------------------------------------------------------

@pytest.fixture
def english(client):
    client.post("/language/en")


def ready_task(case: Case, element_id: str):
    [task] = [t for t in case.ready() if t.element_id == element_id]
    return task


def assert_form_in_english(html: str, form: str, unshown: tuple[str, ...] = ()) -> None:
    """No Indonesian text of the form on the page, and every English one (bar `unshown` keys)."""
    left = sorted(t for t in indonesian_of(form) if t in html)
    assert left == [], f"{form}: Indonesian left on the page: {left}"
    _schema, _ui, overlay = form_files(form)
    # a field's help text (ui:help) is shown instead of its description
    hidden = {k.replace(".help", ".description") for k in overlay if k.endswith(".help")} | set(unshown)
    missing = sorted(t for k, t in overlay.items() if t not in html and k not in hidden)
    shown_title_elsewhere = {overlay.get("title")}  # the heading is left out when it repeats the task name
    assert set(missing) <= shown_title_elsewhere, f"{form}: English missing from the page: {missing}"


@pytest.mark.parametrize("form, element, user, steps", [
    ("verify.json", "verify_complaint", "verifikator", []),
    ("follow_up.json", "follow_up", "dinkes.penghubung", [("verify_complaint", DISPOSE, "verifikator")]),
    ("redispose.json", "redispose_complaint", "verifikator", [
        ("verify_complaint", DISPOSE, "verifikator"),
        ("follow_up", {"decision": "bukan_wewenang", "reason": "Urusan jalan kota."}, "dinkes.penghubung")]),
])
def test_task_pages_are_in_english(client, auth, db, process_engine, english, form, element, user, steps):
    case = Case(db, process_engine)
    for step in steps:
        case.do(*step)
    task = ready_task(case, element)
    auth.login(user)
    html = page(client.get(f"/tasks/{task.id}"))
    catalog = read(BPMN_DIR / "complaint.en.json")[element]
    assert f'<h1 class="h3 mb-0">{catalog["name"]}</h1>' in html
    assert task.name not in html
    assert_form_in_english(html, form)
    # the instructions: English, with none of the Indonesian paragraphs
    instructions = etree.parse(str(BPMN_DIR / "complaint.bpmn")).getroot()
    original = diagram_texts(instructions)[element]["instructions"]
    for paragraph in original.split("\n\n")[1:]:
        assert paragraph.strip()[:40] not in html
    english_paragraph = catalog["instructions"].split("\n\n")[1]
    assert re.sub(r"[*_]", "", english_paragraph)[:40] in re.sub(r"<[^>]+>", "", html)


def test_the_task_list_names_tasks_and_categories_in_english(client, auth, db, process_engine, english):
    Case(db, process_engine)
    auth.login("verifikator")
    html = page(client.get("/tasks/"))
    assert "Verify the complaint" in html and "Verifikasi laporan" not in html
    assert ">Infrastructure<" in html and ">Infrastruktur<" not in html  # the category filter
    auth.logout()
    client.post("/language/id")
    auth.login("verifikator")
    assert "Verifikasi laporan" in page(client.get("/tasks/"))  # Indonesian stays the default


def test_the_case_page_timeline_is_in_english(client, auth, db, process_engine, english):
    case = Case(db, process_engine).do("verify_complaint", DISPOSE, "verifikator")
    auth.login("verifikator")
    html = page(client.get(f"/cases/{case.complaint_id}"))
    timeline = html[html.index('data-testid="timeline"'):] if 'data-testid="timeline"' in html else html
    assert "Verify the complaint" in timeline and "Verifikasi laporan" not in timeline
    assert "Forward to an agency" in timeline and "Disposisikan ke instansi" not in timeline
    assert "Decision" in timeline and "Keputusan" not in timeline
    assert "Follow up the complaint" in html and "Tindak lanjuti laporan" not in html  # open tasks
    assert "Infrastructure" in html


def test_the_tracking_page_and_the_reporters_forms_are_in_english(client, db, process_engine, english):
    case = Case(db, process_engine).do(
        "verify_complaint", {"decision": "tunda", "details_question": "Di mana tepatnya?"}, "verifikator")
    link = f"/lacak/{case.complaint.tracking_id}?kode={case.secret}"
    html = page(client.get(link, follow_redirects=True))
    assert "Your answer is needed: Add details to the complaint" in html
    assert_form_in_english(html, "provide_details.json", unshown=("title", "description"))  # not on this page
    assert "Infrastructure" in html and "Infrastruktur" not in html

    case.do("provide_details", {"details": "Depan kantor camat."}, "pelapor")
    case.do("verify_complaint", DISPOSE, "verifikator")
    case.do("follow_up", {"decision": "jawab", "answer": "Lampu sudah diganti."}, "dinkes.penghubung")
    html = page(client.get(link, follow_redirects=True))
    assert "Your answer is needed: Respond to the agency's answer" in html
    assert_form_in_english(html, "review_answer.json", unshown=("title", "description"))
    assert "Further details" in html and "Keterangan tambahan" not in html  # the reporter's earlier answer
    assert "Lampu sudah diganti." in html  # answers themselves are never translated


def test_categories_are_named_in_english_on_the_public_form_and_listing(client, db, english):
    form = page(client.get("/lapor"))
    assert "Civil registration (ID cards, family cards, certificates)" in form
    assert "Administrasi Kependudukan" not in form
    listing = page(client.get("/laporan"))
    assert ">Health<" in listing and ">Kesehatan<" not in listing


def test_a_category_without_an_english_name_shows_its_indonesian_name(client, db, english):
    with db.transaction() as s:
        s.add(Category(code="sosial", name="Sosial dan Bansos", description=""))
    assert "Sosial dan Bansos" in page(client.get("/lapor"))


def test_the_admin_sets_a_categorys_english_name(client, auth, db):
    auth.login("admin")
    response = client.post("/admin/categories/kesehatan",
                           data={"name": "Kesehatan", "name_en": "Public health", "description": ""})
    assert response.status_code == 302
    with db.session() as s:
        assert s.scalars(select(Category.name_en).where(Category.code == "kesehatan")).one() == "Public health"
    client.post("/language/en")
    assert ">Public health<" in page(client.get("/laporan"))


def test_versions_deployed_without_translations_show_the_indonesian_texts(client, auth, db, process_engine, english):
    case = Case(db, process_engine)
    with db.transaction() as s:
        for version in s.scalars(select(ProcessVersion)):
            version.translations = None
    auth.login("verifikator")
    html = page(client.get(f"/tasks/{ready_task(case, 'verify_complaint').id}"))
    assert "Verifikasi laporan" in html and "Disposisikan ke instansi" in html


def test_an_older_installation_gets_english_names_for_the_starting_categories_it_has_not_renamed(db):
    from workflows import reference_data

    with db.transaction() as s:
        for category in s.scalars(select(Category)):
            category.name_en = ""
        s.scalars(select(Category).where(Category.code == "lingkungan")).one().name = "Lingkungan"
    with db.transaction() as s:
        reference_data.seed_categories(s)
    with db.session() as s:
        names = dict(s.execute(select(Category.code, Category.name_en)).all())
    assert names["kesehatan"] == "Health" and names["lingkungan"] == ""  # a renamed one is the admin's


def test_cases_on_a_version_deployed_before_translations_borrow_the_english_of_identical_texts(
        client, auth, db, process_engine, english, folder):
    case = Case(db, process_engine)
    with db.transaction() as s:  # the version this case runs on was deployed before translations existed
        for version in s.scalars(select(ProcessVersion)):
            version.translations = None
    edit_json(folder / "forms" / "escalation.en.json", lambda c: c.update({"note.title": "Internal note"}))
    with db.transaction() as s:  # a newer version: the same diagrams and forms, with translations
        assert {r.process_id: r.created for r in deploy(s, [folder], deployed_by="tests")}["complaint"]
    auth.login("verifikator")
    html = page(client.get(f"/tasks/{ready_task(case, 'verify_complaint').id}"))
    assert "<h1 class=\"h3 mb-0\">Verify the complaint</h1>" in html
    assert_form_in_english(html, "verify.json")


def test_borrowed_translations_skip_texts_that_changed():
    from engine.translations import borrowed_translations

    old_source = (BPMN_DIR / "complaint.bpmn").read_text(encoding="utf-8")
    new_source = old_source.replace('name="Verifikasi laporan"', 'name="Periksa laporan"')
    verify = read(BPMN_DIR / "forms" / "verify.json")
    changed = json.loads(json.dumps(verify))
    changed["properties"]["decision"]["title"] = "Putusan"
    translations = {"en": {"diagrams": {"complaint.bpmn": read(BPMN_DIR / "complaint.en.json")},
                           "forms": {"verify.json": {"decision.title": "Decision"},
                                     "follow_up.json": {"decision.title": "Decision"}}}}
    follow_up = read(BPMN_DIR / "forms" / "follow_up.json")
    kept = borrowed_translations({"complaint.bpmn": old_source}, {"verify.json": verify, "follow_up.json": follow_up},
                                 {"complaint.bpmn": new_source}, {"verify.json": changed, "follow_up.json": follow_up},
                                 translations)["en"]
    assert "verify_complaint" not in kept["diagrams"]["complaint.bpmn"]
    assert kept["diagrams"]["complaint.bpmn"]["follow_up"]["name"] == "Follow up the complaint"
    assert set(kept["forms"]) == {"follow_up.json"}
