/** Host tensors from plain JS numbers (any dtype), for import-time folding. */
import type { DType } from '../../../formats/dtype.js';
import { byteLength, type HostTensor } from '../../../formats/tensor.js';
import { floatToHalf, normalize } from '../../tir/interpret.js';

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

function bf16Bits(v: number): number {
  if (Number.isNaN(v)) return 0x7fc0;
  f32[0] = v;
  const x = u32[0]!;
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
}

/** A tensor of `dtype` holding `values` (row-major), each rounded / wrapped to the dtype. */
export function tensorFromNumbers(dtype: DType, shape: readonly number[], values: readonly number[]): HostTensor {
  const data = new Uint8Array(byteLength(dtype, shape));
  const dv = new DataView(data.buffer);
  values.forEach((raw, i) => {
    const v = normalize(dtype, raw);
    switch (dtype) {
      case 'float32': dv.setFloat32(i * 4, v, true); break;
      case 'float64': dv.setFloat64(i * 8, v, true); break;
      case 'float16': dv.setUint16(i * 2, floatToHalf(v), true); break;
      case 'bfloat16': dv.setUint16(i * 2, bf16Bits(v), true); break;
      case 'int8': dv.setInt8(i, v); break;
      case 'uint8': case 'bool': dv.setUint8(i, v); break;
      case 'int16': dv.setInt16(i * 2, v, true); break;
      case 'uint16': dv.setUint16(i * 2, v, true); break;
      case 'int32': dv.setInt32(i * 4, v, true); break;
      case 'uint32': dv.setUint32(i * 4, v, true); break;
      case 'int64': dv.setBigInt64(i * 8, BigInt(v), true); break;
      case 'uint64': dv.setBigUint64(i * 8, BigInt(v), true); break;
    }
  });
  return { dtype, shape: [...shape], data };
}

