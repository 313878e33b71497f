import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import protobuf from 'protobufjs';
import { describe, expect, test } from 'vitest';
import { decodeTensorProto, encodeTensorProto } from '../../src/formats/tensor-proto.js';
import { fromTyped, toNumbers } from '../../src/formats/tensor.js';
import { loadOnnx } from '../../src/compiler/frontend/onnx/load.js';
import { SHARED } from '../shared-dir.js';

const ROOT = `${SHARED}/conformance/onnx-node`;

/** Hand-encodes a TensorProto with protobufjs' low-level Writer (independent of the reflection schema). */
function proto(fields: { dims: number[]; type: number; name?: string; write?: (w: protobuf.Writer) => void }): Uint8Array {
  const w = protobuf.Writer.create();
  for (const d of fields.dims) w.uint32((1 << 3) | 0).int64(d);
  w.uint32((2 << 3) | 0).int32(fields.type);
  if (fields.name) w.uint32((8 << 3) | 2).string(fields.name);
  fields.write?.(w);
  return w.finish();
}
const packed = (w: protobuf.Writer, field: number, put: (w: protobuf.Writer) => void) => { w.uint32((field << 3) | 2).fork(); put(w); w.ldelim(); };

describe('real .pb files', () => {
  const files: string[] = [];
  for (const t of readdirSync(ROOT).filter((d) => d.startsWith('test_')).sort()) {
    const dir = join(ROOT, t, 'test_data_set_0');
    let names: string[] = [];
    try { names = readdirSync(dir); } catch { continue; }
    if (t === 'test_identity_sequence') continue; // SequenceProto files
    for (const f of names.filter((n) => n.endsWith('.pb'))) files.push(join(dir, f));
  }
  test(`every conformance data file decodes and round-trips (${files.length} files)`, () => {
    expect(files.length).toBeGreaterThan(800);
    let checked = 0;
    for (const f of files) {
      const bytes = readFileSync(f);
      let dec;
      try { dec = decodeTensorProto(bytes); } catch (e) {
        expect((e as Error).message, f).toMatch(/string tensors are not supported|unsupported data_type/);
        continue;
      }
      const { name, tensor } = dec;
      const again = decodeTensorProto(encodeTensorProto(tensor, name));
      expect(again.name).toBe(name);
      expect(again.tensor.dtype).toBe(tensor.dtype);
      expect(again.tensor.shape).toEqual(tensor.shape);
      expect(Buffer.from(again.tensor.data).equals(Buffer.from(tensor.data)), f).toBe(true);
      checked++;
    }
    expect(checked).toBeGreaterThan(800);
  });
  test('raw_data values: test_add_bcast (x + y == sum)', () => {
    const dir = join(ROOT, 'test_add_bcast', 'test_data_set_0');
    const x = decodeTensorProto(readFileSync(join(dir, 'input_0.pb'))), y = decodeTensorProto(readFileSync(join(dir, 'input_1.pb')));
    const s = decodeTensorProto(readFileSync(join(dir, 'output_0.pb')));
    expect([x.name, x.tensor.dtype, x.tensor.shape]).toEqual(['x', 'float32', [3, 4, 5]]);
    expect(y.tensor.shape).toEqual([5]);
    const xv = toNumbers(x.tensor), yv = toNumbers(y.tensor), sv = toNumbers(s.tensor);
    sv.forEach((v, i) => expect(v).toBe(Math.fround(xv[i]! + yv[i % 5]!)));
  });
  test('float_data in a Constant node equals the raw_data expected output (test_constant)', () => {
    const m = loadOnnx(readFileSync(join(ROOT, 'test_constant', 'model.onnx')));
    const attr = m.graph.nodes[0]!.attrs.get('value')!;
    expect(attr.type).toBe('tensor');
    const out = decodeTensorProto(readFileSync(join(ROOT, 'test_constant', 'test_data_set_0', 'output_0.pb'))).tensor;
    expect(attr.type === 'tensor' && toNumbers(attr.value)).toEqual(toNumbers(out));
  });
});

