import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/index.js';
import { FIXTURE_WORKER, project } from '../scheduler/helpers.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});

function io(cwd: string, opts: { tty?: boolean; env?: Record<string, string>; signal?: AbortSignal } = {}) {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out, err,
    stdout: () => out.join(''),
    stderr: () => err.join(''),
    io: {
      stdout: { write: (s: string) => out.push(s), isTTY: opts.tty ?? false },
      stderr: { write: (s: string) => err.push(s) },
      cwd,
      env: opts.env ?? {},
      workerModule: FIXTURE_WORKER,
      ...(opts.signal ? { signal: opts.signal } : {}),
    },
  };
}

function proj(files: Record<string, string> = {}) {
  const p = project({
    'relax.config.json': JSON.stringify({ models: { alpha: './alpha.onnx', beta: './beta.onnx' }, targets: ['cpu', 'webgpu'] }),
    'alpha.onnx': 'alpha v1',
    'beta.onnx': 'beta v1',
    ...files,
  });
  cleanups.push(p.cleanup);
  return p;
}

const ndjson = (s: string) => s.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);

describe('relax build', () => {
  it('exit 0; plain lines when not a TTY; a summary with counts', async () => {
    const p = proj();
    const c = io(p.dir);
    expect(await main(['build', '--jobs', '2'], c.io)).toBe(0);
    const out = c.stdout();
    expect(out).toContain('relax: 4 jobs on 2 threads (relax.config.json)');
    expect(out).toMatch(/✓ alpha:cpu {2}built \(no cache entry\) {2}[\d.]+ m?s {2}dist\/alpha\/cpu/);
    expect(out).toContain('relax: done: 4 built, 0 cached, 0 failed');
    expect(out).toMatch(/slowest: \S+:\S+ [\d.]+ m?s/);
    expect(out).not.toContain('\r');
    expect(c.stderr()).toBe('');
    const again = io(p.dir);
    expect(await main(['build'], again.io)).toBe(0);
    expect(again.stdout()).toContain('relax: done: 0 built, 4 cached, 0 failed');
  });

  it('--json: only NDJSON events on stdout, in order, with the documented fields', async () => {
    const p = proj();
    const c = io(p.dir, { tty: true });
    expect(await main(['build', '--json', '--filter', 'alpha', '--filter', 'beta:webgpu'], c.io)).toBe(0);
    const events = ndjson(c.stdout());
    expect(events[0]).toMatchObject({ event: 'build-start', jobs: ['alpha:cpu', 'alpha:webgpu', 'beta:webgpu'], config: path.join(p.dir, 'relax.config.json') });
    expect(events.at(-1)).toMatchObject({ event: 'build-done', built: 3, cached: 0, failed: 0 });
    const done = events.filter((e) => e.event === 'job-done');
    expect(done).toHaveLength(3);
    for (const d of done) {
      expect(Object.keys(d).sort()).toEqual(['cached', 'dir', 'event', 'model', 'ms', 'passes', 'phases', 'queuedMs', 'reason', 'schedule', 'target', 'warnings']);
      expect(Object.keys(d.phases as object)).toContain('store');
      expect(d).toMatchObject({ cached: false, reason: 'no cache entry' });
    }
    expect(events.filter((e) => e.event === 'job-start')).toHaveLength(3);
    expect(c.stderr()).toBe('');
  });

  it('exit 1 when a job fails; the other jobs are still written', async () => {
    const p = proj({ 'beta.onnx': 'CRASH' });
    const c = io(p.dir);
    expect(await main(['build', '--json'], c.io)).toBe(1);
    const events = ndjson(c.stdout());
    const errors = events.filter((e) => e.event === 'job-error');
    expect(errors.map((e) => `${e.model}:${e.target}`).sort()).toEqual(['beta:cpu', 'beta:webgpu']);
    expect(errors[0]).toMatchObject({ code: 'RLX_WORKER_CRASHED', where: { model: 'beta' } });
    expect(Object.keys(errors[0]!)).toEqual(expect.arrayContaining(['model', 'target', 'code', 'message', 'where', 'hint']));
    expect(events.at(-1)).toMatchObject({ event: 'build-done', built: 2, failed: 2 });
    expect(existsSync(path.join(p.dir, 'dist/alpha/webgpu/manifest.json'))).toBe(true);
    expect(c.stderr()).toContain('error RLX_WORKER_CRASHED');
    // Human output says the same.
    const h = io(p.dir);
    expect(await main(['build'], h.io)).toBe(1);
    expect(h.stdout()).toMatch(/✗ beta:cpu {2}RLX_WORKER_CRASHED/);
    expect(h.stdout()).toContain('relax: build finished with errors: 0 built, 2 cached, 2 failed');
  });

  it('exit 2 for config errors, printed as a diagnostic without a stack', async () => {
    const p = proj({ 'relax.config.json': JSON.stringify({ models: { alpha: './alpha.onnx' }, targets: ['cpu', { kind: 'tpu' }] }) });
    const c = io(p.dir);
    expect(await main(['build'], c.io)).toBe(2);
    expect(c.stderr()).toBe('error RLX_CONFIG_INVALID: relax.config.json: targets[1].kind: expected a target kind ("cpu", "cuda", "webgpu"), got "tpu"\n  at relax.config.json at targets[1].kind\n');
    const j = io(p.dir);
    expect(await main(['build', '--json'], j.io)).toBe(2);
    expect(ndjson(j.stdout())).toEqual([expect.objectContaining({ event: 'build-error', code: 'RLX_CONFIG_INVALID', where: { configFile: 'relax.config.json', keyPath: 'targets[1].kind' } })]);

    const missing = proj({ 'relax.config.json': JSON.stringify({ models: { ghost: './nope.onnx' } }) });
    const m = io(missing.dir);
    expect(await main(['build'], m.io)).toBe(2);
    expect(m.stderr()).toContain('error RLX_MODEL_NOT_FOUND');
    expect(m.stderr()).toContain(path.join(missing.dir, 'nope.onnx'));

    const none = io(project({}).dir);
    expect(await main(['build'], none.io)).toBe(2);
    expect(none.stderr()).toMatch(/^error RLX_CONFIG_NOT_FOUND/);
  });

  it('exit 2 for usage errors', async () => {
    const p = proj();
    for (const argv of [['build', '--nope'], ['build', '--jobs', '0'], ['build', '--jobs', 'many'], ['frobnicate'], [], ['build', '--filter', 'gamma*']]) {
      const c = io(p.dir);
      expect(await main(argv, c.io), argv.join(' ')).toBe(2);
      expect(c.stderr()).not.toMatch(/\n\s+at .*\.(ts|js):\d+/);
    }
    const u = io(p.dir);
    await main(['build', '--jobs', '0'], u.io);
    expect(u.stderr()).toContain("relax: --jobs expects a positive integer, got '0'");
    expect(u.stderr()).toContain('Usage: relax build');
  });

  it('a TTY gets a live status line', async () => {
    const p = proj();
    const c = io(p.dir, { tty: true, env: { NO_COLOR: '1' } });
    expect(await main(['build', '-j', '1'], c.io)).toBe(0);
    expect(c.stdout()).toContain('\r\x1b[K[0/4] compiling alpha:cpu');
    // CI set: plain lines even on a TTY.
    const ci = io(p.dir, { tty: true, env: { CI: 'true' } });
    expect(await main(['build', '--force'], ci.io)).toBe(0);
    expect(ci.stdout()).not.toContain('\r');
    expect(ci.stdout()).toContain('built (--force)');
  });

  it('--watch reports watch-ready and ends cleanly when stopped', async () => {
    const p = proj();
    const ac = new AbortController();
    const c = io(p.dir, { signal: ac.signal });
    const done = main(['build', '--watch', '--json'], c.io);
    for (let i = 0; i < 200 && !c.stdout().includes('"watch-ready"'); i++) await new Promise((r) => setTimeout(r, 25));
    ac.abort();
    expect(await done).toBe(0);
    const types = ndjson(c.stdout()).map((e) => e.event);
    expect(types[0]).toBe('build-start');
    expect(types).toContain('watch-ready');
  });
});

