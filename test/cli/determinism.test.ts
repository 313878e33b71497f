/**
 * Real builds through the installed entry point (dist/): byte-identical artifacts across two clean builds that
 * differ in --jobs (1 vs 4), --explain output, and `relax cache prune|clean --json`.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listFiles } from '../../src/scheduler/cache.js';
import { project } from '../scheduler/helpers.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = path.join(ROOT, 'bin/relax.js');
const MODEL = path.join(ROOT, 'examples/models/tiny_mlp.onnx');
const cleanups: (() => void)[] = [];

beforeAll(() => {
  // `npm test` compiles dist/ first. Never compile here: other test files run the CLI from dist/ concurrently.
  if (!existsSync(path.join(ROOT, 'dist/cli/index.js'))) throw new Error('dist/ is not built: run `npm run build:ts` (npm test does)');
}, 120_000);
afterAll(() => {
  while (cleanups.length) cleanups.pop()!();
});

const hasCc = spawnSync('cc', ['--version']).status === 0;

function relax(args: string[], cwd: string) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', env: { ...process.env, CI: 'true' }, timeout: 240_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function example() {
  const p = project({ 'relax.config.json': JSON.stringify({ models: { mlp: './m/tiny_mlp.onnx' }, targets: ['cpu', 'webgpu', { kind: 'cuda', arch: 'sm_90' }] }) });
  mkdirSync(path.join(p.dir, 'm'));
  copyFileSync(MODEL, path.join(p.dir, 'm/tiny_mlp.onnx'));
  cleanups.push(p.cleanup);
  return p;
}

describe.skipIf(!hasCc && !process.env.CI)('real builds (cc)', () => {
  if (!hasCc) console.log('skipping real-build determinism tests: no cc');

  it('two clean builds with --jobs 1 and --jobs 4 write byte-identical artifacts', async () => {
    const a = example();
    const b = example();
    const ra = relax(['build', '--jobs', '1', '--json'], a.dir);
    const rb = relax(['build', '--jobs', '4', '--json'], b.dir);
    expect(ra.code, ra.stderr).toBe(0);
    expect(rb.code, rb.stderr).toBe(0);
    const fa = listFiles(path.join(a.dir, 'dist'));
    const fb = listFiles(path.join(b.dir, 'dist'));
    expect(fa).toEqual(fb);
    expect(fa).toContain('mlp/cpu/kernels.so');
    for (const f of fa) {
      expect(readFileSync(path.join(a.dir, 'dist', f)).equals(readFileSync(path.join(b.dir, 'dist', f))), f).toBe(true);
    }

    // Three jobs interleaved on one worker thread (--threads 1) write the same bytes, and --profile says where
    // each one's time went: the main thread's steps, each job's phases on that one thread, its tool runs.
    const c = example();
    const rc = relax(['build', '--jobs', '3', '--threads', '1', '--json', '--profile', 'build-profile.json'], c.dir);
    expect(rc.code, rc.stderr).toBe(0);
    expect(JSON.parse(rc.stdout.split('\n')[0]!)).toMatchObject({ event: 'build-start', threads: 1 });
    expect(listFiles(path.join(c.dir, 'dist'))).toEqual(fa);
    for (const f of fa) {
      expect(readFileSync(path.join(a.dir, 'dist', f)).equals(readFileSync(path.join(c.dir, 'dist', f))), f).toBe(true);
    }
    const trace = JSON.parse(readFileSync(path.join(c.dir, 'build-profile.json'), 'utf8')) as { traceEvents: { name: string; ph: string; pid: number; tid: number; ts: number; dur: number; args?: Record<string, unknown> }[] };
    const spans = trace.traceEvents.filter((e) => e.ph === 'X');
    const lanes = new Map(trace.traceEvents.filter((e) => e.name === 'thread_name').map((e) => [`${e.pid}:${e.tid}`, String(e.args!.name)]));
    expect(spans.filter((e) => e.pid === 1).map((e) => e.name)).toEqual(['node start-up and loading relax', 'load the config and plan', 'toolchains and cache', 'jobs']);
    const jobs = [...lanes].filter(([k]) => k.startsWith('2:')).map(([k, name]) => ({ name, phases: spans.filter((e) => `${e.pid}:${e.tid}` === k) }));
    expect(jobs.map((j) => j.name).sort()).toEqual(['mlp:cpu', 'mlp:cuda', 'mlp:webgpu']);
    const threads = new Set(jobs.flatMap((j) => j.phases.filter((p) => p.args?.thread !== undefined).map((p) => p.args!.thread)));
    expect(threads.size).toBe(1);
    for (const j of jobs) expect(j.phases.map((p) => p.name)).toEqual(expect.arrayContaining(['queued', 'import', 'passes', 'backend', 'finish', 'store']));
    const cpuBackend = jobs.find((j) => j.name === 'mlp:cpu')!.phases.find((p) => p.name === 'backend')!;
    const cc = spans.filter((e) => e.pid === 3 && e.name.startsWith('mlp:cpu cc'));
    expect(cc.length).toBeGreaterThan(0);
    for (const t of cc) {
      expect(t.args).toMatchObject({ waitedMs: expect.any(Number), estimateMs: expect.any(Number) });
      expect(t.ts).toBeGreaterThanOrEqual(cpuBackend.ts);
      expect(t.ts + t.dur).toBeLessThanOrEqual(cpuBackend.ts + cpuBackend.dur + 1);
    }
    expect(relax(['build', '--watch', '--profile', 'p.json'], c.dir).code).toBe(2);

    // --explain: a hit says so; a touched-but-identical model is still a hit; an edited config names what changed.
    const again = relax(['build', '--explain'], a.dir);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/mlp:cpu {2}cached \(cache hit\)/);
    const cfg = JSON.parse(readFileSync(path.join(a.dir, 'relax.config.json'), 'utf8'));
    cfg.targets[0] = { kind: 'cpu', name: 'cpu', pipeline: 'generic' };
    cfg.pipeline = 'default';
    writeFileSync(path.join(a.dir, 'relax.config.json'), JSON.stringify({ ...cfg, targets: ['cpu', 'webgpu', { kind: 'cuda', arch: 'sm_80' }] }));
    const changed = relax(['build', '--explain', '--json'], a.dir);
    const done = changed.stdout.trim().split('\n').map((l) => JSON.parse(l)).filter((e) => e.event === 'job-done');
    expect(Object.fromEntries(done.map((e) => [e.target, e.reason]))).toEqual({ cpu: 'cache hit', webgpu: 'cache hit', cuda: 'config changed: target' });

    // relax cache prune / clean.
    const prune = relax(['cache', 'prune', '--json', '--max-bytes', '0'], a.dir);
    expect(prune.code).toBe(0);
    const pr = JSON.parse(prune.stdout);
    expect(pr).toMatchObject({ event: 'cache-prune', after: 0 });
    expect(pr.removed).toBeGreaterThan(0);
    const clean = relax(['cache', 'clean', '--json'], a.dir);
    expect(JSON.parse(clean.stdout)).toMatchObject({ event: 'cache-clean' });
    expect(existsSync(path.join(a.dir, 'node_modules/.cache/relax'))).toBe(false);
  }, 400_000);
});
