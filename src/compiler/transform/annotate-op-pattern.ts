/**
 * AnnotateTIROpPattern: gives every tensor function an op pattern for fusion. A pattern an op's legalization
 * already set is kept (the op knows best); otherwise it is derived from the function's blocks:
 * - a reduce iteration variable anywhere → comm_reduce;
 * - one spatial block whose loads all use exactly the store's indices → elementwise;
 * - loads that use a subsequence of the store's indices → broadcast;
 * - any other spatial index math → injective; anything without blocks → opaque.
 */
import { exprEqual } from '../tir/expr.js';
import type { Expr, OpPattern, PrimFunc } from '../tir/types.js';
import { collectBlocks, walkExprs, walkStmt } from '../tir/visit.js';
import type { Pass } from './pass.js';

export function derivePattern(f: PrimFunc): OpPattern {
  const blocks = collectBlocks(f.body);
  if (blocks.length === 0) return 'opaque';
  if (blocks.some((b) => b.iters.some((i) => i.type === 'reduce'))) return 'comm_reduce';
  if (blocks.length > 1) return 'injective';
  const blk = blocks[0]!;
  let storeIdx: readonly Expr[] | null = null;
  walkStmt(blk.body, (s) => { if (s.k === 'store') storeIdx = s.indices; });
  if (!storeIdx) return 'opaque';
  const out: readonly Expr[] = storeIdx;
  let pattern: OpPattern = 'elementwise';
  walkExprs(blk.body, (e) => {
    if (e.k !== 'load' || pattern === 'injective') return;
    if (e.indices.length === out.length && e.indices.every((x, i) => exprEqual(x, out[i]!))) return;
    // A broadcast load reads a subsequence of the output indices (dims of size 1 read at 0).
    let j = 0;
    const sub = e.indices.every((x) => {
      if (x.k === 'int' && x.value === 0) return true;
      while (j < out.length && !exprEqual(out[j]!, x)) j++;
      return j++ < out.length;
    });
    pattern = sub ? 'broadcast' : 'injective';
  });
  return pattern;
}

export const annotateTIROpPattern: Pass = {
  name: 'AnnotateTIROpPattern',
  description: 'give each tensor function an op pattern (elementwise, broadcast, injective, reduction, opaque) for fusion',
  run(mod) {
    const tir: Record<string, PrimFunc> = {};
    for (const [k, f] of Object.entries(mod.tir)) tir[k] = f.attrs.pattern ? f : { ...f, attrs: { ...f.attrs, pattern: derivePattern(f) } };
    return { ...mod, tir };
  },
};
