/**
 * TopK: two outputs (values, int64 indices) via a tuple binding and tuple_get. `k` is an input (opset >= 10)
 * or an attribute; a k that is not a constant is read at run time by `tensor_to_shape`, which binds a fresh
 * symbolic var used in the output shapes.
 */
import { int } from '../../../tir/expr.js';
import type { Atom } from '../../../ir/types.js';
import type { ConvertCtx, ConverterTable } from './types.js';
import { tensorInfo, tensorValues } from './util.js';

export const TOPK_CONVERTERS: ConverterTable = {
  TopK: {
    attrs: ['axis', 'largest', 'sorted', 'k'],
    convert(ctx: ConvertCtx) {
      const x = ctx.required(0, 'X');
      const rank = tensorInfo(ctx, x, 'X').shape.length;
      const raw = ctx.attrInt('axis', -1);
      const axis = raw < 0 ? raw + rank : raw;
      if (axis < 0 || axis >= rank) ctx.unsupported(`axis ${raw} for a rank-${rank} input`);
      let kArg: Atom;
      if (ctx.opset < 10) {
        const k = ctx.attr('k');
        if (!k || k.type !== 'int') ctx.unsupported("a TopK without the 'k' attribute");
        kArg = { k: 'shape', values: [int(k.value)] };
      } else {
        const kIn = ctx.required(1, 'K');
        const t = ctx.constant(1);
        if (t) {
          const v = tensorValues(t);
          if (v.length !== 1) ctx.unsupported(`a K input with ${v.length} elements (must hold one value)`);
          kArg = { k: 'shape', values: [int(v[0]!)] };
        } else {
          const name = ctx.freshSymVar('topk_k');
          kArg = ctx.op('tensor_to_shape', [kIn], { vars: [name] }, 'k');
        }
      }
      const attrs = { axis, largest: ctx.attrInt('largest', 1) !== 0, sorted: ctx.attrInt('sorted', 1) !== 0 };
      const tup = ctx.op('topk', [x, kArg], attrs, 'topk');
      const s = ctx.sinfo(tup);
      if (s.k !== 'tuple') ctx.unsupported('TopK result shape');
      ctx.setOutput(0, ctx.emit({ k: 'tuple_get', tuple: tup, index: 0 }, s.fields[0]!, 0));
      ctx.setOutput(1, ctx.emit({ k: 'tuple_get', tuple: tup, index: 1 }, s.fields[1]!, 1));
    },
  },
};
