/**
 * Normalizations. Statistics are reduction blocks into per-row intermediates (`kept` dims), then elementwise
 * blocks over the full shape read them back:
 * - layer_norm(x, scale[, bias]) attrs axis, epsilon, stats: rows are x.shape[:axis]; with `stats` the result is
 *   a tuple (Y, Mean, InvStdDev), Mean/InvStdDev shaped x.shape[:axis] + [1]*(rank-axis).
 * - rms_norm(x, scale) attrs axis, epsilon: Y = x / sqrt(mean(x^2) + eps) * scale.
 * - instance_norm(x, scale, bias) attrs epsilon: statistics per (n, c) over the spatial dims.
 * - batch_norm(x, scale, bias, mean, var) attrs epsilon: inference with given statistics (one elementwise block).
 * - batch_norm_train(x, scale, bias, mean, var) attrs epsilon, momentum: statistics per channel over every other
 *   dim; tuple (Y, running_mean, running_var) with running = input * momentum + current * (1 - momentum).
 * Variance is the two-pass population variance. float16/bfloat16 inputs accumulate in float32 (ONNX stash_type 1).
 */
import type { StructInfo } from '../ir/types.js';
import { add, bin, call, cast, int, mul, sub } from '../tir/expr.js';
import type { Buffer, DType, Expr, Stmt } from '../tir/types.js';
import { at, buffer, compute, lit, primFunc, reduce } from './compute.js';
import { countAs } from './reduce.js';
import type { OpDef } from './registry.js';
import { broadcastIndex, expectArgs, normAxis, numAttr, shapeError, shapeText, tensor, tensorArg, type TensorInfo } from './shape-util.js';

const isFloat = (dt: DType): boolean => dt.startsWith('float') || dt === 'bfloat16';
/** Accumulation dtype for statistics. */
const accOf = (dt: DType): DType => (dt === 'float16' || dt === 'bfloat16' ? 'float32' : dt);

function floatArg(op: string, args: readonly StructInfo[], i: number): TensorInfo {
  const t = tensorArg(op, args, i);
  if (!isFloat(t.dtype)) throw shapeError(`${op}: argument ${i} must be a floating-point tensor, got ${t.dtype}`);
  return t;
}

interface Moments {
  /** sum(x) and sum((x - mean)^2) (or sum(x^2) when not centered) per row, indexed by the kept dims. */
  readonly S1?: Buffer;
  readonly S2: Buffer;
  readonly stages: Stmt[];
  /** Number of reduced elements, as an acc-dtype value. */
  readonly n: Expr;
  /** Mean and 1/sqrt(var + eps) at a row index. */
  mean(row: readonly Expr[]): Expr;
  inv(row: readonly Expr[]): Expr;
  /** Row index of a full-shape index. */
  row(v: readonly Expr[]): Expr[];
}

/** Reduction stages computing per-row statistics of `A` (shape `shape`) over every dim not in `kept`. */
function moments(A: Buffer, shape: readonly Expr[], kept: readonly number[], eps: number, centered: boolean, prefix: string): Moments {
  const acc = accOf(A.dtype);
  const red = shape.map((_, i) => i).filter((i) => !kept.includes(i));
  const rowShape = kept.map((i) => shape[i]!);
  const K = red.map((i) => shape[i]!);
  const n = countAs(K.reduce<Expr>((p, d) => mul(p, d), int(1)), acc);
  const full = (row: readonly Expr[], r: readonly Expr[]): Expr[] =>
    shape.map((_, i) => (kept.includes(i) ? row[kept.indexOf(i)]! : r[red.indexOf(i)]!));
  const x = (idx: readonly Expr[]) => cast(at(A, idx), acc);
  const S2 = buffer(`${prefix}_sqsum`, acc, rowShape);
  const zero = lit(0, acc);
  if (!centered) {
    return {
      S2, n, stages: [reduce(S2, K, zero, add, (v, r) => { const e = x(full(v, r)); return mul(e, e); })],
      mean: () => zero,
      inv: (row) => bin('div', lit(1, acc), call('sqrt', [add(bin('div', at(S2, row), n), lit(eps, acc))], acc)),
      row: (v) => kept.map((i) => v[i]!),
    };
  }
  const S1 = buffer(`${prefix}_sum`, acc, rowShape);
  const mean = (row: readonly Expr[]) => bin('div', at(S1, row), n);
  return {
    S1, S2, n,
    stages: [
      reduce(S1, K, zero, add, (v, r) => x(full(v, r))),
      reduce(S2, K, zero, add, (v, r) => { const d = sub(x(full(v, r)), mean(v)); return mul(d, d); }),
    ],
    mean,
    inv: (row) => bin('div', lit(1, acc), call('sqrt', [add(bin('div', at(S2, row), n), lit(eps, acc))], acc)),
    row: (v) => kept.map((i) => v[i]!),
  };
}

