import { describe, expect, test } from 'vitest';
import { readSafetensors, writeSafetensors } from '../../src/formats/safetensors.js';
import { fromTyped, type HostTensor } from '../../src/formats/tensor.js';

const tensors: Record<string, HostTensor> = {
  'b.weight': fromTyped('float32', [2, 2], new Float32Array([1, 2, 3, 4])),
  a: fromTyped('int64', [3], new BigInt64Array([1n, -2n, 3n])),
  flag: fromTyped('bool', [], new Uint8Array([1])),
  half: fromTyped('float16', [1], new Uint16Array([0x3c00])),
};

describe('safetensors', () => {
  test('round trip', () => {
    const back = readSafetensors(writeSafetensors(tensors));
    expect(Object.keys(back).sort()).toEqual(Object.keys(tensors).sort());
    for (const [k, t] of Object.entries(tensors)) expect(back[k]).toEqual(t);
  });
  test('layout: header length, sorted keys, spec dtype names, 8-byte aligned space padding', () => {
    const bytes = writeSafetensors(tensors);
    const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
    expect(n % 8).toBe(0);
    const header = new TextDecoder().decode(bytes.subarray(8, 8 + n));
    expect(header).toMatch(/^\{.*\} *$/);
    const parsed = JSON.parse(header) as Record<string, { dtype: string; shape: number[]; data_offsets: number[] }>;
    expect(Object.keys(parsed)).toEqual(['a', 'b.weight', 'flag', 'half']);
    expect(parsed.a).toEqual({ dtype: 'I64', shape: [3], data_offsets: [0, 24] });
    expect(parsed['b.weight']).toEqual({ dtype: 'F32', shape: [2, 2], data_offsets: [24, 40] });
    expect(parsed.flag!.dtype).toBe('BOOL');
    expect(parsed.half!.dtype).toBe('F16');
    expect(bytes.byteLength).toBe(8 + n + 24 + 16 + 1 + 2);
  });
  test('deterministic regardless of key order', () => {
    const rev = Object.fromEntries(Object.entries(tensors).reverse());
    expect(Buffer.from(writeSafetensors(rev)).equals(Buffer.from(writeSafetensors(tensors)))).toBe(true);
  });
  test('reads files with __metadata__ and rejects bad ones', () => {
    const header = JSON.stringify({ __metadata__: { format: 'pt' }, x: { dtype: 'U8', shape: [2], data_offsets: [0, 2] } });
    const h = new TextEncoder().encode(header);
    const bytes = new Uint8Array(8 + h.length + 2);
    new DataView(bytes.buffer).setBigUint64(0, BigInt(h.length), true);
    bytes.set(h, 8); bytes.set([7, 9], 8 + h.length);
    expect(readSafetensors(bytes)).toEqual({ x: { dtype: 'uint8', shape: [2], data: new Uint8Array([7, 9]) } });
    expect(() => readSafetensors(bytes.subarray(0, 4))).toThrow(/shorter/);
    expect(() => readSafetensors(bytes.subarray(0, 8 + h.length + 1))).toThrow(/inconsistent/);
  });
  test('empty', () => {
    expect(readSafetensors(writeSafetensors({}))).toEqual({});
  });
});
