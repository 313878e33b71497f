/** The installed entry point: `node bin/relax.js` running the compiled dist/ (worker.js, jiti alias, exit codes). */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { project } from '../scheduler/helpers.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = path.join(ROOT, 'bin/relax.js');
const cleanups: (() => void)[] = [];

beforeAll(() => {
  // `npm test` compiles dist/ first. Never compile here: other test files run the CLI from dist/ concurrently.
  if (!existsSync(path.join(ROOT, 'dist/cli/index.js'))) throw new Error('dist/ is not built: run `npm run build:ts` (npm test does)');
  expect(existsSync(path.join(ROOT, 'dist/cli/index.js'))).toBe(true);
}, 120_000);
afterAll(() => {
  while (cleanups.length) cleanups.pop()!();
});

function relax(args: string[], cwd: string) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', env: { ...process.env, CI: 'true' }, timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('bin/relax.js (dist)', () => {
  it('--version', () => {
    expect(execFileSync(process.execPath, [BIN, '--version'], { encoding: 'utf8' })).toBe('0.1.0\n');
  });

  it("loads a TS config that imports defineConfig from 'relax'", () => {
    const p = project({
      'relax.config.ts': "import { defineConfig } from 'relax';\nconst t: 'webgpu' = 'webgpu';\nexport default defineConfig({ models: { m: './m.onnx' }, targets: [{ kind: t, name: 'web' }] });\n",
      'm.onnx': 'not onnx',
    });
    cleanups.push(p.cleanup);
    const r = relax(['pipeline', '--target', 'web', '--json'], p.dir);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ target: { name: 'web', kind: 'webgpu' }, pipeline: { name: 'webgpu', resolvedFrom: 'default' } });
  });

  it('build --json: NDJSON only on stdout; a model that cannot compile fails its job with exit 1', () => {
    const p = project({ 'relax.config.json': JSON.stringify({ models: { junk: './junk.onnx' } }), 'junk.onnx': 'definitely not a protobuf' });
    cleanups.push(p.cleanup);
    const r = relax(['build', '--json'], p.dir);
    expect(r.code).toBe(1);
    const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { event: string; code?: string });
    expect(events.map((e) => e.event)).toEqual(['build-start', 'job-start', 'job-error', 'build-done']);
    expect(events[2]!.code).toMatch(/^RLX_/);
    expect(r.stderr).toContain('junk:cpu failed');
    expect(existsSync(path.join(p.dir, 'dist/junk'))).toBe(false);
  });

  it('exit 2 for an invalid config, with no stack trace', () => {
    const p = project({ 'relax.config.mjs': "export default { models: { m: './m.onnx' }, targets: ['cpu', 'cpu'] };\n" });
    cleanups.push(p.cleanup);
    const r = relax(['build'], p.dir);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('error RLX_CONFIG_INVALID: relax.config.mjs: targets[1]: target name "cpu" is already used by entry [0]');
    expect(r.stderr).not.toMatch(/\n\s+at .*:\d+:\d+/);
  });

  it('a closed stdout pipe ends the process quietly (no EPIPE stack)', async () => {
    const { spawn } = await import('node:child_process');
    const child = spawn(process.execPath, [BIN, 'build', '--help'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy(); // the reader is gone before relax writes
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });

  it('a no-op build process loads no crypto, child_process, worker_threads, streams or perf_hooks (its start-up budget)', () => {
    const p = project({
      'relax.config.json': JSON.stringify({ models: { tiny: './tiny_mlp.onnx' }, targets: ['webgpu'] }),
    });
    cleanups.push(p.cleanup);
    copyFileSync(path.join(ROOT, 'examples/models/tiny_mlp.onnx'), path.join(p.dir, 'tiny_mlp.onnx'));
    expect(relax(['build'], p.dir).code).toBe(0);
    // Records the built-in modules the process loaded after start-up.
    mkdirSync(path.join(p.dir, 'trace'));
    const tracer = path.join(p.dir, 'trace/tracer.mjs');
    const out = path.join(p.dir, 'trace/modules.txt');
    // The tracer takes fs without `import` (whose ES-module facade would itself load fs/promises and the streams).
    writeFileSync(tracer, `process.on('exit', () => process.getBuiltinModule('node:fs').writeFileSync(${JSON.stringify(out)}, process.moduleLoadList.join('\\n')));\n`);
    const r = spawnSync(process.execPath, ['--import', tracer, BIN, 'build', '--json'], { cwd: p.dir, encoding: 'utf8', env: { ...process.env, CI: 'true' }, timeout: 60_000 });
    expect(r.status).toBe(0);
    expect(r.stdout.trim().split('\n').map((l) => JSON.parse(l)).at(-1)).toMatchObject({ event: 'build-done', built: 0, cached: 1 });
    const loaded = readFileSync(out, 'utf8').split('\n');
    expect(loaded).toContain('NativeModule fs');
    // Each of these costs a no-op build 2-10 ms: crypto, child_process and worker_threads are only for builds that
    // compile; fs/promises, stream, net and tty come with process.stdout or `import 'node:fs'`; perf_hooks with
    // the first use of the `performance` global.
    for (const m of ['crypto', 'child_process', 'worker_threads', 'fs/promises', 'stream', 'net', 'tty', 'perf_hooks']) {
      expect(loaded).not.toContain(`NativeModule ${m}`);
    }
  });
});
