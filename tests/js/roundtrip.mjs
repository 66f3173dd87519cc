// Re-save BPMN diagrams the way bpmn.io, Camunda Modeler and spiff-arena's editor do:
// bpmn-moddle reads the XML into its model (fromXML) and writes it back (toXML).
// Whatever the model cannot hold (an unresolved reference, an element out of place) is lost,
// which is what tests/test_modeler_roundtrip.py looks for.
//
//   node roundtrip.mjs [--plain] OUT_DIR FILE.bpmn...
//
// Each FILE is written to OUT_DIR under its own name. --plain leaves out the spiffworkflow
// descriptor (a Modeler that knows nothing of SpiffWorkflow). Prints one JSON object on stdout:
// {"<file name>": ["<warning>", ...], ...}, the import warnings bpmn-moddle reported.
import { readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { BpmnModdle } from 'bpmn-moddle';

const args = process.argv.slice(2);
const plain = args[0] === '--plain';
if (plain) args.shift();
const [outDir, ...files] = args;
if (!outDir || files.length === 0) {
  console.error('usage: node roundtrip.mjs [--plain] OUT_DIR FILE.bpmn...');
  process.exit(2);
}

const extensions = {};
if (!plain) {
  const descriptor = new URL('./spiffworkflow.json', import.meta.url);
  extensions.spiffworkflow = JSON.parse(await readFile(fileURLToPath(descriptor), 'utf8'));
}
const moddle = new BpmnModdle(extensions);

const report = {};
for (const file of files) {
  const { rootElement, warnings } = await moddle.fromXML(await readFile(file, 'utf8'));
  report[basename(file)] = warnings.map((w) => w.message);
  const { xml } = await moddle.toXML(rootElement, { format: true });
  await writeFile(join(outDir, basename(file)), xml, 'utf8');
}
console.log(JSON.stringify(report));
