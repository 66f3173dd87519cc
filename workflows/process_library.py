"""What the designer's process library reads: processes, their versions, the cases on each.

Counts come from indexed tables (process_instance, human_task) with GROUP BY; no workflow is
loaded. Names of processes and elements come from a version's stored XML, parsed once per
version content and kept in memory (a version never changes).
"""
from __future__ import annotations

import io
import json
import re
import threading
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from lxml import etree
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.models import HumanTask, ProcessInstance, ProcessVersion
from workflows.models import User
from workflows.paging import Page, paginate

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SLA_CALL = re.compile(r"""sla_(?:due|warn_at)\(\s*(?:&quot;|&#34;|&apos;|&#39;|["'])([A-Za-z0-9_]+)""")
LATEST_SHOWN = 5  # versions per process on the library page; the process page has them all


@dataclass
class VersionRow:
    id: int
    process_id: str
    version: int
    deployed_by: str
    deployer: str  # the full name when the user exists
    deployed_at: datetime
    deployed_from: str | None
    change_summary: dict[str, Any] | None
    running: int = 0


@dataclass
class ProcessRow:
    process_id: str
    name: str | None
    versions: list[VersionRow]
    total_versions: int
    running: int  # on every version

    @property
    def latest(self) -> VersionRow:
        return self.versions[0]


@dataclass
class VersionInfo:
    """What a version's XML says, parsed once."""

    process_name: str | None
    own_file: str | None  # the file that defines the process itself
    names: dict[str, str] = field(default_factory=dict)  # element id -> name, in every file
    own_elements: set[str] = field(default_factory=set)  # ids drawn in the own file
    lanes: set[str] = field(default_factory=set)  # lane names in every file
    sla_keys: set[str] = field(default_factory=set)  # first arguments of sla_due / sla_warn_at


_info_cache: dict[tuple[str, str], VersionInfo] = {}
_info_lock = threading.Lock()


def _parse_info(process_id: str, source: dict[str, str]) -> VersionInfo:
    info = VersionInfo(process_name=None, own_file=None)
    for name in sorted(source):
        info.sla_keys |= set(SLA_CALL.findall(source[name]))
        try:
            root = etree.fromstring(source[name].encode("utf-8"))
        except (etree.XMLSyntaxError, ValueError):
            continue
        ids = {e.get("id") for e in root.iter() if isinstance(e.tag, str) and e.get("id")}
        own = root.find(f".//{{{BPMN_NS}}}process[@id='{process_id}']") if "'" not in process_id else None
        if own is not None and info.own_file is None:
            info.own_file, info.process_name, info.own_elements = name, own.get("name"), ids
        for element in root.iter():
            if isinstance(element.tag, str) and element.get("id") and element.get("name"):
                info.names.setdefault(element.get("id"), " ".join(element.get("name").split()))
        info.lanes |= {" ".join(lane.get("name").split()) for lane in root.iter(f"{{{BPMN_NS}}}lane")
                       if lane.get("name")}
    return info


def version_info(session: Session, pv: ProcessVersion) -> VersionInfo:
    """The names and lanes of a version (its XML is read only the first time)."""
    key = (pv.process_id, pv.content_hash)
    with _info_lock:
        cached = _info_cache.get(key)
    if cached is not None:
        return cached
    source = session.scalar(select(ProcessVersion.source).where(ProcessVersion.id == pv.id)) or {}
    info = _parse_info(pv.process_id, source)
    with _info_lock:
        if len(_info_cache) > 500:
            _info_cache.clear()
        _info_cache[key] = info
    return info


def running_by_version(session: Session, version_ids: list[int] | None = None) -> dict[int, int]:
    """How many cases that have not completed run on each version."""
    query = (select(ProcessInstance.process_version_id, func.count(ProcessInstance.id))
             .where(ProcessInstance.completed.is_(False)).group_by(ProcessInstance.process_version_id))
    if version_ids is not None:
        query = query.where(ProcessInstance.process_version_id.in_(version_ids))
    return dict(session.execute(query).all())


def _rows(session: Session, versions: Sequence[ProcessVersion]) -> list[VersionRow]:
    people = dict(session.execute(select(User.username, User.full_name).where(
        User.username.in_({v.deployed_by for v in versions}))).all()) if versions else {}
    running = running_by_version(session, [v.id for v in versions]) if versions else {}
    return [VersionRow(v.id, v.process_id, v.version, v.deployed_by, people.get(v.deployed_by, v.deployed_by),
                       v.deployed_at, v.deployed_from, v.change_summary, running.get(v.id, 0)) for v in versions]


