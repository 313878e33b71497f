/**
 * Fallback rule: works on anything.
 * - A single block nest (after inlining intermediates): its spatial domain is flattened and split over
 *   blockIdx.x × threadIdx.x (threads per block from the target); each thread computes one output point, running
 *   any reduction serially. Points past the domain are masked by a predicate.
 * - Anything else (several non-inlinable blocks, hand-written loop kernels from library dispatch): one thread runs
 *   the original body. Correct, bound, verifiable, and slow; the choice is logged so it is visible.
 */
import type { Target } from '../../../formats/manifest.js';
import { add, cmp, int, ivar, mul } from '../../tir/expr.js';
import type { PrimFunc, Stmt } from '../../tir/types.js';
import { collectBlocks, walkStmt } from '../../tir/visit.js';
import { inlineIntermediates } from '../inline.js';
import { bindIters, ceilDiv, extentOf, floorPow2, type ScheduleRule } from '../rule.js';

export const fallbackRule: ScheduleRule = {
  name: 'Fallback',
  apply(f0: PrimFunc, target: Target): PrimFunc {
    const f = inlineIntermediates(f0);
    const blocks = collectBlocks(f.body);
    let hasAlloc = false;
    walkStmt(f.body, (s) => { if (s.k === 'alloc') hasAlloc = true; });
    if (blocks.length === 1 && !hasAlloc) {
      const b = blocks[0]!;
      const spatial = b.iters.filter((i) => i.type === 'spatial');
      const reduce = b.iters.filter((i) => i.type === 'reduce');
      const S = extentOf(spatial);
      const T = floorPow2(Math.max(1, Math.min(target.attrs.maxThreadsPerBlock, 256)));
      const linear = add(mul(ivar('bx'), int(T)), ivar('tx'));
      let inner: Stmt = b.body;
      for (let i = reduce.length - 1; i >= 0; i--) inner = { k: 'for', var: reduce[i]!.name, extent: reduce[i]!.extent, kind: 'serial', body: inner };
      const work: Stmt = b.init ? { k: 'seq', body: [b.init, inner] } : inner;
      const guarded: Stmt = { k: 'if', cond: cmp('lt', linear, S), then: bindIters(spatial, linear, b.predicate ? { k: 'if', cond: b.predicate, then: work } : work) };
      const grid = ceilDiv(S, T);
      const body: Stmt = {
        k: 'for', var: 'bx', extent: grid, kind: 'thread', thread: 'blockIdx.x',
        body: { k: 'for', var: 'tx', extent: int(T), kind: 'thread', thread: 'threadIdx.x', body: guarded },
      };
      return { ...f, body, attrs: { ...f.attrs, scheduledBy: 'Fallback', launch: { grid: [grid], block: [T] } } };
    }
    const body: Stmt = {
      k: 'for', var: 'bx', extent: int(1), kind: 'thread', thread: 'blockIdx.x',
      body: { k: 'for', var: 'tx', extent: int(1), kind: 'thread', thread: 'threadIdx.x', body: f.body },
    };
    return { ...f, body, attrs: { ...f.attrs, scheduledBy: 'Fallback(single-thread)', launch: { grid: [int(1)], block: [1] } } };
  },
};
