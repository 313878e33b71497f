import { existsSync, readFileSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { build } from '../../src/scheduler/build.js';
import { hashStats } from '../../src/scheduler/hash.js';
import { probeStats } from '../../src/scheduler/toolchains.js';
import { cacheSize, pruneCache } from '../../src/scheduler/prune.js';
import { cachedCompile, objectCacheStats, setObjectCacheDir } from '../../src/backends/object-cache.js';
import { FIXTURE_WORKER, collector, project } from './helpers.js';
import { buildModel } from '../frontend/onnx-builder.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
  delete process.env.RELAX_TEST_COMPILE_LOG;
});

function fixture(files: Record<string, string> = {}) {
  const p = project({
    'relax.config.ts': `export default { models: { alpha: './models/alpha.onnx', beta: { source: './models/beta.onnx' } }, targets: ['cpu', 'webgpu'], pipeline: (s) => s };\n`,
    'models/alpha.onnx': 'alpha v1',
    'models/beta.onnx': 'beta v1',
    'inputs/x.pb': 'x1',
    ...files,
  });
  cleanups.push(p.cleanup);
  return p;
}

const run = (dir: string, opts: Record<string, unknown> = {}) => {
  const c = collector();
  return build({ cwd: dir, workerModule: FIXTURE_WORKER, jobs: 2, onEvent: c.on, ...opts }).then((s) => ({ s, c }));
};
const reasons = (c: ReturnType<typeof collector>) => Object.fromEntries(c.of('job-done').map((e) => [`${e.model}:${e.target}`, e.reason]));

describe('incremental builds', () => {
  it('a no-op build evaluates no config, reads no model, spawns no process and runs no compile', async () => {
    const p = fixture();
    const log = path.join(p.dir, 'compiles.log');
    process.env.RELAX_TEST_COMPILE_LOG = log;
    const first = await run(p.dir);
    expect(first.s).toMatchObject({ ok: true, built: 4, fromSnapshot: false });
    expect(readFileSync(log, 'utf8').trim().split('\n')).toHaveLength(4);
    const reads = hashStats.filesRead;
    const spawned = probeStats.spawned;
    const second = await run(p.dir);
    expect(second.s).toMatchObject({ ok: true, built: 0, cached: 4, fromSnapshot: true });
    expect(hashStats.filesRead).toBe(reads);
    expect(probeStats.spawned).toBe(spawned);
    expect(readFileSync(log, 'utf8').trim().split('\n')).toHaveLength(4);
    expect(Object.values(reasons(second.c))).toEqual(['cache hit', 'cache hit', 'cache hit', 'cache hit']);
  });

  it('files bound to model inputs (`bind`) are job inputs', async () => {
    const p = fixture();
    const { loadConfig } = await import('../../src/config/load.js');
    const { planJobs } = await import('../../src/scheduler/plan.js');
    const { computeCacheKey, explainChange } = await import('../../src/scheduler/cache.js');
    const cfg = await loadConfig({ cwd: p.dir });
    const bound = { ...cfg, models: cfg.models.map((m) => (m.name === 'beta' ? { ...m, bind: [{ name: 'x', source: './inputs/x.pb', path: path.join(p.dir, 'inputs/x.pb'), keyPath: 'models.beta.bind.x' }] } : m)) };
    const job = planJobs(bound, { cwd: p.dir, filter: ['beta:cpu'] })[0]!;
    expect(job.inputFiles.map((f) => f.label)).toContain('inputs/x.pb (bound to x)');
    const env = { toolchains: {}, compiler: 'x' };
    const k1 = await computeCacheKey(job, env);
    p.write('inputs/x.pb', 'x2');
    const k2 = await computeCacheKey(job, env);
    expect(k2.key).not.toBe(k1.key);
    expect(explainChange(k1.inputs, k2.inputs)).toBe('model changed: inputs/x.pb (bound to x)');
  });

  it('explains rebuilds: pipeline function source, files the config imports', async () => {
    const p = fixture();
    await run(p.dir);
    // A pipeline function that edits nothing differently still counts when its source text changes.
    p.write('relax.config.ts', readFileSync(path.join(p.dir, 'relax.config.ts'), 'utf8').replace('(s) => s', '(stages) => stages'));
    const r = await run(p.dir);
    expect(r.s.fromSnapshot).toBe(false);
    expect(new Set(Object.values(reasons(r.c)))).toEqual(new Set(['config changed: pipeline']));
    // A local module the config imports is part of the config.
    p.write('targets.ts', `export const targets = ['cpu'];\n`);
    p.write('relax.config.ts', `import { targets } from './targets.js';\nexport default { models: { alpha: './models/alpha.onnx' }, targets, pipeline: (stages) => stages };\n`);
    expect(reasons((await run(p.dir)).c)).toEqual({ 'alpha:cpu': 'cache hit' });
    p.write('targets.ts', `export const targets = ['cpu', 'webgpu'];\n`);
    const again = await run(p.dir);
    expect(again.s.fromSnapshot).toBe(false);
    expect(reasons(again.c)).toEqual({ 'alpha:cpu': 'cache hit', 'alpha:webgpu': 'cache hit' });
  });

  it('a worker that runs out of memory fails only its job', async () => {
    const p = fixture({ 'models/beta.onnx': 'OOM' });
    const { s, c } = await run(p.dir, { memoryLimitMb: 48 });
    expect(s).toMatchObject({ ok: false, built: 2, failed: 2 });
    expect(c.of('job-error').map((e) => e.code)).toEqual(['RLX_WORKER_CRASHED', 'RLX_WORKER_CRASHED']);
    expect(c.of('job-error')[0]!.message).toMatch(/memory/);
  }, 60_000);

  it('schedules the costliest job first: the graph with more nodes, though its file is smaller', async () => {
    const chain = (n: number, weights: number) => buildModel({
      opset: 17,
      inputs: [{ name: 'x', dtype: 'float32', dims: [4] }],
      outputs: [{ name: `y${n}`, dtype: 'float32', dims: [4] }],
      nodes: Array.from({ length: n }, (_, i) => ({ op: 'Relu', inputs: [i === 0 ? 'x' : `y${i}`], outputs: [`y${i + 1}`] })),
      initializers: { w: { dtype: 'float32', shape: [weights], data: new Uint8Array(weights * 4) } },
    });
    const p = fixture();
    writeFileSync(path.join(p.dir, 'models/alpha.onnx'), chain(1, 50_000));
    writeFileSync(path.join(p.dir, 'models/beta.onnx'), chain(60, 1));
    expect(statSync(path.join(p.dir, 'models/alpha.onnx')).size).toBeGreaterThan(statSync(path.join(p.dir, 'models/beta.onnx')).size);
    const log = path.join(p.dir, 'compiles.log');
    process.env.RELAX_TEST_COMPILE_LOG = log;
    await run(p.dir, { jobs: 1 });
    expect(readFileSync(log, 'utf8').trim().split('\n').slice(0, 2).map((l) => l.split(':')[0])).toEqual(['beta', 'beta']);
  });

  it('prunes least recently used entries to the size cap, keeping current ones', async () => {
    const p = fixture();
    await run(p.dir, { filter: ['alpha:cpu'] });
    p.write('models/alpha.onnx', 'alpha v2');
    await run(p.dir, { filter: ['alpha:cpu'] });
    const cacheDir = path.join(p.dir, 'node_modules/.cache/relax');
    const entries = () => readdirSync(path.join(cacheDir, 'entries')).filter((n) => !n.startsWith('.'));
    expect(entries()).toHaveLength(2);
    const total = await cacheSize(cacheDir);
    const r = await pruneCache(cacheDir, total - 1);
    expect(r.removed).toBe(1);
    expect(entries()).toHaveLength(1);
    // The survivor is the current one: the job is still a hit.
    expect(reasons((await run(p.dir, { filter: ['alpha:cpu'] })).c)).toEqual({ 'alpha:cpu': 'cache hit' });
  });
});

