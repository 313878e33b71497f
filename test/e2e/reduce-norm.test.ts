/**
 * Reductions, arg-reductions, softmax, normalizations and einsum through the real CLI: ONNX node tests built for
 * cpu, webgpu and cuda with pipeline "default", then run on cpu and webgpu and compared with the expected outputs.
 * Inputs relax needs at build time (reduce axes) are folded into the model first. float64/int64 kernels are not
 * built for webgpu here (another part of the project covers them there).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONVERTERS } from '../../src/compiler/frontend/onnx/converters/index.js';
import { loadOnnx } from '../../src/compiler/frontend/onnx/load.js';
import { decodeTensorProto } from '../../src/formats/tensor-proto.js';
import { toNumbers } from '../../src/formats/tensor.js';
import { onnxType } from '../../src/compiler/frontend/onnx/schema.js';
import { constantize } from '../frontend/onnx-builder.js';

const ROOT = resolve(__dirname, '../..');
const NODE = resolve(ROOT, '../shared/conformance/onnx-node');
const CLI = join(ROOT, 'bin/relax.js');
const env = { ...process.env, EGL_PLATFORM: 'surfaceless' };

const CASES = [
  'test_reduce_sum_keepdims_random', 'test_reduce_sum_empty_set', 'test_reduce_sum_empty_axes_input_noop_example',
  'test_reduce_mean_do_not_keepdims_random', 'test_reduce_max_default_axes_keepdims_random', 'test_reduce_max_empty_set',
  'test_reduce_min_negative_axes_keepdims_random', 'test_reduce_prod_keepdims_example', 'test_reduce_l2_do_not_keepdims_random',
  'test_reduce_sum_square_empty_set', 'test_reduce_log_sum_exp_keepdims_random', 'test_reduce_min_bool_inputs',
  'test_argmax_negative_axis_keepdims_random_select_last_index', 'test_argmin_no_keepdims_random',
  'test_softmax_axis_0', 'test_softmax_large_number', 'test_logsoftmax_axis_2', 'test_logsoftmax_large_number',
  'test_layer_normalization_3d_axis1_epsilon', 'test_layer_normalization_4d_axis_negative_1',
  'test_rms_normalization_3d_axis1_epsilon', 'test_rms_normalization_4d_axis0',
  'test_batchnorm_epsilon', 'test_batchnorm_example_training_mode', 'test_instancenorm_epsilon',
  'test_globalaveragepool', 'test_globalmaxpool_precomputed',
  'test_einsum_batch_matmul', 'test_einsum_inner_prod', 'test_einsum_sum', 'test_einsum_scalar',
  'test_cumsum_1d', 'test_cumsum_2d_negative_axis',
];

/**
 * Cases kept off webgpu for a reason outside these ops: the max over an empty set is -inf, and the WGSL backend
 * writes -inf as `bitcast<f32>(0xff800000u)`, a constant expression Tint rejects ("value -inf cannot be represented").
 */
const NOT_ON_WEBGPU = new Set(['test_reduce_max_empty_set']);

interface Case { name: string; bytes: Uint8Array; inputs: string[]; outputs: string[]; webgpu: boolean }

const available = existsSync(join(NODE, 'INDEX.tsv')) || !!process.env.CI;
const index = available
  ? new Map(readFileSync(join(NODE, 'INDEX.tsv'), 'utf8').trim().split('\n').slice(1).map((l) => { const c = l.split('\t'); return [c[0]!, c] as const; }))
  : new Map<string, string[]>();

function relax(args: string[], cwd: string) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, env, encoding: 'utf8', timeout: 600_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, log: r.stdout + r.stderr };
}

