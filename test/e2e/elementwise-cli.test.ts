/**
 * Elementwise ONNX node tests built for cpu through the real CLI (`relax build`, then `relax run` per test) and
 * compared with the expected outputs (ONNX runner tolerance). By default a selection that covers every dtype
 * path of the C backend (float16/bfloat16 storage, 8/16/64-bit and unsigned integers, bool, mixed-dtype Pow,
 * both Mod rules, Clip with run-time bounds, Dropout's mask); RELAX_EW_CASES=all runs every elementwise test.
 * Needs dist/ (built by `npm test`) and a C compiler.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeTensorProto } from '../../src/formats/tensor-proto.js';
import { compare } from '../frontend/evaluate.js';

const ROOT = resolve(__dirname, '../..');
const NODE = resolve(ROOT, '../shared/conformance/onnx-node');
const CLI = join(ROOT, 'bin/relax.js');

const EW_OPS = new Set(('Abs Neg Exp Log Sqrt Sin Cos Tanh Sigmoid Erf Floor Ceil Round Sign Reciprocal Softplus Elu LeakyRelu ' +
  'HardSigmoid HardSwish Gelu Relu Pow Mod Min Max Sum Mean Add Sub Mul Div And Or Xor Not Equal Less Greater LessOrEqual ' +
  'GreaterOrEqual IsNaN IsInf Where Cast Clip Dropout Identity').split(' '));

const SELECTION = [
  'test_round', 'test_erf', 'test_gelu_tanh_2', 'test_softplus',
  'test_add_int8', 'test_mul_uint8', 'test_div_int16', 'test_div_uint64',
  'test_pow_types_int64_int64', 'test_pow_types_int32_float32', 'test_pow_types_float32_uint64',
  'test_mod_mixed_sign_float16', 'test_mod_mixed_sign_int8', 'test_mod_uint64',
  'test_max_float16', 'test_min_example', 'test_and_bcast4v4d', 'test_equal_uint64', 'test_where_long_example',
  'test_cast_DOUBLE_to_FLOAT16', 'test_cast_FLOAT_to_BFLOAT16', 'test_cast_BFLOAT16_to_FLOAT',
  'test_clip_default_int8_min', 'test_dropout_default_mask_ratio',
];

interface Case { name: string; inputs: string[] }

const rows: Case[] = existsSync(join(NODE, 'INDEX.tsv'))
  ? readFileSync(join(NODE, 'INDEX.tsv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split('\t'))
    .filter((c) => EW_OPS.has(c[1]!) && !c[3]!.includes('seq['))
    .map((c) => ({ name: c[0]!, inputs: c[3] ? c[3].split(';').map((s) => s.split(':')[0]!) : [] }))
  : [];
const cases = process.env.RELAX_EW_CASES === 'all' ? rows : rows.filter((r) => SELECTION.includes(r.name));

const hasCc = spawnSync('sh', ['-c', 'command -v "${CC:-cc}"'], { encoding: 'utf8' }).status === 0;
const ready = rows.length > 0 && existsSync(join(ROOT, 'dist')) && hasCc;
if (!ready && !process.env.CI) console.warn('skipped: needs ../shared/conformance/onnx-node, dist/ (npm run build:ts) and a C compiler');

function relax(args: string[], cwd: string) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', timeout: 600_000 });
  return { code: r.status, log: r.stdout + r.stderr };
}

describe.skipIf(!ready && !process.env.CI)('elementwise node tests through the CLI on cpu', () => {
  const dir = mkdtempSync(join(tmpdir(), 'relax-ew-'));
  const models = cases.map((c) => `${c.name}: ${JSON.stringify(join(NODE, c.name, 'model.onnx'))}`).join(',\n  ');
  writeFileSync(join(dir, 'relax.config.mjs'), `export default { models: {\n  ${models}\n}, targets: ['cpu'] };\n`);

  it('builds every case', () => {
    expect(cases.length).toBeGreaterThanOrEqual(process.env.RELAX_EW_CASES === 'all' ? 140 : SELECTION.length);
    const r = relax(['build'], dir);
    expect(r.log).not.toMatch(/job-error|failed:/);
    expect(r.code).toBe(0);
  }, 600_000);

  it.each(cases)('$name matches its expected outputs', ({ name, inputs }) => {
    const data = join(NODE, name, 'test_data_set_0');
    const out = join(dir, `out-${name}`);
    const args = inputs.flatMap((n, i) => ['--input', `${n}=${join(data, `input_${i}.pb`)}`]);
    const r = relax(['run', join(dir, 'dist', name, 'cpu'), ...args, '--out', out], dir);
    expect(r.log).not.toMatch(/error/i);
    expect(r.code).toBe(0);
    const expected = readdirSync(data).filter((f) => f.startsWith('output_')).sort();
    expect(expected.length).toBeGreaterThan(0);
    for (const f of expected) {
      const err = compare(decodeTensorProto(readFileSync(join(out, f))).tensor, decodeTensorProto(readFileSync(join(data, f))).tensor);
      expect(err, `${name} ${f}`).toBeUndefined();
    }
  }, 60_000);
});
