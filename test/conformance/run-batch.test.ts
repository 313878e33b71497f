/**
 * `relax run --batch FILE`: several (dir, inputs, out) sets in one process, through the CLI. A failing set is
 * reported and the others still run; exit 1 when any failed. Needs cc (a real cpu build) and dist/.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeTensorProto } from '../../src/formats/tensor-proto.js';
import { toNumbers } from '../../src/formats/tensor.js';
import { writeFakeSuite } from './fake-suite.js';

const ROOT = resolve(__dirname, '../..');
const CLI = join(ROOT, 'bin/relax.js');
const hasCc = spawnSync('sh', ['-c', 'command -v cc || command -v gcc'], { encoding: 'utf8' }).status === 0;
const hasDist = existsSync(join(ROOT, 'dist/cli/index.js'));
const skip = !process.env.CI && (!hasCc || !hasDist);
if (skip) console.warn(`skipped: relax run --batch test needs ${!hasCc ? 'a C compiler (cc)' : 'dist/ (npm run build:ts)'}`);

const tmp = mkdtempSync(join(tmpdir(), 'relax-batch-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const relax = (args: string[]) => spawnSync(process.execPath, [CLI, ...args], { cwd: tmp, encoding: 'utf8', timeout: 120_000 });

describe.skipIf(skip)('relax run --batch', () => {
  writeFakeSuite(join(tmp, 'suite'));
  const data = (t: string, f: string) => join(tmp, 'suite', t, 'test_data_set_0', f);
  writeFileSync(join(tmp, 'relax.config.json'), JSON.stringify({
    models: {
      add: './suite/test_add_pass/model.onnx',
      reshape: { source: './suite/test_reshape_bind/model.onnx', bind: { shape: './suite/test_reshape_bind/test_data_set_0/input_1.pb' } },
    },
  }));

  it('runs every set in one process; a failing set does not stop the others', () => {
    const b = relax(['build']);
    expect(b.status, b.stdout + b.stderr).toBe(0);
    const sets = [
      { dir: 'dist/add/cpu', inputs: { x: data('test_add_pass', 'input_0.pb'), y: data('test_add_pass', 'input_1.pb') }, out: 'o/add' },
      { dir: 'dist/missing/cpu', inputs: {}, out: 'o/missing' },
      { dir: 'dist/reshape/cpu', inputs: [data('test_reshape_bind', 'input_0.pb')], out: 'o/reshape' },
    ];
    writeFileSync(join(tmp, 'sets.jsonl'), sets.map((s) => JSON.stringify(s)).join('\n'));
    const r = relax(['run', '--batch', 'sets.jsonl', '--json']);
    expect(r.status).toBe(1);
    const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { event: string; index?: number; code?: string });
    expect(events.map((e) => `${e.event}${e.index ?? ''}`)).toEqual(['run-start0', 'run-done0', 'run-start1', 'run-error1', 'run-start2', 'run-done2', 'batch-done']);
    expect(events[3]!.code).toBe('RLX_ARTIFACT_INVALID');
    for (const [t, out] of [['test_add_pass', 'add'], ['test_reshape_bind', 'reshape']] as const) {
      const got = decodeTensorProto(readFileSync(join(tmp, 'o', out, 'output_0.pb'))).tensor;
      const want = decodeTensorProto(readFileSync(data(t, 'output_0.pb'))).tensor;
      expect(got.shape).toEqual(want.shape);
      expect(toNumbers(got)).toEqual(toNumbers(want));
    }
    // A JSON array works too; plain output says what ran; all ok → exit 0.
    writeFileSync(join(tmp, 'sets.json'), JSON.stringify([sets[0]]));
    const ok = relax(['run', '--batch', 'sets.json']);
    expect(ok.status).toBe(0);
    expect(ok.stdout).toContain('relax run: 1 of 1 set(s) ran');
  }, 120_000);

  it('usage errors: --batch with DIR or --input, a malformed file', () => {
    writeFileSync(join(tmp, 'bad.jsonl'), '{"dir": "x"}\n');
    expect(relax(['run', 'dist/add/cpu', '--batch', 'bad.jsonl']).status).toBe(2);
    const bad = relax(['run', '--batch', 'bad.jsonl']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('set [0]: "out" must be the output directory');
    expect(relax(['run', '--batch', 'nope.jsonl']).status).toBe(2);
  }, 60_000);
});
