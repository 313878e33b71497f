/**
 * Constant (every numeric value_* attribute) becomes a module constant. ConstantOfShape and Range are folded
 * at import time when small and concrete (shape-values.ts); otherwise they become `full` / `range` kernels whose
 * shapes may be symbolic.
 */
import { fromTyped, toNumbers } from '../../../../formats/tensor.js';
import { add, floordiv, freeVars, int, sub } from '../../../tir/expr.js';
import type { Expr } from '../../../tir/types.js';
import { scalarValue, shapeValues } from './shape-input.js';
import type { ConvertCtx, ConverterTable } from './types.js';

export const CONSTANT_CONVERTERS: ConverterTable = {
  Constant: {
    attrs: ['value', 'value_float', 'value_floats', 'value_int', 'value_ints', 'value_string', 'value_strings', 'sparse_value'],
    convert(ctx: ConvertCtx) {
      const name = ctx.node.outputs[0] ?? ctx.node.name;
      const v = ctx.attr('value'), f = ctx.attr('value_float'), fs = ctx.attr('value_floats');
      const i = ctx.attr('value_int'), is = ctx.attr('value_ints');
      let t;
      if (v?.type === 'tensor') t = v.value;
      else if (f?.type === 'float') t = fromTyped('float32', [], new Float32Array([f.value]));
      else if (fs?.type === 'floats') t = fromTyped('float32', [fs.value.length], new Float32Array(fs.value));
      else if (i?.type === 'int') t = fromTyped('int64', [], new BigInt64Array([BigInt(i.value)]));
      else if (is?.type === 'ints') t = fromTyped('int64', [is.value.length], new BigInt64Array(is.value.map((x) => BigInt(x))));
      else ctx.unsupported('a Constant without a numeric value (string and sparse constants are not supported)');
      ctx.setOutput(0, ctx.constantAtom(name, t));
    },
  },
  ConstantOfShape: {
    attrs: ['value'],
    constInputs: [0],
    convert(ctx: ConvertCtx) {
      const shape = shapeValues(ctx, 0, 'input') ?? ctx.unsupported("a ConstantOfShape without its 'input'");
      const v = ctx.attr('value');
      const t = v?.type === 'tensor' ? v.value : undefined;
      if (t && t.shape.reduce((a, b) => a * b, 1) !== 1) ctx.unsupported(`a 'value' tensor of shape [${t.shape.join(', ')}] (must hold one element)`);
      const dtype = t?.dtype ?? 'float32', value = t ? toNumbers(t)[0]! : 0;
      ctx.setOutput(0, ctx.op('full', [{ k: 'shape', values: shape }], { dtype, value }, 0));
    },
  },
  Range: {
    attrs: [],
    constInputs: [0, 1, 2],
    convert(ctx: ConvertCtx) {
      const k = ctx.knownValue(0);
      const [start, limit] = [0, 1].map((i) => {
        const v = shapeValues(ctx, i, i === 0 ? 'start' : 'limit') ?? ctx.unsupported(`a Range without '${i === 0 ? 'start' : 'limit'}'`);
        if (v.length !== 1) ctx.unsupported(`a Range bound with ${v.length} elements (expected a scalar)`);
        return v[0]!;
      }) as [Expr, Expr];
      const delta = scalarValue(ctx, 2, 'delta');
      if (delta === 0 || !Number.isInteger(delta)) ctx.unsupported(`a delta of ${delta}`);
      const count = delta > 0
        ? floordiv(add(sub(limit, start), int(delta - 1)), int(delta))
        : floordiv(add(sub(start, limit), int(-delta - 1)), int(-delta));
      const countVars = freeVars(count);
      if (freeVars(start).some((n) => !countVars.includes(n))) {
        ctx.unsupported('a Range whose start depends on symbolic dims that its length does not', 'Export with fixed sizes for these dims.');
      }
      ctx.setOutput(0, ctx.op('range', [{ k: 'shape', values: [start, int(delta), count] }], { dtype: k!.dtype }, 0));
    },
  },
};
