/**
 * End-to-end through the public CLI (dist/ built by `npm test`): the walking skeleton's "done when" list.
 * Reads the shared models and ONNX node tests beside the repo (../shared).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeTensorProto, encodeTensorProto } from '../../src/formats/tensor-proto.js';
import { toNumbers } from '../../src/formats/tensor.js';

const ROOT = resolve(__dirname, '../..');
const SHARED = resolve(ROOT, '../shared');
const CLI = join(ROOT, 'bin/relax.js');
const env = { ...process.env, EGL_PLATFORM: 'surfaceless' };

function relax(args: string[], cwd: string) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, env, encoding: 'utf8', timeout: 300_000 });
  // Human output may go to either stream; `log` is both.
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, log: r.stdout + r.stderr };
}

function project(config: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'relax-e2e-'));
  writeFileSync(join(dir, 'relax.config.mjs'), config);
  return dir;
}

/** |a − e| ≤ atol + rtol·|e| elementwise, same shape and dtype. */
function expectClose(actualFile: string, expectedFile: string, rtol: number, atol: number) {
  const a = decodeTensorProto(readFileSync(actualFile)).tensor;
  const e = decodeTensorProto(readFileSync(expectedFile)).tensor;
  expect(a.dtype).toBe(e.dtype);
  expect(a.shape).toEqual(e.shape);
  const x = toNumbers(a), y = toNumbers(e);
  const bad = y.map((v, i) => (Number.isNaN(v) ? !Number.isNaN(x[i]!) : Math.abs(x[i]! - v) > atol + rtol * Math.abs(v))).filter(Boolean).length;
  expect(bad).toBe(0);
}

function runArtifact(dir: string, caseDir: string, names: string[], outDir: string, device?: string) {
  const inputs = names.flatMap((n, i) => ['--input', `${n}=${join(caseDir, `input_${i}.pb`)}`]);
  return relax(['run', dir, ...inputs, '--out', outDir, ...(device ? ['--device', device] : [])], caseDir);
}

