/**
 * safetensors reading and writing: 8-byte little-endian header length, a JSON header
 * `{name: {dtype, shape, data_offsets: [begin, end]}}`, then the tensor bytes.
 * Writing is deterministic: keys sorted, no `__metadata__`, header padded with spaces to 8-byte alignment.
 */
import type { DType } from './dtype.js';
import { byteLength, type HostTensor } from './tensor.js';

const TO_ST: Record<DType, string> = {
  float16: 'F16', bfloat16: 'BF16', float32: 'F32', float64: 'F64',
  int8: 'I8', int16: 'I16', int32: 'I32', int64: 'I64',
  uint8: 'U8', uint16: 'U16', uint32: 'U32', uint64: 'U64',
  bool: 'BOOL',
};
const FROM_ST: Record<string, DType> = Object.fromEntries(Object.entries(TO_ST).map(([k, v]) => [v, k as DType]));

export function safetensorsDtype(d: DType): string {
  return TO_ST[d];
}

export function writeSafetensors(tensors: Readonly<Record<string, HostTensor>>): Uint8Array {
  const names = Object.keys(tensors).sort();
  const header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }> = {};
  let offset = 0;
  for (const name of names) {
    const t = tensors[name]!;
    const n = byteLength(t.dtype, t.shape);
    if (t.data.byteLength !== n) throw new Error(`safetensors: tensor '${name}' ${t.dtype}[${t.shape.join(',')}] needs ${n} bytes, has ${t.data.byteLength}`);
    header[name] = { dtype: TO_ST[t.dtype], shape: [...t.shape], data_offsets: [offset, offset + n] };
    offset += n;
  }
  let json = JSON.stringify(header);
  const enc = new TextEncoder();
  let hbytes = enc.encode(json);
  const pad = (8 - (hbytes.byteLength % 8)) % 8;
  if (pad) { json += ' '.repeat(pad); hbytes = enc.encode(json); }
  const out = new Uint8Array(8 + hbytes.byteLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(hbytes.byteLength), true);
  out.set(hbytes, 8);
  let p = 8 + hbytes.byteLength;
  for (const name of names) { out.set(tensors[name]!.data, p); p += tensors[name]!.data.byteLength; }
  return out;
}

export function readSafetensors(bytes: Uint8Array): Record<string, HostTensor> {
  if (bytes.byteLength < 8) throw new Error('safetensors: file is shorter than its 8-byte header length');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const hlen = Number(dv.getBigUint64(0, true));
  if (8 + hlen > bytes.byteLength) throw new Error(`safetensors: header length ${hlen} exceeds the file size`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + hlen))) as Record<string, unknown>;
  } catch (e) {
    throw new Error(`safetensors: header is not valid JSON (${(e as Error).message})`);
  }
  const base = 8 + hlen;
  const out: Record<string, HostTensor> = {};
  for (const [name, v] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const info = v as { dtype?: string; shape?: number[]; data_offsets?: [number, number] };
    const dtype = FROM_ST[info.dtype ?? ''];
    if (!dtype) throw new Error(`safetensors: tensor '${name}' has unsupported dtype '${info.dtype}'`);
    const shape = info.shape ?? [];
    const [b, e] = info.data_offsets ?? [0, 0];
    if (e - b !== byteLength(dtype, shape) || base + e > bytes.byteLength || b > e) {
      throw new Error(`safetensors: tensor '${name}' has inconsistent data_offsets [${b}, ${e}] for ${dtype}[${shape.join(',')}]`);
    }
    out[name] = { dtype, shape: [...shape], data: bytes.slice(base + b, base + e) };
  }
  return out;
}
