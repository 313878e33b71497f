/**
 * The conformance runner end to end on a fake suite (one passing, one mismatching, one bound, one rejected
 * test), through `node scripts/conformance.mjs` and therefore the public CLI (dist/ is built by `npm test`).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FAKE_TESTS, writeFakeSuite } from './fake-suite.js';

const ROOT = resolve(__dirname, '../..');
const SCRIPT = join(ROOT, 'scripts/conformance.mjs');
const hasCc = spawnSync('sh', ['-c', 'command -v cc || command -v gcc'], { encoding: 'utf8' }).status === 0;
const hasDist = existsSync(join(ROOT, 'dist/cli/index.js'));
const skip = !process.env.CI && (!hasCc || !hasDist);
if (skip) console.warn(`skipped: the conformance runner test needs ${!hasCc ? 'a C compiler (cc)' : 'dist/ (npm run build:ts)'}`);

const tmp = mkdtempSync(join(tmpdir(), 'relax-conf-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function conformance(args: string[]) {
  const r = spawnSync(process.execPath, [SCRIPT, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 240_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface Report {
  totals: { tests: number; passed: number; failed: number; rejected: number; passRate: number };
  ops: { op: string; tests: number; passed: number; failed: number; rejected: number; bound: string[]; reasons: { reason: string; count: number }[] }[];
  tests: { test: string; op: string; status: string; stage?: string; code?: string; message?: string; bound: string[] }[];
}

describe.skipIf(skip)('npm run conformance on a fake suite', () => {
  const suite = join(tmp, 'suite');
  writeFakeSuite(suite);
  const work = join(tmp, 'work');
  const json = join(tmp, 'report.json');
  const md = join(tmp, 'report.md');

  it('prints the per-op table and totals, writes the reports, and exits 1 under --min', () => {
    const r = conformance(['--target', 'cpu', '--suite', suite, '--work', work, '--jobs', '2', '--json', json, '--md', md, '--min', '60']);
    expect(r.code, r.stderr).toBe(1);
    const lines = r.stdout.split('\n');
    const row = (op: string) => lines.find((l) => l.startsWith(`${op} `))?.trim().split(/\s{2,}/);
    expect(row('Add')).toEqual(['Add', '2', '1', '1', '0', '-']);
    expect(row('NoSuchOp')).toEqual(['NoSuchOp', '1', '0', '0', '1', '-']);
    expect(row('Reshape')).toEqual(['Reshape', '1', '1', '0', '0', 'shape']);
    expect(r.stdout).toContain('total: 4 tests: 2 passed (50%), 1 failed (25%), 1 rejected at build time (25%)');
    expect(r.stdout).toMatch(/test_add_mismatch \[Add\] compare: MISMATCH: output 0 \(sum\): 1 of 6 elements differ \(first at 3: 4, expected 5/);
    expect(r.stdout).toMatch(/test_nosuchop \[NoSuchOp\] RLX_ONNX_UNSUPPORTED: .*NoSuchOp/);
    expect(r.stdout).toContain('FAIL: pass rate 50% is under --min 60%');

    const rep = JSON.parse(readFileSync(json, 'utf8')) as Report;
    expect(rep.totals).toEqual({ tests: 4, passed: 2, failed: 1, rejected: 1, passRate: 50 });
    const byTest = Object.fromEntries(rep.tests.map((t) => [t.test, t]));
    expect(Object.keys(byTest).sort()).toEqual([...FAKE_TESTS]);
    expect(byTest.test_add_pass!.status).toBe('pass');
    expect(byTest.test_add_mismatch).toMatchObject({ status: 'fail', stage: 'compare', code: 'MISMATCH' });
    expect(byTest.test_reshape_bind).toMatchObject({ status: 'pass', bound: ['shape'] });
    expect(byTest.test_nosuchop).toMatchObject({ status: 'rejected', stage: 'build', code: 'RLX_ONNX_UNSUPPORTED' });
    expect(rep.ops.find((o) => o.op === 'NoSuchOp')!.reasons[0]!.reason).toMatch(/^RLX_ONNX_UNSUPPORTED: .*NoSuchOp/);

    const mdText = readFileSync(md, 'utf8');
    expect(mdText).toContain('**2 passed (50%)**, 1 failed (25%), 1 rejected at build time (25%)');
    expect(mdText).toMatch(/\| Reshape \| 1 \| 1 \| 0 \| 0 \| shape \| {2}\|/);
    expect(mdText).toMatch(/\| test_add_mismatch \| Add \| compare \| MISMATCH: output 0/);

    // The runner went through the CLI: one config declaring every test, with the bound input.
    const config = JSON.parse(readFileSync(join(work, 'relax.config.json'), 'utf8')) as { models: Record<string, unknown>; targets: string[] };
    expect(Object.keys(config.models).sort()).toEqual([...FAKE_TESTS]);
    expect(config.targets).toEqual(['cpu']);
    expect(config.models.test_reshape_bind).toEqual({ source: join(suite, 'test_reshape_bind/model.onnx'), bind: { shape: join(suite, 'test_reshape_bind/test_data_set_0/input_1.pb') } });
  }, 240_000);

  it('exits 0 when the pass rate meets --min; --filter keeps tests by name or op (ops from INDEX.tsv)', () => {
    expect(conformance(['--target', 'cpu', '--suite', suite, '--work', work, '--min', '50']).code).toBe(0);
    const indexed = join(tmp, 'indexed');
    writeFakeSuite(indexed, { index: true });
    const r = conformance(['--target', 'cpu', '--suite', indexed, '--work', join(tmp, 'work2'), '--filter', 'Reshape', '--filter', 'test_add_p*', '--min', '100']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('total: 2 tests: 2 passed (100%), 0 failed (0%), 0 rejected at build time (0%)');
  }, 240_000);

  it('--build-only builds and runs nothing; --run-only runs what that work folder holds', () => {
    const w = join(tmp, 'work3');
    const b = conformance(['--target', 'cpu', '--suite', suite, '--work', w, '--build-only']);
    expect(b.code, b.stderr).toBe(0);
    expect(b.stdout).toContain('total: 4 tests: 0 passed (0%), 3 failed (75%), 1 rejected at build time (25%)');
    expect(b.stdout).toContain('test_add_pass [Add] run: NOT_RUN');
    const r = conformance(['--target', 'cpu', '--suite', suite, '--work', w, '--run-only']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toContain('building');
    expect(r.stdout).toContain('total: 4 tests: 2 passed (50%), 1 failed (25%), 1 rejected at build time (25%)');
    expect(conformance(['--target', 'webgpu', '--suite', suite, '--work', w, '--run-only']).code).toBe(2);
  }, 240_000);

  it('usage errors exit 2', () => {
    expect(conformance(['--suite', suite]).code).toBe(2);
    expect(conformance(['--target', 'cpu', '--suite', join(tmp, 'nope')]).code).toBe(2);
    expect(conformance(['--target', 'cpu', '--suite', suite, '--min', '120']).code).toBe(2);
    expect(conformance(['--target', 'cpu', '--suite', suite, '--build-only', '--run-only']).code).toBe(2);
  }, 60_000);
});
