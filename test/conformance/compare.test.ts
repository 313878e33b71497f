/** The runner's output comparison: the ONNX backend test rule (rtol 1e-3, atol 1e-7, NaN = NaN, ints exact). */
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs module of the runner (no types)
import { compareTensors } from '../../scripts/conformance/compare.mjs';
import { fromTyped, toNumbers, type HostTensor } from '../../src/formats/tensor.js';

const cmp = (a: HostTensor, e: HostTensor): string | undefined => compareTensors(a, e, toNumbers);
const f32 = (v: number[], shape = [v.length]) => fromTyped('float32', shape, new Float32Array(v));

describe('compareTensors', () => {
  it('floats: within |a - e| <= 1e-7 + 1e-3 |e|; NaN matches NaN; equal infinities match', () => {
    expect(cmp(f32([1.0009, -2, 0, NaN, Infinity]), f32([1, -2.0019, 5e-8, NaN, Infinity]))).toBeUndefined();
    expect(cmp(f32([1.0011]), f32([1]))).toMatch(/^1 of 1 elements differ \(first at 0: 1\.001/);
    expect(cmp(f32([0, 2e-7]), f32([0, 0]))).toMatch(/first at 1/);
    expect(cmp(f32([NaN]), f32([1]))).toBeDefined();
    expect(cmp(f32([1]), f32([NaN]))).toBeDefined();
    expect(cmp(f32([-Infinity]), f32([Infinity]))).toBeDefined();
    expect(cmp(f32([1e30]), f32([Infinity]))).toBeDefined();
    expect(cmp(f32([Infinity]), f32([1e30]))).toBeDefined();
  });

  it('dtype and shape must match', () => {
    expect(cmp(f32([1, 2]), fromTyped('float64', [2], new Float64Array([1, 2])))).toBe('dtype float32, expected float64');
    expect(cmp(f32([1, 2], [2, 1]), f32([1, 2], [1, 2]))).toBe('shape [2, 1], expected [1, 2]');
    expect(cmp(f32([], [0]), f32([], [0]))).toBeUndefined();
  });

  it('integers and bools compare exactly (int64 beyond 2^53 included)', () => {
    const big = (v: bigint[]) => fromTyped('int64', [v.length], new BigInt64Array(v));
    expect(cmp(big([2n ** 60n, -1n]), big([2n ** 60n, -1n]))).toBeUndefined();
    expect(cmp(big([2n ** 60n + 1n]), big([2n ** 60n]))).toMatch(/^element 0: .*\(int64, exact\)$/);
    const i32 = (v: number[]) => fromTyped('int32', [v.length], new Int32Array(v));
    expect(cmp(i32([1, 2, 3]), i32([1, 2, 4]))).toBe('element 2: 3, expected 4 (int32, exact)');
    const bool = (v: number[]) => fromTyped('bool', [v.length], new Uint8Array(v));
    expect(cmp(bool([1, 0]), bool([1, 0]))).toBeUndefined();
    expect(cmp(bool([0, 1]), bool([1, 1]))).toMatch(/^element 0/);
  });

  it('16-bit floats compare by value', () => {
    const h = (v: number[]) => fromTyped('float16', [v.length], new Uint16Array(v));
    expect(cmp(h([0x3c00]), h([0x3c00]))).toBeUndefined(); // 1.0
    expect(cmp(h([0x3c01]), h([0x3c00]))).toBeUndefined(); // 1.000977 vs 1: within rtol
    expect(cmp(h([0x3c02]), h([0x3c00]))).toMatch(/differ/); // 1.00195 vs 1
  });
});
