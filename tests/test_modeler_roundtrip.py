"""The shipped diagrams survive a save in a Modeler (bpmn.io, Camunda Modeler, spiff-arena's editor).

Those editors read and write BPMN through bpmn-moddle, which silently drops what its model cannot
hold: a loopDataInputRef naming a plain variable instead of an element of the diagram was lost
that way. tests/js/roundtrip.mjs re-saves a diagram with bpmn-moddle, with the spiffworkflow
extension descriptor (as spiff-arena's editor) and without it (as bpmn.io and Camunda Modeler);
here every shipped diagram is re-saved both ways and must come back with the same content, no
import warnings, and the same process spec once deployed.

Needs Node.js; the helper's package (tests/js/node_modules) is installed with `npm ci` when
missing. Without node or npm these tests are skipped, except when TINDAK_REQUIRE_NODE, CI or
TINDAK_REQUIRE_BROWSER is set (as .ci/run does), where that is a failure.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pytest
from lxml import etree

from engine.deploy import prepare
from engine.errors import InvalidDiagram
from engine.messages import plain_message
from tests.conftest import BPMN_DIR, DATA, ROOT

JS_DIR = ROOT / "tests" / "js"
HELPER = JS_DIR / "roundtrip.mjs"
SHIPPED = sorted(BPMN_DIR.glob("*.bpmn"))
MODES = {"spiff": [], "plain": ["--plain"]}  # with / without the spiffworkflow descriptor
XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"
FIXTURE = DATA / "roundtrip" / "variable_loop_input.bpmn"


def _required() -> bool:
    return any(os.environ.get(v) for v in ("TINDAK_REQUIRE_NODE", "CI", "TINDAK_REQUIRE_BROWSER"))


def _unavailable(reason: str):
    if _required():
        pytest.fail(f"{reason}; CI must install Node.js and npm (see .ci/run)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def node() -> str:
    """The node binary, with the helper's packages installed."""
    node = shutil.which("node")
    if node is None:
        _unavailable("node is not installed: the Modeler round-trip needs Node.js")
    if not (JS_DIR / "node_modules" / "bpmn-moddle" / "package.json").exists():
        npm = shutil.which("npm")
        if npm is None:
            _unavailable("npm is not installed and tests/js/node_modules is missing")
        done = subprocess.run([npm, "ci", "--prefix", str(JS_DIR), "--no-audit", "--no-fund"],
                              capture_output=True, text=True, timeout=600)
        if done.returncode != 0:
            _unavailable(f"`npm ci --prefix tests/js` failed:\n{done.stdout}\n{done.stderr}")
    return node


