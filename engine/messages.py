"""SpiffWorkflow's parser messages, said plainly for a designer.

SpiffWorkflow words its validation errors for programmers ("A multiinstance task must specify a
cardinality or a loop input data reference"). The ones a designer meets after editing a diagram
in a Modeler are translated here; any other message passes through unchanged.
"""
from __future__ import annotations

ROUNDTRIP_DOC = "docs/designers-roundtrip.md"

# (start of SpiffWorkflow's message, plain message; {element} is the element id)
_PLAIN: tuple[tuple[str, str], ...] = (
    ("A multiinstance task must specify a cardinality or a loop input data reference",
     "the multi-instance has no input collection (loopDataInputRef); a Modeler may have dropped it — "
     "bpmn.io and Camunda Modeler keep a loopDataInputRef only when it names an element of the diagram: "
     "declare the collection as a process property (<bpmn:property id=\"my_list\" />) or a dataInput of "
     "the process, and give '{element}' <bpmn:loopDataInputRef>my_list</bpmn:loopDataInputRef> again "
     f"(see {ROUNDTRIP_DOC})"),
    ("A multiinstance task must specify exactly one of cardinality or loop input data reference",
     "the multi-instance '{element}' has both a number of instances (loopCardinality) and an input "
     "collection (loopDataInputRef); keep only one of them"),
    ("The loop input data reference is missing from the IO specification",
     "the input collection (loopDataInputRef) of the multi-instance '{element}' is not one of the task's "
     "own data inputs (its ioSpecification); name one of them, or remove the task's ioSpecification"),
    ("The loop output data reference is missing from the IO specification",
     "the output collection (loopDataOutputRef) of the multi-instance '{element}' is not one of the task's "
     "own data inputs or outputs (its ioSpecification); name one of them, or remove the task's "
     "ioSpecification"),
    ("A loopMaximum or loopCondition must be specified for Loop Tasks",
     "the loop '{element}' has neither a maximum (loopMaximum) nor a condition (loopCondition), so it "
     "would never end; give it at least one"),
    ("A Service Task must have an operator",
     "Tindak does not run service tasks (SpiffWorkflow needs a service operator, which this installation "
     "has none of); make '{element}' a script task that calls a registered function"),
)


def plain_message(exc_message: str, element_id: str | None) -> str:
    """The designer's wording of a SpiffWorkflow validation message (unknown ones unchanged)."""
    text = exc_message.strip()
    for start, plain in _PLAIN:
        if text.startswith(start):
            return plain.format(element=element_id or "?")
    return text