const intermediates = (m: Moments): Buffer[] => (m.S1 ? [m.S1, m.S2] : [m.S2]);

/** (x - mean) * inv, in the acc dtype. */
const normalized = (A: Buffer, m: Moments, v: readonly Expr[]): Expr =>
  mul(sub(cast(at(A, v), accOf(A.dtype)), m.mean(m.row(v))), m.inv(m.row(v)));

function checkBroadcastable(op: string, what: string, p: TensorInfo, norm: readonly Expr[]): void {
  if (p.shape.length > norm.length) throw shapeError(`${op}: ${what} ${shapeText(p.shape)} has more dims than the normalized shape ${shapeText(norm)}`);
  const off = norm.length - p.shape.length;
  p.shape.forEach((d, i) => {
    const e = norm[off + i]!;
    if (d.k === 'int' && e.k === 'int' && d.value !== 1 && d.value !== e.value) {
      throw shapeError(`${op}: ${what} ${shapeText(p.shape)} does not broadcast to the normalized shape ${shapeText(norm)}`);
    }
  });
}

function channelVec(op: string, what: string, p: TensorInfo, c: Expr): void {
  if (p.shape.length !== 1) throw shapeError(`${op}: ${what} must be 1-D (one value per channel), got ${shapeText(p.shape)}`);
  const d = p.shape[0]!;
  if (d.k === 'int' && c.k === 'int' && d.value !== c.value) throw shapeError(`${op}: ${what} has ${d.value} values for ${c.value} channels`);
}

const statsShape = (x: TensorInfo, axis: number): Expr[] => x.shape.map((d, i) => (i < axis ? d : int(1)));

const layerNorm: OpDef = {
  name: 'layer_norm',
  pattern: () => 'comm_reduce',
  infer(args, attrs) {
    if (args.length !== 2 && args.length !== 3) throw shapeError(`layer_norm: expects 2 or 3 arguments, got ${args.length}`);
    const x = floatArg('layer_norm', args, 0);
    const axis = normAxis('layer_norm', numAttr(attrs, 'axis', -1), x.shape.length);
    const norm = x.shape.slice(axis);
    for (let i = 1; i < args.length; i++) checkBroadcastable('layer_norm', i === 1 ? 'scale' : 'bias', floatArg('layer_norm', args, i), norm);
    const y = tensor(x.dtype, x.shape);
    if (!attrs.stats) return y;
    const s = tensor(accOf(x.dtype), statsShape(x, axis));
    return { k: 'tuple', fields: [y, s, s] };
  },
  legalize(ctx) {
    const x = ctx.args[0] as TensorInfo, sc = ctx.args[1] as TensorInfo, bi = ctx.args[2] as TensorInfo | undefined;
    const axis = normAxis('layer_norm', numAttr(ctx.attrs, 'axis', -1), x.shape.length);
    const eps = numAttr(ctx.attrs, 'epsilon', 1e-5);
    const acc = accOf(x.dtype);
    const A = buffer('A', x.dtype, x.shape), G = buffer('gamma', sc.dtype, sc.shape);
    const B = bi ? buffer('beta', bi.dtype, bi.shape) : undefined;
    const Y = buffer('T_layer_norm', x.dtype, x.shape);
    const m = moments(A, x.shape, [...Array(axis).keys()], eps, true, 'T_layer_norm');
    const y = compute(Y, (v) => {
      let e = mul(normalized(A, m, v), cast(at(G, broadcastIndex(sc.shape, v, x.shape)), acc));
      if (B && bi) e = add(e, cast(at(B, broadcastIndex(bi.shape, v, x.shape)), acc));
      return cast(e, x.dtype);
    });
    const outs = [Y];
    const stages = [...m.stages, y];
    if (ctx.attrs.stats) {
      const sh = statsShape(x, axis);
      const Mn = buffer('T_layer_norm_mean', acc, sh), Iv = buffer('T_layer_norm_invstd', acc, sh);
      outs.push(Mn, Iv);
      stages.push(compute(Mn, (v) => m.mean(v.slice(0, axis))), compute(Iv, (v) => m.inv(v.slice(0, axis))));
    }
    return primFunc(ctx.name, B ? [A, G, B] : [A, G], outs, stages, { pattern: 'comm_reduce', intermediates: intermediates(m) });
  },
};