def library(session: Session, shown: int = LATEST_SHOWN) -> list[ProcessRow]:
    """Every process, its newest versions first, with the cases running on each."""
    totals = dict(session.execute(select(ProcessVersion.process_id, func.count(ProcessVersion.id))
                                  .group_by(ProcessVersion.process_id)).all())
    running = running_by_version(session)
    version_process = dict(session.execute(select(ProcessVersion.id, ProcessVersion.process_id)).all())
    running_per_process: dict[str, int] = {}
    for version_id, count in running.items():
        process_id = version_process[version_id]  # a case's version is stored, and versions are never deleted
        running_per_process[process_id] = running_per_process.get(process_id, 0) + count
    result = []
    for process_id in sorted(totals):
        newest = session.scalars(select(ProcessVersion).where(ProcessVersion.process_id == process_id)
                                 .order_by(ProcessVersion.version.desc()).limit(shown)).all()
        rows = _rows(session, newest)
        result.append(ProcessRow(process_id, version_info(session, newest[0]).process_name, rows,
                                 totals[process_id], running_per_process.get(process_id, 0)))
    return result


def process_versions(session: Session, process_id: str, page: int, per_page: int) -> tuple[ProcessRow, Page]:
    """One process with a page of its versions, newest first. Raises LookupError when unknown."""
    total = session.scalar(select(func.count(ProcessVersion.id)).where(ProcessVersion.process_id == process_id))
    if not total:
        raise LookupError(process_id)
    versions = paginate(session, select(ProcessVersion).where(ProcessVersion.process_id == process_id)
                        .order_by(ProcessVersion.version.desc()), page, per_page, total=total)
    rows = _rows(session, versions.rows)
    newest = session.scalars(select(ProcessVersion).where(ProcessVersion.process_id == process_id)
                             .order_by(ProcessVersion.version.desc()).limit(1)).one()
    running = sum(running_by_version(session, list(session.scalars(
        select(ProcessVersion.id).where(ProcessVersion.process_id == process_id)))).values())
    process = ProcessRow(process_id, version_info(session, newest).process_name, rows, total, running)
    return process, Page(rows, total, versions.page, per_page)


def find_version(session: Session, process_id: str, version: int) -> ProcessVersion:
    """Raises LookupError when there is no such version."""
    pv = session.scalars(select(ProcessVersion).where(
        ProcessVersion.process_id == process_id, ProcessVersion.version == version)).first()
    if pv is None:
        raise LookupError(f"{process_id} v{version}")
    return pv


def newest_version_number(session: Session, process_id: str) -> int | None:
    return session.scalar(select(func.max(ProcessVersion.version)).where(ProcessVersion.process_id == process_id))


def version_row(session: Session, pv: ProcessVersion) -> VersionRow:
    return _rows(session, [pv])[0]


def waiting_by_element(session: Session, version_id: int) -> dict[str, int]:
    """Open tasks of running cases on this version, counted by the element they wait at."""
    rows = session.execute(
        select(HumanTask.element_id, func.count(HumanTask.id))
        .join(ProcessInstance, ProcessInstance.id == HumanTask.process_instance_id)
        .where(ProcessInstance.process_version_id == version_id, ProcessInstance.completed.is_(False),
               HumanTask.state == "ready")
        .group_by(HumanTask.element_id))
    return dict(rows.all())


def own_diagram(session: Session, pv: ProcessVersion) -> str:
    """The XML of the file that defines the version's own process. Raises LookupError."""
    info = version_info(session, pv)
    source = session.scalar(select(ProcessVersion.source).where(ProcessVersion.id == pv.id)) or {}
    if info.own_file is None or info.own_file not in source:
        raise LookupError(pv.process_id)
    return source[info.own_file]


def version_zip(session: Session, pv: ProcessVersion) -> bytes:
    """The version's diagrams at the top and its forms in forms/, as a .zip (the layout of bpmn/)."""
    source, forms = session.execute(select(ProcessVersion.source, ProcessVersion.forms)
                                    .where(ProcessVersion.id == pv.id)).one()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(source or {}):
            archive.writestr(name, source[name])
        for name in sorted(forms or {}):
            archive.writestr(f"forms/{name}", json.dumps(forms[name], indent=2, ensure_ascii=False) + "\n")
    return buffer.getvalue()


def newest_versions(session: Session) -> list[ProcessVersion]:
    """The newest version of every process, by process id."""
    newest = select(ProcessVersion.process_id, func.max(ProcessVersion.version).label("v")) \
        .group_by(ProcessVersion.process_id).subquery()
    return sorted(session.scalars(select(ProcessVersion).join(
        newest, (ProcessVersion.process_id == newest.c.process_id) & (ProcessVersion.version == newest.c.v))),
        key=lambda v: v.process_id)


def lanes_in_use(session: Session) -> dict[str, list[str]]:
    """Lane name -> the processes whose newest version has a lane of that name."""
    used: dict[str, list[str]] = {}
    for pv in newest_versions(session):
        for lane in sorted(version_info(session, pv).lanes):
            used.setdefault(lane, []).append(pv.process_id)
    return used


def sla_keys_in_use(session: Session) -> dict[str, list[str]]:
    """SLA key -> the processes whose newest version calls sla_due or sla_warn_at with it."""
    used: dict[str, list[str]] = {}
    for pv in newest_versions(session):
        for key in sorted(version_info(session, pv).sla_keys):
            used.setdefault(key, []).append(pv.process_id)
    return used
