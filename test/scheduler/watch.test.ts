import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { BuildEvent } from '../../src/scheduler/events.js';
import { watch, type WatchHandle } from '../../src/scheduler/watch.js';
import { FIXTURE_WORKER, project } from './helpers.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** Records events and lets a test wait for the next one matching a predicate (after a mark). */
function recorder() {
  const events: BuildEvent[] = [];
  let waiters: { from: number; pred: (e: BuildEvent) => boolean; resolve: (e: BuildEvent) => void }[] = [];
  return {
    events,
    on(e: BuildEvent) {
      events.push(e);
      const i = events.length - 1;
      waiters = waiters.filter((w) => {
        if (i >= w.from && w.pred(e)) {
          w.resolve(e);
          return false;
        }
        return true;
      });
    },
    mark: () => events.length,
    next<T extends BuildEvent['type']>(from: number, type: T, pred: (e: Extract<BuildEvent, { type: T }>) => boolean = () => true, ms = 10_000): Promise<Extract<BuildEvent, { type: T }>> {
      const p = (e: BuildEvent) => e.type === type && pred(e as Extract<BuildEvent, { type: T }>);
      const already = events.slice(from).find(p);
      if (already) return Promise.resolve(already as Extract<BuildEvent, { type: T }>);
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`timed out waiting for ${type}; saw ${JSON.stringify(events.slice(from).map((e) => e.type))}`)), ms);
        waiters.push({ from, pred: p, resolve: (e) => { clearTimeout(t); resolve(e as Extract<BuildEvent, { type: T }>); } });
      });
    },
    since: (from: number) => events.slice(from),
  };
}

async function start(files: Record<string, string>) {
  const p = project(files);
  const r = recorder();
  const handle: WatchHandle = await watch({ cwd: p.dir, workerModule: FIXTURE_WORKER, jobs: 2, onEvent: (e) => r.on(e) });
  cleanups.push(p.cleanup, () => handle.close());
  return { p, r, handle };
}

const CONFIG = { models: { alpha: './alpha.onnx', beta: './beta.onnx' }, targets: ['cpu'] };

