/** Conv and ConvTranspose (any number of spatial dims, groups, dilations, auto_pad, bias, output_shape). */
import type { Atom } from '../../../ir/types.js';
import { int } from '../../../tir/expr.js';
import type { Expr } from '../../../tir/types.js';
import type { ConvertCtx, ConverterTable } from './types.js';
import { tensorInfo } from './util.js';
import { autoPad, forwardPads, intsOr, staticSpatial } from './window.js';

/** X, W and bias atoms plus the static kernel shape (from W) and spatial rank. */
function operands(ctx: ConvertCtx) {
  const x = ctx.required(0, 'X'), w = ctx.required(1, 'W'), b = ctx.input(2);
  const xs = tensorInfo(ctx, x, 'X'), ws = tensorInfo(ctx, w, 'W');
  const nd = xs.shape.length - 2;
  if (nd < 1) ctx.unsupported(`an input X of rank ${xs.shape.length} (needs N, C and at least one spatial dim)`);
  if (ws.shape.length !== nd + 2) ctx.unsupported(`W of rank ${ws.shape.length} with X of rank ${nd + 2}`);
  const kernel = ws.shape.slice(2).map((d, i) => {
    if (d.k !== 'int') ctx.unsupported(`a symbolic kernel size (W dim ${i + 2})`, 'Conv weights must have a static shape.');
    return d.value;
  });
  const ks = ctx.attrInts('kernel_shape');
  if (ks && (ks.length !== nd || ks.some((k, i) => k !== kernel[i]))) ctx.unsupported(`kernel_shape ${JSON.stringify(ks)} that differs from W's spatial shape ${JSON.stringify(kernel)}`);
  return { args: [x, w] as Atom[], b, xs, nd, kernel };
}

/**
 * Adds the bias as a separate broadcast `add` over [M, 1, ...] so that FuseOps sees a single-block conv and can
 * fold the bias and any activation after it into the conv kernel as one epilogue.
 */
function withBias(ctx: ConvertCtx, y: Atom, b: Atom | undefined, nd: number): Atom {
  if (!b) return y;
  const bs = tensorInfo(ctx, b, 'B');
  if (bs.shape.length !== 1) ctx.unsupported(`a bias B of rank ${bs.shape.length} (must be 1-D)`);
  const shape = [bs.shape[0]!, ...new Array<Expr>(nd).fill(int(1))];
  const t = ctx.constant(2);
  const br = t
    ? ctx.constantAtom(`${ctx.node.inputs[2]}_${nd}d`, { ...t, shape: shape.map((d) => (d as { value: number }).value) })
    : ctx.op('reshape', [b, { k: 'shape', values: shape }], {}, 'bias');
  return ctx.op('add', [y, br], {}, 0);
}

export const CONV_CONVERTERS: ConverterTable = {
  Conv: {
    attrs: ['auto_pad', 'dilations', 'group', 'kernel_shape', 'pads', 'strides'],
    convert(ctx: ConvertCtx) {
      const { args, b, xs, nd, kernel } = operands(ctx);
      const strides = intsOr(ctx, 'strides', nd, 1), dilations = intsOr(ctx, 'dilations', nd, 1);
      const pads = forwardPads(ctx, xs.shape.slice(2), kernel, strides, dilations);
      const y = ctx.op('conv', args, { strides, dilations, pads, group: ctx.attrInt('group', 1) }, b ? 'conv' : 0);
      ctx.setOutput(0, withBias(ctx, y, b, nd));
    },
  },
  ConvTranspose: {
    attrs: ['auto_pad', 'dilations', 'group', 'kernel_shape', 'output_padding', 'output_shape', 'pads', 'strides'],
    convert(ctx: ConvertCtx) {
      const { args, b, xs, nd, kernel } = operands(ctx);
      const strides = intsOr(ctx, 'strides', nd, 1), dilations = intsOr(ctx, 'dilations', nd, 1);
      const outPad = intsOr(ctx, 'output_padding', nd, 0);
      const mode = autoPad(ctx);
      const shapeAttr = ctx.attrInts('output_shape');
      let pads: number[];
      if (shapeAttr || mode === 'SAME_UPPER' || mode === 'SAME_LOWER') {
        // Pads that make the output the requested size (SAME: input size × stride).
        const want = shapeAttr ? shapeAttr.slice(-nd) : xs.shape.slice(2).map((d, i) => staticSpatial(ctx, d, i) * strides[i]!);
        if (want.length !== nd) ctx.unsupported(`output_shape ${JSON.stringify(shapeAttr)} for ${nd} spatial dims`);
        const begin: number[] = [], end: number[] = [];
        for (let i = 0; i < nd; i++) {
          const d = staticSpatial(ctx, xs.shape[2 + i]!, i);
          const total = strides[i]! * (d - 1) + outPad[i]! + (kernel[i]! - 1) * dilations[i]! + 1 - want[i]!;
          if (total < 0) ctx.unsupported(`output_shape ${JSON.stringify(shapeAttr)} larger than the full transposed convolution`);
          const small = Math.floor(total / 2);
          begin.push(mode === 'SAME_UPPER' ? small : total - small);
          end.push(mode === 'SAME_UPPER' ? total - small : small);
        }
        pads = [...begin, ...end];
      } else {
        pads = mode === 'VALID' ? new Array<number>(2 * nd).fill(0) : intsOr(ctx, 'pads', 2 * nd, 0);
      }
      const y = ctx.op('conv_transpose', args, { strides, dilations, pads, group: ctx.attrInt('group', 1), output_padding: outPad }, b ? 'convt' : 0);
      ctx.setOutput(0, withBias(ctx, y, b, nd));
    },
  },
};
