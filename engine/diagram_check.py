"""Checks made on the raw XML before SpiffWorkflow parses it, for plainer messages.

SpiffWorkflow reports a flow to a missing element as "two items ... same ID" and a
duplicate id as an XML Schema type error; a designer deserves to be told what is wrong.
"""
from __future__ import annotations

from pathlib import Path

from lxml import etree

from engine.errors import DiagramProblem

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"


def check_xml(path: Path, root) -> list[DiagramProblem]:
    """Duplicate element ids and sequence flows that point at nothing."""
    problems: list[DiagramProblem] = []
    first_seen: dict[str, int] = {}
    for element in root.iter():
        if not isinstance(element.tag, str) or not element.tag.startswith(f"{{{BPMN_NS}}}"):
            continue
        element_id = element.get("id")
        if element_id is None:
            continue
        if element_id in first_seen:
            problems.append(DiagramProblem(
                path.name, f"the id '{element_id}' is used twice (first on line {first_seen[element_id]}); "
                "every element needs its own id", line=element.sourceline, element_id=element_id))
        else:
            first_seen[element_id] = element.sourceline
    for flow in root.iter(f"{{{BPMN_NS}}}sequenceFlow"):
        for end, attribute in (("starts at", "sourceRef"), ("leads to", "targetRef")):
            ref = flow.get(attribute)
            if ref and ref not in first_seen:
                problems.append(DiagramProblem(
                    path.name, f"the sequence flow {end} '{ref}', which is not in the diagram",
                    line=flow.sourceline, element_id=flow.get("id")))
    return problems


def line_of(root, element_id: str | None) -> int | None:
    """The line where the element with this id starts, if there is one."""
    if not element_id or root is None:
        return None
    found = root.xpath("//*[@id=$id]", id=element_id)
    return found[0].sourceline if found else None


def element_at(root, line: int | None) -> str | None:
    """The id of the element on a line, or of the nearest enclosing element with an id
    (XML Schema errors give only the line)."""
    if root is None or not line:
        return None
    for element in root.iter():
        if isinstance(element.tag, str) and element.sourceline == line:
            while element is not None and element.get("id") is None:
                element = element.getparent()
            return element.get("id") if element is not None else None
    return None


PREFIXES = {BPMN_NS: "bpmn", "http://spiffworkflow.org/bpmn/schema/1.0/core": "spiffworkflow",
            "http://www.omg.org/spec/BPMN/20100524/DI": "bpmndi", "http://www.omg.org/spec/DD/20100524/DC": "dc"}


def readable(message: str) -> str:
    """An XML Schema message with namespace prefixes instead of {uri}, without its doubled full stop."""
    for uri, prefix in PREFIXES.items():
        message = message.replace(f"{{{uri}}}", f"{prefix}:")
    return message.replace("..", ".").strip()


def parse_xml(path: Path):
    """Parse a file into an lxml tree (raises etree.XMLSyntaxError / OSError)."""
    return etree.parse(str(path))


CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
CAMUNDA_IGNORED = {
    "formKey": "forms come from the property formJsonSchemaFilename",
    "assignee": "who takes a task comes from its lane (or the property role)",
    "candidateGroups": "who takes a task comes from its lane (or the property role)",
    "candidateUsers": "who takes a task comes from its lane (or the property role)",
    "dueDate": "deadlines come from a boundary timer marked as the deadline",
    "class": "service tasks do not run Java classes here",
    "expression": "Camunda expressions do not run here",
    "delegateExpression": "Camunda expressions do not run here",
}


def xml_warnings(roots: dict) -> list[DiagramProblem]:
    """What a Camunda Modeler diagram says that Tindak ignores, named so nobody relies on it."""
    found = []
    for file_name, root in roots.items():
        for element in root.iter():
            if not isinstance(element.tag, str):
                continue
            for attribute in element.attrib:
                if not attribute.startswith(f"{{{CAMUNDA_NS}}}"):
                    continue
                local = attribute.split("}")[1]
                why = CAMUNDA_IGNORED.get(local, "Camunda extensions are not read by Tindak")
                found.append(DiagramProblem(
                    file_name, f"camunda:{local}=\"{element.get(attribute)}\" is ignored: {why}",
                    line=element.sourceline, element_id=element.get("id"), severity="warning"))
    return found
