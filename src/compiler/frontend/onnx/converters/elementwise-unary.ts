/** One-input elementwise ONNX ops: math functions, activations, predicates and Not. */
import type { Attrs } from '../../../ir/types.js';
import type { Converter, ConvertCtx, ConverterTable } from './types.js';

/** `ONNX op → graph op`, with the op's attributes read by `attrs` (all listed in `names`). */
function unary(op: string, names: readonly string[] = [], attrs: (ctx: ConvertCtx) => Attrs = () => ({})): Converter {
  return {
    // consumed_inputs: an opset-1 memory hint, meaningless here.
    attrs: [...names, 'consumed_inputs'],
    convert(ctx: ConvertCtx) { ctx.setOutput(0, ctx.op(op, [ctx.required(0, 'X')], attrs(ctx), 0)); },
  };
}

const alpha = (dflt: number) => (ctx: ConvertCtx): Attrs => ({ alpha: ctx.attrFloat('alpha', dflt) });

export const UNARY_CONVERTERS: ConverterTable = {
  Abs: unary('abs'),
  Neg: unary('neg'),
  Sign: unary('sign'),
  Exp: unary('exp'),
  Log: unary('log'),
  Sqrt: unary('sqrt'),
  Sin: unary('sin'),
  Cos: unary('cos'),
  Tan: unary('tan'),
  Asin: unary('asin'),
  Acos: unary('acos'),
  Atan: unary('atan'),
  Sinh: unary('sinh'),
  Cosh: unary('cosh'),
  Asinh: unary('asinh'),
  Acosh: unary('acosh'),
  Atanh: unary('atanh'),
  Tanh: unary('tanh'),
  Sigmoid: unary('sigmoid'),
  Erf: unary('erf'),
  Floor: unary('floor'),
  Ceil: unary('ceil'),
  Round: unary('round'),
  Reciprocal: unary('reciprocal'),
  Relu: unary('relu'),
  Softplus: unary('softplus'),
  Softsign: unary('softsign'),
  Elu: unary('elu', ['alpha'], alpha(1)),
  LeakyRelu: unary('leaky_relu', ['alpha'], alpha(0.01)),
  ThresholdedRelu: unary('thresholded_relu', ['alpha'], alpha(1)),
  Selu: unary('selu', ['alpha', 'gamma'], (ctx) => ({
    alpha: ctx.attrFloat('alpha', 1.67326319217681884765625), gamma: ctx.attrFloat('gamma', 1.05070102214813232421875),
  })),
  HardSigmoid: unary('hard_sigmoid', ['alpha', 'beta'], (ctx) => ({ alpha: ctx.attrFloat('alpha', 0.2), beta: ctx.attrFloat('beta', 0.5) })),
  HardSwish: unary('hard_swish'),
  Gelu: unary('gelu', ['approximate'], (ctx) => {
    const a = ctx.attr('approximate');
    const v = a === undefined ? 'none' : a.type === 'string' ? a.value : undefined;
    if (v !== 'none' && v !== 'tanh') return ctx.unsupported(`approximate=${JSON.stringify(a && 'value' in a ? a.value : a)} (expected "none" or "tanh")`);
    return { approximate: v };
  }),
  Not: unary('logical_not'),
  BitwiseNot: unary('bitwise_not'),
  IsNaN: unary('isnan'),
  IsInf: unary('isinf', ['detect_positive', 'detect_negative'], (ctx) => ({
    detect_positive: ctx.attrInt('detect_positive', 1), detect_negative: ctx.attrInt('detect_negative', 1),
  })),
};
