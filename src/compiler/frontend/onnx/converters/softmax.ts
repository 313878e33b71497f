/** Softmax: opset >= 13 along one axis (default -1); older opsets coerce to 2-D at axis (default 1). */
import { product } from '../../../tir/expr.js';
import type { ConvertCtx, ConverterTable } from './types.js';
import { tensorInfo } from './util.js';

export const SOFTMAX_CONVERTERS: ConverterTable = {
  Softmax: {
    attrs: ['axis'],
    convert(ctx: ConvertCtx) {
      const x = ctx.required(0, 'input');
      const info = tensorInfo(ctx, x, 'input');
      const r = info.shape.length;
      if (ctx.opset >= 13) {
        ctx.setOutput(0, ctx.op('softmax', [x], { axis: ctx.attrInt('axis', -1) }, 0));
        return;
      }
      const raw = ctx.attrInt('axis', 1);
      const a = raw < 0 ? raw + r : raw;
      if (a < 0 || a >= Math.max(r, 1)) ctx.unsupported(`axis ${raw} for a rank-${r} input`);
      if (a === r - 1) {
        ctx.setOutput(0, ctx.op('softmax', [x], { axis: a }, 0));
        return;
      }
      const flat = [product(info.shape.slice(0, a)), product(info.shape.slice(a))];
      const x2 = ctx.op('reshape', [x, { k: 'shape', values: flat }], {}, '2d');
      const s2 = ctx.op('softmax', [x2], { axis: 1 }, 'softmax2d');
      ctx.setOutput(0, ctx.op('reshape', [s2, { k: 'shape', values: info.shape }], {}, 0));
    },
  },
};
