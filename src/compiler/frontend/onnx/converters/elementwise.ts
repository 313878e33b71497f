/** Add, Mul (numpy broadcasting), Relu, Clip, Identity. */
import type { ConvertCtx, ConverterTable } from './types.js';
import { tensorValues } from './util.js';

function binary(op: 'add' | 'mul') {
  return {
    attrs: ['broadcast', 'axis', 'consumed_inputs'],
    convert(ctx: ConvertCtx) {
      if (ctx.attr('axis')) ctx.unsupported("the legacy 'axis' attribute (opset < 7 broadcasting)", 'Re-export the model with opset 7 or newer.');
      ctx.setOutput(0, ctx.op(op, [ctx.required(0, 'A'), ctx.required(1, 'B')], {}, 0));
    },
  };
}

/** Clip bound from an optional input that must be a one-element constant. */
function constBound(ctx: ConvertCtx, i: number, what: string): number | null {
  if (!ctx.input(i)) return null;
  const t = ctx.constant(i);
  if (!t) {
    ctx.unsupported(`a '${what}' input that is not a constant (input '${ctx.node.inputs[i]}' is computed at run time)`,
      `Make '${what}' an initializer or Constant (e.g. fold it with onnx-simplifier); relax bakes Clip bounds into the kernel.`);
  }
  const v = tensorValues(t);
  if (v.length !== 1) ctx.unsupported(`a '${what}' input with ${v.length} elements (must be a scalar)`);
  return v[0]!;
}

export const ELEMENTWISE_CONVERTERS: ConverterTable = {
  Add: binary('add'),
  Mul: binary('mul'),
  Relu: {
    attrs: ['consumed_inputs'],
    convert(ctx: ConvertCtx) { ctx.setOutput(0, ctx.op('relu', [ctx.required(0, 'X')], {}, 0)); },
  },
  Identity: {
    attrs: [],
    convert(ctx: ConvertCtx) {
      const x = ctx.required(0, 'input');
      if (ctx.sinfo(x).k !== 'tensor') ctx.unsupported('a non-tensor input (sequences and optionals are not supported)');
      ctx.setOutput(0, ctx.op('identity', [x], {}, 0));
    },
  },
  Clip: {
    attrs: ['min', 'max', 'consumed_inputs'],
    constInputs: [1, 2],
    convert(ctx: ConvertCtx) {
      const x = ctx.required(0, 'input');
      let lo: number | null, hi: number | null;
      if (ctx.opset < 11) {
        const a = ctx.attr('min'), b = ctx.attr('max');
        lo = a && a.type === 'float' ? a.value : null;
        hi = b && b.type === 'float' ? b.value : null;
      } else {
        lo = constBound(ctx, 1, 'min');
        hi = constBound(ctx, 2, 'max');
      }
      ctx.setOutput(0, ctx.op('clip', [x], { min: lo, max: hi }, 0));
    },
  },
};
