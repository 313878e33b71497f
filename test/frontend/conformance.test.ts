/**
 * ONNX node conformance: every test whose op relax imports is imported, legalized / dispatched and run with
 * the TIR interpreter against the expected outputs. Every other test must fail with RLX_ONNX_UNSUPPORTED (or
 * import cleanly), never crash.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { isRelaxError } from '../../src/diagnostics/index.js';
import { decodeTensorProto } from '../../src/formats/tensor-proto.js';
import type { HostTensor } from '../../src/formats/tensor.js';
import { CONVERTERS, supportedOnnxOps } from '../../src/compiler/frontend/onnx/converters/index.js';
import { importOnnx } from '../../src/compiler/frontend/onnx/import.js';
import { loadOnnx } from '../../src/compiler/frontend/onnx/load.js';
import { dispatchSortScan } from '../../src/compiler/transform/dispatch-sort-scan.js';
import type { IRModule } from '../../src/compiler/ir/types.js';
import { compare, evaluate } from './evaluate.js';
import { constantize } from './onnx-builder.js';
import { SHARED } from '../shared-dir.js';

const ROOT = `${SHARED}/conformance/onnx-node`;
const OPS = new Set(supportedOnnxOps());
/** Inputs that relax requires to be constants (the converter's `constInputs`); such tests also run with them folded in. */
const constInputs = (op: string): readonly number[] | undefined => CONVERTERS[op]?.constInputs;
/** Tests of supported ops that use unsupported features (checked to fail with a diagnostic naming them). */
const EXPECTED_UNSUPPORTED: Record<string, string> = { test_identity_sequence: 'sequence' };

interface Row { test: string; op: string; opset: number }
const rows: Row[] = existsSync(join(ROOT, 'INDEX.tsv'))
  ? readFileSync(join(ROOT, 'INDEX.tsv'), 'utf8').trim().split('\n').slice(1).map((l) => {
    const [test, op, opset] = l.split('\t');
    return { test: test!, op: op!, opset: Number(opset) };
  })
  : [];

const ctxDummy = { target: { kind: 'cpu' } as never, model: 't', note() {} };

function dataFiles(dir: string, prefix: string): string[] {
  const d = join(dir, 'test_data_set_0');
  return readdirSync(d).filter((f) => f.startsWith(prefix)).sort((a, b) => Number(a.match(/\d+/)![0]) - Number(b.match(/\d+/)![0])).map((f) => join(d, f));
}

function run(mod: IRModule, dir: string, skipInputs: ReadonlySet<number> = new Set()): string | undefined {
  const m = dispatchSortScan.run(mod, ctxDummy);
  const inputs: HostTensor[] = dataFiles(dir, 'input_').filter((_, i) => !skipInputs.has(i)).map((f) => decodeTensorProto(readFileSync(f)).tensor);
  const expected = dataFiles(dir, 'output_').map((f) => decodeTensorProto(readFileSync(f)).tensor);
  const got = evaluate(m, inputs);
  if (got.length !== expected.length) return `${got.length} outputs, expected ${expected.length}`;
  for (let i = 0; i < got.length; i++) {
    const err = compare(got[i]!, expected[i]!);
    if (err) return `output ${i}: ${err}`;
  }
  return undefined;
}

describe.skipIf(rows.length === 0 && !process.env.CI)('onnx-node conformance', () => {
  const supported = rows.filter((r) => OPS.has(r.op));
  const summary = { direct: 0, constantized: 0, unsupported: [] as string[], failed: [] as string[] };

  test.each(supported)('$test', ({ test: name, op }) => {
    const dir = join(ROOT, name);
    const modelPath = join(dir, 'model.onnx');
    const bytes = readFileSync(modelPath);
    let mod: IRModule | undefined;
    try {
      mod = importOnnx(bytes, { modelPath, modelName: name });
    } catch (e) {
      if (!isRelaxError(e)) throw e;
      expect(e.diagnostic.code).toBe('RLX_ONNX_UNSUPPORTED');
      summary.unsupported.push(`${name}: ${e.diagnostic.message}`);
      if (EXPECTED_UNSUPPORTED[name]) {
        expect(e.diagnostic.message).toContain(EXPECTED_UNSUPPORTED[name]);
        return;
      }
      expect(e.diagnostic.message).toContain(op);
      expect(e.diagnostic.where?.node).toBeDefined();
      expect(e.diagnostic.hint).toBeTruthy();
    }
    if (mod) {
      const err = run(mod, dir);
      if (err) summary.failed.push(`${name}: ${err}`);
      expect(err).toBeUndefined();
      summary.direct++;
      return;
    }
    // Only inputs relax requires to be constant may make a supported op unsupported.
    const idx = constInputs(op);
    expect(idx, `${name} is unsupported but ${op} has no constant-only inputs`).toBeDefined();
    const g = loadOnnx(bytes).graph;
    const inputNames = g.inputs.map((v) => v.name);
    const files = dataFiles(dir, 'input_');
    const fold: Record<string, string> = {};
    const skip = new Set<number>();
    // constInputs index the node's inputs; optional inputs may be left out of the graph's inputs (Resize's roi).
    for (const i of idx!) {
      const j = inputNames.indexOf(g.nodes[0]!.inputs[i] ?? '');
      if (j >= 0 && files[j]) { fold[inputNames[j]!] = files[j]!; skip.add(j); }
    }
    const folded = constantize(bytes, fold);
    const err = run(importOnnx(folded, { modelPath, modelName: name }), dir, skip);
    if (err) summary.failed.push(`${name} (constantized): ${err}`);
    expect(err).toBeUndefined();
    summary.constantized++;
  });

  test('summary', () => {
    console.log(`onnx-node: ${supported.length} tests of supported ops; ${summary.direct} pass as-is, ${summary.constantized} pass with constant-only inputs folded, ${summary.unsupported.length - summary.constantized} expected diagnostics; ${summary.failed.length} failed`);
    for (const u of summary.unsupported) console.log(`  diagnostic: ${u}`);
    expect(summary.failed).toEqual([]);
  });

  test('every other test imports or fails with RLX_ONNX_UNSUPPORTED', () => {
    const codes = new Map<string, number>();
    for (const r of rows.filter((x) => !OPS.has(x.op))) {
      const modelPath = join(ROOT, r.test, 'model.onnx');
      try {
        importOnnx(readFileSync(modelPath), { modelPath, modelName: r.test });
        codes.set('ok', (codes.get('ok') ?? 0) + 1);
      } catch (e) {
        if (!isRelaxError(e)) throw new Error(`${r.test}: crashed with ${(e as Error).stack}`);
        expect(e.diagnostic.code, `${r.test}: ${e.diagnostic.message}`).toBe('RLX_ONNX_UNSUPPORTED');
        codes.set(e.diagnostic.code, (codes.get(e.diagnostic.code) ?? 0) + 1);
      }
    }
    console.log('other onnx-node tests:', Object.fromEntries(codes));
  });
});
