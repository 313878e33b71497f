/**
 * OutputParallel rule, for conv / matmul / pooling-like kernels (pattern out_elementwise_fusable) with many
 * output points: one reduction block (optionally followed by one elementwise epilogue that reads the reduction
 * at its own point) becomes a kernel where each thread owns `V` neighbouring output points along one
 * spatial axis, accumulates them serially over the reduction domain in registers, and applies the epilogue. The
 * tiled axis is chosen so that loads varying along the innermost axis (different in neighbouring threads) do not
 * vary along it: the output-channel axis of a conv (each X load feeds V channels), the row axis of a matmul (each
 * B load feeds V rows). The V accumulations share their loop, so such loads are issued once for all of them.
 * Spatial points are flattened over blockIdx.x × threadIdx.x; threads per block come from the target.
 *
 * It applies when the output has enough points to fill the GPU with one thread each; small outputs over long
 * reductions (a GEMV) are left to the Reduction rule, which splits the reduction across a thread block.
 */
import type { Target } from '../../../formats/manifest.js';
import { add, bin, cmp, freeVars, int, ivar, load, mul, substitute } from '../../tir/expr.js';
import type { BinOp, Buffer, DType, Expr, IterVar, PrimFunc, Stmt } from '../../tir/types.js';
import { collectBlocks, mapExpr, walkExprs, walkStmt, type BlockStmt } from '../../tir/visit.js';
import { inlineIntermediates } from '../inline.js';
import { bindIters, ceilDiv, extentOf, floorPow2, type ScheduleRule } from '../rule.js';

const COMBINERS: readonly BinOp[] = ['add', 'mul', 'max', 'min'];
/** Minimum number of thread blocks' worth of output points for this rule to take a kernel. */
const MIN_BLOCKS = 8;

interface Red { block: BlockStmt; buffer: string; op: BinOp; init: Expr; rhs: Expr; spatial: IterVar[]; reduce: IterVar[] }

const isIters = (ix: readonly Expr[], names: readonly string[]) => ix.length === names.length && ix.every((x, i) => x.k === 'var' && x.name === names[i]);

/** `T[s] = T[s] op rhs` with `init T[s] = c` over the block's spatial iter vars s, rhs not reading T. */
function matchReduction(b: BlockStmt): Red | null {
  if (!b.init || b.init.k !== 'store' || b.body.k !== 'store' || b.predicate) return null;
  const st = b.body, ini = b.init;
  const spatial = b.iters.filter((i) => i.type === 'spatial'), reduce = b.iters.filter((i) => i.type === 'reduce');
  const names = spatial.map((i) => i.name);
  if (ini.buffer !== st.buffer || !isIters(st.indices, names) || !isIters(ini.indices, names) || reduce.length === 0) return null;
  if (b.iters.some((it, i) => it.type === 'reduce' && b.iters.slice(i).some((x) => x.type === 'spatial'))) return null;
  const v = st.value;
  if (v.k !== 'bin' || !COMBINERS.includes(v.op)) return null;
  const self = (e: Expr) => e.k === 'load' && e.buffer === st.buffer && isIters(e.indices, names);
  const rhs = self(v.a) ? v.b : self(v.b) ? v.a : null;
  if (!rhs) return null;
  let reads = false;
  walkExprs({ k: 'store', buffer: '_', indices: [], value: rhs }, (e) => { if (e.k === 'load' && e.buffer === st.buffer) reads = true; });
  let initReads = false;
  walkExprs(ini, (e) => { if (e.k === 'load') initReads = true; });
  if (reads || initReads) return null;
  return { block: b, buffer: st.buffer, op: v.op, init: ini.value, rhs, spatial, reduce };
}

/** The epilogue store, rewritten onto the reduction's spatial iter vars, or null when it is not a pointwise epilogue. */
function matchEpilogue(f: PrimFunc, red: Red, epi: BlockStmt): Extract<Stmt, { k: 'store' }> | null {
  if (epi.init || epi.predicate || epi.iters.some((i) => i.type !== 'spatial') || epi.iters.length !== red.spatial.length) return null;
  if (epi.body.k !== 'store') return null;
  if (!epi.iters.every((it, i) => JSON.stringify(it.extent) === JSON.stringify(red.spatial[i]!.extent))) return null;
  const names = epi.iters.map((i) => i.name);
  let ok = isIters(epi.body.indices, names);
  walkExprs(epi.body, (e) => { if (e.k === 'load' && e.buffer === red.buffer && !isIters(e.indices, names)) ok = false; });
  if (!ok || f.params.some((p) => p.name === red.buffer)) return null;
  const map = new Map(names.map((n, i) => [n, ivar(red.spatial[i]!.name)] as const));
  return { k: 'store', buffer: epi.body.buffer, indices: epi.body.indices.map((x) => substitute(x, map)), value: substitute(epi.body.value, map) };
}

function bufferDtype(f: PrimFunc, name: string): DType | null {
  const p = f.params.find((x) => x.name === name);
  if (p) return p.dtype;
  let d: DType | null = null;
  walkStmt(f.body, (s) => { if (s.k === 'alloc' && s.buffer.name === name) d = s.buffer.dtype; });
  return d;
}

/**
 * A symbolic dim (batch, sequence length, image size) is taken to be this large when judging whether an extent
 * fills the GPU: such dims are rarely 1 all at once, and counting them as 1 sent batched matmuls over
 * [batch, seq] to the Reduction rule (one thread block per output point), which is slow everywhere.
 */
const SYMBOLIC_ESTIMATE = 8;

