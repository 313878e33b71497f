/**
 * CNN models end to end through the CLI (dist/ built by `npm test`): mobilenet_v2 and squeezenet1_1 build for cpu,
 * webgpu and cuda with pipeline "default" and match onnxruntime's outputs on cpu and webgpu, at the stored batch 1
 * and at batch 2 (the stored image repeated, compared with onnxruntime-node); the nine onnx-light model-zoo
 * topologies build for all three targets in one `relax build --jobs 2`, without materialising their
 * ConstantOfShape weights, run on cpu (and three on webgpu) and match the stored outputs. Each model is built once
 * per target, in beforeAll.
 */
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { SHARED } from '../shared-dir.js';
import { expectClose, readPb, relax } from './models-helpers.js';
import { supportedOnnxOps } from '../../src/compiler/frontend/onnx/converters/index.js';
import { loadOnnx } from '../../src/compiler/frontend/onnx/load.js';
import { encodeTensorProto } from '../../src/formats/tensor-proto.js';
import { toNumbers, type HostTensor } from '../../src/formats/tensor.js';


function project(config: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'relax-cnn-'));
  writeFileSync(join(dir, 'relax.config.mjs'), config);
  return dir;
}

/** ONNX ops of a model that relax has no converter for. */
function missingOps(modelPath: string): string[] {
  const supported = new Set(supportedOnnxOps());
  return [...new Set(loadOnnx(readFileSync(modelPath)).graph.nodes.map((n) => n.opType))].filter((op) => !supported.has(op)).sort();
}


/** The stored input repeated `n` times along the batch dim. */
function repeatBatch(t: HostTensor, n: number): HostTensor {
  const data = new Uint8Array(t.data.length * n);
  for (let i = 0; i < n; i++) data.set(t.data, i * t.data.length);
  return { dtype: t.dtype, shape: [t.shape[0]! * n, ...t.shape.slice(1)], data };
}

async function onnxruntime(modelPath: string, name: string, x: HostTensor): Promise<{ shape: number[]; values: number[] }> {
  const ort = await import('onnxruntime-node');
  const session = await ort.InferenceSession.create(modelPath);
  const f32 = new Float32Array(x.data.buffer.slice(x.data.byteOffset, x.data.byteOffset + x.data.byteLength));
  const out = await session.run({ [name]: new ort.Tensor('float32', f32, x.shape) });
  const y = out[session.outputNames[0]!]!;
  return { shape: [...y.dims], values: Array.from(y.data as Float32Array) };
}

/** WebGPU through Dawn: required under CI, otherwise skipped with the reason printed. */
let webgpuSkip: string | undefined;
beforeAll(async () => {
  const { requestNodeAdapter, dawnLoadError } = await import('../../src/backends/webgpu/gpu.js');
  const adapter = await requestNodeAdapter('run').catch(() => null);
  if (!adapter && !process.env.CI) webgpuSkip = `no WebGPU adapter (${dawnLoadError() ?? 'Dawn could not create one'})`;
});

const CNN = ['mobilenet_v2', 'squeezenet1_1'] as const;
const cnnPath = (m: string) => join(SHARED, 'models', m, 'model.onnx');
const timings: Record<string, number> = {};

