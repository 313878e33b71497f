/** Einsum: the equation is kept as an attribute; operands must share a dtype. */
import type { Atom } from '../../../ir/types.js';
import type { ConverterTable } from './types.js';

export const EINSUM_CONVERTERS: ConverterTable = {
  Einsum: {
    attrs: ['equation'],
    convert(ctx) {
      const eq = ctx.attr('equation');
      if (!eq || eq.type !== 'string') return ctx.unsupported("an Einsum without a string 'equation' attribute");
      const args: Atom[] = ctx.node.inputs.map((_, i) => ctx.required(i, `Inputs[${i}]`));
      if (args.length === 0) ctx.unsupported('an Einsum without operands');
      ctx.setOutput(0, ctx.op('einsum', args, { equation: eq.value }, 0));
    },
  },
};