describe('typed fields', () => {
  test('float_data, double_data', () => {
    const f = decodeTensorProto(proto({ dims: [3], type: 1, write: (w) => packed(w, 4, (p) => { p.float(1.5); p.float(-2); p.float(3.25); }) }));
    expect(toNumbers(f.tensor)).toEqual([1.5, -2, 3.25]);
    const d = decodeTensorProto(proto({ dims: [2], type: 11, write: (w) => packed(w, 10, (p) => { p.double(0.1); p.double(-1e300); }) }));
    expect(toNumbers(d.tensor)).toEqual([0.1, -1e300]);
  });
  test('int32_data for int8, int16, uint8, uint16, bool, int32, float16 and bfloat16 bits', () => {
    const cases: [number, number[], number[]][] = [
      [3, [-128, 5, 127], [-128, 5, 127]], [5, [-30000, 7], [-30000, 7]], [2, [0, 255], [0, 255]],
      [4, [65535, 3], [65535, 3]], [9, [1, 0, 1], [1, 0, 1]], [6, [-2147483648, 42], [-2147483648, 42]],
      [10, [0x3c00, 0xc000], [1, -2]], [16, [0x3f80, 0x4040], [1, 3]],
    ];
    for (const [type, raw, want] of cases) {
      const t = decodeTensorProto(proto({ dims: [raw.length], type, write: (w) => packed(w, 5, (p) => raw.forEach((v) => p.int32(v))) }));
      expect(toNumbers(t.tensor), `type ${type}`).toEqual(want);
    }
  });
  test('int64_data (negative, large), uint64_data for uint32 and uint64', () => {
    const i = decodeTensorProto(proto({ dims: [3], type: 7, write: (w) => packed(w, 7, (p) => { p.int64(-5); p.int64('9007199254740993'); p.int64(0); }) }));
    expect(i.tensor.dtype).toBe('int64');
    expect(Array.from(new BigInt64Array(i.tensor.data.slice().buffer))).toEqual([-5n, 9007199254740993n, 0n]);
    const u32 = decodeTensorProto(proto({ dims: [2], type: 12, write: (w) => packed(w, 11, (p) => { p.uint64(4294967295); p.uint64(1); }) }));
    expect(toNumbers(u32.tensor)).toEqual([4294967295, 1]);
    const u64 = decodeTensorProto(proto({ dims: [1], type: 13, write: (w) => packed(w, 11, (p) => { p.uint64('18446744073709551615'); }) }));
    expect(Array.from(new BigUint64Array(u64.tensor.data.slice().buffer))).toEqual([18446744073709551615n]);
  });
  test('scalar, empty tensor without data, wrong element count, string dtype', () => {
    expect(decodeTensorProto(proto({ dims: [], type: 1, write: (w) => packed(w, 4, (p) => p.float(7)) })).tensor).toMatchObject({ shape: [], dtype: 'float32' });
    expect(decodeTensorProto(proto({ dims: [0, 3], type: 1 })).tensor.data.byteLength).toBe(0);
    expect(() => decodeTensorProto(proto({ dims: [4], type: 1, write: (w) => packed(w, 4, (p) => p.float(7)) }))).toThrow(/has 1 values.*needs 4/);
    expect(() => decodeTensorProto(proto({ dims: [1], type: 8, name: 's' }))).toThrow(/'s'.*string tensors are not supported/);
  });
  test('external data relative to baseDir (location, offset, length)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'relax-tp-'));
    const payload = new Float32Array([9, 1, 2, 3, 4]);
    writeFileSync(join(dir, 'w.bin'), new Uint8Array(payload.buffer));
    const entry = (w: protobuf.Writer, k: string, v: string) => { w.uint32((13 << 3) | 2).fork().uint32(10).string(k).uint32(18).string(v).ldelim(); };
    const bytes = proto({ dims: [2, 2], type: 1, name: 'w', write: (w) => {
      entry(w, 'location', 'w.bin'); entry(w, 'offset', '4'); entry(w, 'length', '16');
      w.uint32((14 << 3) | 0).int32(1);
    } });
    expect(toNumbers(decodeTensorProto(bytes, { baseDir: dir }).tensor)).toEqual([1, 2, 3, 4]);
    expect(() => decodeTensorProto(bytes)).toThrow(/base directory/);
  });
  test('encode writes raw_data little-endian', () => {
    const t = fromTyped('int16', [2], new Int16Array([1, -2]));
    const bytes = encodeTensorProto(t, 'x');
    const back = decodeTensorProto(bytes);
    expect(back).toEqual({ name: 'x', tensor: { dtype: 'int16', shape: [2], data: new Uint8Array([1, 0, 0xfe, 0xff]) } });
  });
});
