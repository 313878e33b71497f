/**
 * ONNX TensorProto reading and writing (protobufjs reflection over a schema written here with ONNX's field
 * numbers). Used by the ONNX frontend and by the runtime (test data), so it imports nothing from the compiler
 * and touches the file system only for external data (through `process.getBuiltinModule`).
 */
import protobuf from 'protobufjs';
import { DTYPE_ONNX, ONNX_DTYPE, type DType } from './dtype.js';
import { byteLength, numel, type HostTensor } from './tensor.js';

/** protobufjs JSON descriptors (field numbers from onnx.proto; names are ours to choose but follow ONNX's). */
export const STRING_STRING_ENTRY_JSON = {
  fields: {
    key: { type: 'string', id: 1 },
    value: { type: 'string', id: 2 },
  },
} as const;

export const TENSOR_PROTO_JSON = {
  fields: {
    dims: { rule: 'repeated', type: 'int64', id: 1, options: { packed: false } },
    data_type: { type: 'int32', id: 2 },
    float_data: { rule: 'repeated', type: 'float', id: 4, options: { packed: true } },
    int32_data: { rule: 'repeated', type: 'int32', id: 5, options: { packed: true } },
    string_data: { rule: 'repeated', type: 'bytes', id: 6 },
    int64_data: { rule: 'repeated', type: 'int64', id: 7, options: { packed: true } },
    name: { type: 'string', id: 8 },
    raw_data: { type: 'bytes', id: 9 },
    double_data: { rule: 'repeated', type: 'double', id: 10, options: { packed: true } },
    uint64_data: { rule: 'repeated', type: 'uint64', id: 11, options: { packed: true } },
    doc_string: { type: 'string', id: 12 },
    external_data: { rule: 'repeated', type: 'StringStringEntryProto', id: 13 },
    data_location: { type: 'int32', id: 14 },
  },
} as const;

let tensorType: protobuf.Type | undefined;
function getTensorType(): protobuf.Type {
  if (!tensorType) {
    const root = protobuf.Root.fromJSON({
      nested: { onnx: { nested: { TensorProto: TENSOR_PROTO_JSON, StringStringEntryProto: STRING_STRING_ENTRY_JSON } } },
    } as protobuf.INamespace);
    tensorType = root.lookupType('onnx.TensorProto');
  }
  return tensorType;
}

/** A 64-bit varint as decoded by protobufjs: a number or a Long-like object. */
type Int64Like = number | { low: number; high: number; unsigned?: boolean; toNumber(): number };

export function int64ToBigInt(v: Int64Like, unsigned = false): bigint {
  if (typeof v === 'number') return BigInt(v);
  const lo = BigInt(v.low >>> 0), hi = BigInt(v.high >>> 0);
  const u = (hi << 32n) | lo;
  return unsigned ? u : BigInt.asIntN(64, u);
}
export function int64ToNumber(v: Int64Like): number {
  return typeof v === 'number' ? v : Number(int64ToBigInt(v));
}

/** The decoded (plain object) shape of a TensorProto. */
export interface TensorProtoMessage {
  dims?: Int64Like[];
  data_type?: number;
  float_data?: number[];
  int32_data?: number[];
  string_data?: Uint8Array[];
  int64_data?: Int64Like[];
  name?: string;
  raw_data?: Uint8Array;
  double_data?: number[];
  uint64_data?: Int64Like[];
  external_data?: { key?: string; value?: string }[];
  data_location?: number;
}

export interface TensorDecodeOptions {
  /** Directory against which external data `location`s are resolved. */
  baseDir?: string;
  /** Reads an external data file (defaults to the file system under baseDir). Lets callers cache. */
  readExternal?: (location: string) => Uint8Array;
}

function tensorError(name: string, what: string): Error {
  return new Error(`TensorProto${name ? ` '${name}'` : ''}: ${what}`);
}

function defaultReadExternal(baseDir: string | undefined, name: string): (location: string) => Uint8Array {
  return (location) => {
    if (baseDir === undefined) throw tensorError(name, `external data '${location}' needs a base directory`);
    const fs = process.getBuiltinModule('node:fs') as typeof import('node:fs');
    const path = process.getBuiltinModule('node:path') as typeof import('node:path');
    const norm = path.normalize(location);
    if (path.isAbsolute(norm) || norm.startsWith('..')) {
      throw tensorError(name, `external data location '${location}' must be a relative path inside the model's folder`);
    }
    const bytes = fs.readFileSync(path.join(baseDir, norm));
    return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  };
}