describe('kernel object cache', () => {
  it('compiles an identical source once, verifies bundles, and recompiles a corrupt one', async () => {
    const dir = path.join(os.tmpdir(), `relax-obj-${process.pid}-${Date.now()}`);
    setObjectCacheDir(dir);
    cleanups.push(() => setObjectCacheDir(undefined));
    let compiles = 0;
    const compile = async () => {
      compiles++;
      return { 'kernels.so': new Uint8Array([1, 2, 3, compiles]) };
    };
    const a = await cachedCompile(['cc', 'stamp', 'flags', 'int main(){}'], compile);
    const b = await cachedCompile(['cc', 'stamp', 'flags', 'int main(){}'], compile);
    expect(compiles).toBe(1);
    expect([...b['kernels.so']!]).toEqual([...a['kernels.so']!]);
    expect(objectCacheStats.hits).toBeGreaterThan(0);
    await cachedCompile(['cc', 'stamp', 'flags', 'other'], compile);
    expect(compiles).toBe(2);
    const shard = readdirSync(dir)[0]!;
    for (const f of readdirSync(path.join(dir, shard))) {
      const p = path.join(dir, shard, f);
      const buf = readFileSync(p);
      buf[buf.length - 1] ^= 0xff;
      writeFileSync(p, buf);
    }
    await cachedCompile(['cc', 'stamp', 'flags', 'int main(){}'], compile);
    await cachedCompile(['cc', 'stamp', 'flags', 'other'], compile);
    expect(compiles).toBeGreaterThanOrEqual(3);
    expect(existsSync(dir)).toBe(true);
    void statSync;
    void utimesSync;
  });
});
