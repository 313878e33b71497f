/**
 * Reduction rule: one reduction block (optionally followed by one elementwise epilogue that reads the reduction
 * result at the same spatial point) becomes a kernel with one thread block per output element. Threads stride
 * over the reduction domain into a local accumulator, then combine through a shared-memory tree; thread 0
 * applies the epilogue and writes the result. Thread count and shared memory come from the target attributes.
 */
import type { Target } from '../../../formats/manifest.js';
import { bin, cmp, int, ivar, load, mul, substitute } from '../../tir/expr.js';
import type { BinOp, Buffer, Expr, PrimFunc, Stmt } from '../../tir/types.js';
import { collectBlocks, mapExpr, walkExprs, walkStmt, type BlockStmt } from '../../tir/visit.js';
import { inlineIntermediates } from '../inline.js';
import { bindIters, ceilDiv, extentOf, floorPow2, type ScheduleRule } from '../rule.js';
import { DTYPE_BYTES } from '../../../formats/dtype.js';

const COMBINERS: readonly BinOp[] = ['add', 'mul', 'max', 'min', 'and', 'or'];

export interface ReductionShape {
  block: BlockStmt;
  buffer: string;
  indices: readonly Expr[];
  op: BinOp;
  init: Expr;
  rhs: Expr;
}

/** Recognises `T[s...] = T[s...] op rhs` with `init T[s...] = c`, where s are the spatial iter vars. */
export function matchReduction(b: BlockStmt): ReductionShape | null {
  if (!b.init || b.init.k !== 'store' || b.body.k !== 'store' || b.predicate) return null;
  const st = b.body, ini = b.init;
  if (ini.buffer !== st.buffer) return null;
  const spatial = b.iters.filter((i) => i.type === 'spatial').map((i) => i.name);
  const idxOk = (ix: readonly Expr[]) => ix.length === spatial.length && ix.every((x, i) => x.k === 'var' && x.name === spatial[i]);
  if (!idxOk(st.indices) || !idxOk(ini.indices)) return null;
  const v = st.value;
  if (v.k !== 'bin' || !COMBINERS.includes(v.op)) return null;
  const self = (e: Expr) => e.k === 'load' && e.buffer === st.buffer && idxOk(e.indices);
  let rhs: Expr | null = null;
  if (self(v.a)) rhs = v.b; else if (self(v.b)) rhs = v.a;
  if (!rhs) return null;
  let reads = false;
  walkExprs({ k: 'store', buffer: '_', indices: [], value: rhs }, (e) => { if (e.k === 'load' && e.buffer === st.buffer) reads = true; });
  if (reads) return null;
  return { block: b, buffer: st.buffer, indices: st.indices, op: v.op, init: ini.value, rhs };
}

