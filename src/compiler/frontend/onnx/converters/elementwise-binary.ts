/** Broadcasting ONNX ops: arithmetic, Pow, Mod, variadic Min/Max/Sum/Mean, logical, bitwise, comparisons, Where. */
import type { Atom } from '../../../ir/types.js';
import type { Converter, ConvertCtx, ConverterTable } from './types.js';

/** Opset < 7 broadcasting with an explicit `axis` is not numpy broadcasting. */
function legacyAxis(ctx: ConvertCtx): void {
  if (ctx.attr('axis')) ctx.unsupported("the legacy 'axis' attribute (opset < 7 broadcasting)", 'Re-export the model with opset 7 or newer.');
}

const LEGACY = ['broadcast', 'axis', 'consumed_inputs'];

function binary(op: string, extra: readonly string[] = [], attrs: (ctx: ConvertCtx) => Record<string, number> = () => ({})): Converter {
  return {
    attrs: [...LEGACY, ...extra],
    convert(ctx: ConvertCtx) {
      legacyAxis(ctx);
      ctx.setOutput(0, ctx.op(op, [ctx.required(0, 'A'), ctx.required(1, 'B')], attrs(ctx), 0));
    },
  };
}

/** Every present input, in order (Min, Max, Sum, Mean take one or more). */
function variadic(op: string): Converter {
  return {
    attrs: ['consumed_inputs'],
    convert(ctx: ConvertCtx) {
      const xs: Atom[] = [];
      for (let i = 0; i < ctx.node.inputs.length; i++) {
        const a = ctx.input(i);
        if (a) xs.push(a);
      }
      if (xs.length === 0) ctx.unsupported('a call without inputs');
      ctx.setOutput(0, ctx.op(op, xs, {}, 0));
    },
  };
}

export const BINARY_CONVERTERS: ConverterTable = {
  Add: binary('add'),
  Sub: binary('sub'),
  Mul: binary('mul'),
  Div: binary('div'),
  Pow: binary('pow'),
  Mod: binary('mod', ['fmod'], (ctx) => {
    const fmod = ctx.attrInt('fmod', 0);
    if (fmod !== 0 && fmod !== 1) ctx.unsupported(`fmod=${fmod} (must be 0 or 1)`);
    return { fmod };
  }),
  Min: variadic('min'),
  Max: variadic('max'),
  Sum: variadic('sum'),
  Mean: variadic('mean'),
  And: binary('logical_and'),
  Or: binary('logical_or'),
  Xor: binary('logical_xor'),
  BitwiseAnd: binary('bitwise_and'),
  BitwiseOr: binary('bitwise_or'),
  BitwiseXor: binary('bitwise_xor'),
  Equal: binary('equal'),
  Less: binary('less'),
  LessOrEqual: binary('less_equal'),
  Greater: binary('greater'),
  GreaterOrEqual: binary('greater_equal'),
  Where: {
    attrs: [],
    convert(ctx: ConvertCtx) {
      const args = [ctx.required(0, 'condition'), ctx.required(1, 'X'), ctx.required(2, 'Y')];
      ctx.setOutput(0, ctx.op('where', args, {}, 0));
    },
  },
};
