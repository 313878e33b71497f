/**
 * ONNX node conformance on WebGPU through the public CLI (dist/, built by `npm test`): every test of an op relax
 * imports is built for webgpu in one `relax build` and run with `relax run --device webgpu`. Inputs relax needs as
 * constants are folded into the model first (as the in-process conformance test does). The only allowed failures
 * are build-time rejections of float64 kernels (RLX_WEBGPU_UNSUPPORTED_DTYPE) and sequence inputs.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONVERTERS, supportedOnnxOps } from '../../src/compiler/frontend/onnx/converters/index.js';
import { importOnnx } from '../../src/compiler/frontend/onnx/import.js';
import { loadOnnx } from '../../src/compiler/frontend/onnx/load.js';
import { isRelaxError } from '../../src/diagnostics/index.js';
import { decodeTensorProto } from '../../src/formats/tensor-proto.js';
import { toNumbers } from '../../src/formats/tensor.js';
import { constantize } from '../frontend/onnx-builder.js';
import { haveWebGpu } from './webgpu-fixtures.js';

const ROOT = resolve(__dirname, '../..');
const CLI = join(ROOT, 'bin/relax.js');
const CONF = resolve(ROOT, '../shared/conformance/onnx-node');
const env = { ...process.env, EGL_PLATFORM: 'surfaceless' };

const available = existsSync(join(CONF, 'INDEX.tsv')) && existsSync(join(ROOT, 'dist/cli/index.js')) && await haveWebGpu();
if (!available && !process.env.CI) console.warn('skipping webgpu conformance: needs ../shared/conformance, dist/ (npm run build:ts) and a WebGPU adapter');
const run = available || !!process.env.CI;

/**
 * Build failures that are not about dtypes, owned elsewhere (listed so this test keeps checking everything else):
 * Softmax on the webgpu pipeline leaves a global intermediate inside its fused kernel (also on main).
 */
const KNOWN_OTHER: readonly { test: RegExp; code: string }[] = [{ test: /^test_softmax_/, code: 'RLX_VERIFY_ALLOC' }];

interface Row { test: string; op: string; io: string }
const rows: Row[] = existsSync(join(CONF, 'INDEX.tsv'))
  ? readFileSync(join(CONF, 'INDEX.tsv'), 'utf8').trim().split('\n').slice(1).map((l) => {
    const [test, op, , inputs, outputs] = l.split('\t');
    return { test: test!, op: op!, io: `${inputs} ${outputs}` };
  })
  : [];

function relax(args: string[], cwd: string) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, env, encoding: 'utf8', timeout: 300_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** `relax` without blocking, so several runs (each its own process and Dawn device) overlap. */
function relaxAsync(args: string[], cwd: string): Promise<{ code: number | null; log: string }> {
  return new Promise((done) => {
    const p = spawn(process.execPath, [CLI, ...args], { cwd, env });
    let log = '';
    p.stdout.on('data', (d) => { log += d; });
    p.stderr.on('data', (d) => { log += d; });
    p.on('close', (code) => done({ code, log }));
  });
}

async function pool<T>(items: readonly T[], width: number, fn: (x: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => { while (next < items.length) await fn(items[next++]!); }));
}

const dataFiles = (dir: string, prefix: string) => readdirSync(join(dir, 'test_data_set_0')).filter((f) => f.startsWith(prefix))
  .sort((a, b) => Number(a.match(/\d+/)![0]) - Number(b.match(/\d+/)![0])).map((f) => join(dir, 'test_data_set_0', f));

/** ONNX's check: same dtype and shape, |a - e| <= 1e-7 + 1e-3 |e| (ints and bools exactly), NaN matches NaN. */
function mismatch(actualFile: string, expectedFile: string): string | undefined {
  const a = decodeTensorProto(readFileSync(actualFile)).tensor, e = decodeTensorProto(readFileSync(expectedFile)).tensor;
  if (a.dtype !== e.dtype) return `dtype ${a.dtype}, expected ${e.dtype}`;
  if (a.shape.join() !== e.shape.join()) return `shape [${a.shape}], expected [${e.shape}]`;
  if (a.dtype === 'int64' || a.dtype === 'uint64') {
    if (Buffer.compare(Buffer.from(a.data), Buffer.from(e.data)) !== 0) return 'int64 values differ';
    return undefined;
  }
  const x = toNumbers(a), y = toNumbers(e);
  const exact = !a.dtype.startsWith('float') && a.dtype !== 'bfloat16';
  // Equal values match (inf matches inf of the same sign: inf - inf is NaN, which no tolerance accepts).
  const bad = y.findIndex((v, i) => (Number.isNaN(v) ? !Number.isNaN(x[i]!) : exact ? x[i] !== v : x[i] !== v && !(Math.abs(x[i]! - v) <= 1e-7 + 1e-3 * Math.abs(v))));
  return bad < 0 ? undefined : `element ${bad}: ${x[bad]} vs ${y[bad]}`;
}

