"""Diagrams uploaded through the designer's pages, kept in a private temporary folder until deployed.

An upload (one or more .bpmn/.dmn files and form .json files, or a .zip of them) is laid out
like the repository's `bpmn/` folder: diagrams at the top, forms in `forms/`. The folder is
named by a random token; the check page, the diagram viewer and the deploy button find it by
that token, and only the designer who uploaded it may use it. It is removed when deployed,
when the designer discards it, or, at the latest, `TTL` seconds after the upload (every new
upload sweeps the expired ones). Several web processes on one machine share the folder; web
processes on different machines do not, and an upload checked on one then reads as expired on
another (the designer uploads again).
"""
from __future__ import annotations

import io
import json
import os
import re
import secrets
import shutil
import tempfile
import time
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from lxml import etree

from engine.errors import NotFound

TTL = 3600  # seconds an upload is kept
MAX_FILE = 2 * 1024 * 1024  # one diagram or form (complaint.bpmn is under 100 KB)
MAX_TOTAL = 10 * 1024 * 1024  # everything in one upload, unpacked
MAX_FILES = 200  # files in one upload, unpacked
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,150}")
TOKEN = re.compile(r"[A-Za-z0-9_-]{20,64}")
DIAGRAM_ROOTS = {
    ".bpmn": {"{http://www.omg.org/spec/BPMN/20100524/MODEL}definitions"},
    ".dmn": {"{https://www.omg.org/spec/DMN/20191111/MODEL/}definitions",
             "{http://www.omg.org/spec/DMN/20180521/MODEL/}definitions",
             "{http://www.omg.org/spec/DMN/20151101/dmn.xsd}definitions"},
}
FORMS = "forms"
BESIDE = "?"  # a .json not inside forms/: a diagram's translations if named so, else a form
CATALOG = re.compile(r"^(?P<diagram>.+)\.[a-z]{2}\.json$")
DOCTYPE = re.compile(r"<!DOCTYPE", re.IGNORECASE)


class UploadRefused(ValueError):
    """Files that cannot be checked at all: `problems` is a list of (code, file name, details).

    Codes: no_files, too_many, bad_name, bad_type, too_large, total_too_large, bad_zip,
    duplicate, not_text, not_xml, not_bpmn, doctype, no_diagram.
    """

    def __init__(self, problems: list[tuple[str, str, dict]]):
        self.problems = problems
        super().__init__("; ".join(f"{name or '-'}: {code}" for code, name, _ in problems))


class UploadNotFound(NotFound):
    """No such upload, it expired, or it belongs to someone else."""


@dataclass
class Staged:
    token: str
    root: Path  # the upload's own folder; `folder` below it is what gets checked and deployed
    owner: str
    created_at: float
    uploaded: list[str]  # the names of the files as uploaded (a .zip counts as one)
    diagrams: list[str] = field(default_factory=list)
    forms: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)  # entries of a .zip that are neither

    @property
    def folder(self) -> Path:
        return self.root / "bpmn"

    @property
    def expires_at(self) -> float:
        return self.created_at + TTL

    def diagram_path(self, name: str) -> Path:
        if name not in self.diagrams:
            raise UploadNotFound(name)
        return self.folder / name


def default_dir() -> Path:
    """A folder of this system user's own under the system's temporary folder."""
    return Path(tempfile.gettempdir()) / f"tindak-design-uploads-{os.getuid()}"


def _base(base: Path) -> Path:
    base.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = base.lstat()
    if base.is_symlink() or info.st_uid != os.getuid():
        raise RuntimeError(f"{base} is not a private folder of this user; set another upload folder")
    if info.st_mode & 0o077:
        os.chmod(base, 0o700)
    return base


# ---- reading what was uploaded ---------------------------------------------------------------

def _clean_name(raw: str) -> str:
    return (raw or "").replace("\\", "/").rsplit("/", 1)[-1].strip()


def _suffix(name: str) -> str:
    return Path(name).suffix.lower()


def _read_limited(stream, limit: int) -> bytes | None:
    """At most `limit` bytes; None when there are more (too large)."""
    data = stream.read(limit + 1)
    return None if len(data) > limit else data


