/** Constant nodes become module constants. */
import { fromTyped } from '../../../../formats/tensor.js';
import type { ConvertCtx, ConverterTable } from './types.js';

export const CONSTANT_CONVERTERS: ConverterTable = {
  Constant: {
    attrs: ['value', 'value_float', 'value_floats', 'value_int', 'value_ints'],
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
};
