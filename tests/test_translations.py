"""Indonesian is the default language: every message must be translated, placeholders intact."""
from __future__ import annotations

import re
from pathlib import Path

from babel.messages.pofile import read_po

CATALOGS = Path(__file__).resolve().parent.parent / "webapp" / "translations"
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|\{\w*\}")


def catalog(lang: str):
    with open(CATALOGS / lang / "LC_MESSAGES" / "messages.po", "rb") as f:
        return read_po(f, locale=lang)


def template_ids() -> set:
    with open(CATALOGS / "messages.pot", "rb") as f:
        return {m.id for m in read_po(f) if m.id}


def test_catalogs_cover_every_extracted_message():
    wanted = template_ids()
    for lang in ("id", "en"):
        assert wanted <= {m.id for m in catalog(lang) if m.id}, f"{lang}: run scripts/update-translations.sh"


def test_indonesian_is_complete_and_keeps_placeholders():
    missing, broken = [], []
    for message in catalog("id"):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(strings) or message.fuzzy:
            missing.append(ids[0])
            continue
        if sorted(PLACEHOLDER.findall(ids[0])) != sorted(PLACEHOLDER.findall(strings[0])):
            broken.append(ids[0])
    assert missing == [], f"{len(missing)} untranslated, e.g. {missing[:5]}"
    assert broken == [], f"placeholders differ in {broken[:5]}"


def test_every_source_string_is_extracted():
    """A string wrapped in _() after the last extraction is not in the catalogs yet."""
    source = Path(__file__).resolve().parent.parent / "webapp"
    found = set()
    pattern = re.compile(r"""\b_l?\(\s*(['"])((?:\\.|(?!\1).)+)\1\s*[,)]""")
    for path in list(source.rglob("*.py")) + list(source.rglob("*.html")):
        for _, text in pattern.findall(path.read_text(encoding="utf-8")):
            found.add(text.replace("\\'", "'").replace('\\"', '"'))
    assert found - template_ids() == set(), "run scripts/update-translations.sh"
