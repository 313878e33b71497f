/**
 * Shape and data-movement ops through the real CLI on cpu: a handful of ONNX node tests (build-time-only inputs
 * folded into initializers, as a user binding them at build time would), and a TorchScript-style shape chain
 * over symbolic dims whose single artifact runs at several sizes.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONVERTERS } from '../../src/compiler/frontend/onnx/converters/index.js';
import { loadOnnx } from '../../src/compiler/frontend/onnx/load.js';
import { decodeTensorProto, encodeTensorProto } from '../../src/formats/tensor-proto.js';
import { fromTyped, numel, toNumbers } from '../../src/formats/tensor.js';
import { buildModel, constantize } from '../frontend/onnx-builder.js';

const ROOT = resolve(__dirname, '../..');
const NODE = resolve(ROOT, '../shared/conformance/onnx-node');
const CLI = join(ROOT, 'bin/relax.js');
const hasCc = spawnSync('cc', ['--version']).status === 0;
const canRun = (hasCc && existsSync(NODE) && existsSync(join(ROOT, 'dist/index.js'))) || !!process.env.CI;
if (!canRun) console.log('skipping data-movement e2e: needs cc, ../shared/conformance and dist/ (npm run build:ts)');

function relax(args: string[], cwd: string) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', timeout: 300_000 });
  return { code: r.status, log: r.stdout + r.stderr };
}

const CASES = [
  'test_concat_3d_axis_negative_2', 'test_split_variable_parts_2d_opset18', 'test_slice_neg', 'test_reflect_pad',
  'test_constant_pad_axes', 'test_expand_dim_changed', 'test_gather_negative_indices', 'test_gather_elements_negative_indices',
  'test_triu_neg', 'test_reshape_zero_and_negative_dim', 'test_resize_upsample_scales_linear',
  'test_resize_downsample_sizes_cubic_antialias', 'test_resize_tf_crop_and_resize_extrapolation_value', 'test_shape_start_1',
  'test_constantofshape_int_zeros',
];

describe.skipIf(!canRun)('shape and data-movement node tests through the CLI (cpu)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'relax-e2e-shp-'));
  /** Per case: the data files of the graph inputs that stay runtime inputs, with their names. */
  const runtime = new Map<string, { name: string; file: string }[]>();
  for (const c of CASES) {
    const bytes = readFileSync(join(NODE, c, 'model.onnx'));
    const g = loadOnnx(bytes).graph;
    const names = g.inputs.map((v) => v.name);
    const constIdx = CONVERTERS[g.nodes[0]!.opType]?.constInputs ?? [];
    const fold: Record<string, string> = {};
    const keep: { name: string; file: string }[] = [];
    names.forEach((n, j) => {
      const file = join(NODE, c, 'test_data_set_0', `input_${j}.pb`);
      if (constIdx.some((i) => g.nodes[0]!.inputs[i] === n)) fold[n] = file;
      else keep.push({ name: n, file });
    });
    mkdirSync(join(dir, 'models'), { recursive: true });
    writeFileSync(join(dir, 'models', `${c}.onnx`), constantize(bytes, fold));
    runtime.set(c, keep);
  }
  writeFileSync(join(dir, 'relax.config.mjs'), `export default { models: { ${CASES.map((c) => `${c}: './models/${c}.onnx'`).join(', ')} }, targets: ['cpu'] };\n`);

  it('builds all of them', () => {
    const r = relax(['build'], dir);
    expect(r.log).not.toMatch(/RLX_/);
    expect(r.code).toBe(0);
  }, 300_000);

  for (const c of CASES) {
    it(`${c} matches its expected outputs`, () => {
      const out = join(dir, `out-${c}`);
      const ins = runtime.get(c)!.flatMap((x) => ['--input', `${x.name}=${x.file}`]);
      const r = relax(['run', join(dir, 'dist', c, 'cpu'), ...ins, '--out', out], dir);
      expect(r.code, r.log).toBe(0);
      const expected = readdirSync(join(NODE, c, 'test_data_set_0')).filter((f) => f.startsWith('output_'));
      for (const f of expected) {
        const a = decodeTensorProto(readFileSync(join(out, f))).tensor, e = decodeTensorProto(readFileSync(join(NODE, c, 'test_data_set_0', f))).tensor;
        expect(a.dtype).toBe(e.dtype);
        expect(a.shape).toEqual(e.shape);
        const x = toNumbers(a), y = toNumbers(e);
        expect(x.filter((v, i) => Math.abs(v - y[i]!) > 1e-6 + 1e-3 * Math.abs(y[i]!)).length).toBe(0);
      }
    }, 60_000);
  }
});