const rmsNorm: OpDef = {
  name: 'rms_norm',
  pattern: () => 'comm_reduce',
  infer(args, attrs) {
    expectArgs('rms_norm', args, 2);
    const x = floatArg('rms_norm', args, 0);
    const axis = normAxis('rms_norm', numAttr(attrs, 'axis', -1), x.shape.length);
    checkBroadcastable('rms_norm', 'scale', floatArg('rms_norm', args, 1), x.shape.slice(axis));
    return tensor(x.dtype, x.shape);
  },
  legalize(ctx) {
    const x = ctx.args[0] as TensorInfo, sc = ctx.args[1] as TensorInfo;
    const axis = normAxis('rms_norm', numAttr(ctx.attrs, 'axis', -1), x.shape.length);
    const acc = accOf(x.dtype);
    const A = buffer('A', x.dtype, x.shape), G = buffer('gamma', sc.dtype, sc.shape), Y = buffer('T_rms_norm', x.dtype, x.shape);
    const m = moments(A, x.shape, [...Array(axis).keys()], numAttr(ctx.attrs, 'epsilon', 1e-5), false, 'T_rms_norm');
    const y = compute(Y, (v) => cast(mul(normalized(A, m, v), cast(at(G, broadcastIndex(sc.shape, v, x.shape)), acc)), x.dtype));
    return primFunc(ctx.name, [A, G], [Y], [...m.stages, y], { pattern: 'comm_reduce', intermediates: intermediates(m) });
  },
};

/** x, scale, bias (+ mean, var) with per-channel parameters on axis 1. */
function channelArgs(op: string, args: readonly StructInfo[], n: number): TensorInfo {
  expectArgs(op, args, n);
  const x = floatArg(op, args, 0);
  if (x.shape.length < 2) throw shapeError(`${op}: input must have rank >= 2 (N, C, ...), got ${shapeText(x.shape)}`);
  const names = ['scale', 'bias', 'mean', 'var'];
  for (let i = 1; i < n; i++) channelVec(op, names[i - 1]!, floatArg(op, args, i), x.shape[1]!);
  return x;
}

const instanceNorm: OpDef = {
  name: 'instance_norm',
  pattern: () => 'comm_reduce',
  infer(args) {
    const x = channelArgs('instance_norm', args, 3);
    return tensor(x.dtype, x.shape);
  },
  legalize(ctx) {
    const x = ctx.args[0] as TensorInfo, sc = ctx.args[1] as TensorInfo, bi = ctx.args[2] as TensorInfo;
    const acc = accOf(x.dtype);
    const A = buffer('A', x.dtype, x.shape), G = buffer('gamma', sc.dtype, sc.shape), B = buffer('beta', bi.dtype, bi.shape);
    const Y = buffer('T_instance_norm', x.dtype, x.shape);
    const m = moments(A, x.shape, [0, 1], numAttr(ctx.attrs, 'epsilon', 1e-5), true, 'T_instance_norm');
    const y = compute(Y, (v) => cast(add(mul(normalized(A, m, v), cast(at(G, [v[1]!]), acc)), cast(at(B, [v[1]!]), acc)), x.dtype));
    return primFunc(ctx.name, [A, G, B], [Y], [...m.stages, y], { pattern: 'comm_reduce', intermediates: intermediates(m) });
  },
};