/** A node test's model with its constant-only inputs folded, and the data files of the remaining inputs. */
function prepare(name: string): Case {
  const src = join(NODE, name);
  const data = join(src, 'test_data_set_0');
  const row = index.get(name)!;
  const bytes = readFileSync(join(src, 'model.onnx'));
  const graphInputs = loadOnnx(bytes).graph.inputs.map((v) => v.name);
  const fold = new Set(CONVERTERS[row[1]!]?.constInputs ?? []);
  const folded: Record<string, string> = {};
  const inputs: string[] = [];
  graphInputs.forEach((n, i) => {
    const file = join(data, `input_${i}.pb`);
    if (fold.has(i)) folded[n] = file; else inputs.push(file);
  });
  const outputs = readdirSync(data).filter((f) => f.startsWith('output_')).sort().map((f) => join(data, f));
  // float64 / int64 values (other than folded axes) keep a case off webgpu.
  const webgpu = !/float64|int64\[/.test(`${row[3]}|${row[4]}`.replace(/axes:int64\[\d*\]/g, ''));
  if (NOT_ON_WEBGPU.has(name)) console.warn(`${name}: not built for webgpu (WGSL cannot write -inf as a constant)`);
  return { name, webgpu: webgpu && !NOT_ON_WEBGPU.has(name), bytes: Object.keys(folded).length ? constantize(bytes, folded) : bytes, inputs, outputs };
}

/**
 * One model holding every case's graph side by side (names prefixed by the case index), at one opset: the ops
 * here mean the same from their test's opset up to 23. One build and one run per target instead of one per case.
 */
function merge(cases: readonly Case[], opset: number): { bytes: Uint8Array; inputs: { name: string; file: string }[]; outputs: string[] } {
  const M = onnxType('ModelProto');
  type G = { node: { input: string[]; output: string[]; name?: string }[]; input: { name: string }[]; output: { name: string }[]; initializer: { name: string }[] };
  const graph: G = { node: [], input: [], output: [], initializer: [] };
  const inputs: { name: string; file: string }[] = [];
  const outputs: string[] = [];
  cases.forEach((c, i) => {
    const g = (M.toObject(M.decode(c.bytes), { arrays: true }) as { graph: G }).graph;
    const rn = (n: string) => (n ? `c${i}_${n}` : n);
    for (const n of g.node) graph.node.push({ ...n, name: rn(n.name || 'node'), input: n.input.map(rn), output: n.output.map(rn) });
    for (const v of g.input) graph.input.push({ ...v, name: rn(v.name) });
    for (const v of g.output) graph.output.push({ ...v, name: rn(v.name) });
    for (const t of g.initializer) graph.initializer.push({ ...t, name: rn(t.name) });
    g.input.forEach((v, j) => inputs.push({ name: rn(v.name), file: c.inputs[j]! }));
    outputs.push(...c.outputs);
  });
  const model = { ir_version: 10, opset_import: [{ domain: '', version: opset }], graph: { name: 'merged', ...graph } };
  return { bytes: M.encode(M.fromObject(model)).finish(), inputs, outputs };
}

function expectClose(actualFile: string, expectedFile: string, what: string) {
  const a = decodeTensorProto(readFileSync(actualFile)).tensor;
  const e = decodeTensorProto(readFileSync(expectedFile)).tensor;
  expect(a.dtype, what).toBe(e.dtype);
  expect(a.shape, what).toEqual(e.shape);
  const x = toNumbers(a), y = toNumbers(e);
  const bad = y.map((v, i) => (Number.isNaN(v) ? !Number.isNaN(x[i]!) : x[i] !== v && !(Math.abs(x[i]! - v) <= 1e-5 + 1e-3 * Math.abs(v))));
  expect(bad.indexOf(true), `${what}: first mismatch (got ${x.slice(0, 8)}, expected ${y.slice(0, 8)})`).toBe(-1);
}

describe.skipIf(!available)('reductions and normalizations through the CLI (cpu, webgpu, cuda)', () => {
  // RELAX_E2E_DIR keeps the project (models, artifacts, run.json) for running the cuda artifacts on a GPU machine.
  const dir = process.env.RELAX_E2E_DIR ?? mkdtempSync(join(tmpdir(), 'relax-red-'));
  mkdirSync(dir, { recursive: true });
  const cases = available ? CASES.map(prepare) : [];
  const groups = {
    narrow: { targets: ['cpu', 'webgpu', 'cuda'], ...merge(cases.filter((c) => c.webgpu), 23) },
    wide: { targets: ['cpu', 'cuda'], ...merge(cases.filter((c) => !c.webgpu), 23) },
  };
  for (const [g, m] of Object.entries(groups)) writeFileSync(join(dir, `${g}.onnx`), m.bytes);
  writeFileSync(join(dir, 'run.json'), JSON.stringify(Object.fromEntries(Object.entries(groups).map(([g, m]) => [g, { inputs: m.inputs, outputs: m.outputs }]))));
  writeFileSync(join(dir, 'relax.config.mjs'), `export default { models: { ${Object.entries(groups).map(([g, m]) =>
    `${g}: { source: './${g}.onnx', targets: ${JSON.stringify(m.targets)} }`).join(', ')} }, targets: ['cpu', 'webgpu', { kind: 'cuda', arch: 'sm_90' }] };\n`);

  it('builds both models for their targets with pipeline "default"', () => {
    const r = relax(['build', '--json'], dir);
    const errors = r.stdout.trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { event: string; model?: string; target?: string; message?: string })
      .filter((e) => e.event === 'job-error').map((e) => `${e.model}:${e.target}: ${e.message}`);
    expect(errors).toEqual([]);
    expect(r.code).toBe(0);
    // Plain reductions take the Reduction rule, softmax / norms the RowReduction rule; nothing falls back.
    const man = JSON.parse(readFileSync(join(dir, 'dist/narrow/webgpu/manifest.json'), 'utf8')) as { kernels: { name: string; scheduledBy: string }[] };
    const rules = new Set(man.kernels.map((k) => k.scheduledBy));
    expect(rules).toContain('Reduction');
    expect(rules).toContain('RowReduction');
    expect(man.kernels.filter((k) => k.scheduledBy === 'Fallback(single-thread)').map((k) => k.name)).toEqual([]);
  }, 600_000);

  it('the cuda kernels compiled with nvcc', () => {
    const hasNvcc = spawnSync('sh', ['-c', 'command -v nvcc'], { encoding: 'utf8' }).status === 0;
    if (!hasNvcc && !process.env.CI) { console.warn('skipped: nvcc is not installed'); return; }
    for (const g of Object.keys(groups)) expect(existsSync(join(dir, 'dist', g, 'cuda/kernels.cubin')), g).toBe(true);
  });

  for (const [g, device] of [['narrow', 'cpu'], ['wide', 'cpu'], ['narrow', 'webgpu']] as const) {
    it(`${g} runs on ${device} and matches every expected output`, () => {
      const m = groups[g];
      const out = join(dir, `out-${g}-${device}`);
      const r = relax(['run', join(dir, 'dist', g, device), ...m.inputs.flatMap((i) => ['--input', `${i.name}=${i.file}`]), '--out', out, '--device', device], dir);
      expect(r.code, r.stderr).toBe(0);
      m.outputs.forEach((f, i) => expectClose(join(out, `output_${i}.pb`), f, `${g} on ${device}, output ${i} (${f.split('/').slice(-3, -2)[0]})`));
    }, 300_000);
  }
});
