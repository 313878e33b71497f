/**
 * Reads a suite folder of ONNX node tests: <test>/model.onnx and <test>/test_data_set_0/{input,output}_<i>.pb.
 * The op comes from INDEX.tsv when the folder has one (test, op, opset columns), else from the model's node.
 * Inputs the op's converter needs at build time (`Converter.constInputs`) are bound to their data files.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import picomatch from 'picomatch';

/**
 * @typedef {{ name: string, file: string | undefined }} GraphInput
 * @typedef {{
 *   test: string, dir: string, model: string, op: string, opset: number | undefined,
 *   inputs: GraphInput[], outputs: string[], bind: Record<string, string>, runInputs: GraphInput[], note?: string
 * }} SuiteTest
 */

/** INDEX.tsv as a map test → { op, opset } (empty when there is none). */
export function readIndex(suiteDir) {
  const file = path.join(suiteDir, 'INDEX.tsv');
  const out = new Map();
  if (!existsSync(file)) return out;
  const [header, ...rows] = readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '');
  const cols = header.split('\t');
  const ti = cols.indexOf('test'), oi = cols.indexOf('op'), vi = cols.indexOf('opset');
  if (ti < 0 || oi < 0) return out;
  for (const r of rows) {
    const c = r.split('\t');
    if (c[ti] && c[oi]) out.set(c[ti], { op: c[oi], opset: vi >= 0 && c[vi] ? Number(c[vi]) : undefined });
  }
  return out;
}

/** Data files with a given prefix in test_data_set_0, by index: files[i] is `<prefix><i>.pb` (or undefined). */
function dataFiles(dir, prefix) {
  const d = path.join(dir, 'test_data_set_0');
  const files = [];
  if (!existsSync(d)) return files;
  for (const f of readdirSync(d)) {
    const m = f.match(new RegExp(`^${prefix}(\\d+)\\.pb$`));
    if (m) files[Number(m[1])] = path.join(d, f);
  }
  return files;
}

/**
 * Lists the suite's tests (sorted), keeping those whose name or op matches one of `filters` (globs).
 * `onnx` is dist's frontend: { loadOnnx, CONVERTERS }.
 */
export function readSuite(suiteDir, filters, onnx) {
  if (!existsSync(suiteDir) || !statSync(suiteDir).isDirectory()) throw new Error(`suite folder ${suiteDir} does not exist`);
  const index = readIndex(suiteDir);
  const keep = filters.length > 0 ? picomatch(filters, { dot: true }) : () => true;
  const names = readdirSync(suiteDir).filter((n) => existsSync(path.join(suiteDir, n, 'model.onnx'))).sort();
  /** @type {SuiteTest[]} */
  const tests = [];
  for (const test of names) {
    const dir = path.join(suiteDir, test);
    const modelPath = path.join(dir, 'model.onnx');
    const fromIndex = index.get(test);
    if (fromIndex && !keep(test) && !keep(fromIndex.op)) continue;
    let graph;
    let opsetFromModel;
    try {
      const m = onnx.loadOnnx(new Uint8Array(readFileSync(modelPath)), { baseDir: dir });
      graph = m.graph;
      opsetFromModel = m.opsets.get('');
    } catch (e) {
      graph = undefined;
    }
    const node = graph?.nodes[0];
    const op = fromIndex?.op ?? (node ? (node.domain && node.domain !== 'ai.onnx' ? `${node.domain}.${node.opType}` : node.opType) : '(unreadable model)');
    if (!keep(test) && !keep(op)) continue;
    const inFiles = dataFiles(dir, 'input_');
    const outFiles = dataFiles(dir, 'output_');
    const graphInputs = graph ? graph.inputs.filter((v) => !graph.initializers.has(v.name)) : [];
    /** @type {GraphInput[]} */
    const inputs = graphInputs.map((v, i) => ({ name: v.name, file: inFiles[i] }));
    const bind = {};
    const constIdx = graph && node ? (onnx.CONVERTERS[node.opType]?.constInputs ?? []) : [];
    for (const i of constIdx) {
      const name = node.inputs[i];
      const gi = inputs.find((x) => x.name === name);
      if (name && gi?.file) bind[name] = gi.file;
    }
    tests.push({
      test, dir, model: modelPath, op,
      opset: fromIndex?.opset ?? opsetFromModel,
      inputs,
      outputs: outFiles.filter(Boolean),
      bind,
      runInputs: inputs.filter((x) => !(x.name in bind)),
    });
  }
  return tests;
}