def _place_catalogs(staged: list[tuple[str, str, bytes]]) -> list[tuple[str, str, bytes]]:
    """A .json named like an uploaded diagram's translations (complaint.en.json beside
    complaint.bpmn) stays beside the diagrams; any other loose .json is a form."""
    diagrams = {PurePosixPath(name).stem for place, name, _ in staged if place == ""}
    placed = []
    for place, name, content in staged:
        if place == BESIDE:
            match = CATALOG.match(name)
            place = "" if match and match.group("diagram") in diagrams else FORMS
        placed.append((place, name, content))
    return placed


def _unpack(zip_name: str, data: bytes, problems: list, ignored: list) -> list[tuple[str, str, bytes]]:
    """(place, name, content) of the diagrams (place "") and forms (place "forms") in a .zip."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = [m for m in archive.infolist() if not m.is_dir()]
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError):
        problems.append(("bad_zip", zip_name, {}))
        return []
    paths = []
    for member in members:
        segments = PurePosixPath(member.filename.replace("\\", "/")).parts
        if not segments or segments[0] == "__MACOSX" or any(p.startswith(".") for p in segments):
            continue  # what archivers add (resource forks, .DS_Store)
        paths.append((member, list(segments)))
    if len(paths) > MAX_FILES:
        problems.append(("too_many", zip_name, {"max": MAX_FILES}))
        return []
    # a zip of a folder holds the folder itself: look inside it
    while paths and all(len(parts) > 1 for _, parts in paths) and len({parts[0] for _, parts in paths}) == 1:
        paths = [(m, parts[1:]) for m, parts in paths]
    found, total = [], 0
    for member, parts in paths:
        name, suffix = parts[-1], _suffix(parts[-1])
        if len(parts) == 1 and suffix in DIAGRAM_ROOTS:
            place = ""
        elif suffix == ".json" and len(parts) == 2 and parts[0] == FORMS:
            place = FORMS
        elif suffix == ".json" and len(parts) == 1:
            place = BESIDE
        else:
            ignored.append("/".join(parts))
            continue
        if not NAME.fullmatch(name):
            problems.append(("bad_name", "/".join(parts), {}))
            continue
        if member.flag_bits & 0x1:
            problems.append(("bad_zip", zip_name, {}))
            return []
        if member.file_size > MAX_FILE:
            problems.append(("too_large", name, {"max": MAX_FILE}))
            continue
        try:
            with archive.open(member) as stream:
                content = _read_limited(stream, MAX_FILE)  # the header's size may lie
        except (zipfile.BadZipFile, OSError, NotImplementedError, RuntimeError):
            problems.append(("bad_zip", zip_name, {}))
            return []
        if content is None:
            problems.append(("too_large", name, {"max": MAX_FILE}))
            continue
        total += len(content)
        if total > MAX_TOTAL:
            problems.append(("total_too_large", zip_name, {"max": MAX_TOTAL}))
            return []
        found.append((place, name, content))
    return found


def _text(name: str, content: bytes, problems: list) -> str | None:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        problems.append(("not_text", name, {}))
        return None
    if "\x00" in text:
        problems.append(("not_text", name, {}))
        return None
    return text


def _check_diagram(name: str, content: bytes, problems: list) -> None:
    text = _text(name, content, problems)
    if text is None:
        return
    if not text.lstrip().startswith("<"):
        problems.append(("not_xml", name, {}))
        return
    if DOCTYPE.search(text):  # entities could read files or blow up; no BPMN editor writes one
        problems.append(("doctype", name, {}))
        return
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        root = etree.fromstring(content, parser)
    except etree.XMLSyntaxError:
        return  # XML with a mistake: the check reports it with its line
    if root.tag not in DIAGRAM_ROOTS[_suffix(name)]:
        problems.append(("not_bpmn", name, {"root": etree.QName(root).localname}))


def read_files(files: list[tuple[str, Any]]) -> tuple[list[tuple[str, str, bytes]], list[str], list[str]]:
    """From (file name, binary stream) pairs as uploaded: (place, name, content) of each file to
    stage, the upload's names, and the .zip entries ignored. Raises UploadRefused."""
    problems: list[tuple[str, str, dict]] = []
    files = [(_clean_name(name), stream) for name, stream in files if _clean_name(name)]
    if not files:
        raise UploadRefused([("no_files", "", {})])
    if len(files) > MAX_FILES:
        raise UploadRefused([("too_many", "", {"max": MAX_FILES})])
    staged: list[tuple[str, str, bytes]] = []
    ignored: list[str] = []
    for name, stream in files:
        suffix = _suffix(name)
        if not NAME.fullmatch(name):
            problems.append(("bad_name", name, {}))
            continue
        if suffix not in (*DIAGRAM_ROOTS, ".json", ".zip"):
            problems.append(("bad_type", name, {}))
            continue
        limit = MAX_TOTAL if suffix == ".zip" else MAX_FILE
        content = _read_limited(stream, limit)
        if content is None:
            problems.append(("too_large", name, {"max": limit}))
            continue
        if suffix == ".zip":
            staged += _unpack(name, content, problems, ignored)
        else:
            staged.append(("" if suffix in DIAGRAM_ROOTS else BESIDE, name, content))
    staged = _place_catalogs(staged)
    seen = set()
    for place, name, _content in staged:
        if (place, name) in seen:
            problems.append(("duplicate", f"{place}/{name}" if place else name, {}))
        seen.add((place, name))
    if sum(len(content) for _, _, content in staged) > MAX_TOTAL:
        problems.append(("total_too_large", "", {"max": MAX_TOTAL}))
    for place, name, content in staged:
        if place == "" and not name.endswith(".json"):
            _check_diagram(name, content, problems)
        else:
            _text(f"{place}/{name}" if place else name, content, problems)
    if not problems and not any(place == "" and not name.endswith(".json") for place, name, _ in staged):
        problems.append(("no_diagram", "", {}))
    if problems:
        raise UploadRefused(problems)
    return staged, [name for name, _ in files], ignored