describe.runIf(run)('onnx-node conformance on webgpu (CLI)', () => {
  it('builds and runs every test of a supported op; only float64 kernels are rejected, with a diagnostic', async () => {
    const ops = new Set(supportedOnnxOps());
    const work = mkdtempSync(join(tmpdir(), 'relax-wgpu-conf-'));
    const models: Record<string, string> = {};
    const inputs: Record<string, string[]> = {};
    const skipped: string[] = [];
    for (const r of rows.filter((x) => ops.has(x.op))) {
      const dir = join(CONF, r.test);
      const modelPath = join(dir, 'model.onnx');
      let bytes = new Uint8Array(readFileSync(modelPath));
      let files = dataFiles(dir, 'input_');
      try {
        importOnnx(bytes, { modelPath, modelName: r.test });
      } catch (e) {
        if (!isRelaxError(e) || e.diagnostic.code !== 'RLX_ONNX_UNSUPPORTED') throw e;
        const idx = CONVERTERS[r.op]?.constInputs;
        if (!idx) { skipped.push(`${r.test}: ${e.diagnostic.message}`); continue; }
        const names = loadOnnx(bytes).graph.inputs.map((v) => v.name);
        const fold: Record<string, string> = {};
        for (const i of idx) if (files[i] && names[i]) fold[names[i]!] = files[i]!;
        bytes = constantize(bytes, fold);
        files = files.filter((f) => !Object.values(fold).includes(f));
      }
      const p = join(work, `${r.test}.onnx`);
      writeFileSync(p, bytes);
      models[r.test] = p;
      const names = loadOnnx(bytes).graph.inputs.map((v) => v.name);
      inputs[r.test] = files.flatMap((f, i) => ['--input', `${names[i]}=${f}`]);
    }
    writeFileSync(join(work, 'relax.config.json'), JSON.stringify({ models, targets: ['webgpu'] }));
    const b = relax(['build', '--json'], work);
    const events = b.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { event: string; model?: string; code?: string; message?: string });
    const errors = events.filter((e) => e.event === 'job-error');
    const rejected: string[] = [], other: string[] = [];
    const failed: string[] = [];
    for (const e of errors) {
      const row = rows.find((r) => r.test === e.model)!;
      // float64 is the one dtype WebGPU cannot have; everything else must build.
      if (/^RLX_WEBGPU_UNSUPPORTED_DTYPE .*float64.*no 64-bit floats/.test(`${e.code} ${e.message}`) && row.io.includes('float64')) rejected.push(e.model!);
      else if (KNOWN_OTHER.some((k) => k.test.test(e.model!) && k.code === e.code)) other.push(`${e.model} (${e.code})`);
      else failed.push(`${e.model}: build: ${e.code} ${e.message}`);
    }
    let passed = 0;
    const built = new Set(events.filter((e) => e.event === 'job-done').map((e) => e.model!));
    await pool(Object.keys(models).filter((m) => built.has(m)), 4, async (name) => {
      const out = join(work, 'out', name);
      const r = await relaxAsync(['run', join(work, 'dist', name, 'webgpu'), ...inputs[name]!, '--out', out, '--device', 'webgpu'], work);
      if (r.code !== 0) { failed.push(`${name}: exit ${r.code}: ${r.log.split('\n').filter((l) => !l.startsWith('Warning:')).join(' ').trim()}`); return; }
      const expected = dataFiles(join(CONF, name), 'output_');
      const errs = expected.map((f, i) => mismatch(join(out, `output_${i}.pb`), f)).filter(Boolean);
      if (errs.length) failed.push(`${name}: ${errs.join('; ')}`); else passed++;
    });
    console.log(`webgpu onnx-node (CLI): ${Object.keys(models).length} built-or-rejected, ${passed} pass, ${rejected.length} rejected (float64): ${rejected.join(', ')}; ${other.length} known non-dtype build failures: ${other.join(', ')}; ${skipped.length} not importable: ${skipped.join('; ')}`);
    expect(failed).toEqual([]);
    expect(passed).toBeGreaterThan(0);
  }, 600_000);
});