describe('CNN models (mobilenet_v2, squeezenet1_1)', () => {
  const dir = project(`export default { models: { ${CNN.map((m) => `${m}: ${JSON.stringify(cnnPath(m))}`).join(', ')} }, targets: ['cpu', 'webgpu', { kind: 'cuda', arch: 'sm_90' }] };\n`);
  let build: ReturnType<typeof relax>;
  beforeAll(() => { build = relax(['build', '--json', '--jobs', '2'], dir); }, 900_000);

  it('every ONNX op of both models has a converter', () => {
    for (const m of CNN) expect(missingOps(cnnPath(m)), m).toEqual([]);
  });

  it('build for cpu, webgpu and cuda with "default"; conv kernels get one output tile per GPU thread; no duplicate kernels', () => {
    const r = build;
    expect(r.log).not.toContain('job-error');
    expect(r.code).toBe(0);
    const done = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { event: string; model?: string; target?: string; ms?: number }).filter((e) => e.event === 'job-done');
    expect(done).toHaveLength(CNN.length * 3);
    for (const e of done) timings[`build ${e.model}:${e.target} (done at)`] = Math.round(e.ms!);
    timings['build all (CLI)'] = Math.round(r.ms);
    for (const m of CNN) {
      for (const t of ['webgpu', 'cuda']) {
        const man = JSON.parse(readFileSync(join(dir, 'dist', m, t, 'manifest.json'), 'utf8')) as { kernels: { name: string; scheduledBy: string; origin?: string[] }[] };
        const convs = man.kernels.filter((k) => k.origin?.some((o) => o.startsWith('Conv ')) && k.name.includes('conv'));
        expect(convs.length).toBeGreaterThan(0);
        for (const k of convs) expect(k.scheduledBy, `${m}:${t} ${k.name}`).toBe('OutputParallel');
        for (const k of man.kernels) expect(k.scheduledBy, `${m}:${t} ${k.name}`).not.toBe('Fallback(single-thread)');
      }
      // TorchScript's Identity-wrapped shared biases fold to constants at import: no identity kernels on any target.
      for (const t of ['cpu', 'webgpu', 'cuda']) {
        const man = JSON.parse(readFileSync(join(dir, 'dist', m, t, 'manifest.json'), 'utf8')) as { kernels: { name: string; origin?: string[] }[] };
        expect(man.kernels.filter((k) => k.origin?.some((o) => o.startsWith('Identity '))).map((k) => k.name), `${m}:${t}`).toEqual([]);
      }
      // DedupeTIR: no two WGSL kernels have the same code.
      const wgsl = readFileSync(join(dir, 'dist', m, 'webgpu', 'kernels.wgsl'), 'utf8');
      const bodies = wgsl.split('\n// ---- kernel ').slice(1).map((k) => k.slice(k.indexOf('\n')).replace(/fn \w+\(/, 'fn _(').replace(/\bk\d+_/g, 'k_'));
      expect(bodies.length).toBeGreaterThan(10);
      expect(new Set(bodies).size, `${m}: distinct WGSL kernels`).toBe(bodies.length);
    }
  });

  for (const m of CNN) {
    const data = join(SHARED, 'models', m, 'test_data_set_0');
    for (const device of ['cpu', 'webgpu'] as const) {
      it(`${m} on ${device} matches output_0.pb (rtol 1e-3, atol 1e-4)`, (ctx) => {
        if (device === 'webgpu' && webgpuSkip) { console.warn(`skipped: ${webgpuSkip}`); ctx.skip(); }
        const out = join(dir, `out-${m}-${device}`);
        const r = relax(['run', join(dir, 'dist', m, device), '--input', `image=${join(data, 'input_0.pb')}`, '--out', out, '--device', device], dir);
        expect(r.stderr).not.toMatch(/error/i);
        expect(r.code).toBe(0);
        timings[`run ${m}:${device} (CLI, incl. load)`] = Math.round(r.ms);
        const want = readPb(join(data, 'output_0.pb'));
        expectClose(readPb(join(out, 'output_0.pb')), { shape: want.shape, values: toNumbers(want) }, { scaleAware: true });
      }, 600_000);

      it(`${m} on ${device} at batch 2 matches onnxruntime-node, and each row matches batch 1`, async (ctx) => {
        if (device === 'webgpu' && webgpuSkip) { console.warn(`skipped: ${webgpuSkip}`); ctx.skip(); }
        const x2 = repeatBatch(readPb(join(data, 'input_0.pb')), 2);
        const input = join(dir, `${m}-batch2.pb`);
        writeFileSync(input, encodeTensorProto(x2, 'image'));
        const out = join(dir, `out2-${m}-${device}`);
        const r = relax(['run', join(dir, 'dist', m, device), '--input', `image=${input}`, '--out', out, '--device', device], dir);
        expect(r.stderr).not.toMatch(/error/i);
        expect(r.code).toBe(0);
        const got = readPb(join(out, 'output_0.pb'));
        expectClose(got, await onnxruntime(cnnPath(m), 'image', x2), { scaleAware: true });
        const one = readPb(join(data, 'output_0.pb')), n = one.shape.slice(1).reduce((a, b) => a * b, 1);
        const rows = toNumbers(got);
        for (let b = 0; b < 2; b++) {
          expectClose({ ...one, data: one.data }, { shape: one.shape, values: rows.slice(b * n, (b + 1) * n) }, { scaleAware: true });
        }
      }, 600_000);
    }
  }

  it('timings', () => { console.log('CNN timings (ms):', timings); });
});

