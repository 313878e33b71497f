/** Gemm and MatMul. Gemm decomposes into transpose / matmul / mul(alpha) / add(beta*C). */
import type { ConvertCtx, ConverterTable } from './types.js';
import { scalarConst, tensorInfo } from './util.js';

export const GEMM_CONVERTERS: ConverterTable = {
  Gemm: {
    attrs: ['alpha', 'beta', 'transA', 'transB', 'broadcast'],
    convert(ctx: ConvertCtx) {
      const alpha = ctx.attrFloat('alpha', 1), beta = ctx.attrFloat('beta', 1);
      let a = ctx.required(0, 'A'), b = ctx.required(1, 'B');
      const c = ctx.input(2);
      const dtype = tensorInfo(ctx, a, 'A').dtype;
      if (ctx.attrInt('transA', 0)) a = ctx.op('transpose', [a], { perm: [1, 0] }, 'a_t');
      if (ctx.attrInt('transB', 0)) b = ctx.op('transpose', [b], { perm: [1, 0] }, 'b_t');
      const last = !c || beta === 0;
      let y = ctx.op('matmul', [a, b], {}, last && alpha === 1 ? 0 : 'mm');
      if (alpha !== 1) y = ctx.op('mul', [y, scalarConst(ctx, `${ctx.node.name || 'gemm'}_alpha`, dtype, alpha)], {}, last ? 0 : 'alpha');
      if (!last) {
        const cc = beta === 1 ? c! : ctx.op('mul', [c!, scalarConst(ctx, `${ctx.node.name || 'gemm'}_beta`, dtype, beta)], {}, 'beta_c');
        y = ctx.op('add', [y, cc], {}, 0);
      }
      ctx.setOutput(0, y);
    },
  },
  MatMul: {
    attrs: [],
    convert(ctx: ConvertCtx) {
      ctx.setOutput(0, ctx.op('matmul', [ctx.required(0, 'A'), ctx.required(1, 'B')], {}, 0));
    },
  },
};