/** An estimate of an extent, symbolic vars counted as SYMBOLIC_ESTIMATE. */
function estimate(e: Expr): number {
  if (e.k === 'int') return e.value;
  if (e.k === 'var') return SYMBOLIC_ESTIMATE;
  if (e.k === 'bin') {
    const a = estimate(e.a), b = estimate(e.b);
    switch (e.op) {
      case 'mul': return a * b;
      case 'add': return a + b;
      case 'sub': return Math.max(1, a - b);
      case 'floordiv': return Math.max(1, Math.floor(a / Math.max(1, b)));
      default: return 1;
    }
  }
  return 1;
}

/** Tile width for a static extent: the largest of 4, 2 that divides it (1 when none does). */
function tileWidth(extent: Expr): number {
  if (extent.k !== 'int') return 1;
  for (const v of [4, 2]) if (extent.value % v === 0 && extent.value >= v * 2) return v;
  return 1;
}

/**
 * The spatial axis to tile: among axes other than the innermost, the one that the most loads varying along the
 * innermost axis do not depend on. -1 when no axis shares such a load.
 */
function tileAxis(red: Red): number {
  const loads: Set<string>[] = [];
  walkExprs({ k: 'store', buffer: '_', indices: [], value: red.rhs }, (e) => {
    if (e.k === 'load') loads.push(new Set(e.indices.flatMap((x) => freeVars(x))));
  });
  const innerName = red.spatial[red.spatial.length - 1]!.name;
  let best = -1, bestCount = 0;
  red.spatial.forEach((it, i) => {
    if (i === red.spatial.length - 1 || tileWidth(it.extent) === 1) return;
    const n = loads.filter((vs) => vs.has(innerName) && !vs.has(it.name)).length;
    if (n > bestCount) { best = i; bestCount = n; }
  });
  return best;
}

export const outputParallelRule: ScheduleRule = {
  name: 'OutputParallel',
  apply(f0: PrimFunc, target: Target): PrimFunc | null {
    if (f0.attrs.pattern !== 'out_elementwise_fusable') return null;
    const f = inlineIntermediates(f0);
    const blocks = collectBlocks(f.body);
    if (blocks.length < 1 || blocks.length > 2) return null;
    const red = matchReduction(blocks[0]!);
    if (!red || red.spatial.length === 0) return null;
    let write: Extract<Stmt, { k: 'store' }> | null = null;
    if (blocks[1]) {
      write = matchEpilogue(f, red, blocks[1]);
      if (!write) return null;
    } else if (!f.params.some((p) => p.name === red.buffer)) {
      return null;
    }
    const accDtype = bufferDtype(f, red.buffer);
    if (!accDtype) return null;

    const T = floorPow2(Math.max(1, Math.min(target.attrs.maxThreadsPerBlock, 256)));
    const S = extentOf(red.spatial), K = extentOf(red.reduce);
    if (estimate(S) < MIN_BLOCKS * T && estimate(S) < estimate(K)) return null;

    // Tile V points along axis `ta`: thread point p covers indices p*V .. p*V+V-1 of that axis.
    const ta = tileAxis(red);
    const V = ta < 0 ? 1 : tileWidth(red.spatial[ta]!.extent);
    const tiled = red.spatial[Math.max(ta, 0)]!;
    const outer: IterVar[] = red.spatial.map((it, i) => (i === ta && V > 1 ? { ...it, name: `${it.name}_o`, extent: int((it.extent as { value: number }).value / V) } : it));
    const points = V === 1 ? S : extentOf(outer);
    const tiledAt = (j: number): Expr => add(mul(ivar(`${tiled.name}_o`), int(V)), int(j));
    const at = (e: Expr, j: number): Expr => (V === 1 ? e : substitute(e, new Map([[tiled.name, tiledAt(j)]])));
    const accName = 'acc';
    const acc: Buffer = { name: accName, dtype: accDtype, shape: [int(V)], scope: 'local' };
    const accv = (j: number) => load(accName, [int(j)], accDtype);
    const js = [...Array(V).keys()];
    let loop: Stmt = { k: 'seq', body: js.map((j): Stmt => ({ k: 'store', buffer: accName, indices: [int(j)], value: bin(red.op, accv(j), at(red.rhs, j)) })) };
    for (let i = red.reduce.length - 1; i >= 0; i--) {
      const r = red.reduce[i]!;
      const small = r.extent.k === 'int' && r.extent.value <= 7 && i > 0;
      loop = { k: 'for', var: r.name, extent: r.extent, kind: small ? 'unrolled' : 'serial', body: loop };
    }
    const writes: Stmt[] = js.map((j) => {
      if (!write) return { k: 'store', buffer: red.buffer, indices: red.spatial.map((it) => at(ivar(it.name), j)), value: accv(j) };
      const value = mapExpr(at(write.value, j), (e) => (e.k === 'load' && e.buffer === red.buffer ? accv(j) : e));
      return { k: 'store', buffer: write.buffer, indices: write.indices.map((x) => at(x, j)), value };
    });
    const linear = add(mul(ivar('bx'), int(T)), ivar('tx'));
    const work: Stmt = {
      k: 'alloc', buffer: acc, body: {
        k: 'seq', body: [
          ...js.map((j): Stmt => ({ k: 'store', buffer: accName, indices: [int(j)], value: at(red.init, j) })),
          loop, ...writes,
        ],
      },
    };
    const grid = ceilDiv(points, T);
    const body: Stmt = {
      k: 'for', var: 'bx', extent: grid, kind: 'thread', thread: 'blockIdx.x',
      body: {
        k: 'for', var: 'tx', extent: int(T), kind: 'thread', thread: 'threadIdx.x',
        body: { k: 'if', cond: cmp('lt', linear, points), then: bindIters(outer, linear, work) },
      },
    };
    return { ...f, body, attrs: { ...f.attrs, scheduledBy: 'OutputParallel', launch: { grid: [grid], block: [T] } } };
  },
};
