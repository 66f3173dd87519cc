"""What changed between two versions of a process, element by element.

A version stores the XML of every diagram it depends on ({file name: XML}). Two versions are
compared by the ids of their model elements (tasks, events, gateways, flows, lanes, data
objects...): an id only in the new one was added, one only in the old one was removed, and one
in both changed when its own XML differs. Layout (the diagram-interchange part: positions,
waypoints, label bounds) is ignored, so moving a shape is not a change. An element's own XML
leaves out child elements that have ids of their own (they are compared by themselves) and the
`incoming`/`outgoing`/`flowNodeRef` references, which only repeat what flows and lanes say;
instead the lane a node sits in is part of the node, so moving a task to another lane changes
that task rather than both lanes.
"""
from __future__ import annotations

from typing import Any

from lxml import etree

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
# diagram interchange: where shapes are drawn, not what the process does
LAYOUT_NAMESPACES = (
    "http://www.omg.org/spec/BPMN/20100524/DI",
    "http://www.omg.org/spec/DD/20100524/DC",
    "http://www.omg.org/spec/DD/20100524/DI",
    "https://www.omg.org/spec/DMN/20191111/DMNDI/",
    "http://www.omg.org/spec/DMN/20180521/DI/",
)
REFERENCES = {f"{{{BPMN_NS}}}incoming", f"{{{BPMN_NS}}}outgoing", f"{{{BPMN_NS}}}flowNodeRef"}


def _namespace(tag: str) -> str:
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else ""


def _is_layout(element) -> bool:
    return _namespace(element.tag) in LAYOUT_NAMESPACES


def _tracked(element) -> bool:
    return isinstance(element.tag, str) and element.get("id") is not None and not _is_layout(element)


def _own_xml(element, lane: str | None) -> str:
    """The element without its layout, references and id-bearing children, as a stable string."""
    parts = [element.tag, repr(sorted(element.attrib.items())), (element.text or "").strip()]
    if lane is not None:
        parts.append(f"lane={lane}")
    for child in element:
        if not isinstance(child.tag, str) or _is_layout(child) or child.tag in REFERENCES or _tracked(child):
            continue
        parts.append(_subtree(child))
    return "\x1f".join(parts)


def _subtree(element) -> str:
    """A child's content whatever its indentation: tag, attributes, trimmed text, children."""
    inner = "".join(_subtree(child) for child in element
                    if isinstance(child.tag, str) and not _is_layout(child))
    return f"<{element.tag} {sorted(element.attrib.items())!r}>{(element.text or '').strip()}{inner}</>"


def elements(sources: dict[str, str]) -> dict[str, tuple[str, str | None]]:
    """Every model element of the files: id -> (its own XML, its name or None), in document order.

    The `definitions` roots are not elements of the process; a file that does not parse is skipped.
    """
    found: dict[str, tuple[str, str | None]] = {}
    for name in sorted(sources):
        try:
            root = etree.fromstring(sources[name].encode("utf-8"))
        except (etree.XMLSyntaxError, ValueError):
            continue
        lane_of = {}
        for lane in root.iter(f"{{{BPMN_NS}}}lane"):
            for ref in lane.iter(f"{{{BPMN_NS}}}flowNodeRef"):
                if ref.text:
                    lane_of[ref.text.strip()] = lane.get("name") or lane.get("id")
        for element in root.iter():
            if element is root or not _tracked(element):
                continue
            if any(_is_layout(parent) for parent in element.iterancestors()):
                continue
            element_id = element.get("id")
            found.setdefault(element_id, (_own_xml(element, lane_of.get(element_id)), element.get("name")))
    return found


def change_summary(old_sources: dict[str, str], new_sources: dict[str, str],
                   old_forms: dict[str, Any] | None = None, new_forms: dict[str, Any] | None = None) -> dict:
    """{"added", "removed", "changed": [element ids], "names": {id: name}, "forms": [file names]}.

    `names` holds the names the elements have (the old name for removed ones); `forms` the form
    files added, removed or changed.
    """
    old, new = elements(old_sources), elements(new_sources)
    added = [i for i in new if i not in old]
    removed = [i for i in old if i not in new]
    changed = [i for i in new if i in old and new[i][0] != old[i][0]]
    names = {i: new[i][1] for i in added + changed if new[i][1]}
    names.update({i: old[i][1] for i in removed if old[i][1]})
    old_forms, new_forms = old_forms or {}, new_forms or {}
    forms = sorted(name for name in set(old_forms) | set(new_forms) if old_forms.get(name) != new_forms.get(name))
    return {"added": added, "removed": removed, "changed": changed, "names": names, "forms": forms}
