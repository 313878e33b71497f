/**
 * Scan and selection ops. They have no legalization: DispatchSortScan replaces them with dedicated kernels
 * (see sort-scan-kernels.ts), so nothing reaches VM codegen undispatched.
 *
 * - cumsum(x, axis): `axis` is a scalar int32/int64 *tensor* read at run time; attrs exclusive, reverse.
 * - topk(x, k): `k` is a one-element shape (a literal or a var bound by tensor_to_shape); attrs axis,
 *   largest, sorted. Result: a tuple (values, int64 indices).
 */
import type { StructInfo } from '../ir/types.js';
import { printExpr } from '../tir/printer.js';
import type { OpDef } from './registry.js';
import { expectArgs, normAxis, numAttr, shapeError, shapeText, tensor, tensorArg } from './shape-util.js';

export const SORT_SCAN_OPS: readonly OpDef[] = [
  {
    name: 'cumsum',
    pattern: () => 'opaque',
    infer(args) {
      expectArgs('cumsum', args, 2);
      const x = tensorArg('cumsum', args, 0), axis = tensorArg('cumsum', args, 1);
      if (axis.dtype !== 'int32' && axis.dtype !== 'int64') throw shapeError(`cumsum: axis must be int32 or int64, got ${axis.dtype}`);
      const n = axis.shape.length === 0 ? 1 : axis.shape.length === 1 && axis.shape[0]!.k === 'int' ? axis.shape[0]!.value : -1;
      if (n !== 1) throw shapeError(`cumsum: axis must be a scalar tensor, got ${axis.dtype}${shapeText(axis.shape)}`);
      if (x.shape.length === 0) throw shapeError('cumsum: input must have rank >= 1');
      return tensor(x.dtype, x.shape);
    },
  },
  {
    name: 'topk',
    pattern: () => 'opaque',
    infer(args: readonly StructInfo[], attrs) {
      expectArgs('topk', args, 2);
      const x = tensorArg('topk', args, 0);
      const k = args[1]!;
      if (k.k !== 'shape' || k.values.length !== 1) throw shapeError('topk: k must be a one-element shape');
      const ax = normAxis('topk', numAttr(attrs, 'axis', -1), x.shape.length);
      const kv = k.values[0]!, dim = x.shape[ax]!;
      if (kv.k === 'int' && (kv.value < 0 || (dim.k === 'int' && kv.value > dim.value))) {
        throw shapeError(`topk: k=${printExpr(kv)} is out of range for axis ${ax} of ${shapeText(x.shape)}`);
      }
      const shape = x.shape.map((d, i) => (i === ax ? kv : d));
      return { k: 'tuple', fields: [tensor(x.dtype, shape), tensor('int64', shape)] };
    },
  },
];