# ---- the folder of an upload -------------------------------------------------------------------

def stage(base: Path, owner: str, files: list[tuple[str, Any]]) -> Staged:
    """Check what can be checked without the engine and write the files to a folder of their own."""
    contents, uploaded, ignored = read_files(files)
    base = _base(base)
    sweep(base)
    token = secrets.token_urlsafe(24)
    root = base / token
    os.mkdir(root, 0o700)
    staged = Staged(token, root, owner, time.time(), uploaded, ignored=ignored)
    (staged.folder / FORMS).mkdir(parents=True)
    for place, name, content in contents:
        (staged.folder / place / name).write_bytes(content)
        # a diagram's translations (complaint.en.json) are listed with the texts, not drawn
        (staged.forms if place or name.endswith(".json") else staged.diagrams).append(name)
    staged.diagrams.sort()
    staged.forms.sort()
    meta = {k: v for k, v in asdict(staged).items() if k not in ("root", "token")}
    (root / "upload.json").write_text(json.dumps(meta), encoding="utf-8")
    return staged


def load(base: Path, token: str, owner: str) -> Staged:
    """The upload with this token, if it is the owner's and has not expired."""
    if not TOKEN.fullmatch(token or ""):
        raise UploadNotFound(token)
    root = base / token
    try:
        meta = json.loads((root / "upload.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise UploadNotFound(token) from None
    staged = Staged(token=token, root=root, **meta)
    if staged.owner != owner:
        raise UploadNotFound(token)
    if staged.expires_at < time.time():
        discard(staged)
        raise UploadNotFound(token)
    return staged


def discard(staged: Staged) -> None:
    shutil.rmtree(staged.root, ignore_errors=True)


def sweep(base: Path, now: float | None = None) -> int:
    """Remove the uploads older than TTL; returns how many."""
    now = time.time() if now is None else now
    removed = 0
    for folder in base.iterdir() if base.is_dir() else ():
        if not folder.is_dir() or folder.is_symlink() or not TOKEN.fullmatch(folder.name):
            continue
        try:
            created = json.loads((folder / "upload.json").read_text(encoding="utf-8"))["created_at"]
        except (OSError, ValueError, KeyError):
            created = folder.stat().st_mtime
        if created + TTL < now:
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
    return removed


def save_report(staged: Staged, report) -> dict:
    """Keep the outcome of a check beside the files (the check page reads it, nothing re-runs)."""
    stored = {"problems": [asdict(p) for p in report.problems], "coverage": report.coverage,
              "checked_at": time.time()}
    (staged.root / "report.json").write_text(json.dumps(stored, default=str), encoding="utf-8")
    return stored


def load_report(staged: Staged) -> dict | None:
    try:
        return json.loads((staged.root / "report.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
