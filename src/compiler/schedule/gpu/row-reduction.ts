/**
 * RowReduction rule: multi-stage kernels over rows (softmax, log-softmax, layer/RMS/instance/batch norm,
 * log-sum-exp). After inlining, the function must be a sequence of blocks where
 * - reduction blocks all share one spatial ("row") domain and write per-row intermediates (or outputs) at their
 *   spatial point;
 * - every other block is spatial, and reads the per-row buffers only at plain iter vars that name the row (the
 *   same iter for the same row dim everywhere); its remaining iters are the row's "inner" elements.
 * The kernel runs one thread block per row: each reduction stage strides its threads over the reduced elements,
 * combines them through a shared-memory tree and keeps the row's value in shared memory; each spatial stage
 * strides the threads over the row's inner elements. Per-row intermediates never touch global memory.
 */
import type { Target } from '../../../formats/manifest.js';
import { DTYPE_BYTES } from '../../../formats/dtype.js';
import { add, bin, cmp, exprEqual, int, ivar, load, mul } from '../../tir/expr.js';
import type { Buffer, Expr, IterVar, PrimFunc, Stmt } from '../../tir/types.js';
import { collectBlocks, mapExpr, walkExprs, walkStmt, type BlockStmt } from '../../tir/visit.js';
import { inlineIntermediates } from '../inline.js';
import { bindIters, ceilDiv, extentOf, floorPow2, type ScheduleRule } from '../rule.js';
import { matchReduction, partialInit, treeReduce, type ReductionShape } from './reduction.js';

/** Only seq / serial for / global alloc around the blocks: nothing hand-written. */
function plainNest(s: Stmt): boolean {
  switch (s.k) {
    case 'seq': return s.body.every(plainNest);
    case 'for': return s.kind === 'serial' && plainNest(s.body);
    case 'alloc': return s.buffer.scope === 'global' && plainNest(s.body);
    case 'block': return true;
    default: return false;
  }
}

type Stage =
  | { kind: 'reduce'; red: ReductionShape; spatial: IterVar[]; reduce: IterVar[] }
  | { kind: 'spatial'; block: BlockStmt; row: IterVar[]; inner: IterVar[] };

