/**
 * Softmax and LogSoftmax: opset >= 13 along one axis (default -1); older opsets coerce the input to 2-D at `axis`
 * (default 1) and normalize each row of the flattened [prod(shape[:axis]), prod(shape[axis:])] matrix.
 */
import { product } from '../../../tir/expr.js';
import type { Converter, ConvertCtx, ConverterTable } from './types.js';
import { tensorInfo } from './util.js';

function softmaxConverter(op: 'softmax' | 'log_softmax'): Converter {
  return {
    attrs: ['axis'],
    convert(ctx: ConvertCtx) {
      const x = ctx.required(0, 'input');
      const info = tensorInfo(ctx, x, 'input');
      const r = info.shape.length;
      const raw = ctx.attrInt('axis', ctx.opset >= 13 ? -1 : 1);
      const a = raw < 0 ? raw + r : raw;
      if (a < 0 || a >= Math.max(r, 1)) ctx.unsupported(`axis ${raw} for a rank-${r} input`);
      if (ctx.opset >= 13 || a === r - 1) {
        ctx.setOutput(0, ctx.op(op, [x], { axis: ctx.opset >= 13 ? raw : a }, 0));
        return;
      }
      const flat = [product(info.shape.slice(0, a)), product(info.shape.slice(a))];
      const x2 = ctx.op('reshape', [x, { k: 'shape', values: flat }], {}, '2d');
      const s2 = ctx.op(op, [x2], { axis: 1 }, `${op}2d`);
      ctx.setOutput(0, ctx.op('reshape', [s2, { k: 'shape', values: info.shape }], {}, 0));
    },
  };
}

export const SOFTMAX_CONVERTERS: ConverterTable = {
  Softmax: softmaxConverter('softmax'),
  LogSoftmax: softmaxConverter('log_softmax'),
};