export const reductionRule: ScheduleRule = {
  name: 'Reduction',
  apply(f0: PrimFunc, target: Target): PrimFunc | null {
    const f = inlineIntermediates(f0);
    const blocks = collectBlocks(f.body);
    if (blocks.length < 1 || blocks.length > 2) return null;
    const red = matchReduction(blocks[0]!);
    if (!red) return null;
    const spatial = red.block.iters.filter((i) => i.type === 'spatial');
    const reduce = red.block.iters.filter((i) => i.type === 'reduce');
    const epi = blocks[1];
    const accDtype = f.params.find((p) => p.name === red.buffer)?.dtype ?? allocDtype(f.body, red.buffer);
    if (!accDtype) return null;
    if (epi) {
      if (epi.init || epi.iters.some((i) => i.type !== 'spatial') || epi.iters.length !== spatial.length || epi.body.k !== 'store') return null;
      if (!epi.iters.every((it, i) => JSON.stringify(it.extent) === JSON.stringify(spatial[i]!.extent))) return null;
      // The epilogue may read the reduction buffer only at its own iteration point.
      let ok = true;
      walkExprs(epi.body, (e) => {
        if (e.k === 'load' && e.buffer === red.buffer && !e.indices.every((x, i) => x.k === 'var' && x.name === epi.iters[i]!.name)) ok = false;
      });
      const st = epi.body;
      if (!ok || !st.indices.every((x, i) => x.k === 'var' && x.name === epi.iters[i]!.name)) return null;
      // With an epilogue the reduction buffer must be an intermediate, not an output.
      if (f.params.some((p) => p.name === red.buffer)) return null;
    } else if (!f.params.some((p) => p.name === red.buffer)) {
      return null;
    }

    const maxThreads = target.attrs.maxThreadsPerBlock;
    const sharedBudget = target.attrs.maxSharedMemoryBytes;
    const K = extentOf(reduce);
    const kStatic = K.k === 'int' ? K.value : Infinity;
    let T = floorPow2(Math.max(1, Math.min(maxThreads, 256, kStatic === Infinity ? 256 : Math.max(kStatic, 1))));
    while (T > 1 && T * DTYPE_BYTES[accDtype] > sharedBudget) T /= 2;
    const S = extentOf(spatial);
    const bx = ivar('bx'), tx = ivar('tx');
    const sh: Buffer = { name: 'red_buf', dtype: accDtype, shape: [int(T)], scope: 'shared' };
    const acc: Buffer = { name: 'acc', dtype: accDtype, shape: [], scope: 'local' };
    const accv = load('acc', [], accDtype);
    const combine = (a: Expr, b: Expr) => bin(red.op, a, b);

    // Strided partial reduction.
    const k = mul(ivar('ko'), int(T));
    const kIdx: Expr = { k: 'bin', op: 'add', a: k, b: tx, dtype: 'int64' };
    const partial: Stmt = {
      k: 'for', var: 'ko', extent: ceilDiv(K, T), kind: 'serial',
      body: { k: 'if', cond: cmp('lt', kIdx, K), then: bindIters(reduce, kIdx, { k: 'store', buffer: 'acc', indices: [], value: combine(accv, red.rhs) }) },
    };
    const tree = treeReduce('red_buf', accDtype, T, red.op);
    const result = load('red_buf', [int(0)], accDtype);
    let write: Stmt;
    if (epi && epi.body.k === 'store') {
      const map = new Map(epi.iters.map((it, i) => [it.name, ivar(spatial[i]!.name)] as const));
      const value = mapExpr(substitute(epi.body.value, map), (e) => (e.k === 'load' && e.buffer === red.buffer ? result : e));
      write = { k: 'store', buffer: epi.body.buffer, indices: epi.body.indices.map((x) => substitute(x, map)), value };
    } else {
      write = { k: 'store', buffer: red.buffer, indices: red.indices, value: result };
    }
    const threadBody: Stmt = bindIters(spatial, bx, {
      k: 'alloc', buffer: acc, body: {
        k: 'seq', body: [
          { k: 'store', buffer: 'acc', indices: [], value: partialInit(red.op, red.init, tx) },
          partial,
          { k: 'store', buffer: 'red_buf', indices: [tx], value: accv },
          { k: 'barrier' },
          ...tree,
          { k: 'if', cond: cmp('eq', tx, int(0)), then: write },
        ],
      },
    });
    const body: Stmt = {
      k: 'for', var: 'bx', extent: S, kind: 'thread', thread: 'blockIdx.x',
      body: { k: 'alloc', buffer: sh, body: { k: 'for', var: 'tx', extent: int(T), kind: 'thread', thread: 'threadIdx.x', body: threadBody } },
    };
    return { ...f, body, attrs: { ...f.attrs, scheduledBy: 'Reduction', launch: { grid: [S], block: [T] } } };
  },
};

/**
 * What thread `tx`'s partial starts from when a reduction is split over threads: the block's init for thread 0;
 * for the others the init too when applying it again changes nothing (min, max, and, or), else the op's identity
 * (0 for add/or/xor, 1 for mul), so a non-identity init (e.g. a bias) is counted once, not once per thread.
 */
export function partialInit(op: BinOp, init: Expr, tx: Expr): Expr {
  if (op === 'min' || op === 'max' || op === 'and' || op === 'or') return init;
  const identity = op === 'mul' ? 1 : op === 'add' || op === 'xor' ? 0 : null;
  if (identity === null) throw new Error(`partialInit: no identity for '${op}'`);
  if ((init.k === 'int' || init.k === 'float') && init.value === identity) return init;
  const id: Expr = init.dtype.startsWith('float') || init.dtype === 'bfloat16'
    ? { k: 'float', value: identity, dtype: init.dtype }
    : init.dtype === 'bool' ? { k: 'int', value: identity, dtype: 'bool' } : { k: 'int', value: identity, dtype: init.dtype };
  return { k: 'select', cond: cmp('eq', tx, int(0)), t: init, f: id, dtype: init.dtype };
}

/** Shared-memory tree over `buf[0..T)` (T a power of two) with `op`, a barrier after each level; the result is in buf[0]. */
export function treeReduce(buf: string, dtype: Buffer['dtype'], T: number, op: BinOp): Stmt[] {
  const tx = ivar('tx');
  const tree: Stmt[] = [];
  for (let s = T / 2; s >= 1; s /= 2) {
    tree.push({
      k: 'if', cond: cmp('lt', tx, int(s)),
      then: { k: 'store', buffer: buf, indices: [tx], value: bin(op, load(buf, [tx], dtype), load(buf, [{ k: 'bin', op: 'add', a: tx, b: int(s), dtype: 'int64' }], dtype)) },
    });
    tree.push({ k: 'barrier' });
  }
  return tree;
}

function allocDtype(s: Stmt, name: string): Buffer['dtype'] | null {
  let d: Buffer['dtype'] | null = null;
  walkStmt(s, (st) => { if (st.k === 'alloc' && st.buffer.name === name) d = st.buffer.dtype; });
  return d;
}