const LIGHT = ['bvlc_alexnet', 'densenet121', 'inception_v1', 'inception_v2', 'resnet50', 'shufflenet', 'squeezenet', 'vgg19', 'zfnet512'] as const;
const lightPath = (m: string) => join(SHARED, 'models/onnx-light', m, 'model.onnx');

describe('onnx-light model-zoo topologies (opset 9)', () => {
  const dir = project(`export default { models: { ${LIGHT.map((m) => `${m}: ${JSON.stringify(lightPath(m))}`).join(', ')} }, targets: ['cpu', 'webgpu', { kind: 'cuda', arch: 'sm_90' }] };\n`);
  const lightTimings: Record<string, number> = {};
  let build: ReturnType<typeof relax>;
  beforeAll(() => { build = relax(['build', '--json', '--jobs', '2'], dir); }, 1_800_000);

  it('every ONNX op of the nine models has a converter', () => {
    for (const m of LIGHT) expect(missingOps(lightPath(m)), m).toEqual([]);
  });

  it(`${LIGHT.join(', ')} build for cpu, webgpu and cuda with "default"; ConstantOfShape weights are never stored`, () => {
    const r = build;
    const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { event: string; model?: string; target?: string; message?: string });
    const errors = events.filter((e) => e.event === 'job-error').map((e) => `${e.model}:${e.target}: ${e.message}`);
    expect(errors).toEqual([]);
    expect(r.code).toBe(0);
    expect(events.filter((e) => e.event === 'job-done')).toHaveLength(LIGHT.length * 3);
    lightTimings['build all (CLI, --jobs 2)'] = Math.round(r.ms);
    // Weights stay the model's own small initializers (vgg19 alone has ~143M ConstantOfShape elements).
    for (const m of LIGHT) {
      for (const t of ['cpu', 'webgpu', 'cuda']) {
        expect(statSync(join(dir, 'dist', m, t, 'weights.safetensors')).size, `${m}:${t}`).toBeLessThan(2 << 20);
      }
    }
  });

  const inputOf = (m: string, target: string) =>
    (JSON.parse(readFileSync(join(dir, 'dist', m, target, 'manifest.json'), 'utf8')) as { inputs: { name: string }[] }).inputs[0]!.name;
  const runs = [...LIGHT.map((m) => [m, 'cpu'] as const), ...(['bvlc_alexnet', 'zfnet512', 'shufflenet'] as const).map((m) => [m, 'webgpu'] as const)];
  for (const [m, device] of runs) {
    const rtol = m === 'densenet121' ? 2e-3 : 1e-3;
    it(`${m} on ${device} matches output_0.pb (rtol ${rtol}, atol 1e-7)`, (ctx) => {
      if (device === 'webgpu' && webgpuSkip) { console.warn(`skipped: ${webgpuSkip}`); ctx.skip(); }
      const data = join(SHARED, 'models/onnx-light', m, 'test_data_set_0');
      const out = join(dir, `out-${m}-${device}`);
      // Artifact input names are sanitized ('gpu_0/data_0' -> 'gpu_0_data_0'): take the name from the manifest.
      const r = relax(['run', join(dir, 'dist', m, device), '--input', `${inputOf(m, device)}=${join(data, 'input_0.pb')}`, '--out', out, '--device', device], dir);
      expect(r.stderr).not.toMatch(/error/i);
      expect(r.code).toBe(0);
      lightTimings[`run ${m}:${device} (CLI, incl. load)`] = Math.round(r.ms);
      const want = readPb(join(data, 'output_0.pb'));
      expectClose(readPb(join(out, 'output_0.pb')), { shape: want.shape, values: toNumbers(want) }, { rtol, atol: 1e-7, scaleAware: true });
    }, 600_000);
  }

  it('timings', () => { console.log('onnx-light timings (ms):', lightTimings); });
});
