/** MaxPool (with the optional Indices output), AveragePool and LRN. */
import type { ConvertCtx, ConverterTable } from './types.js';
import { tensorInfo } from './util.js';
import { forwardPads, intsOr } from './window.js';

/** Window attributes shared by MaxPool and AveragePool, with auto_pad resolved. */
function windowAttrs(ctx: ConvertCtx) {
  const x = ctx.required(0, 'X');
  const xs = tensorInfo(ctx, x, 'X');
  const nd = xs.shape.length - 2;
  if (nd < 1) ctx.unsupported(`an input X of rank ${xs.shape.length} (needs N, C and at least one spatial dim)`);
  const kernel = ctx.attrInts('kernel_shape');
  if (!kernel || kernel.length !== nd) ctx.unsupported(`a missing or wrong-length 'kernel_shape' (${nd} spatial dims)`);
  const strides = intsOr(ctx, 'strides', nd, 1), dilations = intsOr(ctx, 'dilations', nd, 1);
  const pads = forwardPads(ctx, xs.shape.slice(2), kernel, strides, dilations);
  return { x, attrs: { kernel_shape: [...kernel], strides, dilations, pads, ceil_mode: ctx.attrInt('ceil_mode', 0) } };
}

export const POOL_CONVERTERS: ConverterTable = {
  MaxPool: {
    attrs: ['auto_pad', 'ceil_mode', 'dilations', 'kernel_shape', 'pads', 'storage_order', 'strides'],
    convert(ctx: ConvertCtx) {
      const { x, attrs } = windowAttrs(ctx);
      const y = ctx.op('max_pool', [x], attrs, 0);
      ctx.setOutput(0, y);
      if (ctx.node.outputs[1]) {
        ctx.setOutput(1, ctx.op('max_pool_indices', [x, y], { ...attrs, storage_order: ctx.attrInt('storage_order', 0) }, 1));
      }
    },
  },
  AveragePool: {
    attrs: ['auto_pad', 'ceil_mode', 'count_include_pad', 'dilations', 'kernel_shape', 'pads', 'strides'],
    convert(ctx: ConvertCtx) {
      const { x, attrs } = windowAttrs(ctx);
      ctx.setOutput(0, ctx.op('avg_pool', [x], { ...attrs, count_include_pad: ctx.attrInt('count_include_pad', 0) }, 0));
    },
  },
  LRN: {
    attrs: ['alpha', 'beta', 'bias', 'size'],
    convert(ctx: ConvertCtx) {
      const size = ctx.attrInt('size', 0);
      if (size < 1) ctx.unsupported(`LRN without a positive 'size' attribute`);
      ctx.setOutput(0, ctx.op('lrn', [ctx.required(0, 'X')], {
        size, alpha: ctx.attrFloat('alpha', 1e-4), beta: ctx.attrFloat('beta', 0.75), bias: ctx.attrFloat('bias', 1),
      }, 0));
    },
  },
};