const batchNorm: OpDef = {
  name: 'batch_norm',
  pattern: () => 'broadcast',
  infer(args) {
    const x = channelArgs('batch_norm', args, 5);
    return tensor(x.dtype, x.shape);
  },
  legalize(ctx) {
    const [x, sc, bi, mu, va] = ctx.args as TensorInfo[];
    const acc = accOf(x!.dtype);
    const eps = numAttr(ctx.attrs, 'epsilon', 1e-5);
    const bufs = [buffer('A', x!.dtype, x!.shape), buffer('gamma', sc!.dtype, sc!.shape), buffer('beta', bi!.dtype, bi!.shape),
      buffer('moving_mean', mu!.dtype, mu!.shape), buffer('moving_var', va!.dtype, va!.shape)];
    const [A, G, B, M, V] = bufs as [Buffer, Buffer, Buffer, Buffer, Buffer];
    const Y = buffer('T_batch_norm', x!.dtype, x!.shape);
    const c = (b: Buffer, v: readonly Expr[]) => cast(at(b, [v[1]!]), acc);
    const y = compute(Y, (v) => {
      const inv = bin('div', lit(1, acc), call('sqrt', [add(c(V, v), lit(eps, acc))], acc));
      return cast(add(mul(mul(sub(cast(at(A, v), acc), c(M, v)), inv), c(G, v)), c(B, v)), x!.dtype);
    });
    return primFunc(ctx.name, bufs, [Y], [y], { pattern: 'broadcast' });
  },
};

const batchNormTrain: OpDef = {
  name: 'batch_norm_train',
  pattern: () => 'comm_reduce',
  infer(args) {
    const x = channelArgs('batch_norm_train', args, 5);
    const mu = args[3] as TensorInfo, va = args[4] as TensorInfo;
    return { k: 'tuple', fields: [tensor(x.dtype, x.shape), tensor(mu.dtype, mu.shape), tensor(va.dtype, va.shape)] };
  },
  legalize(ctx) {
    const [x, sc, bi, mu, va] = ctx.args as TensorInfo[];
    const acc = accOf(x!.dtype);
    const eps = numAttr(ctx.attrs, 'epsilon', 1e-5), mom = numAttr(ctx.attrs, 'momentum', 0.9);
    const bufs = [buffer('A', x!.dtype, x!.shape), buffer('gamma', sc!.dtype, sc!.shape), buffer('beta', bi!.dtype, bi!.shape),
      buffer('input_mean', mu!.dtype, mu!.shape), buffer('input_var', va!.dtype, va!.shape)];
    const [A, G, B, M, V] = bufs as [Buffer, Buffer, Buffer, Buffer, Buffer];
    const Y = buffer('T_batch_norm', x!.dtype, x!.shape);
    const RM = buffer('T_running_mean', mu!.dtype, mu!.shape), RV = buffer('T_running_var', va!.dtype, va!.shape);
    const m = moments(A, x!.shape, [1], eps, true, 'T_batch_norm');
    const c = (b: Buffer, v: readonly Expr[]) => cast(at(b, [v[1]!]), acc);
    const y = compute(Y, (v) => cast(add(mul(normalized(A, m, v), c(G, v)), c(B, v)), x!.dtype));
    const running = (out: Buffer, prev: Buffer, cur: (row: readonly Expr[]) => Expr) =>
      compute(out, (v) => cast(add(mul(cast(at(prev, v), acc), lit(mom, acc)), mul(cur(v), lit(1 - mom, acc))), out.dtype));
    const S2 = m.S2;
    const stages = [...m.stages, y, running(RM, M, (v) => m.mean(v)), running(RV, V, (v) => bin('div', at(S2, v), m.n))];
    return primFunc(ctx.name, bufs, [Y, RM, RV], stages, { pattern: 'comm_reduce', intermediates: intermediates(m) });
  },
};

export const NORM_OPS: readonly OpDef[] = [layerNorm, rmsNorm, instanceNorm, batchNorm, batchNormTrain];