def roundtrip(node: str, mode: str, files: list[Path], out_dir: Path) -> dict[str, list[str]]:
    """Re-save `files` into `out_dir` with bpmn-moddle; bpmn-moddle's warnings per file name."""
    out_dir.mkdir(parents=True, exist_ok=True)
    done = subprocess.run([node, str(HELPER), *MODES[mode], str(out_dir), *map(str, files)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"roundtrip.mjs failed:\n{done.stderr}"
    return json.loads(done.stdout)


@pytest.fixture(scope="module", params=sorted(MODES))
def saved(request, node, tmp_path_factory) -> tuple[Path, dict[str, list[str]]]:
    """The shipped diagrams re-saved in one mode, with the forms beside them, ready to deploy."""
    out_dir = tmp_path_factory.mktemp(f"saved_{request.param}") / "bpmn"
    warnings = roundtrip(node, request.param, SHIPPED, out_dir)
    shutil.copytree(BPMN_DIR / "forms", out_dir / "forms")
    return out_dir, warnings


# -- comparing two diagrams by content ------------------------------------------------------

def _qname(element, value: str) -> str:
    """A prefixed name (xsi:type="bpmn:tFormalExpression") with its prefix resolved."""
    prefix, _, local = value.rpartition(":")
    uri = element.nsmap.get(prefix or None)
    return f"{{{uri}}}{local}" if uri else value


def content_facts(path: Path) -> Counter:
    """What a diagram says, as facts that do not depend on layout.

    Each fact names the nearest element with an id and the path to it from there (tags in
    Clark notation, so namespace prefixes do not matter, with the position among siblings of
    the same tag), then one attribute and its value or the element's text. Attribute order,
    indentation and prefixes are not facts; a lost reference, script, property or attribute
    is one.
    """
    facts: Counter = Counter()

    def walk(element, owner: str, path: str) -> None:
        for name, value in element.attrib.items():
            facts[(owner, path, f"@{name}", _qname(element, value) if name == XSI_TYPE else value)] += 1
        if element.text and element.text.strip():
            facts[(owner, path, "text", element.text.strip())] += 1
        seen: Counter = Counter()
        for child in element:
            if not isinstance(child.tag, str):  # comments and processing instructions
                continue
            seen[child.tag] += 1
            if child.get("id"):
                facts[(owner, path, "child", child.get("id"))] += 1
                walk(child, child.get("id"), child.tag)
            else:
                walk(child, owner, f"{path}/{child.tag}[{seen[child.tag]}]")

    root = etree.parse(str(path)).getroot()
    walk(root, root.get("id") or "", root.tag)
    return facts


def differences(original: Path, saved_copy: Path) -> str:
    before, after = content_facts(original), content_facts(saved_copy)
    lost, added = before - after, after - before
    lines = [f"lost:  {f}" for f in sorted(lost)] + [f"added: {f}" for f in sorted(added)]
    return "\n".join(lines)


def _spec(prepared: dict, folder: Path) -> dict:
    return {pid: json.loads(item["spec_json"].replace(str(folder), "BPMN")) for pid, item in prepared.items()}


# -- the shipped diagrams ---------------------------------------------------------------------

@pytest.mark.parametrize("diagram", [p.name for p in SHIPPED])
def test_a_modeler_save_keeps_every_element_attribute_and_text(saved, diagram):
    out_dir, warnings = saved
    assert warnings[diagram] == [], f"bpmn-moddle could not read all of {diagram}"
    assert differences(BPMN_DIR / diagram, out_dir / diagram) == ""


def test_the_saved_diagrams_deploy_to_the_same_process_specs(saved):
    out_dir, _ = saved
    original = BPMN_DIR.resolve()
    assert _spec(prepare([out_dir]), out_dir) == _spec(prepare([original]), original)


def test_the_multi_instance_inputs_are_kept(saved):
    """The element that was lost: every loopDataInputRef and inputDataItem is still there."""
    out_dir, _ = saved
    ns = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL"}
    saved_round = etree.parse(str(out_dir / "coordination_round.bpmn"))
    refs = {mi.getparent().get("id"): (mi.findtext("bpmn:loopDataInputRef", namespaces=ns),
                                       mi.find("bpmn:inputDataItem", ns).get("id"))
            for mi in saved_round.iterfind(".//bpmn:multiInstanceLoopCharacteristics", ns)}
    assert refs == {"coordinate": ("coordination_agencies", "agency"),
                    "coordinate_more": ("more_agencies", "added_agency")}


# -- what the test and deploy say about a diagram that loses its input collection ----------

def test_the_comparison_sees_a_lost_loop_input(node, tmp_path):
    """A loopDataInputRef naming a bare variable is what bpmn-moddle drops; the check notices."""
    warnings = roundtrip(node, "spiff", [FIXTURE], tmp_path)
    assert warnings[FIXTURE.name] == ["unresolved reference <items>"]
    lost = differences(FIXTURE, tmp_path / FIXTURE.name)
    assert "loopDataInputRef[1]" in lost and "'items'" in lost
    with pytest.raises(InvalidDiagram) as refused:
        prepare([tmp_path / FIXTURE.name])
    [problem] = refused.value.problems
    assert problem.element_id == "each_item"
    assert "the multi-instance has no input collection (loopDataInputRef); a Modeler may have dropped it" \
        in problem.message


def test_deploy_says_plainly_that_a_multi_instance_has_no_input_collection(tmp_path):
    """Without node too: a diagram whose loopDataInputRef is gone is refused in plain words."""
    broken = tmp_path / FIXTURE.name
    text = FIXTURE.read_text(encoding="utf-8")
    assert "<bpmn:loopDataInputRef>items</bpmn:loopDataInputRef>" in text
    broken.write_text(text.replace("<bpmn:loopDataInputRef>items</bpmn:loopDataInputRef>", ""), encoding="utf-8")
    with pytest.raises(InvalidDiagram) as refused:
        prepare([broken])
    [problem] = refused.value.problems
    assert (problem.file, problem.element_id) == (FIXTURE.name, "each_item")
    assert problem.message.startswith("the multi-instance has no input collection (loopDataInputRef); "
                                      "a Modeler may have dropped it")
    assert "give 'each_item' <bpmn:loopDataInputRef>" in problem.message
    assert problem.line  # the element's line, found in the file
    assert str(problem).startswith(f"{FIXTURE.name}:{problem.line} [each_item]: the multi-instance has no input")
    assert "cardinality" not in problem.message  # SpiffWorkflow's own wording is replaced


def test_the_fixture_deploys_as_written():
    """The fixture itself is fine for SpiffWorkflow: only the Modeler's save breaks it."""
    assert set(prepare([FIXTURE])) == {"variable_loop_input"}


@pytest.mark.parametrize("spiff_message, words", [
    ("A multiinstance task must specify exactly one of cardinality or loop input data reference.",
     "the multi-instance 'mi' has both a number of instances (loopCardinality) and an input collection"),
    ("The loop input data reference is missing from the IO specification",
     "the input collection (loopDataInputRef) of the multi-instance 'mi' is not one of the task's own data inputs"),
    ("A loopMaximum or loopCondition must be specified for Loop Tasks", "the loop 'mi' has neither a maximum"),
    ("Something SpiffWorkflow says that has no plainer wording here  ",
     "Something SpiffWorkflow says that has no plainer wording here"),
])
def test_plain_messages(spiff_message, words):
    assert plain_message(spiff_message, "mi").startswith(words)