describe('watch mode', () => {
  it('rebuilds only the edited model, survives a broken model, and ignores its own outputs', async () => {
    const { p, r, handle } = await start({ 'relax.config.json': JSON.stringify(CONFIG), 'alpha.onnx': 'alpha v1', 'beta.onnx': 'beta v1' });
    expect(r.events.map((e) => e.type)).toContain('watch-ready');
    expect(r.events.find((e) => e.type === 'build-done')).toMatchObject({ built: 2, failed: 0 });
    expect(handle.files()).toContain(path.join(p.dir, 'alpha.onnx'));
    expect(handle.files()).toContain(path.join(p.dir, 'alpha.onnx.data'));
    expect(handle.files().some((f) => f.includes(`${path.sep}dist${path.sep}`))).toBe(false);

    let m = r.mark();
    p.write('alpha.onnx', 'alpha v2');
    const rb = await r.next(m, 'rebuild-start');
    expect(rb.jobs).toEqual(['alpha:cpu']);
    expect(rb.changed).toEqual([path.join(p.dir, 'alpha.onnx')]);
    const done = await r.next(m, 'job-done');
    expect(done).toMatchObject({ model: 'alpha', target: 'cpu', cached: false, reason: 'model changed: alpha.onnx' });
    await r.next(m, 'build-done');
    expect(readFileSync(path.join(p.dir, 'dist/alpha/cpu/kernels/kernels.c'), 'utf8')).toContain('alpha v2');
    expect(r.since(m).filter((e) => e.type === 'job-done')).toHaveLength(1);

    // A broken model: reported, the watcher keeps going; fixing it rebuilds it.
    m = r.mark();
    p.write('beta.onnx', 'FAIL broken');
    expect(await r.next(m, 'job-error')).toMatchObject({ model: 'beta', code: 'RLX_TEST_FAIL' });
    await r.next(m, 'build-done', (e) => e.failed === 1);
    m = r.mark();
    p.write('beta.onnx', 'beta fixed');
    expect(await r.next(m, 'job-done')).toMatchObject({ model: 'beta', reason: 'model changed: beta.onnx' });
    expect(await r.next(m, 'build-done')).toMatchObject({ built: 1, failed: 0 });

    // Our own writes (dist/, cache) never trigger a rebuild.
    m = r.mark();
    await new Promise((res) => setTimeout(res, 400));
    expect(r.since(m)).toEqual([]);
  }, 30_000);

  it('survives a broken config, then rebuilds only the jobs the fixed config changed', async () => {
    const { p, r } = await start({ 'relax.config.json': JSON.stringify(CONFIG), 'alpha.onnx': 'alpha v1', 'beta.onnx': 'beta v1' });
    let m = r.mark();
    p.write('relax.config.json', '{ "models": ');
    const err = await r.next(m, 'build-error');
    expect(err.code).toBe('RLX_CONFIG_LOAD_FAILED');
    m = r.mark();
    p.write('relax.config.json', JSON.stringify({ ...CONFIG, targets: ['cpu', 'webgpu'] }));
    const rb = await r.next(m, 'rebuild-start');
    expect([...rb.jobs].sort()).toEqual(['alpha:webgpu', 'beta:webgpu']);
    expect(await r.next(m, 'build-done')).toMatchObject({ built: 2, failed: 0 });
    // An invalid (but loadable) config is reported with its key path.
    m = r.mark();
    p.write('relax.config.json', JSON.stringify({ ...CONFIG, targets: ['tpu'] }));
    expect(await r.next(m, 'build-error')).toMatchObject({ code: 'RLX_CONFIG_INVALID', where: { keyPath: 'targets[0]' } });
  }, 30_000);

  it('drops a stale in-flight job when a newer change arrives', async () => {
    const { p, r } = await start({ 'relax.config.json': JSON.stringify({ models: { alpha: './alpha.onnx' } }), 'alpha.onnx': 'alpha v1' });
    const m = r.mark();
    p.write('alpha.onnx', 'SLOW 3000');
    await r.next(m, 'job-start');
    await new Promise((res) => setTimeout(res, 200));
    p.write('alpha.onnx', 'alpha v3');
    const done = await r.next(m, 'job-done');
    expect(readFileSync(path.join(p.dir, 'dist/alpha/cpu/kernels/kernels.c'), 'utf8')).toContain('alpha v3');
    expect(done.ms).toBeLessThan(2500);
    expect(r.since(m).filter((e) => e.type === 'job-done' || e.type === 'job-error')).toHaveLength(1);
  }, 30_000);
});

describe('watch mode, repeated', () => {
  it('20 break/fix cycles keep the watcher alive and end with correct artifacts', async () => {
    const { p, r } = await start({ 'relax.config.json': JSON.stringify(CONFIG), 'alpha.onnx': 'alpha good', 'beta.onnx': 'beta v1' });
    for (let i = 0; i < 20; i++) {
      let m = r.mark();
      p.write('alpha.onnx', `FAIL corrupt ${i}`);
      await r.next(m, 'job-error');
      await r.next(m, 'build-done');
      m = r.mark();
      p.write('alpha.onnx', 'alpha good');
      const done = await r.next(m, 'job-done');
      expect(done).toMatchObject({ model: 'alpha', cached: true, reason: 'cache hit' });
      await r.next(m, 'build-done');
    }
    expect(readFileSync(path.join(p.dir, 'dist/alpha/cpu/kernels/kernels.c'), 'utf8')).toBe('// alpha for cpu\nalpha good');
    expect(readFileSync(path.join(p.dir, 'dist/beta/cpu/kernels/kernels.c'), 'utf8')).toBe('// beta for cpu\nbeta v1');
  }, 120_000);
});
