"""Notices' texts: Jinja templates in workflows/mail/, translated through the web app's catalog."""
from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_file
from babel.support import Translations

import webapp
from workflows import notifications, outbox
from workflows.notifications import Notifier, render

CATALOGS = Path(webapp.__file__).parent / "translations"
KINDS = ("received", "status", "escalation", "reminder", "assigned")
VALUES = {"title": "Lampu jalan mati", "tracking_id": "TDK-7K3Q-9MXA", "link": outbox.SECRET_LINK,
          "status": "Diproses", "tracking_url": "https://tindak.example/lacak", "task": "Tindak lanjuti laporan",
          "timer": "Tenggat verifikasi"}


def msgids(kind: str) -> list[str]:
    """The msgids babel extracts from a notice's template, in order: subject, then body."""
    path = notifications.MAIL / f"{kind}.txt"
    return [message for _line, message, _comments, _context in extract_from_file("jinja2", str(path))]


@pytest.mark.parametrize("kind", KINDS)
def test_english_and_indonesian_notices_come_from_the_same_template(kind):
    subject_id, body_id = msgids(kind)
    indonesian = Translations.load(str(CATALOGS), ["id"], "messages")
    assert render(kind, "en", CATALOGS, **VALUES) == (subject_id % VALUES, body_id % VALUES)
    assert render(kind, "id", CATALOGS, **VALUES) == (indonesian.gettext(subject_id) % VALUES,
                                                      indonesian.gettext(body_id) % VALUES)
    assert indonesian.gettext(subject_id) != subject_id and indonesian.gettext(body_id) != body_id


def test_the_reporters_first_notice_in_both_languages():
    en_subject, en_body = render("received", "en", CATALOGS, **VALUES)
    id_subject, id_body = render("received", "id", CATALOGS, **VALUES)
    assert en_subject == "Your report was received: TDK-7K3Q-9MXA"
    assert id_subject == "Laporan Anda diterima: TDK-7K3Q-9MXA"
    assert en_body.startswith('Thank you, we received your report "Lampu jalan mati".\n\n')
    assert id_body.startswith('Terima kasih, laporan Anda "Lampu jalan mati" sudah kami terima.\n\n')
    for body in (en_body, id_body):
        assert body.count(outbox.SECRET_LINK) == 1 and body.endswith("\n")


def test_unknown_locales_and_officers_get_indonesian():
    assert render("assigned", None, CATALOGS, **VALUES) == render("assigned", "id", CATALOGS, **VALUES)
    assert render("assigned", "fr", CATALOGS, **VALUES)[0].startswith("Tugas baru untuk Anda")


def test_values_are_not_escaped_or_read_as_markup():
    values = dict(VALUES, title='<b>"100%" & {{ x }}</b>')
    _subject, body = render("received", "id", CATALOGS, **values)
    assert '"<b>"100%" & {{ x }}</b>"' in body


def test_the_notifier_finds_the_installed_catalogs_by_default():
    assert Notifier("https://tindak.example").catalogs == CATALOGS
    assert Notifier("https://tindak.example", CATALOGS).catalogs == CATALOGS
