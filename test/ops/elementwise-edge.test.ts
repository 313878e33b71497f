/**
 * Edge cases of the elementwise ops, each checked with the TIR interpreter and with the compiled C kernel against
 * hand-computed ONNX/numpy results: float16/bfloat16 rounding (ties, subnormals, overflow, double rounding), NaN
 * and signed zeros, integer wraparound, truncating division, both Mod rules, integer Pow, Clip with run-time bounds.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { DType } from '../../src/compiler/tir/types.js';
import { bigints, interpretCase, runCasesC, sameValues, tensor, type OpCase } from './elementwise-harness.js';
import { mustRun } from '../backends/fixtures-c.js';

interface Edge extends OpCase {
  readonly name: string;
  readonly want: readonly number[];
  /** Relative tolerance (0: exact, NaN matches NaN, -0 differs from 0). */
  readonly tol?: number;
  /** The interpreter holds int64 as doubles: skip it for values beyond 2^53. */
  readonly cOnly?: boolean;
}

const NaN_ = Number.NaN, inf = Infinity;
const t = tensor;
const cast = (from: DType, to: DType, xs: number[]): OpCase => ({ op: 'cast', attrs: { dtype: to }, inputs: [t(from, xs)] });
const h = 2 ** -24; // smallest float16 subnormal

