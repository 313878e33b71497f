/**
 * `relax init`: the scaffold (files, package.json create/merge, refusals without --force), and a real build of
 * the scaffolded project through the CLI (dist/ built by `npm test`) whose output is checked against a plain-JS
 * evaluation of the template model's weights.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { onnxType } from '../../src/compiler/frontend/onnx/schema.js';
import { exampleMlp } from '../../src/cli/example-model.js';
import { main } from '../../src/cli/index.js';
import { encodeTensorProto, decodeTensorProto, tensorFromMessage, type TensorProtoMessage } from '../../src/formats/tensor-proto.js';
import { fromTyped, toNumbers } from '../../src/formats/tensor.js';

const ROOT = resolve(__dirname, '../..');
const CLI = join(ROOT, 'bin/relax.js');
const TEMPLATE_MODEL = join(ROOT, 'templates/default/models/mlp.onnx');

const cleanups: string[] = [];
afterEach(() => {
  while (cleanups.length) rmSync(cleanups.pop()!, { recursive: true, force: true });
});

function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'relax-init-'));
  cleanups.push(d);
  return d;
}

function io(cwd: string) {
  const out: string[] = [];
  const err: string[] = [];
  return {
    stdout: () => out.join(''),
    stderr: () => err.join(''),
    io: { stdout: { write: (s: string) => out.push(s), isTTY: false }, stderr: { write: (s: string) => err.push(s) }, cwd, env: {} },
  };
}

const readJson = (f: string) => JSON.parse(readFileSync(f, 'utf8')) as Record<string, any>;

describe('the template model', () => {
  it('is exampleMlp() byte for byte, the same bytes as examples/models/tiny_mlp.onnx', () => {
    const bytes = readFileSync(TEMPLATE_MODEL);
    expect(Buffer.compare(bytes, Buffer.from(exampleMlp()))).toBe(0);
    expect(Buffer.compare(bytes, readFileSync(join(ROOT, 'examples/models/tiny_mlp.onnx')))).toBe(0);
    // Other options give other bytes (distinct models for tests and benchmarks).
    expect(Buffer.compare(bytes, Buffer.from(exampleMlp({ seed: 7 })))).not.toBe(0);
    expect(Buffer.compare(Buffer.from(exampleMlp({ docString: 'v2' })), bytes)).not.toBe(0);
  });
});

describe('relax init', () => {
  it('scaffolds an empty folder: config, model, .gitignore, package.json with scripts; prints the next commands', async () => {
    const parent = tmp();
    const c = io(parent);
    expect(await main(['init', 'proj'], c.io)).toBe(0);
    const dir = join(parent, 'proj');
    expect(readFileSync(join(dir, 'relax.config.ts'), 'utf8')).toBe(readFileSync(join(ROOT, 'templates/default/relax.config.ts'), 'utf8'));
    expect(Buffer.compare(readFileSync(join(dir, 'models/mlp.onnx')), readFileSync(TEMPLATE_MODEL))).toBe(0);
    expect(readFileSync(join(dir, '.gitignore'), 'utf8')).toContain('dist/');
    const pkg = readJson(join(dir, 'package.json'));
    expect(pkg.name).toBe('proj');
    expect(pkg.private).toBe(true);
    expect(pkg.scripts).toEqual({ build: 'relax build', dev: 'relax build --watch' });
    expect(pkg.devDependencies.relax).toMatch(/^\^\d+\.\d+\.\d+$/);
    const out = c.stdout();
    for (const f of ['relax.config.ts', 'models/mlp.onnx', '.gitignore', 'package.json']) expect(out).toContain(`created  ${f}`);
    expect(out).toContain('cd proj');
    expect(out).toContain('npm run build');
    expect(out).toContain('npm run dev');
    expect(c.stderr()).toBe('');
  });

  it('merges scripts into an existing package.json, keeping its fields and indentation', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'package.json'), `${JSON.stringify({ name: 'mine', type: 'module', scripts: { test: 'vitest', build: 'relax build' }, devDependencies: { relax: 'file:../relax' } }, null, 4)}\n`);
    const c = io(dir);
    expect(await main(['init'], c.io)).toBe(0);
    const text = readFileSync(join(dir, 'package.json'), 'utf8');
    expect(text).toMatch(/^\{\n {4}"name": "mine"/);
    const pkg = JSON.parse(text);
    expect(pkg).toEqual({ name: 'mine', type: 'module', scripts: { test: 'vitest', build: 'relax build', dev: 'relax build --watch' }, devDependencies: { relax: 'file:../relax' } });
    expect(c.stdout()).toContain('updated  package.json (scripts.dev)');
    expect(c.stdout()).not.toContain('cd ');
  });

  it('refuses to overwrite files, a different script or a package.json#relax config without --force (exit 2, names them, writes nothing)', async () => {
    const dir = tmp();
    mkdirSync(join(dir, 'models'));
    writeFileSync(join(dir, 'models/mlp.onnx'), 'my model');
    writeFileSync(join(dir, 'relax.config.mjs'), 'export default {}\n');
    const pkgText = JSON.stringify({ name: 'x', scripts: { build: 'tsc' }, relax: { models: {} } });
    writeFileSync(join(dir, 'package.json'), pkgText);
    writeFileSync(join(dir, '.gitignore'), 'mine\n');
    const c = io(dir);
    expect(await main(['init'], c.io)).toBe(2);
    const err = c.stderr();
    expect(err).toContain('models/mlp.onnx');
    expect(err).toContain('relax.config.mjs');
    expect(err).toContain('package.json (scripts.build: "tsc")');
    expect(err).toContain('package.json ("relax" config key)');
    expect(err).toContain('--force');
    expect(err).not.toContain('.gitignore');
    expect(readFileSync(join(dir, 'models/mlp.onnx'), 'utf8')).toBe('my model');
    expect(readFileSync(join(dir, 'package.json'), 'utf8')).toBe(pkgText);
    expect(existsSync(join(dir, 'relax.config.ts'))).toBe(false);
    expect(c.stdout()).toBe('');

    const f = io(dir);
    expect(await main(['init', '--force'], f.io)).toBe(0);
    expect(Buffer.compare(readFileSync(join(dir, 'models/mlp.onnx')), readFileSync(TEMPLATE_MODEL))).toBe(0);
    const pkg = readJson(join(dir, 'package.json'));
    expect(pkg.scripts.build).toBe('relax build');
    expect(pkg.relax).toBeUndefined();
    expect(readFileSync(join(dir, '.gitignore'), 'utf8')).toBe('mine\n');
    expect(f.stdout()).toContain('kept     .gitignore (exists)');
    expect(f.stdout()).toContain('relax.config.mjs is still there');
  });

  it('a second init in a scaffolded folder refuses (exit 2)', async () => {
    const dir = tmp();
    expect(await main(['init'], io(dir).io)).toBe(0);
    const c = io(dir);
    expect(await main(['init'], c.io)).toBe(2);
    expect(c.stderr()).toMatch(/would overwrite in \.: models\/mlp\.onnx, relax\.config\.ts\./);
  });

  it('rejects two folders and unknown flags (exit 2)', async () => {
    const dir = tmp();
    expect(await main(['init', 'a', 'b'], io(dir).io)).toBe(2);
    expect(await main(['init', '--nope'], io(dir).io)).toBe(2);
    expect(existsSync(join(dir, 'a'))).toBe(false);
  });
});

/** y = clip(x·w1ᵀ + b1, 0, 6)·w2ᵀ + b2 from the model's own initializers. */
function referenceMlp(model: Uint8Array, x: Float32Array, batch: number): number[] {
  const T = onnxType('ModelProto');
  const m = T.toObject(T.decode(model), { bytes: Uint8Array, longs: Number }) as { graph: { initializer: TensorProtoMessage[] } };
  const w = Object.fromEntries(m.graph.initializer.map((t) => { const d = tensorFromMessage(t); return [d.name, { shape: d.tensor.shape, v: toNumbers(d.tensor) }]; }));
  const gemm = (a: number[], rows: number, wt: { shape: number[]; v: number[] }, b: number[]) => {
    const [n, k] = wt.shape as [number, number];
    const y: number[] = [];
    for (let r = 0; r < rows; r++) for (let j = 0; j < n; j++) {
      let s = b[j]!;
      for (let i = 0; i < k; i++) s += a[r * k + i]! * wt.v[j * k + i]!;
      y.push(s);
    }
    return y;
  };
  const h = gemm(Array.from(x), batch, w.w1!, w.b1!.v).map((v) => Math.min(6, Math.max(0, v)));
  return gemm(h, batch, w.w2!, w.b2!.v);
}