describe('relax pipeline', () => {
  it('without a config: "default" on cuda is the cuda pipeline, and says why', async () => {
    const dir = project({}).dir;
    const c = io(dir);
    expect(await main(['pipeline', '--target', 'cuda'], c.io)).toBe(0);
    const out = c.stdout();
    expect(out).toContain('target    cuda (kind cuda; keys: cuda, gpu)');
    expect(out).toContain('pipeline  cuda (requested: default)');
    expect(out).toMatch(/reason {4}"default" on target 'cuda' \(keys: cuda, gpu\) has "gpu" in its keys/);
    expect(out).toMatch(/2\. legalize\n(\s+\w+\n)*\s+FuseOps\n/);
    const cpu = io(dir);
    expect(await main(['pipeline', '--target', 'cpu', '--json'], cpu.io)).toBe(0);
    const j = JSON.parse(cpu.stdout());
    expect(j.target).toMatchObject({ kind: 'cpu', name: 'cpu' });
    expect(j.pipeline).toMatchObject({ name: 'generic', resolvedFrom: 'default' });
    expect(j.pipeline.stages.map((s: { name: string }) => s.name)).toEqual(['library-dispatch', 'legalize', 'dataflow-lowering', 'finalize']);
    const tag = io(dir);
    expect(await main(['pipeline', '--target', 'nvidia/h100', '--json'], tag.io)).toBe(0);
    expect(JSON.parse(tag.stdout()).target).toMatchObject({ kind: 'cuda', tag: 'nvidia/h100' });
  });

  it('uses a target name and pipelines from the config', async () => {
    const p = proj({
      'relax.config.json': JSON.stringify({
        models: { alpha: './alpha.onnx', beta: { source: './beta.onnx', pipeline: 'generic', targets: ['cpu', { kind: 'webgpu', name: 'browser' }] } },
        targets: ['cpu', { kind: 'webgpu', name: 'browser', pipeline: 'webgpu' }],
      }),
    });
    const c = io(p.dir);
    expect(await main(['pipeline', '--target', 'browser', '--json'], c.io)).toBe(0);
    expect(JSON.parse(c.stdout())).toMatchObject({ target: { name: 'browser', kind: 'webgpu' }, pipeline: { name: 'webgpu', resolvedFrom: 'webgpu' } });
    const m = io(p.dir);
    expect(await main(['pipeline', '--target', 'browser', '--model', 'beta', '--json'], m.io)).toBe(0);
    expect(JSON.parse(m.stdout())).toMatchObject({ model: 'beta', pipeline: { name: 'generic' } });
    const bad = io(p.dir);
    expect(await main(['pipeline', '--target', 'tpu'], bad.io)).toBe(2);
    expect(bad.stderr()).toContain("unknown target 'tpu'");
    expect(bad.stderr()).toContain('browser');
    expect(await main(['pipeline'], io(p.dir).io)).toBe(2);
  });
});

describe('relax run / help / version', () => {
  it('usage errors exit 2', async () => {
    const dir = project({}).dir;
    for (const argv of [['run'], ['run', 'a', 'b'], ['run', 'dir', '--device', 'tpu'], ['run', 'dir', '--input', 'x=missing.pb']]) {
      const c = io(dir);
      expect(await main(argv, c.io), argv.join(' ')).toBe(2);
      expect(c.stderr()).toContain('relax: ');
    }
  });

  it('--help and --version exit 0', async () => {
    const c = io('/');
    expect(await main(['--help'], c.io)).toBe(0);
    expect(c.stdout()).toContain('Usage: relax <command>');
    const v = io('/');
    expect(await main(['--version'], v.io)).toBe(0);
    expect(v.stdout()).toBe('0.1.0\n');
    const b = io('/');
    expect(await main(['build', '--help'], b.io)).toBe(0);
    expect(b.stdout()).toContain('Exit codes: 0 all jobs built, 1 some job failed');
  });
});