/** Converts a decoded TensorProto message into a HostTensor. */
export function tensorFromMessage(m: TensorProtoMessage, opts: TensorDecodeOptions = {}): { name: string; tensor: HostTensor } {
  const name = m.name ?? '';
  const code = m.data_type ?? 0;
  if (code === 8) throw tensorError(name, 'string tensors are not supported (relax handles numeric tensors only)');
  const dtype = ONNX_DTYPE[code];
  if (!dtype) throw tensorError(name, `unsupported data_type ${code}`);
  const shape = (m.dims ?? []).map(int64ToNumber);
  const n = numel(shape);
  const nbytes = byteLength(dtype, shape);

  let data: Uint8Array;
  if (m.data_location === 1) {
    const entries = new Map((m.external_data ?? []).map((e) => [e.key ?? '', e.value ?? '']));
    const location = entries.get('location');
    if (!location) throw tensorError(name, 'external data without a location');
    const read = opts.readExternal ?? defaultReadExternal(opts.baseDir, name);
    const file = read(location);
    const offset = Number(entries.get('offset') ?? '0');
    const length = entries.has('length') ? Number(entries.get('length')) : nbytes;
    if (length !== nbytes) throw tensorError(name, `external data length ${length} does not match ${dtype}[${shape.join(',')}] (${nbytes} bytes)`);
    if (offset + length > file.byteLength) throw tensorError(name, `external data '${location}' is too short (needs ${offset + length} bytes, has ${file.byteLength})`);
    data = file.slice(offset, offset + length);
  } else if (m.raw_data && m.raw_data.byteLength > 0) {
    if (m.raw_data.byteLength !== nbytes) throw tensorError(name, `raw_data has ${m.raw_data.byteLength} bytes, ${dtype}[${shape.join(',')}] needs ${nbytes}`);
    data = new Uint8Array(m.raw_data); // a copy (protobufjs may hand out a Buffer view)
  } else {
    data = new Uint8Array(nbytes);
    const dv = new DataView(data.buffer);
    const fill = (len: number, put: (i: number) => void): void => {
      if (len !== n) throw tensorError(name, `has ${len} values, ${dtype}[${shape.join(',')}] needs ${n}`);
      for (let i = 0; i < n; i++) put(i);
    };
    switch (dtype) {
      case 'float32': { const v = m.float_data ?? []; fill(v.length, (i) => dv.setFloat32(i * 4, v[i]!, true)); break; }
      case 'float64': { const v = m.double_data ?? []; fill(v.length, (i) => dv.setFloat64(i * 8, v[i]!, true)); break; }
      case 'int64': { const v = m.int64_data ?? []; fill(v.length, (i) => dv.setBigInt64(i * 8, int64ToBigInt(v[i]!), true)); break; }
      case 'uint32': { const v = m.uint64_data ?? []; fill(v.length, (i) => dv.setUint32(i * 4, Number(int64ToBigInt(v[i]!, true)), true)); break; }
      case 'uint64': { const v = m.uint64_data ?? []; fill(v.length, (i) => dv.setBigUint64(i * 8, int64ToBigInt(v[i]!, true), true)); break; }
      case 'int8': { const v = m.int32_data ?? []; fill(v.length, (i) => dv.setInt8(i, v[i]!)); break; }
      case 'uint8': case 'bool': { const v = m.int32_data ?? []; fill(v.length, (i) => dv.setUint8(i, dtype === 'bool' ? (v[i] ? 1 : 0) : v[i]!)); break; }
      case 'int16': { const v = m.int32_data ?? []; fill(v.length, (i) => dv.setInt16(i * 2, v[i]!, true)); break; }
      case 'uint16': case 'float16': case 'bfloat16': { const v = m.int32_data ?? []; fill(v.length, (i) => dv.setUint16(i * 2, v[i]!, true)); break; }
      case 'int32': { const v = m.int32_data ?? []; fill(v.length, (i) => dv.setInt32(i * 4, v[i]!, true)); break; }
    }
  }
  return { name, tensor: { dtype, shape, data } };
}

/** Decodes one serialized TensorProto (e.g. an ONNX test-data `.pb` file). */
export function decodeTensorProto(bytes: Uint8Array, opts: TensorDecodeOptions = {}): { name: string; tensor: HostTensor } {
  const T = getTensorType();
  const msg = T.toObject(T.decode(bytes), { defaults: false, arrays: true }) as TensorProtoMessage;
  return tensorFromMessage(msg, opts);
}

/** Encodes a HostTensor as a TensorProto with `raw_data` (little-endian, row-major). */
export function encodeTensorProto(t: HostTensor, name?: string): Uint8Array {
  const T = getTensorType();
  const expect = byteLength(t.dtype, t.shape);
  if (t.data.byteLength !== expect) {
    throw new Error(`tensor ${t.dtype}[${t.shape.join(',')}] needs ${expect} bytes, got ${t.data.byteLength}`);
  }
  const msg: Record<string, unknown> = { dims: t.shape, data_type: DTYPE_ONNX[t.dtype as DType] };
  if (name !== undefined && name !== '') msg.name = name;
  if (t.data.byteLength > 0) msg.raw_data = t.data;
  return T.encode(T.fromObject(msg)).finish();
}

