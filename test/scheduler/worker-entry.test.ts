/** Which file the pool's threads load: the one-file worker bundle while it matches the compiled modules, else worker.js. */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { workerEntry } from '../../src/scheduler/pool.js';
import { cliEntry } from '../../src/bundles.js';
import { REPO } from '../shared-dir.js';

const dirs: string[] = [];
afterEach(() => {
  while (dirs.length) rmSync(dirs.pop()!, { recursive: true, force: true });
});

/** A fake dist/: scheduler/worker.js, the bundle, and a manifest stamping compiler/compile.js as it is now. */
function fakeDist(): { root: string; scheduler: string; compile: string } {
  const root = mkdtempSync(path.join(os.tmpdir(), 'relax-entry-'));
  dirs.push(root);
  const scheduler = path.join(root, 'scheduler');
  mkdirSync(scheduler);
  mkdirSync(path.join(root, 'compiler'));
  const compile = path.join(root, 'compiler/compile.js');
  writeFileSync(compile, 'export const compile = 1;\n');
  writeFileSync(path.join(scheduler, 'worker.js'), '');
  writeFileSync(path.join(scheduler, 'worker.bundle.js'), '');
  const stamp = (p: string, rel: string) => ({
    path: rel, size: statSync(p).size, mtimeMs: statSync(p).mtimeMs, sha256: createHash('sha256').update(readFileSync(p)).digest('hex'),
  });
  writeFileSync(path.join(scheduler, 'worker.bundle.json'), JSON.stringify({ inputs: [stamp(compile, 'compiler/compile.js')] }));
  return { root, scheduler, compile };
}

describe('workerEntry', () => {
  it('the bundle built by `npm run build:ts` is current for the compiled dist/', () => {
    const dir = path.join(REPO, 'dist/scheduler');
    expect(workerEntry(dir)).toBe(path.join(dir, 'worker.bundle.js'));
    const stamps = JSON.parse(readFileSync(path.join(dir, 'worker.bundle.json'), 'utf8')) as { inputs: { path: string }[] };
    expect(stamps.inputs.map((i) => i.path)).toEqual(expect.arrayContaining(['scheduler/worker.js', 'compiler/compile.js', 'backends/exec.js']));
  });

  it('uses the bundle while its modules are unchanged', () => {
    const d = fakeDist();
    expect(workerEntry(d.scheduler)).toBe(path.join(d.scheduler, 'worker.bundle.js'));
  });

  it('keeps the bundle for a copy whose mtimes changed but whose modules did not (tar, npm pack)', () => {
    const d = fakeDist();
    utimesSync(d.compile, new Date(0), new Date(499162860000)); // npm pack's fixed 1985 mtime
    expect(workerEntry(d.scheduler)).toBe(path.join(d.scheduler, 'worker.bundle.js'));
  });

  it('falls back to worker.js when a bundled module changed (size, or content under a new mtime), or the manifest or bundle is missing', () => {
    let d = fakeDist();
    writeFileSync(d.compile, 'export const compile = 22;\n');
    expect(workerEntry(d.scheduler)).toBe(path.join(d.scheduler, 'worker.js'));
    d = fakeDist();
    writeFileSync(d.compile, 'export const compile = 3;\n'); // same size, other bytes
    utimesSync(d.compile, new Date(), new Date(Date.now() + 5000));
    expect(workerEntry(d.scheduler)).toBe(path.join(d.scheduler, 'worker.js'));
    d = fakeDist();
    rmSync(d.compile);
    expect(workerEntry(d.scheduler)).toBe(path.join(d.scheduler, 'worker.js'));
    d = fakeDist();
    rmSync(path.join(d.scheduler, 'worker.bundle.json'));
    expect(workerEntry(d.scheduler)).toBe(path.join(d.scheduler, 'worker.js'));
    d = fakeDist();
    rmSync(path.join(d.scheduler, 'worker.bundle.js'));
    expect(workerEntry(d.scheduler)).toBe(path.join(d.scheduler, 'worker.js'));
  });
});

describe('cliEntry', () => {
  it('bin/relax.js loads the CLI bundle built by `npm run build:ts`, and dist/cli/index.js without it', () => {
    const dist = path.join(REPO, 'dist');
    expect(cliEntry(dist)).toBe(path.join(dist, 'bundle/cli.js'));
    const stamps = JSON.parse(readFileSync(path.join(dist, 'bundle/cli.json'), 'utf8')) as { inputs: { path: string }[] };
    expect(stamps.inputs.map((i) => i.path)).toEqual(expect.arrayContaining(['cli/index.js', 'scheduler/build.js', 'config/load.js', 'scheduler/pool.js']));
    const d = fakeDist();
    expect(cliEntry(d.root)).toBe(path.join(d.root, 'cli/index.js'));
  });

  it('the CLI bundle ships the licenses of the packages it inlines', () => {
    const text = readFileSync(path.join(REPO, 'dist/bundle/THIRD-PARTY-LICENSES.txt'), 'utf8');
    for (const p of ['cosmiconfig', 'sucrase', 'zod', 'protobufjs', 'picomatch']) expect(text).toMatch(new RegExp(`^${p}@\\d+\\.\\d+\\.\\d+ \\(`, 'm'));
    expect(text).toContain('Permission is hereby granted');
  });
});
