"""Status labels live in one place, workflows.statuses, with one label per code and language."""
import pytest

from webapp import labels
from webapp.app import create_app
from workflows import statuses

CODES = ("belum_terverifikasi", "tertunda", "terdisposisi", "proses", "selesai", "diarsipkan",
         "dialihkan_ombudsman")


def test_every_status_code_has_one_label_per_language():
    assert tuple(statuses.LABELS_ID) == CODES and tuple(statuses.LABELS_EN) == CODES
    for table in (statuses.LABELS_ID, statuses.LABELS_EN):
        assert all(table[code].strip() for code in CODES)
        assert len(set(table.values())) == len(CODES)  # no two statuses read alike
    assert statuses.FINAL <= set(CODES)


def test_label_falls_back_to_the_code_and_to_indonesian():
    assert statuses.label("tertunda") == statuses.LABELS_ID["tertunda"]
    assert statuses.label("tertunda", "en") == statuses.LABELS_EN["tertunda"]
    assert statuses.label("tertunda", "en_US") == statuses.LABELS_EN["tertunda"]
    assert statuses.label("tertunda", None) == statuses.LABELS_ID["tertunda"]
    assert statuses.label("invented_by_a_diagram") == "invented_by_a_diagram" and statuses.label(None) == ""


@pytest.mark.parametrize("lang, table", [("id", statuses.LABELS_ID), ("en", statuses.LABELS_EN)])
def test_the_web_app_shows_the_same_labels(lang, table, tmp_path, monkeypatch):
    monkeypatch.setenv("TINDAK_DATABASE_URL", f"sqlite:///{tmp_path}/t.db")
    app = create_app(testing=True)
    with app.test_request_context("/"):
        from flask import session
        session["lang"] = lang
        assert dict(labels.STATUS) == table
        assert [labels.status_label(code) for code in CODES] == [table[code] for code in CODES]