const EDGES: Edge[] = [
  // float16: ties to even, subnormals, the overflow threshold 65520, NaN and signed zero.
  {
    name: 'cast float32→float16 rounds to nearest even',
    ...cast('float32', 'float16', [1 + 2 ** -11, 1 + 3 * 2 ** -11, 65504, 65519, 65520, -70000, 2 ** -25, 3 * 2 ** -26, 1.5 * h, 2.5 * h, -0, NaN_, 2 ** -14 - 2 ** -25]),
    want: [1, 1 + 2 ** -9, 65504, 65504, inf, -inf, 0, h, 2 * h, 2 * h, -0, NaN_, 2 ** -14],
  },
  {
    name: 'cast float64→float16 rounds once (no double rounding through float32)',
    ...cast('float64', 'float16', [1 + 2 ** -11 + 2 ** -40, 1 + 2 ** -11, -(2 + 2 ** -10 + 2 ** -45), 1e-9, 1e6]),
    want: [1 + 2 ** -10, 1, -(2 + 2 ** -9), 0, inf],
  },
  {
    name: 'cast float32→bfloat16 rounds to nearest even',
    ...cast('float32', 'bfloat16', [1 + 2 ** -8, 1 + 3 * 2 ** -8, 1 + 2 ** -8 + 2 ** -20, -0, NaN_, 3.4e38]),
    want: [1, 1 + 2 ** -6, 1 + 2 ** -7, -0, NaN_, inf], // 3.4e38 rounds up past the largest bfloat16
  },
  { name: 'float16 add rounds the float32 sum', op: 'add', inputs: [t('float16', [2048, 1, 65504, 65504]), t('float16', [1, 2 ** -11, 8, 16])], want: [2048, 1, 65504, inf] },
  {
    name: 'float16 computes in float32 and rounds once on store',
    op: 'hard_sigmoid', attrs: { alpha: 1 + 2 ** -10, beta: -1 }, inputs: [t('float16', [1 + 3 * 2 ** -10])], want: [2 ** -8 + 2 ** -18],
  },
  { name: 'float16 mul overflows to inf', op: 'mul', inputs: [t('float16', [300, -300]), t('float16', [300, 300])], want: [inf, -inf] },
  { name: 'cast to bool: NaN and -0', ...cast('float32', 'bool', [0, -0, NaN_, 0.5, -inf]), want: [0, 0, 1, 1, 1] },
  { name: 'cast float→int truncates toward zero', ...cast('float32', 'int32', [2.7, -2.7, -0.5, 1e9]), want: [2, -2, 0, 1e9] },
  { name: 'cast int64→float16', ...cast('int64', 'float16', [2049, 2051, -65504, 100000]), want: [2048, 2052, -65504, inf] },
  // NaN semantics.
  { name: 'max propagates NaN from either side', op: 'max', inputs: [t('float32', [NaN_, 1, -0]), t('float32', [1, NaN_, 0])], want: [NaN_, NaN_, 0] },
  { name: 'min of three with NaN', op: 'min', inputs: [t('float32', [3, NaN_]), t('float32', [1, 2]), t('float32', [2, 0])], want: [1, NaN_] },
  { name: 'sign keeps NaN and signed zero', op: 'sign', inputs: [t('float32', [-3, 0, -0, NaN_, inf])], want: [-1, 0, -0, NaN_, 1] },
  { name: 'round half to even', op: 'round', inputs: [t('float32', [0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4999998, -0.2])], want: [0, 2, 2, -0, -2, -2, 2, -0] },
  { name: 'isnan', op: 'isnan', inputs: [t('float16', [NaN_, inf, 0])], want: [1, 0, 0] },
  { name: 'isinf detects only +inf', op: 'isinf', attrs: { detect_positive: 1, detect_negative: 0 }, inputs: [t('float32', [inf, -inf, NaN_, 1])], want: [1, 0, 0, 0] },
  { name: 'isinf detects only -inf', op: 'isinf', attrs: { detect_positive: 0, detect_negative: 1 }, inputs: [t('float32', [inf, -inf, NaN_, 1])], want: [0, 1, 0, 0] },
  { name: 'relu of NaN and -0', op: 'relu', inputs: [t('float32', [NaN_, -0, -1, 2])], want: [NaN_, 0, 0, 2] },
  { name: 'softplus does not overflow', op: 'softplus', inputs: [t('float32', [100, -100, 0])], want: [100, 3.7200760e-44, Math.LN2], tol: 1e-6 },
  // Integer wraparound, truncating division, remainder rules.
  { name: 'int8 add/mul wrap', op: 'add', inputs: [t('int8', [127, -128, 100]), t('int8', [1, -1, 100])], want: [-128, 127, -56] },
  { name: 'int8 mul wraps', op: 'mul', inputs: [t('int8', [16, -16]), t('int8', [16, 8])], want: [0, -128] },
  { name: 'uint8 sub wraps', op: 'sub', inputs: [t('uint8', [0, 5]), t('uint8', [1, 10])], want: [255, 251] },
  { name: 'neg/abs of the most negative int8', op: 'abs', inputs: [t('int8', [-128, -5, 5])], want: [-128, 5, 5] },
  { name: 'int32 div truncates toward zero', op: 'div', inputs: [t('int32', [-7, 7, -7, 7, -2147483648, 5]), t('int32', [2, -2, -2, 2, -1, 0])], want: [-3, -3, 3, 3, -2147483648, 0] },
  { name: 'uint8 div', op: 'div', inputs: [t('uint8', [200, 255]), t('uint8', [3, 255])], want: [66, 1] },
  { name: 'int32 mod (fmod=0) takes the divisor sign', op: 'mod', attrs: { fmod: 0 }, inputs: [t('int32', [-4, 7, -7, 5, 4, 3]), t('int32', [3, -3, -3, 0, -2, 3])], want: [2, -2, -1, 0, 0, 0] },
  { name: 'int16 mod (fmod=1) takes the dividend sign', op: 'mod', attrs: { fmod: 1 }, inputs: [t('int16', [-4, 7, -7, -32768]), t('int16', [3, -3, -3, -1])], want: [-1, 1, -1, 0] },
  { name: 'float mod (fmod=0)', op: 'mod', attrs: { fmod: 0 }, inputs: [t('float32', [-4.5, 4.5, 4.5, -0.0, 1e10]), t('float32', [2, -2, 2, 3, 3])], want: [1.5, -1.5, 0.5, -0, 1] },
  { name: 'float mod (fmod=1)', op: 'mod', attrs: { fmod: 1 }, inputs: [t('float64', [-4.5, 4.5, 5.25]), t('float64', [2, -2, 0.5])], want: [-0.5, 0.5, 0.25] },
  { name: 'int32 pow: integer power', op: 'pow', inputs: [t('int32', [2, -2, 2, 1, -1, 0, 3]), t('int32', [10, 3, -1, -5, -3, 0, 19])], want: [1024, -8, 0, 1, -1, 1, 1162261467] },
  { name: 'int32 base, float exponent', op: 'pow', inputs: [t('int32', [4, 2, -8, 10]), t('float32', [0.5, 3, 2, -1])], want: [2, 8, 64, 0] },
  { name: 'float16 base, int64 exponent', op: 'pow', inputs: [t('float16', [2, -3, 0.5]), t('int64', [3, 2, -2])], want: [8, 9, 4] },
  { name: 'uint8 variadic sum wraps', op: 'sum', inputs: [t('uint8', [200]), t('uint8', [100]), t('uint8', [1])], want: [45] },
  { name: 'bitwise_not int8', op: 'bitwise_not', inputs: [t('int8', [0, -1, 5])], want: [-1, 0, -6] },
  { name: 'logical xor', op: 'logical_xor', inputs: [t('bool', [0, 1, 1, 0]), t('bool', [0, 1, 0, 1])], want: [0, 0, 1, 1] },
  { name: 'uint32 greater beyond 2^31', op: 'greater', inputs: [t('uint32', [4294967295, 1]), t('uint32', [1, 2147483648])], want: [1, 0] },
  // Clip: run-time bounds (tensor operands) next to baked ones.
  { name: 'clip with run-time min and max tensors', op: 'clip', attrs: { min: null, max: null, inputs: ['min', 'max'] }, inputs: [t('int8', [-100, 0, 100]), t('int8', [-5], []), t('int8', [7], [])], want: [-5, 0, 7] },
  { name: 'clip with a run-time max and a baked min', op: 'clip', attrs: { min: 0.5, max: null, inputs: ['max'] }, inputs: [t('float16', [-1, 1, NaN_, 9]), t('float16', [2], [])], want: [0.5, 1, NaN_, 2] },
  { name: 'where broadcasts all three', op: 'where', inputs: [t('bool', [1, 0], [2, 1]), t('int64', [1, 2, 3], [3]), t('int64', [-1], [])], want: [1, 2, 3, -1, -1, -1] },
  { name: 'gelu (erf) and gelu (tanh)', op: 'gelu', attrs: { approximate: 'none' }, inputs: [t('float32', [-1, 0, 1, 3])], want: [-0.15865525, 0, 0.84134475, 2.9959502], tol: 1e-6 },
  { name: 'hard_swish', op: 'hard_swish', inputs: [t('float32', [-4, -1, 0, 1, 4])], want: [-0, -1 / 3, 0, 2 / 3, 4], tol: 1e-6 },
];

