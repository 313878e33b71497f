/** Small helpers shared by converters. */
import type { DType } from '../../../../formats/dtype.js';
import { fromTyped, toNumbers, type HostTensor } from '../../../../formats/tensor.js';
import type { Atom, StructInfo } from '../../../ir/types.js';
import type { ConvertCtx } from './types.js';

/** A scalar tensor of a float or int dtype. */
export function scalarTensor(dtype: DType, v: number): HostTensor {
  switch (dtype) {
    case 'float32': return fromTyped(dtype, [], new Float32Array([v]));
    case 'float64': return fromTyped(dtype, [], new Float64Array([v]));
    case 'int32': return fromTyped(dtype, [], new Int32Array([v]));
    case 'int64': return fromTyped(dtype, [], new BigInt64Array([BigInt(Math.trunc(v))]));
    default: throw new Error(`scalarTensor: unsupported dtype ${dtype}`);
  }
}

export const tensorValues = (t: HostTensor): number[] => toNumbers(t);

export function tensorInfo(ctx: ConvertCtx, a: Atom, what: string): Extract<StructInfo, { k: 'tensor' }> {
  const s = ctx.sinfo(a);
  if (s.k !== 'tensor') ctx.unsupported(`${what} must be a tensor`);
  return s;
}

/** A scalar constant of the same dtype as a tensor, as an atom (for alpha/beta style multipliers). */
export function scalarConst(ctx: ConvertCtx, name: string, dtype: DType, v: number): Atom {
  if (dtype !== 'float32' && dtype !== 'float64' && dtype !== 'int32' && dtype !== 'int64') {
    ctx.unsupported(`a ${dtype} scalar multiplier (only float32/float64/int32/int64 are supported)`);
  }
  return ctx.constantAtom(name, scalarTensor(dtype, v));
}