export const rowReductionRule: ScheduleRule = {
  name: 'RowReduction',
  apply(f0: PrimFunc, target: Target): PrimFunc | null {
    const f = inlineIntermediates(f0);
    if (!plainNest(f.body)) return null;
    const blocks = collectBlocks(f.body);
    const allocs = new Map<string, Buffer>();
    walkStmt(f.body, (s) => { if (s.k === 'alloc') allocs.set(s.buffer.name, s.buffer); });
    const params = new Map(f.params.map((p) => [p.name, p] as const));

    // Row domain from the first reduction block.
    const reds = blocks.map((b) => (b.init ? matchReduction(b) : null));
    const first = reds.find((r) => r);
    if (!first || blocks.some((b, i) => b.init && !reds[i])) return null;
    const rowExt = first.block.iters.filter((i) => i.type === 'spatial').map((i) => i.extent);
    const rowBufs = new Map<string, Buffer>();
    for (const r of reds) {
      if (!r) continue;
      const sp = r.block.iters.filter((i) => i.type === 'spatial');
      if (sp.length !== rowExt.length || !sp.every((it, j) => exprEqual(it.extent, rowExt[j]!))) return null;
      const b = allocs.get(r.buffer) ?? params.get(r.buffer);
      if (!b || rowBufs.has(r.buffer)) return null;
      rowBufs.set(r.buffer, b);
    }
    // One accumulator dtype for the shared tree (WGSL does not convert implicitly).
    if (new Set([...rowBufs.values()].map((b) => b.dtype)).size !== 1) return null;
    // Every remaining global intermediate must be a per-row buffer.
    for (const name of allocs.keys()) if (!rowBufs.has(name)) return null;

    const stages: Stage[] = [];
    for (let bi = 0; bi < blocks.length; bi++) {
      const b = blocks[bi]!, r = reds[bi];
      const names = b.iters.map((i) => i.name);
      // Row-buffer loads must use this block's iter vars for the row dims.
      const rowIter: (string | undefined)[] = new Array(rowExt.length).fill(undefined);
      let ok = true;
      walkExprs(b.body, (e) => {
        if (e.k !== 'load' || !rowBufs.has(e.buffer) || (r && e.buffer === r.buffer)) return;
        e.indices.forEach((x, j) => {
          if (x.k !== 'var' || !names.includes(x.name)) { ok = false; return; }
          if (rowIter[j] === undefined) rowIter[j] = x.name; else if (rowIter[j] !== x.name) ok = false;
        });
      });
      if (!ok) return null;
      if (r) {
        const sp = b.iters.filter((i) => i.type === 'spatial');
        if (rowIter.some((n, j) => n !== undefined && n !== sp[j]!.name)) return null;
        stages.push({ kind: 'reduce', red: r, spatial: sp, reduce: b.iters.filter((i) => i.type === 'reduce') });
        continue;
      }
      if (b.predicate || b.init || b.body.k !== 'store' || b.iters.some((i) => i.type !== 'spatial')) return null;
      if (rowBufs.has(b.body.buffer)) return null;
      // A spatial block that reads no row buffer (rare) can only be placed when there is no row dim.
      if (rowIter.some((n) => n === undefined)) return null;
      const row = rowIter.map((n) => b.iters.find((i) => i.name === n)!);
      if (!row.every((it, j) => exprEqual(it.extent, rowExt[j]!)) || new Set(rowIter).size !== rowIter.length) return null;
      stages.push({ kind: 'spatial', block: b, row, inner: b.iters.filter((i) => !rowIter.includes(i.name)) });
    }

    // Threads: enough for the largest static per-row extent, within the target's limits and shared memory.
    const perRow = stages.map((s) => extentOf(s.kind === 'reduce' ? s.reduce : s.inner));
    const statics = perRow.map((e) => (e.k === 'int' ? e.value : Infinity));
    const want = Math.max(1, ...statics.map((v) => (v === Infinity ? 256 : v)));
    const accBytes = DTYPE_BYTES[[...rowBufs.values()][0]!.dtype];
    const shared = (T: number) => T * accBytes + rowBufs.size * accBytes;
    let T = floorPow2(Math.max(1, Math.min(target.attrs.maxThreadsPerBlock, 256, want)));
    if (T < want && T < Math.min(target.attrs.maxThreadsPerBlock, 256)) T *= 2; // round up: fewer strided passes
    while (T > 1 && shared(T) > target.attrs.maxSharedMemoryBytes) T /= 2;
    if (shared(T) > target.attrs.maxSharedMemoryBytes) return null;

    const bx = ivar('bx'), tx = ivar('tx');
    const rows = rowExt.reduce<Expr>((p, d) => mul(p, d), int(1));
    const rowIters = (names: readonly string[]): IterVar[] => names.map((n, j) => ({ name: n, extent: rowExt[j]!, type: 'spatial' as const }));
    const sh = (name: string) => `${name}_row`;
    const toShared = (e: Expr): Expr => mapExpr(e, (x) => (x.k === 'load' && rowBufs.has(x.buffer) ? load(sh(x.buffer), [int(0)], x.dtype) : x));
    const redBuf = 'red_buf';
    const redDtype = [...rowBufs.values()][0]!.dtype;

    const body: Stmt[] = [];
    stages.forEach((s, si) => {
      const E = perRow[si]!;
      const i = add(mul(ivar(`o${si}`), int(T)), tx);
      if (s.kind === 'reduce') {
        const red = s.red, dt = rowBufs.get(red.buffer)!.dtype;
        const acc = `acc${si}`;
        const step: Stmt = {
          k: 'for', var: `o${si}`, extent: ceilDiv(E, T), kind: 'serial',
          body: { k: 'if', cond: cmp('lt', i, E), then: bindIters(s.reduce, i, { k: 'store', buffer: acc, indices: [], value: bin(red.op, load(acc, [], dt), toShared(red.rhs)) }) },
        };
        const writeRow: Stmt[] = [{ k: 'store', buffer: sh(red.buffer), indices: [int(0)], value: load(redBuf, [int(0)], redDtype) }];
        if (params.has(red.buffer)) writeRow.push({ k: 'store', buffer: red.buffer, indices: red.indices, value: load(redBuf, [int(0)], redDtype) });
        body.push(bindIters(rowIters(s.spatial.map((it) => it.name)), bx, {
          k: 'alloc', buffer: { name: acc, dtype: dt, shape: [], scope: 'local' },
          body: {
            k: 'seq', body: [
              { k: 'store', buffer: acc, indices: [], value: partialInit(red.op, toShared(red.init), tx) },
              step,
              { k: 'store', buffer: redBuf, indices: [tx], value: load(acc, [], dt) },
              { k: 'barrier' },
              ...treeReduce(redBuf, redDtype, T, red.op),
              { k: 'if', cond: cmp('eq', tx, int(0)), then: writeRow.length === 1 ? writeRow[0]! : { k: 'seq', body: writeRow } },
              { k: 'barrier' },
            ],
          },
        }));
      } else {
        const st = s.block.body as Extract<Stmt, { k: 'store' }>;
        const store: Stmt = { ...st, value: toShared(st.value) };
        body.push(bindIters(s.row, bx, {
          k: 'seq', body: [
            { k: 'for', var: `o${si}`, extent: ceilDiv(E, T), kind: 'serial', body: { k: 'if', cond: cmp('lt', i, E), then: bindIters(s.inner, i, store) } },
            { k: 'barrier' },
          ],
        }));
      }
    });

    let inner: Stmt = { k: 'for', var: 'tx', extent: int(T), kind: 'thread', thread: 'threadIdx.x', body: { k: 'seq', body } };
    inner = { k: 'alloc', buffer: { name: redBuf, dtype: redDtype, shape: [int(T)], scope: 'shared' }, body: inner };
    for (const b of rowBufs.values()) inner = { k: 'alloc', buffer: { name: sh(b.name), dtype: b.dtype, shape: [int(1)], scope: 'shared' }, body: inner };
    const kernel: Stmt = { k: 'for', var: 'bx', extent: rows, kind: 'thread', thread: 'blockIdx.x', body: inner };
    return { ...f, body: kernel, attrs: { ...f.attrs, scheduledBy: 'RowReduction', launch: { grid: [rows], block: [T] } } };
  },
};