describe.skipIf(!canRun)('a symbolic shape chain: one cpu artifact, several sizes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'relax-e2e-sym-'));
  const i64 = (v: number[], shape = [v.length]) => fromTyped('int64', shape, new BigInt64Array(v.map(BigInt)));
  const c = (name: string, t: ReturnType<typeof i64>) => ({ op: 'Constant', inputs: [], outputs: [name], attrs: { value: t } });
  // y = Transpose(Reshape(x, [batch, seq, 2, 4]), [0, 2, 1, 3]), the target computed from s = Shape(x); z = s + s
  writeFileSync(join(dir, 'chain.onnx'), buildModel({
    opset: 17,
    inputs: [{ name: 'x', dtype: 'float32', dims: ['batch', 'seq', 8] }],
    outputs: [{ name: 'y', dtype: 'float32' }, { name: 's', dtype: 'int64' }, { name: 'z', dtype: 'int64' }],
    nodes: [
      c('zero', i64([0], [])), c('one', i64([1], [])), c('ax0', i64([0])), c('tail', i64([2, 4])),
      { op: 'Shape', inputs: ['x'], outputs: ['s'] },
      { op: 'Gather', inputs: ['s', 'zero'], outputs: ['b'], attrs: { axis: 0 } },
      { op: 'Gather', inputs: ['s', 'one'], outputs: ['q'], attrs: { axis: 0 } },
      { op: 'Unsqueeze', inputs: ['b', 'ax0'], outputs: ['bu'] },
      { op: 'Unsqueeze', inputs: ['q', 'ax0'], outputs: ['qu'] },
      { op: 'Concat', inputs: ['bu', 'qu', 'tail'], outputs: ['target'], attrs: { axis: 0 } },
      { op: 'Reshape', inputs: ['x', 'target'], outputs: ['r'] },
      { op: 'Transpose', inputs: ['r'], outputs: ['y'], attrs: { perm: [0, 2, 1, 3] } },
      // the shape itself as data: returned directly, and consumed by a kernel
      { op: 'Add', inputs: ['s', 's'], outputs: ['z'] },
    ],
  }));
  writeFileSync(join(dir, 'relax.config.mjs'), "export default { models: { chain: './chain.onnx' }, targets: ['cpu'] };\n");

  it('builds once with symbolic inputs and runs at three sizes', () => {
    const b = relax(['build'], dir);
    expect(b.code, b.log).toBe(0);
    const manifest = JSON.parse(readFileSync(join(dir, 'dist/chain/cpu/manifest.json'), 'utf8'));
    expect(JSON.stringify(manifest.inputs)).toContain('batch');
    for (const [bt, sq] of [[1, 3], [2, 5], [4, 1]] as const) {
      const x = fromTyped('float32', [bt, sq, 8], Float32Array.from({ length: bt * sq * 8 }, (_, i) => i * 0.25));
      writeFileSync(join(dir, 'x.pb'), encodeTensorProto(x, 'x'));
      const out = join(dir, `out-${bt}-${sq}`);
      const r = relax(['run', join(dir, 'dist/chain/cpu'), '--input', `x=${join(dir, 'x.pb')}`, '--out', out], dir);
      expect(r.code, r.log).toBe(0);
      const y = decodeTensorProto(readFileSync(join(out, 'output_0.pb'))).tensor;
      expect(y.shape).toEqual([bt, 2, sq, 4]);
      const xv = toNumbers(x);
      const want: number[] = [];
      for (let i = 0; i < bt; i++) for (let j = 0; j < 2; j++) for (let k = 0; k < sq; k++) for (let l = 0; l < 4; l++) want.push(xv[((i * sq + k) * 2 + j) * 4 + l]!);
      expect(toNumbers(y)).toEqual(want);
      expect(numel(y.shape)).toBe(bt * sq * 8);
      expect(toNumbers(decodeTensorProto(readFileSync(join(out, 'output_1.pb'))).tensor)).toEqual([bt, sq, 8]);
      expect(toNumbers(decodeTensorProto(readFileSync(join(out, 'output_2.pb'))).tensor)).toEqual([2 * bt, 2 * sq, 16]);
    }
  }, 300_000);
});
