import { DTYPE_BYTES, type DType } from './dtype.js';

/**
 * A host tensor as plain data: dtype, shape and little-endian bytes (row-major, no strides).
 * This is what crosses every boundary (ONNX import, weights, runtime inputs/outputs).
 */
export interface HostTensor {
  dtype: DType;
  shape: number[];
  data: Uint8Array;
}

export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function byteLength(dtype: DType, shape: readonly number[]): number {
  return numel(shape) * DTYPE_BYTES[dtype];
}

type Typed = Float32Array | Float64Array | Int8Array | Int16Array | Int32Array | BigInt64Array
  | Uint8Array | Uint16Array | Uint32Array | BigUint64Array;

/** A typed-array view over the tensor bytes (copies when the bytes are unaligned). 16-bit floats come back as Uint16Array. */
export function typedView(t: HostTensor): Typed {
  const align = DTYPE_BYTES[t.dtype];
  let buf = t.data;
  if (buf.byteOffset % align !== 0) buf = buf.slice();
  const n = buf.byteLength / align;
  const b = buf.buffer, o = buf.byteOffset;
  switch (t.dtype) {
    case 'float32': return new Float32Array(b, o, n);
    case 'float64': return new Float64Array(b, o, n);
    case 'int8': return new Int8Array(b, o, n);
    case 'int16': return new Int16Array(b, o, n);
    case 'int32': return new Int32Array(b, o, n);
    case 'int64': return new BigInt64Array(b, o, n);
    case 'uint8': case 'bool': return new Uint8Array(b, o, n);
    case 'uint16': case 'float16': case 'bfloat16': return new Uint16Array(b, o, n);
    case 'uint32': return new Uint32Array(b, o, n);
    case 'uint64': return new BigUint64Array(b, o, n);
  }
}

export function halfToFloat(h: number): number {
  const s = (h & 0x8000) ? -1 : 1, e = (h >> 10) & 0x1f, f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

/** Tensor values as JS numbers (int64 converted with Number), for comparisons and small tools. */
export function toNumbers(t: HostTensor): number[] {
  const v = typedView(t);
  if (t.dtype === 'float16') return Array.from(v as Uint16Array, halfToFloat);
  if (t.dtype === 'bfloat16') {
    const f = new Float32Array(1), u = new Uint32Array(f.buffer);
    return Array.from(v as Uint16Array, (x) => { u[0] = x << 16; return f[0]!; });
  }
  return Array.from(v as ArrayLike<number | bigint>, (x) => Number(x));
}

export function fromTyped(dtype: DType, shape: number[], arr: ArrayBufferView): HostTensor {
  const data = new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength).slice();
  if (data.byteLength !== byteLength(dtype, shape)) {
    throw new Error(`tensor of ${dtype}[${shape.join(',')}] needs ${byteLength(dtype, shape)} bytes, got ${data.byteLength}`);
  }
  return { dtype, shape, data };
}