const bigCases: { name: string; c: OpCase; want: bigint[] }[] = [
  { name: 'int64 add beyond 2^53', c: { op: 'add', inputs: [t('int64', [2n ** 62n, 9007199254740993n]), t('int64', [1n, 2n])] }, want: [2n ** 62n + 1n, 9007199254740995n] },
  { name: 'int64 mul wraps', c: { op: 'mul', inputs: [t('int64', [2n ** 62n]), t('int64', [4n])] }, want: [0n] },
  { name: 'uint64 div and mod near 2^64', c: { op: 'div', inputs: [t('uint64', [2n ** 64n - 1n]), t('uint64', [3n])] }, want: [6148914691236517205n] },
  { name: 'int64 pow', c: { op: 'pow', inputs: [t('int64', [3n]), t('int64', [39n])] }, want: [4052555153018976267n] },
];

describe('elementwise edge cases in the TIR interpreter', () => {
  it.each(EDGES.filter((e) => !e.cOnly))('$name', (e) => {
    expect(sameValues(interpretCase(e), e.want, e.tol)).toBeUndefined();
  });
});

const hasCc = spawnSync('sh', ['-c', 'command -v "${CC:-cc}"']).status === 0;
describe.runIf(mustRun(hasCc, 'cc'))('elementwise edge cases as compiled C', () => {
  it('every case matches', async () => {
    const outs = await runCasesC(EDGES);
    const bad = EDGES.map((e, i) => [e.name, sameValues(outs[i]!, e.want, e.tol)] as const).filter(([, err]) => err);
    expect(bad).toEqual([]);
  }, 120_000);

  it('int64/uint64 stay exact beyond 2^53', async () => {
    const outs = await runCasesC(bigCases.map((b) => b.c));
    bigCases.forEach((b, i) => expect(bigints(outs[i]!), b.name).toEqual(b.want));
  }, 120_000);
});