describe('a scaffolded project builds with relax and runs', () => {
  it('relax build (cpu, webgpu) exits 0; the cpu artifact matches a JS evaluation of the model', () => {
    const dir = tmp();
    const init = spawnSync(process.execPath, [CLI, 'init'], { cwd: dir, encoding: 'utf8' });
    expect(init.status).toBe(0);
    const env = { ...process.env, EGL_PLATFORM: 'surfaceless' };
    const b = spawnSync(process.execPath, [CLI, 'build', '--json'], { cwd: dir, env, encoding: 'utf8', timeout: 180_000 });
    expect(b.stderr).not.toContain('error');
    expect(b.status).toBe(0);
    const done = b.stdout.trim().split('\n').map((l) => JSON.parse(l)).filter((e) => e.event === 'job-done');
    expect(done.map((e) => `${e.model}:${e.target}`).sort()).toEqual(['mlp:cpu', 'mlp:webgpu']);
    for (const t of ['cpu', 'webgpu']) expect(existsSync(join(dir, 'dist/mlp', t, 'manifest.json'))).toBe(true);

    const batch = 3;
    const x = new Float32Array(batch * 16).map((_, i) => Math.sin(i) * 2);
    writeFileSync(join(dir, 'x.pb'), encodeTensorProto(fromTyped('float32', [batch, 16], x), 'x'));
    const r = spawnSync(process.execPath, [CLI, 'run', 'dist/mlp/cpu', '--input', 'x=x.pb', '--out', 'out'], { cwd: dir, env, encoding: 'utf8', timeout: 120_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const y = decodeTensorProto(readFileSync(join(dir, 'out/output_0.pb'))).tensor;
    expect(y.shape).toEqual([batch, 8]);
    const got = toNumbers(y);
    const want = referenceMlp(readFileSync(join(dir, 'models/mlp.onnx')), x, batch);
    expect(want.some((v) => v !== 0)).toBe(true);
    got.forEach((v, i) => expect(Math.abs(v - want[i]!)).toBeLessThanOrEqual(1e-4 + 1e-4 * Math.abs(want[i]!)));
  }, 240_000);
});
