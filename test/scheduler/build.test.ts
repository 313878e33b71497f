import { existsSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { build } from '../../src/scheduler/build.js';
import { FIXTURE_WORKER, collector, project } from './helpers.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});

function twoModels(extra: Record<string, string> = {}) {
  const p = project({
    'relax.config.json': JSON.stringify({ models: { alpha: './models/alpha.onnx', beta: { source: './models/beta.onnx' } }, targets: ['cpu', 'webgpu'] }),
    'models/alpha.onnx': 'alpha v1',
    'models/beta.onnx': 'beta v1',
    ...extra,
  });
  cleanups.push(p.cleanup);
  return p;
}

const run = (dir: string, opts: Record<string, unknown> = {}) => {
  const c = collector();
  return build({ cwd: dir, workerModule: FIXTURE_WORKER, jobs: 2, onEvent: c.on, ...opts }).then((s) => ({ s, c }));
};

const reasons = (c: ReturnType<typeof collector>) =>
  Object.fromEntries(c.of('job-done').map((e) => [`${e.model}:${e.target}`, e.cached ? 'cached' : e.reason]));

describe('build with the fixture worker', () => {
  it('builds every model x target, then serves all from the cache with reasons', async () => {
    const p = twoModels();
    const first = await run(p.dir);
    expect(first.s).toMatchObject({ ok: true, built: 4, cached: 0, failed: 0 });
    expect(reasons(first.c)).toEqual({ 'alpha:cpu': 'no cache entry', 'alpha:webgpu': 'no cache entry', 'beta:cpu': 'no cache entry', 'beta:webgpu': 'no cache entry' });
    const manifest = JSON.parse(readFileSync(path.join(p.dir, 'dist/alpha/webgpu/manifest.json'), 'utf8'));
    expect(manifest).toMatchObject({ model: 'alpha', target: 'webgpu', pipeline: 'webgpu', source: './models/alpha.onnx' });
    expect(JSON.parse(readFileSync(path.join(p.dir, 'dist/beta/cpu/manifest.json'), 'utf8')).pipeline).toBe('generic');
    expect(readFileSync(path.join(p.dir, 'dist/beta/cpu/kernels/kernels.c'), 'utf8')).toBe('// beta for cpu\nbeta v1');
    // Event order and shape.
    expect(first.c.events[0]).toMatchObject({ type: 'build-start', jobs: ['alpha:cpu', 'alpha:webgpu', 'beta:cpu', 'beta:webgpu'] });
    expect(first.c.events.at(-1)).toMatchObject({ type: 'build-done', built: 4, cached: 0, failed: 0 });
    const done = first.c.of('job-done').find((e) => e.model === 'alpha' && e.target === 'cpu')!;
    expect(done.passes).toEqual([{ stage: 'legalize', pass: 'LegalizeOps', ms: 1.5 }]);
    expect(done.dir).toBe(path.join(p.dir, 'dist', 'alpha', 'cpu'));
    expect(done.warnings.map((w) => w.code)).toEqual(['RLX_TEST_NOTE']);
    expect(first.c.of('job-start')).toHaveLength(4);

    const mtime = statSync(path.join(p.dir, 'dist/alpha/cpu/manifest.json')).mtimeMs;
    const second = await run(p.dir);
    expect(second.s).toMatchObject({ ok: true, built: 0, cached: 4, failed: 0 });
    expect(Object.values(reasons(second.c))).toEqual(['cached', 'cached', 'cached', 'cached']);
    expect(second.c.of('job-done').every((e) => e.reason === 'cache hit' && e.passes.length === 0)).toBe(true);
    // An up-to-date artifact is not rewritten.
    expect(statSync(path.join(p.dir, 'dist/alpha/cpu/manifest.json')).mtimeMs).toBe(mtime);
  });

  it('rebuilds only the jobs of a changed model, and says why', async () => {
    const p = twoModels();
    await run(p.dir);
    p.write('models/alpha.onnx', 'alpha v2');
    const { s, c } = await run(p.dir);
    expect(s).toMatchObject({ built: 2, cached: 2 });
    expect(reasons(c)).toEqual({ 'alpha:cpu': 'model changed: models/alpha.onnx', 'alpha:webgpu': 'model changed: models/alpha.onnx', 'beta:cpu': 'cached', 'beta:webgpu': 'cached' });
    expect(readFileSync(path.join(p.dir, 'dist/alpha/cpu/kernels/kernels.c'), 'utf8')).toBe('// alpha for cpu\nalpha v2');
  });

  it('treats external data next to the model as model input', async () => {
    const p = twoModels();
    await run(p.dir);
    p.write('models/beta.onnx.data', 'weights 1');
    const a = await run(p.dir);
    expect(reasons(a.c)).toMatchObject({ 'beta:cpu': 'model changed: models/beta.onnx.data', 'alpha:cpu': 'cached' });
    p.write('models/beta.onnx.data', 'weights 2');
    const b = await run(p.dir);
    expect(reasons(b.c)).toMatchObject({ 'beta:cpu': 'model changed: models/beta.onnx.data', 'beta:webgpu': 'model changed: models/beta.onnx.data', 'alpha:webgpu': 'cached' });
    expect(JSON.parse(readFileSync(path.join(p.dir, 'dist/beta/cpu/manifest.json'), 'utf8')).data).toBe('weights 2');
  });

  it('says config changed when the resolved target or pipeline changes, and forced with --force', async () => {
    const p = twoModels();
    await run(p.dir);
    p.write('relax.config.json', JSON.stringify({
      models: { alpha: './models/alpha.onnx', beta: { source: './models/beta.onnx' } },
      targets: ['cpu', { kind: 'webgpu', maxThreadsPerBlock: 64 }],
    }));
    const a = await run(p.dir);
    expect(reasons(a.c)).toEqual({ 'alpha:cpu': 'cached', 'alpha:webgpu': 'config changed: target', 'beta:cpu': 'cached', 'beta:webgpu': 'config changed: target' });
    const b = await run(p.dir, { force: true, filter: ['alpha'] });
    expect(reasons(b.c)).toEqual({ 'alpha:cpu': '--force', 'alpha:webgpu': '--force' });
  });

  it('restores a deleted artifact from the cache', async () => {
    const p = twoModels();
    await run(p.dir);
    const before = readFileSync(path.join(p.dir, 'dist/alpha/cpu/kernels/kernels.c'));
    rmSync(path.join(p.dir, 'dist/alpha'), { recursive: true });
    const { s } = await run(p.dir);
    expect(s).toMatchObject({ built: 0, cached: 4 });
    expect(readFileSync(path.join(p.dir, 'dist/alpha/cpu/kernels/kernels.c')).equals(before)).toBe(true);
  });

  it('detects a corrupt cache entry and rebuilds that job', async () => {
    const p = twoModels();
    await run(p.dir, { filter: ['alpha:cpu'] });
    const entries = path.join(p.dir, 'node_modules/.cache/relax/entries');
    const [key] = readdirSync(entries).filter((n) => !n.startsWith('.'));
    const file = path.join(entries, key!, 'files/kernels/kernels.c');
    writeFileSync(file, readFileSync(file, 'utf8').replace('alpha', 'ALPHA'));
    // While dist/ holds the artifact the entry is not read; once it must be restored, the corruption shows.
    expect(reasons((await run(p.dir, { filter: ['alpha:cpu'] })).c)).toEqual({ 'alpha:cpu': 'cached' });
    rmSync(path.join(p.dir, 'dist/alpha/cpu/kernels/kernels.c'));
    const { s, c } = await run(p.dir, { filter: ['alpha:cpu'] });
    expect(s).toMatchObject({ built: 1, cached: 0 });
    expect(reasons(c)).toEqual({ 'alpha:cpu': 'corrupt cache entry: kernels/kernels.c does not match its sha256 (rebuilt)' });
    expect(readFileSync(path.join(p.dir, 'dist/alpha/cpu/kernels/kernels.c'), 'utf8')).toBe('// alpha for cpu\nalpha v1');
    // The rebuilt entry is good again.
    rmSync(path.join(p.dir, 'dist/alpha'), { recursive: true });
    const again = await run(p.dir, { filter: ['alpha:cpu'] });
    expect(reasons(again.c)).toEqual({ 'alpha:cpu': 'cached' });
  });

  it('a crashing worker fails only its job; the others are built', async () => {
    const p = twoModels({ 'models/beta.onnx': 'CRASH now' });
    const { s, c } = await run(p.dir);
    expect(s).toMatchObject({ ok: false, built: 2, failed: 2 });
    const errors = c.of('job-error');
    expect(errors.map((e) => `${e.model}:${e.target}:${e.code}`).sort()).toEqual(['beta:cpu:RLX_WORKER_CRASHED', 'beta:webgpu:RLX_WORKER_CRASHED']);
    expect(errors[0]!.where).toMatchObject({ model: 'beta' });
    expect(existsSync(path.join(p.dir, 'dist/alpha/webgpu/manifest.json'))).toBe(true);
    expect(existsSync(path.join(p.dir, 'dist/beta'))).toBe(false);
    expect(c.events.at(-1)).toMatchObject({ type: 'build-done', built: 2, failed: 2 });
  });

  it('a failed compile reports its diagnostic and keeps the previous artifact', async () => {
    const p = twoModels();
    await run(p.dir);
    p.write('models/alpha.onnx', 'FAIL please');
    const { s, c } = await run(p.dir, { filter: ['alpha:cpu'] });
    expect(s).toMatchObject({ ok: false, failed: 1 });
    expect(c.of('job-error')[0]).toMatchObject({ model: 'alpha', target: 'cpu', code: 'RLX_TEST_FAIL', message: 'cannot compile alpha', hint: 'fix the model', where: { model: 'alpha', target: 'cpu' } });
    expect(readFileSync(path.join(p.dir, 'dist/alpha/cpu/kernels/kernels.c'), 'utf8')).toContain('alpha v1');
  });

  it('gives each job a private tmpDir and removes it afterwards', async () => {
    const p = project({ 'relax.config.json': JSON.stringify({ models: { tmpcheckmodel: './m.onnx' } }), 'm.onnx': 'x' });
    cleanups.push(p.cleanup);
    const { s } = await run(p.dir);
    expect(s.built).toBe(1);
    expect(readdirSync(os.tmpdir()).filter((n) => n.startsWith('relax-tmpcheckmodel-'))).toEqual([]);
  });
});