describe('mlp (Gemm → Clip(0, 6) → Gemm, dynamic batch) on every target', () => {
  const MLP = join(SHARED, 'models/mlp');
  const dir = project(`export default { models: { mlp: ${JSON.stringify(join(MLP, 'model.onnx'))} }, targets: ['cpu', 'webgpu', { kind: 'cuda', arch: 'sm_90' }] };\n`);

  it('builds for cpu, webgpu and cuda with "default", and a second identical build is all cache hits', () => {
    const first = relax(['build', '--json'], dir);
    expect(first.stderr + first.stdout).not.toContain('job-error');
    expect(first.code).toBe(0);
    // A compiled job says where its time went, phase by phase, and the phases fit inside the job's own time.
    for (const e of first.stdout.trim().split('\n').map((l) => JSON.parse(l) as { event: string; ms: number; phases?: Record<string, number> })) {
      if (e.event !== 'job-done') continue;
      expect(Object.keys(e.phases!)).toEqual(expect.arrayContaining(['import', 'passes', 'backend', 'finish', 'store']));
      const sum = Object.values(e.phases!).reduce((a, b) => a + b, 0);
      expect(Object.values(e.phases!).every((v) => v >= 0)).toBe(true);
      expect(sum).toBeLessThanOrEqual(e.ms + 1);
    }
    const second = relax(['build', '--json'], dir);
    expect(second.code).toBe(0);
    const events = second.stdout.trim().split('\n').map((l) => JSON.parse(l) as { event: string; cached?: boolean });
    const done = events.filter((e) => e.event === 'job-done');
    expect(done).toHaveLength(3);
    expect(done.every((e) => e.cached === true)).toBe(true);
  }, 300_000);

  it('records the resolved pipeline in each manifest: fusion and scheduling on GPUs, generic with dispatch on cpu', () => {
    const man = (t: string) => JSON.parse(readFileSync(join(dir, 'dist/mlp', t, 'manifest.json'), 'utf8'));
    for (const t of ['cuda', 'webgpu']) {
      const m = man(t);
      expect(m.pipeline.name).toBe(t);
      expect(m.pipeline.resolvedFrom).toBe('default');
      const passes = m.pipeline.stages.flatMap((s: { passes: string[] }) => s.passes);
      expect(passes).toEqual(expect.arrayContaining(['FuseOps', 'FuseTIR', 'ApplyDefaultSchedule', 'FoldConstant']));
      expect(m.kernels.every((k: { scheduledBy?: string; launch?: unknown }) => k.scheduledBy && k.launch)).toBe(true);
      expect(m.kernels.some((k: { name: string }) => k.name.startsWith('fused_'))).toBe(true);
    }
    const cpu = man('cpu');
    expect(cpu.pipeline.name).toBe('generic');
    const passes = cpu.pipeline.stages.flatMap((s: { passes: string[] }) => s.passes);
    expect(passes).toEqual(expect.arrayContaining(['DispatchSortScan', 'DispatchSampling']));
    expect(passes).not.toContain('FuseOps');
    expect(existsSync(join(dir, 'dist/mlp/cpu/kernels.so'))).toBe(true);
    expect(existsSync(join(dir, 'dist/mlp/webgpu/kernels.wgsl'))).toBe(true);
    expect(existsSync(join(dir, 'dist/mlp/cuda/kernels.cu'))).toBe(true);
  });

  it('the cuda kernels compiled with nvcc for sm_90', () => {
    const hasNvcc = spawnSync('sh', ['-c', 'command -v nvcc || test -x /usr/local/cuda/bin/nvcc'], { encoding: 'utf8' }).status === 0;
    if (!hasNvcc && !process.env.CI) { console.warn('skipped: nvcc is not installed'); return; }
    expect(existsSync(join(dir, 'dist/mlp/cuda/kernels.cubin'))).toBe(true);
  });

  for (const device of ['cpu', 'webgpu']) {
    it(`runs on ${device} and matches output_0.pb (rtol 1e-3, atol 1e-4)`, () => {
      const out = join(dir, `out-${device}`);
      const r = runArtifact(join(dir, 'dist/mlp', device), join(MLP, 'test_data_set_0'), ['x'], out);
      expect(r.stderr).not.toContain('error');
      expect(r.code).toBe(0);
      expectClose(join(out, 'output_0.pb'), join(MLP, 'test_data_set_0/output_0.pb'), 1e-3, 1e-4);
    }, 120_000);
  }

  // The batch dim stays symbolic: the same artifact runs 3 rows. The mlp is row-wise (Gemm, Clip, Gemm), so the
  // expected output is the first 3 rows of output_0.pb.
  for (const device of ['cpu', 'webgpu']) {
    it(`runs at another batch size on ${device} without rebuilding`, () => {
      const rows = (file: string, n: number): string => {
        const { name, tensor } = decodeTensorProto(readFileSync(file));
        const rowBytes = tensor.data.byteLength / tensor.shape[0]!;
        const t = { ...tensor, shape: [n, ...tensor.shape.slice(1)], data: tensor.data.slice(0, n * rowBytes) };
        const out = join(dir, `rows${n}-${name || 'x'}.pb`);
        writeFileSync(out, encodeTensorProto(t, name));
        return out;
      };
      const x3 = rows(join(MLP, 'test_data_set_0/input_0.pb'), 3), y3 = rows(join(MLP, 'test_data_set_0/output_0.pb'), 3);
      const out = join(dir, `out3-${device}`);
      const r = relax(['run', join(dir, 'dist/mlp', device), '--input', `x=${x3}`, '--out', out, '--device', device], dir);
      expect(r.code, r.stderr).toBe(0);
      expectClose(join(out, 'output_0.pb'), y3, 1e-3, 1e-4);
    }, 120_000);
  }

  it('rejects a wrong input shape with a clear error', () => {
    const r = relax(['run', join(dir, 'dist/mlp/cpu'), '--input', `x=${join(SHARED, 'conformance/onnx-node/test_abs/test_data_set_0/input_0.pb')}`], dir);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/RLX_RUN_BAD_INPUT/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('the TVM bug stays fixed', () => {
  it('mlp for cuda with pipeline "generic" fails verification (exit 1); with "default" it builds', () => {
    const model = JSON.stringify(join(SHARED, 'models/mlp/model.onnx'));
    const bad = project(`export default { models: { mlp: ${model} }, targets: ['cuda'], pipeline: 'generic' };\n`);
    const r = relax(['build'], bad);
    expect(r.code).toBe(1);
    expect(r.log).toContain('Memory verification failed: Variable');
    expect(r.log).toContain('is directly accessed by host memory (it is not contained in a thread environment or in the function arguments). Did you forget to bind?');
    expect(r.log).toMatch(/model mlp/);
    expect(r.log).toMatch(/kernel \w+/);
    expect(r.log).toMatch(/Gemm|Clip/);
    const good = project(`export default { models: { mlp: ${model} }, targets: ['cuda'], pipeline: 'default' };\n`);
    expect(relax(['build'], good).code).toBe(0);
  }, 300_000);
});

describe('relax pipeline', () => {
  it('shows fusion and scheduling for cuda and webgpu, and the generic pipeline with sort/scan and sampling dispatch for cpu', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'relax-pipe-'));
    for (const t of ['cuda', 'webgpu']) {
      const out = JSON.parse(execFileSync(process.execPath, [CLI, 'pipeline', '--target', t, '--json'], { cwd: tmp, encoding: 'utf8' }));
      const passes = out.pipeline.stages.flatMap((s: { passes: string[] }) => s.passes);
      expect(out.pipeline.name).toBe(t);
      expect(out.pipeline.reason).toMatch(/"gpu"/);
      expect(passes).toEqual(expect.arrayContaining(['FuseOps', 'FuseTIR', 'ApplyDefaultSchedule']));
    }
    const cpu = execFileSync(process.execPath, [CLI, 'pipeline', '--target', 'cpu'], { cwd: tmp, encoding: 'utf8' });
    expect(cpu).toMatch(/pipeline\s+generic/);
    expect(cpu).toMatch(/DispatchSortScan/);
    expect(cpu).toMatch(/DispatchSampling/);
    expect(cpu).not.toMatch(/FuseOps/);
  });
});

describe('cumsum and topk node tests build for cpu with "default" and match', () => {
  const NODE = join(SHARED, 'conformance/onnx-node');
  const cases = readdirSync(NODE).filter((n) => n.startsWith('test_cumsum_') || n.startsWith('test_top_k'));
  const index = new Map(readFileSync(join(NODE, 'INDEX.tsv'), 'utf8').trim().split('\n').slice(1).map((l) => { const c = l.split('\t'); return [c[0]!, c] as const; }));
  const dir = project(`export default { models: { ${cases.map((c) => `${c}: ${JSON.stringify(join(NODE, c, 'model.onnx'))}`).join(', ')} }, targets: ['cpu'] };\n`);

  it('builds all of them', () => {
    expect(cases.length).toBe(11);
    const r = relax(['build'], dir);
    expect(r.stderr).not.toMatch(/failed\n/);
    expect(r.code).toBe(0);
  }, 300_000);

  for (const c of cases) {
    it(`${c} matches its expected outputs`, () => {
      const inputs = index.get(c)![3]!.split(';').map((s) => s.split(':')[0]!);
      const out = join(dir, `out-${c}`);
      const r = runArtifact(join(dir, 'dist', c, 'cpu'), join(NODE, c, 'test_data_set_0'), inputs, out);
      expect(r.stderr).not.toMatch(/error/);
      const outputs = readdirSync(join(NODE, c, 'test_data_set_0')).filter((f) => f.startsWith('output_'));
      for (const f of outputs) expectClose(join(out, f), join(NODE, c, 'test_data_set_0', f), 1e-3, 1e-7);
    }, 60_000);
  }
});
