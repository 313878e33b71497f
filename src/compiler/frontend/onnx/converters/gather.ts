/** Gather, GatherElements (indices read at run time; negative indices count from the end) and Trilu. */
import { hasInput, numberValues } from './shape-input.js';
import type { ConvertCtx, ConverterTable } from './types.js';
import { tensorInfo } from './util.js';

export const GATHER_CONVERTERS: ConverterTable = {
  Gather: {
    attrs: ['axis'],
    convert(ctx: ConvertCtx) {
      const d = ctx.required(0, 'data'), ind = ctx.required(1, 'indices');
      tensorInfo(ctx, d, 'data');
      ctx.setOutput(0, ctx.op('take', [d, ind], { axis: ctx.attrInt('axis', 0) }, 0));
    },
  },
  GatherElements: {
    attrs: ['axis'],
    convert(ctx: ConvertCtx) {
      const d = ctx.required(0, 'data'), ind = ctx.required(1, 'indices');
      ctx.setOutput(0, ctx.op('gather_elements', [d, ind], { axis: ctx.attrInt('axis', 0) }, 0));
    },
  },
  Trilu: {
    attrs: ['upper'],
    convert(ctx: ConvertCtx) {
      const x = ctx.required(0, 'input');
      const upper = ctx.attrInt('upper', 1) !== 0;
      if (!hasInput(ctx, 1)) { ctx.setOutput(0, ctx.op('trilu', [x], { upper, k: 0 }, 0)); return; }
      const known = ctx.knownValue(1);
      if (known) {
        const k = numberValues(ctx, 1, 'k')!;
        if (k.length !== 1) ctx.unsupported(`a 'k' input with ${k.length} elements (expected a scalar)`);
        ctx.setOutput(0, ctx.op('trilu', [x], { upper, k: k[0]! }, 0));
        return;
      }
      const kIn = ctx.required(1, 'k');
      const ki = tensorInfo(ctx, kIn, 'k');
      if (ki.dtype !== 'int64' || ki.shape.length !== 0) ctx.unsupported(`a 'k' input of type ${ki.dtype} with rank ${ki.shape.length} (expected an int64 scalar)`);
      ctx.setOutput(0, ctx.op('trilu', [x, kIn], { upper }, 0));
    },
  },
};
