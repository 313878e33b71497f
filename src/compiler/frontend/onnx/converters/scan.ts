/** CumSum: the axis is an input tensor (kept as a tensor argument; read by the kernel at run time). */
import type { ConvertCtx, ConverterTable } from './types.js';

export const SCAN_CONVERTERS: ConverterTable = {
  CumSum: {
    attrs: ['exclusive', 'reverse'],
    convert(ctx: ConvertCtx) {
      const x = ctx.required(0, 'x'), axis = ctx.required(1, 'axis');
      const attrs = { exclusive: ctx.attrInt('exclusive', 0) !== 0, reverse: ctx.attrInt('reverse', 0) !== 0 };
      ctx.setOutput(0, ctx.op('cumsum', [x, axis], attrs, 0));
    },
  },
};
